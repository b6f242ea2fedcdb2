//! Frames without compositing: one opaque window covering the output is the
//! frame (headless "direct scan-out"), and anything else over or under it
//! brings compositing back. Screenshots show the same either way.

mod common;

use common::fixture::{assert_region, Fixture, TWO_PERSONAS};
use personas::ipc::protocol::{Reply, Request};

const RED: [u8; 4] = [255, 0, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];
const FULL: (u32, u32, u32, u32) = (0, 0, 320, 200);

fn scanned_out(fx: &mut Fixture) -> bool {
    fx.state
        .backend
        .headless()
        .expect("headless")
        .scanned_out(0)
}

/// `stats`' count of frames that were a client's buffer.
fn frames_scanned_out(fx: &mut Fixture) -> u64 {
    match fx.request(Request::Stats) {
        Reply::Stats { stats } => stats.frames_scanned_out,
        other => panic!("stats replied {other:?}"),
    }
}

#[test]
fn a_covering_opaque_window_is_the_frame_and_screenshots_show_it() {
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("work", RED);
    fx.open_window("personal", BLUE);
    assert_region(&fx.render(), FULL, RED, "scanout_red");
    assert!(
        scanned_out(&mut fx),
        "one opaque covering window: no compositing"
    );
    let counted = frames_scanned_out(&mut fx);
    assert!(counted >= 1, "stats counts the frame");
    // A new buffer is the next frame.
    fx.client(c).ack_and_draw(w, BLUE, (1, 1));
    assert_region(&fx.render(), FULL, BLUE, "scanout_next_buffer");
    assert!(scanned_out(&mut fx));
    assert!(frames_scanned_out(&mut fx) > counted);
    fx.client(c).ack_and_draw(w, RED, (1, 1));
    fx.render();
    // A switch shows the other persona's buffer; back again, this one's.
    fx.switch("personal");
    assert!(scanned_out(&mut fx));
    let shot = fx.state.backend.headless().unwrap().screenshot().unwrap();
    assert_region(&shot, FULL, BLUE, "scanout_after_switch");
    fx.switch("work");
    let shot = fx.state.backend.headless().unwrap().screenshot().unwrap();
    assert_region(&shot, FULL, RED, "scanout_after_switch_back");
}

#[test]
fn anything_over_or_under_the_window_is_composited() {
    // A frame indicator around the window.
    let framed = TWO_PERSONAS.replace("indicator = \"none\"", "indicator = \"frame\"");
    let mut fx = Fixture::with_config(&framed);
    fx.open_window("work", RED);
    let shot = fx.render();
    assert!(
        !scanned_out(&mut fx),
        "the frame is drawn around the window"
    );
    assert_ne!(shot.pixel(0, 0), RED, "the frame shows at the edge");
    assert_eq!(
        frames_scanned_out(&mut fx),
        0,
        "composited frames are not counted"
    );

    // A badge over it.
    let badge = TWO_PERSONAS.replace("indicator = \"none\"", "indicator = \"badge\"");
    let mut fx = Fixture::with_config(&badge);
    fx.open_window("work", RED);
    fx.render();
    assert!(!scanned_out(&mut fx), "the badge is drawn over the window");

    // The switch notice over it, then, once it is gone, the window alone.
    let notice = TWO_PERSONAS.replace("switch_notice = false", "switch_notice = true");
    let mut fx = Fixture::with_config(&notice);
    fx.open_window("work", RED);
    fx.open_window("personal", BLUE);
    fx.switch("personal");
    assert!(!scanned_out(&mut fx), "the notice is drawn over the window");
    fx.state.notice = None;
    fx.render();
    assert!(scanned_out(&mut fx));

    // A translucent window: what is under it shows through.
    let mut fx = Fixture::new();
    fx.open_window("work", [255, 0, 0, 128]);
    let shot = fx.render();
    assert!(!scanned_out(&mut fx), "a translucent window is blended");
    assert_ne!(shot.pixel(10, 10), [255, 0, 0, 128]);
    assert_eq!(shot.pixel(10, 10)[3], 255, "the frame is opaque");

    // A window smaller than the output.
    let mut fx = Fixture::new();
    let c = fx.add_bound_client("work");
    let w = fx.client(c).create_window();
    fx.roundtrip(c);
    fx.client(c).draw_fixed(w, RED, (100, 100));
    fx.render();
    assert!(!scanned_out(&mut fx), "the background shows around it");
}

#[test]
fn a_switch_frames_the_shown_window_even_under_a_window_not_yet_mapped() {
    // A switch's frame walks only the windows it drew; a toplevel created
    // but not mapped yet sits above the shown one in the stack and must not
    // take its place in that walk.
    let paused = TWO_PERSONAS.replace("[headless]", "background_frames = \"paused\"\n[headless]");
    let mut fx = Fixture::with_config(&paused);
    fx.open_window("work", RED);
    let (c, w) = fx.open_window("personal", BLUE);
    let unmapped = fx.client(c).create_window();
    fx.roundtrip(c);
    fx.client(c).request_frame(w);
    fx.client(c).commit(w);
    fx.roundtrip(c);
    let before = fx.client(c).frames_done(w);
    fx.switch("personal");
    assert!(
        fx.client(c).frames_done(w) > before,
        "the shown window got its frame callback with the switch's frame"
    );
    assert_eq!(fx.client(c).frames_done(unmapped), 0);
    let shot = fx.state.backend.headless().unwrap().screenshot().unwrap();
    assert_region(&shot, FULL, BLUE, "switch_under_unmapped");
}
