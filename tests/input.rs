//! Input across personas: scrolling, relative motion, pointer constraints and
//! shortcuts inhibitors, and what a switch does to each.

mod common;

use common::client::Event;
use common::fixture::{key, Fixture};
use personas::input::InputEvent;
use smithay::backend::input::AxisSource;

const RED: [u8; 4] = [255, 0, 0, 255];

fn window_client(fx: &mut Fixture, persona: &str) -> (usize, usize) {
    fx.open_window(persona, RED)
}

fn relative(dx: f64, dy: f64) -> InputEvent {
    InputEvent::PointerMotion {
        dx,
        dy,
        dx_unaccel: dx,
        dy_unaccel: dy,
        utime: 0,
    }
}

fn count(events: &[Event], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

#[test]
fn scrolling_reaches_the_active_persona_only() {
    let mut fx = Fixture::new();
    let (a, _) = window_client(&mut fx, "work");
    let (b, _) = window_client(&mut fx, "personal");
    fx.input(InputEvent::PointerMotionAbsolute { x: 10.0, y: 10.0 });
    let scroll = InputEvent::PointerAxis {
        source: AxisSource::Wheel,
        horizontal: 0.0,
        vertical: 15.0,
        v120: Some((0, 120)),
        stop: (false, false),
    };
    fx.input(scroll.clone());
    fx.roundtrip_all();
    assert!(fx.client(a).take_events().contains(&Event::PointerAxis {
        horizontal: 0.0,
        vertical: 15.0
    }));
    fx.switch("personal");
    fx.client(a).take_events();
    fx.input(InputEvent::PointerMotionAbsolute { x: 11.0, y: 11.0 });
    fx.input(scroll);
    fx.roundtrip_all();
    assert_eq!(
        count(&fx.client(a).take_events(), |e| matches!(
            e,
            Event::PointerAxis { .. }
        )),
        0
    );
    assert_eq!(
        count(&fx.client(b).take_events(), |e| matches!(
            e,
            Event::PointerAxis { .. }
        )),
        1
    );
}

#[test]
fn a_persistent_lock_ends_on_switch_out_and_returns_on_switch_in() {
    let mut fx = Fixture::new();
    let (a, _) = window_client(&mut fx, "work");
    window_client(&mut fx, "personal");
    fx.input(InputEvent::PointerMotionAbsolute { x: 100.0, y: 100.0 });
    fx.client(a).enable_relative_pointer();
    fx.client(a).lock_pointer(0, true);
    fx.roundtrip(a);
    assert!(fx.client(a).take_events().contains(&Event::Locked));

    // Locked: the client gets the motion, the cursor stays.
    fx.input(relative(5.0, 3.0));
    fx.roundtrip(a);
    let events = fx.client(a).take_events();
    assert!(
        events.contains(&Event::RelativeMotion { dx: 5.0, dy: 3.0 }),
        "{events:?}"
    );
    assert_eq!(
        count(&events, |e| matches!(e, Event::PointerMotion { .. })),
        0
    );
    assert_eq!(
        fx.state.personas.active().state.pointer_location,
        (100.0, 100.0).into()
    );

    fx.switch("personal");
    let events = fx.client(a).take_events();
    assert!(events.contains(&Event::Unlocked), "{events:?}");
    // Motion in personal reaches no lock of work.
    fx.input(relative(7.0, 7.0));
    fx.roundtrip_all();
    assert_eq!(
        count(&fx.client(a).take_events(), |e| matches!(
            e,
            Event::RelativeMotion { .. }
        )),
        0
    );

    fx.switch("work");
    let events = fx.client(a).take_events();
    assert!(
        events.contains(&Event::Locked),
        "persistent lock comes back: {events:?}"
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::PointerEnter { x, y, .. } if (*x, *y) == (100.0, 100.0))));
}

#[test]
fn a_oneshot_lock_does_not_come_back() {
    let mut fx = Fixture::new();
    let (a, _) = window_client(&mut fx, "work");
    window_client(&mut fx, "personal");
    fx.input(InputEvent::PointerMotionAbsolute { x: 50.0, y: 50.0 });
    fx.client(a).lock_pointer(0, false);
    fx.roundtrip(a);
    assert!(fx.client(a).take_events().contains(&Event::Locked));
    fx.switch("personal");
    assert!(fx.client(a).take_events().contains(&Event::Unlocked));
    fx.switch("work");
    assert!(!fx.client(a).take_events().contains(&Event::Locked));
}

