//! Key-to-client latency: a key event handed to the compositor until a
//! wayland-client in the active persona has read its wl_keyboard.key, in one
//! process (the fixture's loop: compositor dispatch, socket, client read).
//! Also how that scales with the number of personas and of background windows.
//!
//! `cargo bench --bench input_latency` measures; under `cargo test` it runs a
//! few events only, as a smoke test.

#[path = "../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

use std::time::{Duration, Instant};

use common::client::Event;
use common::fixture::Fixture;
use personas::input::InputEvent;

const KEY_A: u32 = 30;

fn config(personas: usize) -> String {
    let mut config = String::from("[headless]\nsize = \"320x200\"\n");
    for i in 0..personas {
        config.push_str(&format!("[[persona]]\nname = \"p{i}\"\n"));
    }
    config
}

/// Median, p99 and worst of `samples`, in microseconds.
fn summary(samples: &mut [Duration]) -> (f64, f64, f64) {
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| us(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    (at(0.5), at(0.99), us(*samples.last().unwrap()))
}

fn measure(personas: usize, background_windows: usize, events: usize) -> (f64, f64, f64) {
    let mut fx = Fixture::with_config(&config(personas));
    // Background windows spread over the other personas.
    for i in 0..background_windows {
        let persona = format!("p{}", 1 + i % (personas - 1).max(1));
        let c = fx.add_bound_client(&persona);
        let w = fx.client(c).create_window();
        fx.roundtrip(c);
        fx.client(c).ack_and_draw(w, [0, 0, 255, 255], (320, 200));
        fx.roundtrip(c);
    }
    let c = fx.add_bound_client("p0");
    let w = fx.client(c).create_window();
    fx.roundtrip(c);
    fx.client(c).ack_and_draw(w, [255, 0, 0, 255], (320, 200));
    fx.roundtrip(c);
    fx.client(c).take_events();
    let mut samples = Vec::with_capacity(events);
    for i in 0..events {
        let pressed = i % 2 == 0;
        let start = Instant::now();
        fx.state.process_input(
            InputEvent::Key {
                keycode: KEY_A + 8,
                pressed,
            },
            start,
        );
        // Only the compositor and the measured client: the other clients are
        // not read here, so their count costs the harness nothing.
        fx.state.refresh_and_flush();
        loop {
            fx.client(c).dispatch();
            if fx
                .client(c)
                .take_events()
                .iter()
                .any(|e| matches!(e, Event::Key { .. }))
            {
                break;
            }
        }
        samples.push(start.elapsed());
    }
    summary(&mut samples)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let events = if full { 4000 } else { 20 };
    println!("key to client latency (µs), {events} key events each");
    println!(
        "{:>9} {:>19} {:>9} {:>9} {:>9}",
        "personas", "background windows", "median", "p99", "worst"
    );
    let cases: &[(usize, usize)] = if full {
        &[(2, 0), (2, 20), (2, 100), (8, 0), (32, 0), (32, 100)]
    } else {
        &[(2, 0), (8, 4)]
    };
    for &(personas, windows) in cases {
        let (median, p99, worst) = measure(personas, windows, events);
        println!("{personas:>9} {windows:>19} {median:>9.1} {p99:>9.1} {worst:>9.1}");
    }
}
