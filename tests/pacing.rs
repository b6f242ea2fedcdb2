//! Per-output frame pacing: each output is paced by its own page flips, so
//! one whose flip is outstanding (a slower refresh, a late flip) holds no
//! other back. The headless backend simulates flips here
//! (`simulate_flips`), and the test delivers each output's flip itself.

mod common;

use common::client::Event;
use common::fixture::{Fixture, TWO_PERSONAS};
use personas::input::InputEvent;

const RED: [u8; 4] = [255, 0, 0, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];
const YELLOW: [u8; 4] = [255, 255, 0, 255];

/// The primary 320x200 and HEADLESS-2 of 200x160 to its right.
fn two_outputs() -> String {
    TWO_PERSONAS.replace(
        "size = \"320x200\"",
        "size = \"320x200\"\nextra_outputs = [\"200x160\"]",
    )
}

fn rgb(c: [u8; 4]) -> [u8; 3] {
    [c[0], c[1], c[2]]
}

fn presented(fx: &mut Fixture, c: usize) -> usize {
    fx.client(c)
        .take_events()
        .iter()
        .filter(|e| matches!(e, Event::Presented))
        .count()
}

#[test]
fn an_output_waiting_for_its_flip_holds_no_other_back() {
    let mut fx = Fixture::with_config(&two_outputs());
    // A window on each output, each its own client.
    let (fast, a) = fx.open_window("work", RED);
    fx.input(InputEvent::PointerMotion {
        dx: 240.0,
        dy: 0.0,
        dx_unaccel: 240.0,
        dy_unaccel: 0.0,
        utime: 0,
    });
    let slow = fx.add_bound_client("work");
    let b = fx.add_window(slow, GREEN);
    fx.render();
    assert_eq!(fx.output_middle(0), rgb(RED));
    assert_eq!(fx.output_middle(1), rgb(GREEN));

    fx.state.backend.headless().unwrap().simulate_flips = true;
    // Both draw with a frame callback: one frame, queued on both outputs.
    fx.client(fast).draw_with_frame(a, BLUE, (1, 1));
    fx.client(slow).draw_with_frame(b, BLUE, (1, 1));
    fx.roundtrip_all();
    fx.state.render_frame();
    fx.roundtrip_all();
    let (a0, b0) = (
        fx.client(fast).frames_done(a),
        fx.client(slow).frames_done(b),
    );
    assert_eq!((a0, b0), (1, 1), "both drawn, both called back");
    // The frame timer of the frames shown before flips were simulated
    // ends: from now on only flips pace frames.
    fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
        !fx.state.frame_clock.timer_armed()
    });

    // The primary's flip comes; HEADLESS-2's does not yet. The primary
    // goes on at its own pace: its window's next frame is drawn and called
    // back, while the window on HEADLESS-2 waits for that output's flip.
    fx.state.simulated_page_flip(0);
    fx.client(fast).draw_with_frame(a, YELLOW, (1, 1));
    fx.client(slow).request_presentation_feedback(b);
    fx.client(slow).draw_with_frame(b, RED, (1, 1));
    fx.roundtrip_all();
    fx.roundtrip_all();
    assert_eq!(
        fx.client(fast).frames_done(a),
        2,
        "the primary's window is not held back by HEADLESS-2's flip"
    );
    assert_eq!(fx.output_middle(0), rgb(YELLOW));
    assert_eq!(
        fx.client(slow).frames_done(b),
        1,
        "no frame callback on an output still waiting for its flip"
    );
    assert_eq!(fx.output_middle(1), rgb(BLUE), "not drawn there yet");
    assert_eq!(presented(&mut fx, slow), 0);

    // HEADLESS-2's flip: the frame it missed is drawn there at once.
    fx.state.simulated_page_flip(1);
    fx.roundtrip_all();
    assert_eq!(fx.output_middle(1), rgb(RED));
    assert_eq!(fx.client(slow).frames_done(b), 2);
    assert_eq!(
        presented(&mut fx, slow),
        0,
        "queued, not on screen before its own flip"
    );
    // That frame's flip presents the surface on HEADLESS-2.
    fx.state.simulated_page_flip(1);
    fx.roundtrip_all();
    assert_eq!(presented(&mut fx, slow), 1);
    assert_eq!(
        fx.client(fast).frames_done(a),
        2,
        "nothing new to draw there"
    );
}

/// A lock is confirmed only once the output shows it: not when the flip of
/// a frame drawn before the lock comes (the frame asked for meanwhile could
/// not be drawn, the output waiting for that flip).
#[test]
fn a_lock_is_confirmed_only_once_its_frame_is_shown() {
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("work", RED);
    fx.render();
    fx.state.backend.headless().unwrap().simulate_flips = true;
    fx.client(c).draw_with_frame(w, BLUE, (1, 1));
    fx.roundtrip_all();
    fx.state.render_frame();
    fx.roundtrip_all();
    fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
        !fx.state.frame_clock.timer_armed()
    });
    assert!(
        fx.state.backend.flip_pending(),
        "work's frame waits for its flip"
    );

    let s = fx.add_system_client();
    fx.client(s).lock_session();
    fx.roundtrip_all();
    assert!(!fx.client(s).system().locked);
    // The flip of work's frame: work is what the output shows.
    fx.state.simulated_page_flip(0);
    fx.roundtrip_all();
    assert!(
        !fx.client(s).system().locked,
        "not locked while work's frame is on screen"
    );
    // That flip drew the lock's frame; its own flip shows it.
    assert!(fx.state.backend.flip_pending());
    fx.state.simulated_page_flip(0);
    fx.roundtrip_all();
    assert!(
        fx.client(s).system().locked,
        "locked once the lock is shown"
    );
    assert_ne!(fx.output_middle(0), rgb(BLUE), "work is not on screen");
}