#[test]
fn a_lock_asked_for_in_the_background_waits_for_the_switch() {
    let mut fx = Fixture::new();
    window_client(&mut fx, "work");
    let (b, _) = window_client(&mut fx, "personal");
    fx.client(b).lock_pointer(0, true);
    fx.roundtrip(b);
    assert!(
        !fx.client(b).take_events().contains(&Event::Locked),
        "not while in the background"
    );
    fx.switch("personal");
    assert!(fx.client(b).take_events().contains(&Event::Locked));
}

#[test]
fn a_confinement_holds_the_cursor_and_is_lifted_by_a_switch() {
    let mut fx = Fixture::new();
    let c = fx.add_bound_client("work");
    let w = fx.client(c).create_window();
    fx.roundtrip(c);
    fx.client(c).draw_fixed(w, RED, (100, 50)); // centered: x 110..210, y 75..125
    fx.roundtrip(c);
    window_client(&mut fx, "personal");
    fx.input(InputEvent::PointerMotionAbsolute { x: 150.0, y: 100.0 });
    fx.client(c).confine_pointer(w, true);
    fx.roundtrip(c);
    assert!(fx.client(c).take_events().contains(&Event::Confined));
    fx.input(relative(500.0, 0.0));
    let pos = fx.state.personas.active().state.pointer_location;
    assert!(pos.x < 210.0, "the cursor stays inside: {pos:?}");
    fx.switch("personal");
    assert!(fx.client(c).take_events().contains(&Event::Unconfined));
    fx.switch("work");
    assert!(fx.client(c).take_events().contains(&Event::Confined));
}

#[test]
fn a_shortcuts_inhibitor_gets_window_bindings_but_never_persona_bindings() {
    let mut fx = Fixture::new();
    let (a, w1) = window_client(&mut fx, "work");
    let w2 = fx.add_window(a, RED);
    fx.client(a).inhibit_shortcuts(w2);
    fx.roundtrip(a);
    assert!(fx.client(a).take_events().contains(&Event::InhibitorActive));

    // Alt+Tab goes to the client instead of cycling windows.
    fx.chord(&[key::LEFTALT, key::TAB]);
    fx.roundtrip(a);
    let events = fx.client(a).take_events();
    assert!(
        events.contains(&Event::Key {
            key: key::TAB,
            pressed: true
        }),
        "{events:?}"
    );
    assert!(!events.contains(&Event::KeyboardEnter {
        surface: w1,
        keys: vec![key::LEFTALT]
    }));

    // The persona switch cannot be inhibited, and a switch tells the inhibitor nothing.
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, key::RIGHT]);
    assert_eq!(fx.active(), "personal");
    let events = fx.client(a).take_events();
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::Key { key, .. } if *key == key::RIGHT)));
    assert!(!events.contains(&Event::InhibitorInactive));
}

#[test]
fn activation_in_the_background_raises_attention_not_the_screen() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (b, w1) = window_client(&mut fx, "personal");
    let w2 = fx.add_window(b, RED);
    fx.client(a).take_events();
    fx.client(b).request_activation(w1);
    fx.roundtrip(b);
    fx.roundtrip(b);
    assert_eq!(fx.active(), "work", "no switch");
    assert!(!fx
        .client(a)
        .take_events()
        .contains(&Event::KeyboardLeave { surface: wa }));
    assert!(!fx.client(b).window(w1).activated());
    match fx.request(personas::ipc::protocol::Request::List) {
        personas::ipc::protocol::Reply::Personas { personas } => {
            assert!(!personas[0].attention);
            assert!(personas[1].attention, "personal wants attention");
        }
        other => panic!("{other:?}"),
    }
    // Coming back, the window that asked is the one focused; attention is cleared.
    fx.switch("personal");
    assert!(fx.client(b).window(w1).activated());
    assert!(!fx.client(b).window(w2).activated());
    assert!(!fx.state.personas.active().state.attention);
}

#[test]
fn activation_in_the_active_persona_focuses_the_window() {
    let mut fx = Fixture::new();
    let (a, w1) = window_client(&mut fx, "work");
    let w2 = fx.add_window(a, RED);
    assert!(fx.client(a).window(w2).activated());
    fx.client(a).request_activation(w1);
    fx.roundtrip(a);
    fx.roundtrip(a);
    assert!(fx.client(a).window(w1).activated());
}

#[test]
fn a_persona_allowed_to_activate_comes_to_the_front() {
    let config = common::fixture::two_personas_with("personal", "allow_activation = true");
    let mut fx = Fixture::with_config(&config);
    window_client(&mut fx, "work");
    let (b, wb) = window_client(&mut fx, "personal");
    fx.client(b).request_activation(wb);
    fx.roundtrip(b);
    fx.roundtrip(b);
    assert_eq!(fx.active(), "personal");
    assert!(fx.client(b).window(wb).activated());
}

