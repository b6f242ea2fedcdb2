//! The privileged protocols, with the in-process fixture: a
//! privileged persona's client captures (wlr-screencopy, ext-image-copy-
//! capture) exactly what its own persona shows — never the indicator, never
//! another persona, also from the background — and its virtual pointer acts
//! in its own persona only.

mod common;

use std::time::Duration;

use common::client::{CaptureResult, Event};
use common::fixture::Fixture;
use personas::input::BTN_LEFT;

const RED: [u8; 4] = [0xff, 0, 0, 0xff];
const GREEN: [u8; 4] = [0, 0xff, 0, 0xff];
const BLUE: [u8; 4] = [0, 0, 0xff, 0xff];
const LIMIT: Duration = Duration::from_secs(5);

fn granted(what: &str) -> String {
    common::fixture::two_personas_with("work", &format!("privileged = [{what}]"))
}

/// Waits for a capture of client `c` to finish.
fn finished(fx: &mut Fixture, c: usize, id: usize) -> CaptureResult {
    fx.dispatch_until(LIMIT, |fx| {
        fx.client(c).capture_result(id) != CaptureResult::Pending
    });
    fx.client(c).capture_result(id)
}

/// Every pixel of a finished capture is `color`; returns its size.
fn all(result: &CaptureResult, color: [u8; 4], what: &str) -> (u32, u32) {
    let CaptureResult::Ready {
        width,
        height,
        rgba,
        ..
    } = result
    else {
        panic!("{what}: not ready: {result:?}");
    };
    let wrong = rgba
        .chunks_exact(4)
        .position(|p| p[..3] != color[..3])
        .map(|i| {
            (
                i as u32 % width,
                i as u32 / width,
                rgba[i * 4..i * 4 + 4].to_vec(),
            )
        });
    assert_eq!(wrong, None, "{what}: a pixel that is not {color:?}");
    (*width, *height)
}

#[test]
fn screencopy_shows_only_its_own_persona_also_from_the_background() {
    // With the frame indicator the output shows a colored border the
    // capture must not have: the persona's output is 4 px smaller each side.
    let config = granted("\"screencopy\"").replace("indicator = \"none\"", "indicator = \"frame\"");
    let mut fx = Fixture::with_config(&config);
    let (w, _) = fx.open_window("work", RED);
    let id = fx.client(w).screencopy(false, 0);
    let shot = finished(&mut fx, w, id);
    assert_eq!(all(&shot, RED, "work on screen"), (312, 192));
    // The screen itself has the frame, which the capture did not.
    assert_eq!(fx.render().pixel(0, 0)[..3], [0x33, 0x66, 0xcc]);

    // Work in the background, personal on screen with its own window.
    fx.switch("personal");
    let (p, _) = fx.open_window("personal", GREEN);
    let id = fx.client(w).screencopy(false, 0);
    let shot = finished(&mut fx, w, id);
    all(&shot, RED, "work in the background");
    assert_eq!(fx.render().pixel(100, 100)[..3], GREEN[..3]);
    // Personal was not granted capture; nobody else sees the global.
    for iface in [
        "zwlr_screencopy_manager_v1",
        "ext_image_copy_capture_manager_v1",
        "ext_output_image_capture_source_manager_v1",
        "ext_foreign_toplevel_image_capture_source_manager_v1",
    ] {
        assert_eq!(fx.client(w).count_globals(iface), 1, "{iface} in work");
        assert_eq!(fx.client(p).count_globals(iface), 0, "{iface} in personal");
    }
}

