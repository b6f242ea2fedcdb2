//! ext-idle-notify and idle-inhibit across personas: a persona's idle time
//! counts only while it is on screen, input and switches are activity, and
//! only the persona on screen can hold idleness back. Timeouts are short and
//! the checks are orderings (this one before that one), not durations.

mod common;

use std::time::Duration;

use common::client::Event;
use common::fixture::{key, Fixture};

fn idled(fx: &mut Fixture, c: usize, token: u32) -> bool {
    fx.client(c).events().contains(&Event::Idled(token))
}

fn resumed(fx: &mut Fixture, c: usize, token: u32) -> bool {
    fx.client(c).events().contains(&Event::Resumed(token))
}

const LIMIT: Duration = Duration::from_secs(10);

#[test]
fn the_persona_on_screen_idles_and_input_resumes_it() {
    let mut fx = Fixture::new();
    let (c, _) = fx.open_window("work", [255, 0, 0, 255]);
    assert!(fx.client(c).has_idle_notifier());
    // Long enough that a loaded machine does not reach it by the check.
    fx.client(c).idle_notification(1, 1000, false);
    fx.roundtrip(c);
    assert!(!idled(&mut fx, c, 1), "not before its timeout");
    fx.dispatch_until(LIMIT, |fx| idled(fx, c, 1));
    fx.key(key::A, true);
    fx.key(key::A, false);
    fx.roundtrip(c);
    assert!(resumed(&mut fx, c, 1), "input resumes");
    // And it idles again after the next quiet spell.
    fx.client(c).take_events();
    fx.dispatch_until(LIMIT, |fx| idled(fx, c, 1));
}

#[test]
fn a_background_persona_never_idles_and_a_switch_is_activity() {
    let mut fx = Fixture::new();
    let (work, _) = fx.open_window("work", [255, 0, 0, 255]);
    let (personal, _) = fx.open_window("personal", [0, 0, 255, 255]);
    // The background persona's timeout is the shorter one.
    fx.client(personal).idle_notification(2, 50, false);
    fx.client(work).idle_notification(1, 200, false);
    fx.roundtrip_all();
    fx.dispatch_until(LIMIT, |fx| idled(fx, work, 1));
    assert!(
        !idled(&mut fx, personal, 2),
        "the background persona's 50 ms passed unseen while work idled after 200 ms"
    );

    fx.switch("personal");
    fx.roundtrip_all();
    assert!(
        resumed(&mut fx, work, 1),
        "work resumed when it left the screen"
    );
    fx.client(work).take_events();
    fx.dispatch_until(LIMIT, |fx| idled(fx, personal, 2));
    assert!(
        !idled(&mut fx, work, 1),
        "work does not idle in the background"
    );
}

#[test]
fn only_the_persona_on_screen_can_hold_idleness_back() {
    let mut fx = Fixture::new();
    let (work, w) = fx.open_window("work", [255, 0, 0, 255]);
    let (personal, p) = fx.open_window("personal", [0, 0, 255, 255]);
    // An inhibitor in the background persona holds nothing back.
    fx.client(personal).inhibit_idle(p);
    fx.client(work).idle_notification(1, 60, false);
    fx.roundtrip_all();
    fx.dispatch_until(LIMIT, |fx| idled(fx, work, 1));

    // One in the persona on screen resumes its notification and holds it,
    // except the input-only kind, which idles all the same.
    fx.client(work).inhibit_idle(w);
    fx.client(work).idle_notification(3, 100, true);
    fx.roundtrip(work);
    assert!(
        resumed(&mut fx, work, 1),
        "an inhibitor resumes what is idle"
    );
    fx.client(work).take_events();
    fx.dispatch_until(LIMIT, |fx| idled(fx, work, 3));
    assert!(!idled(&mut fx, work, 1), "held back by the inhibitor");

    // Gone, the timeout starts again and runs out.
    fx.client(work).uninhibit_idle();
    fx.roundtrip(work);
    fx.dispatch_until(LIMIT, |fx| idled(fx, work, 1));
}

fn with_idle(idle: &str) -> Fixture {
    Fixture::with_config(&format!(
        "{}\n[idle]\n{idle}\n",
        common::fixture::TWO_PERSONAS
    ))
}

fn power(fx: &Fixture) -> Power {
    fx.state.power
}

use common::fixture::assert_region;
use personas::state::idle::Power;

const FULL: (u32, u32, u32, u32) = (0, 0, 320, 200);

#[test]
fn the_output_dims_then_turns_off_and_input_wakes_it() {
    // Long enough that opening a window on a loaded machine does not reach it.
    let mut fx = with_idle("dim_after = 1.5\noff_after = 2.5");
    fx.open_window("work", [255, 0, 0, 255]);
    assert_region(&fx.render(), FULL, [255, 0, 0, 255], "awake");
    fx.dispatch_until(LIMIT, |fx| power(fx) == Power::Dimmed);
    let shot = fx.render();
    let px = shot.pixel(10, 10);
    assert!(
        (120..=135).contains(&px[0]) && px[1] == 0 && px[2] == 0,
        "dimmed to half: {px:?}"
    );
    fx.dispatch_until(LIMIT, |fx| power(fx) == Power::Off);
    assert_region(&fx.render(), FULL, [0, 0, 0, 255], "off");
    fx.key(key::A, true);
    fx.key(key::A, false);
    assert_eq!(power(&fx), Power::On);
    assert_region(&fx.render(), FULL, [255, 0, 0, 255], "woken");
}