/// A drag within work over a target that accepted, then a switch.
fn drag_then(fx: &mut Fixture, end: impl FnOnce(&mut Fixture)) -> Vec<Event> {
    let (a, wa) = window_client(fx, "work");
    window_client(fx, "personal");
    fx.client(a).accept_drags(true);
    fx.input(InputEvent::PointerMotionAbsolute { x: 40.0, y: 40.0 });
    fx.input(InputEvent::PointerButton {
        button: personas::input::BTN_LEFT,
        pressed: true,
    });
    fx.roundtrip(a);
    fx.client(a).start_drag(wa, "text/plain", b"dragged");
    fx.roundtrip(a);
    fx.input(InputEvent::PointerMotionAbsolute { x: 60.0, y: 60.0 });
    fx.roundtrip(a);
    fx.roundtrip(a);
    let events = fx.client(a).take_events();
    assert!(
        events.contains(&Event::DndEnter),
        "the drag is over its target: {events:?}"
    );
    end(fx);
    fx.roundtrip_all();
    fx.client(a).take_events()
}

#[test]
fn a_switch_cancels_a_drag_even_over_a_target_that_accepted() {
    let mut fx = Fixture::new();
    let events = drag_then(&mut fx, |fx| {
        fx.switch("personal");
        // The button comes up after the switch: it must not drop anything.
        fx.input(InputEvent::PointerButton {
            button: personas::input::BTN_LEFT,
            pressed: false,
        });
    });
    assert!(events.contains(&Event::SourceCancelled), "{events:?}");
    assert!(events.contains(&Event::DndLeave), "{events:?}");
    assert!(!events.contains(&Event::DndDrop), "{events:?}");
    assert!(!events.contains(&Event::SourceDropPerformed), "{events:?}");
}

#[test]
fn without_a_switch_the_same_drag_drops() {
    // The control for the test above: the drag really was droppable.
    let mut fx = Fixture::new();
    let events = drag_then(&mut fx, |fx| {
        fx.input(InputEvent::PointerButton {
            button: personas::input::BTN_LEFT,
            pressed: false,
        });
    });
    assert!(events.contains(&Event::DndDrop), "{events:?}");
    assert!(events.contains(&Event::SourceDropPerformed), "{events:?}");
}

#[test]
fn a_popup_grab_ends_with_popup_done_on_switch_and_does_not_come_back() {
    let mut fx = Fixture::new();
    let (b, _) = window_client(&mut fx, "personal");
    let (a, wa, popup) = grabbing_popup(&mut fx);
    let events = fx.client(a).take_events();
    assert!(
        events.contains(&Event::KeyboardEnter {
            surface: popup,
            keys: vec![]
        }),
        "the grab gives the popup the keyboard: {events:?}"
    );
    assert!(!fx.client(a).window(popup).popup_done);
    fx.client(b).take_events();

    fx.switch("personal");
    assert!(
        fx.client(a).window(popup).popup_done,
        "popup_done on switch-out"
    );
    let events = fx.client(a).take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::KeyboardLeave { .. })),
        "{events:?}"
    );
    // Input goes to personal, nothing to the old grab.
    fx.key(key::A, true);
    fx.key(key::A, false);
    assert!(!fx
        .client(a)
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::Key { .. })));
    assert!(fx.client(b).take_events().contains(&Event::Key {
        key: key::A,
        pressed: true
    }));

    // Back in work the toplevel has focus; the popup grab is not resumed.
    fx.switch("work");
    let events = fx.client(a).take_events();
    assert!(
        events.contains(&Event::KeyboardEnter {
            surface: wa,
            keys: vec![]
        }),
        "{events:?}"
    );
}

/// A grabbing popup in work, opened with a click; returns (client, toplevel, popup).
fn grabbing_popup(fx: &mut Fixture) -> (usize, usize, usize) {
    let (a, wa) = window_client(fx, "work");
    fx.input(InputEvent::PointerMotionAbsolute { x: 30.0, y: 30.0 });
    fx.input(InputEvent::PointerButton {
        button: personas::input::BTN_LEFT,
        pressed: true,
    });
    fx.roundtrip(a);
    let popup = fx
        .client(a)
        .create_grabbing_popup(wa, (60, 40), (30, 30, 1, 1));
    fx.roundtrip(a);
    fx.roundtrip(a);
    fx.input(InputEvent::PointerButton {
        button: personas::input::BTN_LEFT,
        pressed: false,
    });
    (a, wa, popup)
}