#[test]
fn copy_with_damage_waits_for_a_commit_in_its_own_persona() {
    let mut fx = Fixture::with_config(&granted("\"screencopy\""));
    let (w, win) = fx.open_window("work", RED);
    let (p, pwin) = fx.open_window("personal", GREEN);
    // The first copy of a client is served at once, wholly damaged.
    let first = fx.client(w).screencopy(true, 0);
    let shot = finished(&mut fx, w, first);
    all(&shot, RED, "first");
    let CaptureResult::Ready { damage, .. } = &shot else {
        unreachable!()
    };
    assert_eq!(damage, &[(0, 0, 320, 200)]);
    // The next waits: nothing changed in work.
    let second = fx.client(w).screencopy(true, 0);
    fx.roundtrip_all();
    fx.roundtrip(w);
    assert!(
        fx.client(w).capture_pending(second),
        "served without a change"
    );
    // Another persona's commit does not wake it.
    fx.client(p).ack_and_draw(pwin, BLUE, (1, 1));
    fx.roundtrip_all();
    fx.roundtrip(w);
    assert!(
        fx.client(w).capture_pending(second),
        "served without a change"
    );
    // Its own does.
    fx.client(w).ack_and_draw(win, BLUE, (1, 1));
    let shot = finished(&mut fx, w, second);
    all(&shot, BLUE, "after work's commit");
}

#[test]
fn ext_image_copy_captures_its_output_and_its_own_windows() {
    let mut fx = Fixture::with_config(&granted("\"screencopy\""));
    let (w, win) = fx.open_window("work", RED);
    fx.client(w).list_toplevels();
    fx.roundtrip(w);
    let output = fx.client(w).image_copy(None, 0);
    assert_eq!(
        all(&finished(&mut fx, w, output), RED, "output"),
        (320, 200)
    );
    // A window on its own: a fixed-size one, centred on the output.
    let small = fx.client(w).create_window();
    fx.roundtrip(w);
    fx.client(w).draw_fixed(small, BLUE, (40, 30));
    fx.roundtrip(w);
    fx.roundtrip(w);
    let window = fx.client(w).image_copy(Some(1), 0);
    assert_eq!(all(&finished(&mut fx, w, window), BLUE, "window"), (40, 30));
    // A buffer of the wrong size: failed with buffer_constraints (1).
    let wrong = fx.client(w).image_copy(Some(0), 5);
    assert_eq!(finished(&mut fx, w, wrong), CaptureResult::Failed(Some(1)));
    // A window that is gone: the session stops.
    fx.client(w).close_window(win);
    fx.roundtrip(w);
    let gone = fx.client(w).image_copy(Some(0), 0);
    assert_eq!(finished(&mut fx, w, gone), CaptureResult::Stopped);
    fx.state.check_invariants().unwrap();
}

#[test]
fn a_bad_screencopy_buffer_is_a_protocol_error_for_that_client_only() {
    let mut fx = Fixture::with_config(&granted("\"screencopy\""));
    let (w, _) = fx.open_window("work", RED);
    let (other, _) = fx.open_window("work", GREEN);
    fx.client(w).expect_protocol_error();
    fx.client(w).screencopy(false, 7);
    fx.dispatch_until(LIMIT, |fx| fx.client(w).is_disconnected());
    let (_, interface, message) = fx.client(w).protocol_error().expect("a protocol error");
    assert_eq!(interface, "zwlr_screencopy_frame_v1");
    // libwayland's client side (the system backend, which winit switches on)
    // does not hand the message on; where the message is there, it says why.
    assert!(
        message.is_empty() || message.contains("need 320x200"),
        "{message}"
    );
    // The compositor and the other client carry on.
    let id = fx.client(other).screencopy(false, 0);
    all(&finished(&mut fx, other, id), GREEN, "the other client");
}

