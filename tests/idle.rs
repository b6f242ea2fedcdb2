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
    fx.client(c).idle_notification(1, 100, false);
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