#[test]
fn a_client_destroying_its_grabbing_popup_leaves_no_grab_behind() {
    let mut fx = Fixture::new();
    let (a, wa, popup) = grabbing_popup(&mut fx);
    fx.client(a).close_window(popup);
    fx.roundtrip(a);
    fx.client(a).take_events();
    fx.key(key::A, true);
    fx.key(key::A, false);
    fx.roundtrip(a);
    let events = fx.client(a).take_events();
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Key { .. }))
            .count(),
        2,
        "keys reach the toplevel again: {events:?}"
    );
    let keyboard = fx
        .state
        .personas
        .active()
        .state
        .seat
        .get_keyboard()
        .unwrap();
    assert!(!keyboard.is_grabbed() || keyboard.current_focus().is_some());
    let _ = wa;
    fx.switch("personal");
    fx.switch("work");
}

#[test]
fn a_client_dying_with_a_grab_leaves_no_grab_pointing_at_it() {
    let mut fx = Fixture::new();
    let (other, wo) = window_client(&mut fx, "work");
    let (a, _, _) = grabbing_popup(&mut fx);
    fx.kill_client(a);
    fx.roundtrip_all();
    // At once, before any input: no grab is left installed (a later grab
    // replacing it would otherwise hand focus to a dead surface).
    let seat = fx.state.personas.active().state.seat.clone();
    assert!(
        !seat.get_pointer().unwrap().is_grabbed(),
        "pointer grab left"
    );
    assert!(
        !seat.get_keyboard().unwrap().is_grabbed(),
        "keyboard grab left"
    );
    fx.client(other).take_events();
    fx.key(key::A, true);
    fx.key(key::A, false);
    fx.roundtrip(other);
    let events = fx.client(other).take_events();
    assert!(
        events.contains(&Event::Key {
            key: key::A,
            pressed: true
        }),
        "the remaining window gets the keyboard: {events:?}"
    );
    let _ = wo;
    // Switching away and back works with nothing stale.
    fx.switch("personal");
    fx.switch("work");
}

#[test]
fn caps_lock_belongs_to_each_persona() {
    let mut fx = Fixture::new();
    let (a, _) = window_client(&mut fx, "work");
    let (b, _) = window_client(&mut fx, "personal");
    const CAPS: u32 = 58;
    const LOCK: u32 = 2;
    fx.key(CAPS, true);
    fx.key(CAPS, false);
    fx.roundtrip(a);
    let locked = |events: &[Event]| {
        events.iter().rev().find_map(|e| match e {
            Event::Modifiers { locked, .. } => Some(*locked),
            _ => None,
        })
    };
    assert_eq!(locked(&fx.client(a).take_events()), Some(LOCK));
    fx.client(b).take_events();
    fx.switch("personal");
    assert_eq!(
        locked(&fx.client(b).take_events()),
        Some(0),
        "personal's own lock state"
    );
    fx.switch("work");
    assert_eq!(
        locked(&fx.client(a).take_events()),
        Some(LOCK),
        "work kept its Caps Lock"
    );

    // Caps held across a switch toggles nothing in the other persona.
    fx.key(CAPS, true);
    fx.switch("personal");
    fx.key(CAPS, false);
    fx.roundtrip_all();
    let eb = fx.client(b).take_events();
    assert!(
        !eb.iter()
            .any(|e| matches!(e, Event::Modifiers { locked, .. } if *locked != 0)),
        "{eb:?}"
    );
}

#[test]
fn key_repeat_settings_reach_every_persona() {
    let config = common::fixture::TWO_PERSONAS.replace(
        "[headless]",
        "[input]\nrepeat_rate = 40\nrepeat_delay = 250\n[headless]",
    );
    let mut fx = Fixture::with_config(&config);
    for persona in ["work", "personal"] {
        let (c, _) = window_client(&mut fx, persona);
        assert!(fx.client(c).events().contains(&Event::RepeatInfo {
            rate: 40,
            delay: 250
        }));
    }
}

/// Fingers from `starts` moving by `by` in ten steps over `ms`, then lifted.
fn swipe(fx: &mut Fixture, starts: &[(f64, f64)], by: (f64, f64), ms: u64) {
    let t0 = std::time::Instant::now();
    for (slot, &(x, y)) in starts.iter().enumerate() {
        fx.input_at(
            InputEvent::TouchDown {
                slot: slot as i32,
                x,
                y,
            },
            t0,
        );
    }
    for step in 1..=10u64 {
        let at = t0 + std::time::Duration::from_millis(ms * step / 10);
        for (slot, &(x, y)) in starts.iter().enumerate() {
            let f = step as f64 / 10.0;
            fx.input_at(
                InputEvent::TouchMotion {
                    slot: slot as i32,
                    x: x + by.0 * f,
                    y: y + by.1 * f,
                },
                at,
            );
        }
    }
    for slot in 0..starts.len() {
        fx.input(InputEvent::TouchUp { slot: slot as i32 });
    }
    fx.roundtrip_all();
}