#[test]
fn a_virtual_pointer_acts_in_its_own_persona_only() {
    let mut fx = Fixture::with_config(&granted("\"virtual-pointer\""));
    let (w, _) = fx.open_window("work", RED);
    let (p, _) = fx.open_window("personal", GREEN);
    assert_eq!(
        fx.client(w)
            .count_globals("zwlr_virtual_pointer_manager_v1"),
        1
    );
    assert_eq!(
        fx.client(p)
            .count_globals("zwlr_virtual_pointer_manager_v1"),
        0
    );
    fx.client(w).take_events();
    fx.client(w).virtual_pointer(0.5, 0.25, Some(BTN_LEFT));
    fx.roundtrip(w);
    fx.roundtrip(w);
    let events = fx.client(w).take_events();
    // (The pointer was over the window already: motion, not enter.)
    let at = |e: &Event| match e {
        Event::PointerEnter { x, y, .. } | Event::PointerMotion { x, y } => Some((*x, *y)),
        _ => None,
    };
    assert_eq!(
        events.iter().find_map(at),
        Some((160.0, 50.0)),
        "{events:?}"
    );
    assert!(events.contains(&Event::PointerButton {
        button: BTN_LEFT,
        pressed: true
    }));
    assert!(events.contains(&Event::PointerButton {
        button: BTN_LEFT,
        pressed: false
    }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::PointerAxis { vertical, .. } if *vertical == 15.0)),
        "{events:?}"
    );

    // From the background it reaches nobody: not its own persona, not the
    // one on screen.
    fx.switch("personal");
    fx.roundtrip_all();
    fx.client(w).take_events();
    fx.client(p).take_events();
    fx.client(w).virtual_pointer(0.1, 0.1, Some(BTN_LEFT));
    fx.roundtrip(w);
    fx.roundtrip_all();
    let pointer = |e: &Event| {
        matches!(
            e,
            Event::PointerEnter { .. }
                | Event::PointerMotion { .. }
                | Event::PointerButton { .. }
                | Event::PointerAxis { .. }
        )
    };
    let w_events = fx.client(w).take_events();
    let p_events = fx.client(p).take_events();
    assert!(!w_events.iter().any(pointer), "{w_events:?}");
    assert!(!p_events.iter().any(pointer), "{p_events:?}");
    fx.state.check_invariants().unwrap();
}

#[test]
fn a_virtual_keyboard_types_into_its_own_persona_only() {
    let mut fx = Fixture::with_config(&granted("\"virtual-keyboard\""));
    let (w, _) = fx.open_window("work", RED);
    let osk = fx.add_bound_client("work");
    let (p, _) = fx.open_window("personal", GREEN);
    let keys = |events: Vec<Event>| -> Vec<(u32, bool)> {
        events
            .into_iter()
            .filter_map(|e| match e {
                Event::Key { key, pressed } => Some((key, pressed)),
                _ => None,
            })
            .collect()
    };
    fx.client(w).take_events();
    fx.client(osk).virtual_key_tap(30);
    fx.roundtrip(osk);
    fx.roundtrip_all();
    assert_eq!(keys(fx.client(w).take_events()), [(30, true), (30, false)]);

    // From the background: nobody gets the keys.
    fx.switch("personal");
    fx.roundtrip_all();
    fx.client(w).take_events();
    fx.client(p).take_events();
    fx.client(osk).virtual_key_tap(31);
    fx.roundtrip(osk);
    fx.roundtrip_all();
    assert_eq!(keys(fx.client(w).take_events()), []);
    assert_eq!(keys(fx.client(p).take_events()), []);
    fx.state.check_invariants().unwrap();
}

/// On a turned output a region is asked for upright (logical coordinates)
/// and delivered in the panel's orientation, as grim expects.
#[test]
fn a_screencopy_region_of_a_turned_output_is_the_region_asked_for() {
    let config = format!(
        "{}\n[outputs.\"HEADLESS-1\"]\ntransform = \"90\"\n",
        granted("\"screencopy\"")
    );
    let mut fx = Fixture::with_config(&config);
    let (c, w) = fx.open_window("work", GREEN);
    // A fixed-size window, centered in the upright 200x320 output.
    fx.client(c).draw_fixed(w, RED, (50, 80));
    fx.roundtrip(c);
    let id = fx.client(c).screencopy_region((75, 120, 50, 80));
    let shot = finished(&mut fx, c, id);
    assert_eq!(all(&shot, RED, "the window, turned"), (80, 50));
}
