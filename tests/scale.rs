//! Output scale (`[outputs."NAME"] scale`, fractional too): the persona's
//! logical output is the pixels divided by the scale, windows are
//! configured in logical pixels, clients are told the scale every way the
//! protocols have (wl_output, preferred_buffer_scale, wp-fractional-scale),
//! the picture is scaled up to fill the panel, and input lands where the
//! client drew.

mod common;

use common::client::Event;
use common::fixture::{assert_region, Fixture, TWO_PERSONAS};
use personas::input::InputEvent;

const RED: [u8; 4] = [255, 0, 0, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];

/// 480x300 pixels at `scale`.
fn scaled(scale: &str) -> Fixture {
    let config = TWO_PERSONAS.replace("size = \"320x200\"", "size = \"480x300\"")
        + &format!("[outputs.\"HEADLESS-1\"]\nscale = {scale}\n");
    Fixture::with_config(&config)
}

#[test]
fn a_fractional_scale_configures_windows_in_logical_pixels_and_says_so() {
    let mut fx = scaled("1.5");
    let c = fx.add_bound_client("work");
    let w = fx.client(c).create_window();
    fx.client(c).watch_fractional_scale(w);
    fx.roundtrip(c);
    let configure = fx.client(c).window(w).last_configure().unwrap().clone();
    assert_eq!(
        (configure.width, configure.height),
        (320, 200),
        "480x300 / 1.5"
    );
    let window = fx.client(c).window(w);
    assert_eq!(window.fractional_scale, Some(180), "1.5 in 120ths");
    let output = fx.client(c).outputs()[0].clone();
    assert_eq!(output.scale, 2, "wl_output rounds the scale up");
    assert_eq!(
        output.mode.map(|m| (m.0, m.1)),
        Some((480, 300)),
        "the mode is the pixels"
    );
    assert_eq!(output.logical_size, Some((320, 200)));
}

#[test]
fn a_window_drawn_at_scale_one_fills_the_scaled_output() {
    let mut fx = scaled("1.5");
    fx.open_window("work", RED);
    let shot = fx.render();
    assert_eq!((shot.width, shot.height), (480, 300));
    assert_region(&shot, (0, 0, 480, 300), RED, "scale_upscaled_window");
}

#[test]
fn a_fractional_client_draws_every_pixel_itself() {
    let mut fx = scaled("1.5");
    let c = fx.add_bound_client("work");
    let w = fx.client(c).create_window();
    fx.client(c).watch_fractional_scale(w);
    fx.roundtrip(c);
    // What a wp-fractional-scale client does: a buffer of the pixels, shown
    // at the logical size.
    fx.client(c).set_viewport_destination(w, (320, 200));
    fx.client(c).draw_fixed(w, GREEN, (480, 300));
    fx.roundtrip(c);
    let shot = fx.render();
    assert_region(&shot, (0, 0, 480, 300), GREEN, "scale_fractional_client");
    assert!(
        fx.state.backend.headless().unwrap().scanned_out(0),
        "a buffer of the output's pixels is the frame itself"
    );
}

#[test]
fn an_integer_scale_is_the_preferred_buffer_scale_and_input_is_logical() {
    let mut fx = scaled("2");
    let (c, w) = fx.open_window("work", RED);
    fx.roundtrip(c);
    let window = fx.client(c).window(w);
    assert_eq!(window.preferred_buffer_scale, Some(2));
    let configure = window.last_configure().unwrap().clone();
    assert_eq!((configure.width, configure.height), (240, 150));
    fx.client(c).take_events();
    fx.input(InputEvent::PointerMotionAbsolute { x: 300.0, y: 150.0 });
    fx.roundtrip(c);
    let events = fx.client(c).take_events();
    assert!(
        events.contains(&Event::PointerEnter {
            surface: w,
            x: 150.0,
            y: 75.0
        }),
        "the pointer at pixel (300, 150) is at (150, 75) in the window: {events:?}"
    );
}

#[test]
fn switching_keeps_each_personas_scale_and_picture() {
    let mut fx = scaled("1.25");
    fx.open_window("work", RED);
    let (c, w) = fx.open_window("personal", GREEN);
    let configure = fx.client(c).window(w).last_configure().unwrap().clone();
    assert_eq!(
        (configure.width, configure.height),
        (384, 240),
        "480x300 / 1.25"
    );
    fx.switch("personal");
    let shot = fx.render();
    assert_region(&shot, (0, 0, 480, 300), GREEN, "scale_switch_personal");
    fx.switch("work");
    let shot = fx.render();
    assert_region(&shot, (0, 0, 480, 300), RED, "scale_switch_work");
}

#[test]
fn a_screencopy_of_a_scaled_output_has_its_pixels_filled() {
    let config = TWO_PERSONAS.replace("size = \"320x200\"", "size = \"480x300\"")
        + "[outputs.\"HEADLESS-1\"]\nscale = 1.5\n";
    let config = config.replace(
        "name = \"work\"",
        "name = \"work\"\nprivileged = [\"screencopy\"]",
    );
    let mut fx = Fixture::with_config(&config);
    let (c, _) = fx.open_window("work", RED);
    let id = fx.client(c).screencopy(false, 0);
    fx.dispatch_until(std::time::Duration::from_secs(10), |fx| {
        fx.client(c).capture_result(id) != common::client::CaptureResult::Pending
    });
    let common::client::CaptureResult::Ready {
        width,
        height,
        rgba,
        ..
    } = fx.client(c).capture_result(id)
    else {
        panic!("the capture did not finish");
    };
    assert_eq!((width, height), (480, 300), "the output's pixels");
    let not_red = rgba.chunks_exact(4).position(|p| p[..3] != RED[..3]);
    assert_eq!(not_red, None, "the window fills the whole capture");
}