/// Three personas, so `next` and `prev` go to different places.
fn three_personas() -> Fixture {
    let config = format!(
        "{}\n[[persona]]\nname = \"kids\"\ncolor = \"#22aa44\"\n",
        common::fixture::TWO_PERSONAS
    );
    Fixture::with_config(&config)
}

#[test]
fn an_edge_swipe_switches_and_its_touches_are_cancelled_for_the_client() {
    let mut fx = three_personas();
    let (a, _) = window_client(&mut fx, "work");
    let (b, _) = window_client(&mut fx, "personal");
    fx.client(b).take_events();
    // In from the right edge: next.
    swipe(&mut fx, &[(318.0, 100.0)], (-150.0, 0.0), 200);
    assert_eq!(fx.active(), "personal");
    let ea = fx.client(a).take_events();
    assert!(
        ea.iter().any(|e| matches!(e, Event::TouchDown { .. })),
        "{ea:?}"
    );
    assert!(ea.contains(&Event::TouchCancel), "{ea:?}");
    assert!(
        !ea.iter().any(|e| matches!(e, Event::TouchUp { .. })),
        "{ea:?}"
    );
    let eb = fx.client(b).take_events();
    assert!(
        !eb.iter().any(|e| matches!(
            e,
            Event::TouchDown { .. } | Event::TouchMotion { .. } | Event::TouchUp { .. }
        )),
        "the rest of the sequence reaches nobody: {eb:?}"
    );
}

#[test]
fn a_three_finger_swipe_switches_and_slow_or_short_ones_do_not() {
    let mut fx = three_personas();
    let (a, _) = window_client(&mut fx, "work");
    window_client(&mut fx, "personal");
    let fingers = [(100.0, 80.0), (140.0, 90.0), (180.0, 85.0)];
    swipe(&mut fx, &fingers, (-60.0, 0.0), 200);
    assert_eq!(fx.active(), "work", "too short");
    swipe(&mut fx, &fingers, (130.0, 0.0), 3000);
    assert_eq!(fx.active(), "work", "too slow");
    let ea = fx.client(a).take_events();
    assert!(
        ea.iter().any(|e| matches!(e, Event::TouchUp { .. })),
        "ordinary touches reach the client"
    );
    swipe(&mut fx, &fingers, (130.0, 0.0), 200);
    assert_eq!(fx.active(), "kids", "three fingers right: prev (wraps)");
    swipe(&mut fx, &fingers, (-130.0, 0.0), 200);
    assert_eq!(fx.active(), "work", "three fingers left: next");
    swipe(&mut fx, &[(2.0, 100.0)], (150.0, 0.0), 200);
    assert_eq!(fx.active(), "kids", "in from the left edge: prev");
}

#[test]
fn touch_works_again_after_a_gesture_from_empty_space_and_a_round_trip() {
    let mut fx = three_personas();
    // A fixed-size window leaves the edges empty: the swipe starts on no surface.
    let c = fx.add_bound_client("work");
    let w = fx.client(c).create_window();
    fx.roundtrip(c);
    fx.client(c).draw_fixed(w, RED, (100, 50)); // x 110..210, y 75..125
    fx.roundtrip(c);
    swipe(&mut fx, &[(318.0, 10.0)], (-150.0, 0.0), 200);
    assert_eq!(fx.active(), "personal");
    fx.switch("work");
    fx.client(c).take_events();
    fx.touch_tap(150.0, 100.0);
    fx.roundtrip(c);
    let events = fx.client(c).take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TouchDown { surface, .. } if *surface == w)),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| matches!(e, Event::TouchUp { .. })),
        "{events:?}"
    );
}

#[test]
fn a_gesture_whose_action_cannot_run_is_left_to_the_client() {
    // One persona: next goes nowhere, so the swipe is the app's.
    let config = "[headless]\nsize = \"320x200\"\n[[persona]]\nname = \"only\"\n";
    let mut fx = Fixture::with_config(config);
    let (a, _) = window_client(&mut fx, "only");
    swipe(&mut fx, &[(318.0, 100.0)], (-150.0, 0.0), 200);
    let events = fx.client(a).take_events();
    assert!(!events.contains(&Event::TouchCancel), "{events:?}");
    assert!(
        events.iter().any(|e| matches!(e, Event::TouchUp { .. })),
        "{events:?}"
    );
}