#[test]
fn an_inhibitor_on_screen_keeps_the_output_on_and_one_in_the_background_does_not() {
    let mut fx = with_idle("dim_after = 1.0");
    let (work, w) = fx.open_window("work", [255, 0, 0, 255]);
    let (personal, p) = fx.open_window("personal", [0, 0, 255, 255]);
    fx.client(work).inhibit_idle(w);
    fx.client(work).idle_notification(1, 2000, true);
    fx.roundtrip_all();
    fx.dispatch_until(LIMIT, |fx| idled(fx, work, 1));
    assert_eq!(power(&fx), Power::On, "held by the video player on screen");

    fx.switch("personal");
    fx.client(personal).inhibit_idle(p);
    fx.roundtrip_all();
    fx.switch("work");
    fx.client(work).uninhibit_idle();
    fx.roundtrip_all();
    fx.dispatch_until(LIMIT, |fx| power(fx) == Power::Dimmed);
}

#[test]
fn output_off_and_on_by_request() {
    use personas::ipc::protocol::{Reply, Request};
    let mut fx = Fixture::new();
    fx.open_window("work", [255, 0, 0, 255]);
    let off = |name: &str| Request::OutputPower {
        output: name.into(),
        on: false,
    };
    match fx.request(off("DP-9")) {
        Reply::Error { message } => assert!(message.contains("no output named `DP-9`")),
        other => panic!("{other:?}"),
    }
    assert_eq!(fx.request(off("HEADLESS-1")), Reply::Ok);
    assert_region(&fx.render(), FULL, [0, 0, 0, 255], "off_by_request");
    let on = Request::OutputPower {
        output: "HEADLESS-1".into(),
        on: true,
    };
    assert_eq!(fx.request(on), Reply::Ok);
    assert_region(&fx.render(), FULL, [255, 0, 0, 255], "on_by_request");
}

/// Turned off, the output is drawn black once, not again at every commit.
#[test]
fn an_output_that_is_off_is_not_redrawn() {
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("work", [255, 0, 0, 255]);
    fx.request(personas::ipc::protocol::Request::OutputPower {
        output: "HEADLESS-1".into(),
        on: false,
    });
    fx.render();
    let frames = fx.state.stats.frames_rendered;
    for _ in 0..5 {
        fx.client(c).ack_and_draw(w, [0, 255, 0, 255], (1, 1));
        fx.roundtrip(c);
        // A frame is due; drawn while off, it asks for no other.
        fx.state.render_frame();
        assert!(
            !fx.state.personas.active().state.needs_redraw,
            "a turned-off output would be redrawn at every tick"
        );
    }
    assert_eq!(
        fx.state.stats.frames_rendered, frames,
        "nothing drawn while off"
    );
    assert_region(&fx.render(), FULL, [0, 0, 0, 255], "still_off");
}

/// `output on` is the user coming back: the idle actions run again.
#[test]
fn output_on_restarts_the_idle_clock() {
    let mut fx = with_idle("off_after = 0.5");
    fx.open_window("work", [255, 0, 0, 255]);
    fx.dispatch_until(LIMIT, |fx| power(fx) == Power::Off);
    fx.request(personas::ipc::protocol::Request::OutputPower {
        output: "HEADLESS-1".into(),
        on: true,
    });
    assert_eq!(power(&fx), Power::On);
    fx.dispatch_until(LIMIT, |fx| power(fx) == Power::Off);
}

/// A video player that crashes while inhibiting holds nothing back.
#[test]
fn an_inhibitor_whose_client_died_holds_nothing_back() {
    let mut fx = with_idle("dim_after = 0.05");
    let (c, w) = fx.open_window("work", [255, 0, 0, 255]);
    fx.client(c).inhibit_idle(w);
    fx.roundtrip(c);
    fx.kill_client(c);
    fx.dispatch_until(LIMIT, |fx| power(fx) == Power::Dimmed);
}

/// Releases the compositor makes up (a keyboard unplugged mid-press, a VT
/// switch) end what was held but are not the user coming back.
#[test]
fn made_up_releases_wake_nothing() {
    let mut fx = with_idle("dim_after = 0.2");
    fx.open_window("work", [255, 0, 0, 255]);
    fx.key(key::A, true);
    fx.dispatch_until(LIMIT, |fx| power(fx) == Power::Dimmed);
    fx.state.deliver_release(
        personas::input::InputEvent::Key {
            keycode: key::A + 8,
            pressed: false,
        },
        std::time::Instant::now(),
    );
    fx.dispatch();
    assert_eq!(
        power(&fx),
        Power::Dimmed,
        "a made-up release is no activity"
    );
    assert!(!fx.state.input_held(), "and the key is up");
    fx.key(key::A, true);
    assert_eq!(power(&fx), Power::On, "a real key is");
}