#[test]
fn a_device_cancelled_touch_ends_for_the_client_and_gestures_still_work() {
    let mut fx = three_personas();
    let (a, _) = window_client(&mut fx, "work");
    fx.input(InputEvent::TouchDown {
        slot: 0,
        x: 150.0,
        y: 100.0,
    });
    fx.input(InputEvent::TouchCancel { slot: 0 });
    fx.roundtrip(a);
    assert!(fx.client(a).take_events().contains(&Event::TouchCancel));
    swipe(&mut fx, &[(318.0, 100.0)], (-150.0, 0.0), 200);
    assert_eq!(
        fx.active(),
        "personal",
        "the tracker was not left mid-sequence"
    );
}

#[test]
fn an_absolute_pointer_respects_a_lock() {
    let mut fx = Fixture::new();
    let (a, _) = window_client(&mut fx, "work");
    fx.input(InputEvent::PointerMotionAbsolute { x: 100.0, y: 100.0 });
    fx.client(a).lock_pointer(0, true);
    fx.roundtrip(a);
    assert!(fx.client(a).take_events().contains(&Event::Locked));
    fx.input(InputEvent::PointerMotionAbsolute { x: 200.0, y: 150.0 });
    fx.roundtrip(a);
    assert_eq!(
        fx.state.personas.active().state.pointer_location,
        (100.0, 100.0).into()
    );
    assert!(!fx
        .client(a)
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::PointerMotion { .. })));
}

#[test]
fn allow_activation_waits_while_input_is_held() {
    let config = common::fixture::two_personas_with("personal", "allow_activation = true");
    let mut fx = Fixture::with_config(&config);
    window_client(&mut fx, "work");
    let (b, wb) = window_client(&mut fx, "personal");
    fx.key(key::A, true); // typing in work
    fx.client(b).request_activation(wb);
    fx.roundtrip(b);
    fx.roundtrip(b);
    assert_eq!(fx.active(), "work", "not while a key is down");
    assert!(
        fx.state
            .personas
            .get(fx.state.personas.by_name("personal").unwrap())
            .unwrap()
            .state
            .attention
    );
    fx.key(key::A, false);
}

#[test]
fn an_input_method_types_into_its_own_persona_only() {
    let mut fx = Fixture::new();
    // Work: a text field and an on-screen keyboard. Personal: a text field and its own.
    let (field_w, _) = window_client(&mut fx, "work");
    fx.client(field_w).enable_text_input();
    let osk_w = fx.add_bound_client("work");
    fx.client(osk_w).become_input_method();
    let (field_p, _) = window_client(&mut fx, "personal");
    fx.client(field_p).enable_text_input();
    let osk_p = fx.add_bound_client("personal");
    fx.client(osk_p).become_input_method();
    fx.roundtrip_all();
    fx.roundtrip_all();
    assert!(fx
        .client(osk_w)
        .take_events()
        .contains(&Event::InputMethodActivate));
    assert!(
        !fx.client(osk_p)
            .take_events()
            .contains(&Event::InputMethodActivate),
        "personal's keyboard has nothing to type into while personal is hidden"
    );

    fx.client(osk_w).input_method_type("hello");
    fx.roundtrip_all();
    assert!(fx
        .client(field_w)
        .take_events()
        .contains(&Event::TextCommitted("hello".into())));
    // Personal's keyboard types, but nothing of work hears it.
    fx.client(osk_p).input_method_type("secret");
    fx.roundtrip_all();
    assert!(!fx
        .client(field_w)
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::TextCommitted(_))));

    fx.switch("personal");
    fx.roundtrip_all();
    assert!(fx
        .client(osk_w)
        .take_events()
        .contains(&Event::InputMethodDeactivate));
    assert!(fx
        .client(osk_p)
        .take_events()
        .contains(&Event::InputMethodActivate));
    fx.client(osk_p).input_method_type("personal");
    fx.roundtrip_all();
    assert!(fx
        .client(field_p)
        .take_events()
        .contains(&Event::TextCommitted("personal".into())));
    assert!(!fx
        .client(field_w)
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::TextCommitted(_))));
}

fn pen(x: f64, y: f64, action: personas::input::tablet::TabletAction) -> InputEvent {
    use smithay::backend::input::{TabletToolCapabilities, TabletToolDescriptor, TabletToolType};
    InputEvent::Tablet {
        tablet: smithay::wayland::tablet_manager::TabletDescriptor {
            name: "test tablet".into(),
            usb_id: None,
            syspath: None,
        },
        tool: TabletToolDescriptor {
            tool_type: TabletToolType::Pen,
            hardware_serial: 1,
            hardware_id_wacom: 0,
            capabilities: TabletToolCapabilities::PRESSURE,
        },
        x,
        y,
        action,
    }
}

#[test]
fn a_stylus_leaves_the_old_persona_on_switch_and_its_tip_comes_up_nowhere() {
    use personas::input::tablet::TabletAction;
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (b, wb) = window_client(&mut fx, "personal");
    fx.client(a).enable_tablets();
    fx.client(b).enable_tablets();
    fx.roundtrip_all();
    fx.input(pen(40.0, 40.0, TabletAction::Proximity { entering: true }));
    fx.input(pen(40.0, 40.0, TabletAction::Tip { down: true }));
    fx.input(pen(
        45.0,
        42.0,
        TabletAction::Motion {
            pressure: Some(0.5),
        },
    ));
    fx.roundtrip_all();
    let ea = fx.client(a).take_events();
    assert!(
        ea.contains(&Event::TabletProximityIn { surface: wa }),
        "{ea:?}"
    );
    assert!(ea.contains(&Event::TabletDown), "{ea:?}");
    assert!(
        ea.contains(&Event::TabletMotion { x: 45.0, y: 42.0 }),
        "{ea:?}"
    );
    assert!(
        !fx.client(b)
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::TabletProximityIn { .. } | Event::TabletDown)),
        "personal sees nothing of the stylus in work"
    );

    fx.switch("personal");
    let ea = fx.client(a).take_events();
    assert!(ea.contains(&Event::TabletProximityOut), "{ea:?}");
    fx.input(pen(50.0, 50.0, TabletAction::Tip { down: false }));
    fx.input(pen(60.0, 60.0, TabletAction::Motion { pressure: None }));
    fx.roundtrip_all();
    let ea = fx.client(a).take_events();
    assert!(
        !ea.iter().any(|e| matches!(
            e,
            Event::TabletUp | Event::TabletMotion { .. } | Event::TabletProximityIn { .. }
        )),
        "nothing after proximity out: {ea:?}"
    );
    let eb = fx.client(b).take_events();
    assert!(
        !eb.contains(&Event::TabletUp),
        "the tip went down in work: {eb:?}"
    );
    assert!(
        eb.contains(&Event::TabletProximityIn { surface: wb }),
        "{eb:?}"
    );
}

#[test]
fn a_touchpad_swipe_in_progress_ends_cancelled_on_switch() {
    use personas::input::touchpad::{GestureKind, TouchpadGesture};
    let mut fx = Fixture::new();
    let (a, _) = window_client(&mut fx, "work");
    let (b, _) = window_client(&mut fx, "personal");
    fx.client(a).enable_swipe_gestures();
    fx.client(b).enable_swipe_gestures();
    fx.input(InputEvent::PointerMotionAbsolute { x: 50.0, y: 50.0 });
    fx.roundtrip_all();
    let swipe = |g| InputEvent::Touchpad(g);
    let update = TouchpadGesture::Update {
        kind: GestureKind::Swipe,
        dx: 5.0,
        dy: 0.0,
        scale: 1.0,
        rotation: 0.0,
    };
    fx.input(swipe(TouchpadGesture::Begin {
        kind: GestureKind::Swipe,
        fingers: 3,
    }));
    fx.input(swipe(update.clone()));
    fx.roundtrip(a);
    let ea = fx.client(a).take_events();
    assert!(
        ea.contains(&Event::SwipeBegin { fingers: 3 }) && ea.contains(&Event::SwipeUpdate),
        "{ea:?}"
    );
    fx.client(b).take_events();
    fx.switch("personal");
    fx.input(swipe(update));
    fx.input(swipe(TouchpadGesture::End {
        kind: GestureKind::Swipe,
        cancelled: false,
    }));
    fx.roundtrip_all();
    let ea = fx.client(a).take_events();
    assert!(ea.contains(&Event::SwipeEnd { cancelled: true }), "{ea:?}");
    assert!(
        !ea.contains(&Event::SwipeEnd { cancelled: false }),
        "{ea:?}"
    );
    let eb = fx.client(b).take_events();
    assert!(
        !eb.iter().any(|e| matches!(
            e,
            Event::SwipeBegin { .. } | Event::SwipeUpdate | Event::SwipeEnd { .. }
        )),
        "{eb:?}"
    );
}

#[test]
fn hardware_keys_are_bindable_and_reach_no_client() {
    let config = common::fixture::TWO_PERSONAS.replace(
        "\"Alt+Tab\" = \"focus-next-window\"",
        "\"Alt+Tab\" = \"focus-next-window\"\n\"XF86PowerOff\" = \"next\"\n\"XF86AudioLowerVolume\" = { switch = \"personal\" }",
    );
    let mut fx = Fixture::with_config(&config);
    let (a, _) = window_client(&mut fx, "work");
    const KEY_POWER: u32 = 116;
    const KEY_VOLUMEDOWN: u32 = 114;
    fx.chord(&[KEY_VOLUMEDOWN]);
    assert_eq!(fx.active(), "personal");
    fx.chord(&[KEY_POWER]);
    assert_eq!(fx.active(), "work");
    let events = fx.client(a).take_events();
    assert!(
        !events.iter().any(
            |e| matches!(e, Event::Key { key, .. } if *key == KEY_POWER || *key == KEY_VOLUMEDOWN)
        ),
        "{events:?}"
    );
}

#[test]
fn a_long_press_runs_its_own_binding_and_a_short_one_the_plain_binding() {
    let config = common::fixture::TWO_PERSONAS
        .replace(
            "\"Alt+Tab\" = \"focus-next-window\"",
            "\"Alt+Tab\" = \"focus-next-window\"\n\"XF86PowerOff\" = \"next\"\n\"Long+XF86PowerOff\" = { switch = \"personal\" }",
        )
        .replace("[headless]", "[input]\nlong_press_ms = 200\n[headless]");
    let mut fx = Fixture::with_config(&config);
    let (a, _) = window_client(&mut fx, "work");
    const KEY_POWER: u32 = 116;
    // Short: the plain binding, on release.
    fx.key(KEY_POWER, true);
    assert_eq!(fx.active(), "work", "nothing yet while held");
    fx.key(KEY_POWER, false);
    assert_eq!(fx.active(), "personal");
    fx.switch("work");
    // Long: held past long_press_ms.
    fx.key(KEY_POWER, true);
    fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
        fx.active() == "personal"
    });
    fx.key(KEY_POWER, false);
    assert_eq!(
        fx.active(),
        "personal",
        "the release does not run the short binding too"
    );
    let events = fx.client(a).take_events();
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::Key { key, .. } if *key == KEY_POWER)));
}

/// The keyboard's lock LEDs show the persona on screen: each persona keeps
/// its own Caps Lock, and a switch lights the new one's.
#[test]
fn the_lock_leds_follow_the_active_persona() {
    const CAPSLOCK: u32 = 58;
    let mut fx = Fixture::new();
    fx.open_window("work", [255, 0, 0, 255]);
    fx.open_window("personal", [0, 0, 255, 255]);
    let caps = |fx: &mut Fixture| {
        fx.dispatch();
        fx.state.backend.headless().expect("headless").leds.caps == Some(true)
    };
    assert!(!caps(&mut fx));
    fx.key(CAPSLOCK, true);
    fx.key(CAPSLOCK, false);
    assert!(caps(&mut fx), "Caps Lock on in work lights it");
    fx.switch("personal");
    assert!(!caps(&mut fx), "personal's Caps Lock is off");
    fx.switch("work");
    assert!(caps(&mut fx), "work's is still on");
    fx.key(CAPSLOCK, true);
    fx.key(CAPSLOCK, false);
    assert!(!caps(&mut fx));
}

/// `[input.touchscreen] map_to_output`: touches of a touchscreen belonging to
/// an output that is not shown reach nobody; mapped to the shown one, they do.
#[test]
fn touchscreens_follow_their_output_mapping() {
    for (output, delivered) in [("HEADLESS-1", true), ("HDMI-A-1", false)] {
        let config = format!(
            "{}\n[input.touchscreen]\nmap_to_output = \"{output}\"\n",
            common::fixture::TWO_PERSONAS
        );
        let mut fx = Fixture::with_config(&config);
        let (c, w) = fx.open_window("work", [255, 0, 0, 255]);
        fx.client(c).take_events();
        fx.touch_tap(100.0, 100.0);
        fx.roundtrip(c);
        let events = fx.client(c).take_events();
        let down = events
            .iter()
            .any(|e| matches!(e, Event::TouchDown { surface, .. } if *surface == w));
        assert_eq!(down, delivered, "mapped to {output}: {events:?}");
    }
    // A touch begun before the mapping changed (a reload) ends where it began.
    let mut fx = Fixture::new();
    let (c, _) = fx.open_window("work", [255, 0, 0, 255]);
    fx.input(InputEvent::TouchDown {
        slot: 3,
        x: 100.0,
        y: 100.0,
    });
    fx.state.config.input.touchscreen_output = Some("HDMI-A-1".into());
    fx.client(c).take_events();
    fx.input(InputEvent::TouchUp { slot: 3 });
    fx.roundtrip(c);
    let events = fx.client(c).take_events();
    assert!(
        events.iter().any(|e| matches!(e, Event::TouchUp { .. })),
        "the up of a delivered touch: {events:?}"
    );
}
