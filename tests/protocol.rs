//! Protocol tests: what clients of each persona receive, driven in-process.

mod common;

use common::client::Event;
use common::fixture::{key, Fixture};
use personas::input::InputEvent;
use personas::ipc::protocol::{Reply, Request};
use wayland_protocols::xdg::decoration::zv1::client::zxdg_toplevel_decoration_v1;

const RED: [u8; 4] = [255, 0, 0, 255];
const SIZE: (i32, i32) = (320, 200);
const MOD_CTRL: u32 = 4;
const MOD_LOGO: u32 = 64;

/// A client in `persona` with one mapped window; returns (client, window).
fn window_client(fx: &mut Fixture, persona: &str) -> (usize, usize) {
    fx.open_window(persona, RED)
}

/// Keyboard focus, key and modifier events only.
fn keyboard_events(events: &[Event]) -> Vec<Event> {
    events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Key { .. }
                    | Event::KeyboardEnter { .. }
                    | Event::KeyboardLeave { .. }
                    | Event::Modifiers { .. }
            )
        })
        .cloned()
        .collect()
}

fn key_events(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| matches!(e, Event::Key { .. }))
        .collect()
}

#[test]
fn each_persona_shows_only_its_own_seat_and_output() {
    let mut fx = Fixture::new();
    let a = fx.add_client("work");
    let b = fx.add_client("personal");
    for c in [a, b] {
        let client = fx.client(c);
        assert_eq!(client.count_globals("wl_seat"), 1, "{:?}", client.globals());
        assert_eq!(client.count_globals("wl_output"), 1);
        for iface in [
            "wl_compositor",
            "wl_subcompositor",
            "wl_shm",
            "xdg_wm_base",
            "zxdg_decoration_manager_v1",
            "wl_data_device_manager",
            "zwp_primary_selection_device_manager_v1",
            "zxdg_output_manager_v1",
            "wp_viewporter",
            "wp_single_pixel_buffer_manager_v1",
            "wp_presentation",
        ] {
            assert_eq!(client.count_globals(iface), 1, "{iface} offered once");
        }
    }
    // The same global names exist in both displays: they are separate namespaces.
    let names_a: Vec<u32> = fx.client(a).globals().iter().map(|g| g.0).collect();
    let names_b: Vec<u32> = fx.client(b).globals().iter().map(|g| g.0).collect();
    assert_eq!(names_a, names_b);

    fx.client(a).bind_all();
    fx.roundtrip(a);
    fx.roundtrip(a);
    let outputs = fx.client(a).outputs();
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].name.as_deref(), Some("HEADLESS-1"));
    assert_eq!(outputs[0].mode.map(|m| (m.0, m.1)), Some(SIZE));
}

#[test]
fn window_opens_maximized_with_correct_configure_sequence() {
    let mut fx = Fixture::new();
    let c = fx.add_bound_client("work");
    let w = fx.client(c).create_window();
    fx.client(c).create_decoration(w);
    fx.roundtrip(c);
    {
        let win = fx.client(c).window(w);
        let first = win.configures.first().expect("initial configure");
        assert_eq!((first.width, first.height), SIZE);
        assert!(win.maximized(), "{:?}", win.configures);
        assert!(!win.suspended());
        assert_eq!(
            win.decoration_mode,
            Some(zxdg_toplevel_decoration_v1::Mode::ServerSide)
        );
    }
    fx.client(c).ack_and_draw(w, RED, SIZE);
    fx.roundtrip(c);
    let win = fx.client(c).window(w);
    assert!(win.activated(), "the new window takes focus");
    assert_eq!(win.buffer_size, Some(SIZE));
    let events = fx.client(c).take_events();
    assert!(events.contains(&Event::KeyboardEnter {
        surface: w,
        keys: vec![]
    }));
}

#[test]
fn fullscreen_request_is_granted_and_undone() {
    let mut fx = Fixture::new();
    let (c, w) = window_client(&mut fx, "work");
    fx.client(c).set_fullscreen(w);
    fx.roundtrip(c);
    assert!(fx.client(c).window(w).fullscreen());
    let last = fx.client(c).window(w).last_configure().unwrap().clone();
    assert_eq!((last.width, last.height), SIZE);
    fx.client(c).unset_fullscreen(w);
    fx.roundtrip(c);
    assert!(!fx.client(c).window(w).fullscreen());
    assert!(fx.client(c).window(w).maximized());
}

#[test]
fn focus_follows_open_and_close() {
    let mut fx = Fixture::new();
    let (c, w1) = window_client(&mut fx, "work");
    let w2 = fx.client(c).create_window();
    fx.roundtrip(c);
    fx.client(c).take_events();
    fx.client(c).ack_and_draw(w2, RED, SIZE);
    fx.roundtrip(c);
    let events = fx.client(c).take_events();
    assert!(events.contains(&Event::KeyboardLeave { surface: w1 }));
    assert!(events.contains(&Event::KeyboardEnter {
        surface: w2,
        keys: vec![]
    }));
    assert!(fx.client(c).window(w2).activated());
    assert!(!fx.client(c).window(w1).activated());

    fx.client(c).close_window(w2);
    fx.roundtrip(c);
    fx.roundtrip(c);
    let events = fx.client(c).take_events();
    assert!(
        events.contains(&Event::KeyboardEnter {
            surface: w1,
            keys: vec![]
        }),
        "{events:?}"
    );
    assert!(fx.client(c).window(w1).activated());
}

#[test]
fn alt_tab_cycles_windows_of_the_active_persona() {
    let mut fx = Fixture::new();
    let (c, w1) = window_client(&mut fx, "work");
    fx.add_window(c, RED);
    fx.client(c).take_events();
    fx.chord(&[key::LEFTALT, key::TAB]);
    fx.roundtrip(c);
    let events = fx.client(c).take_events();
    // Alt is still held and was forwarded: the enter lists it.
    assert!(
        events.contains(&Event::KeyboardEnter {
            surface: w1,
            keys: vec![key::LEFTALT]
        }),
        "{events:?}"
    );
    assert!(
        !events.contains(&Event::Key {
            key: key::TAB,
            pressed: true
        }),
        "the binding's key reaches no client"
    );
    assert!(fx.client(c).window(w1).activated());
}

#[test]
fn switch_sends_leave_and_enter_to_exactly_the_right_clients() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (b, wb) = window_client(&mut fx, "personal");
    let idle = fx.add_bound_client("work");
    fx.input(InputEvent::PointerMotionAbsolute { x: 10.0, y: 10.0 });
    fx.roundtrip_all();
    assert!(
        fx.client(b).window(wb).suspended(),
        "background windows are suspended"
    );
    assert!(!fx.client(b).window(wb).activated());
    for c in [a, b, idle] {
        fx.client(c).take_events();
    }

    fx.switch("personal");
    let ea = fx.client(a).take_events();
    let eb = fx.client(b).take_events();
    assert!(ea.contains(&Event::KeyboardLeave { surface: wa }), "{ea:?}");
    assert!(ea.contains(&Event::PointerLeave { surface: wa }), "{ea:?}");
    assert!(eb.contains(&Event::KeyboardEnter {
        surface: wb,
        keys: vec![]
    }));
    assert!(
        eb.iter()
            .any(|e| matches!(e, Event::PointerEnter { surface, .. } if *surface == wb)),
        "{eb:?}"
    );
    assert!(fx.client(idle).take_events().is_empty());
    assert!(fx.client(a).window(wa).suspended());
    assert!(!fx.client(a).window(wa).activated());
    assert!(fx.client(b).window(wb).activated());
    assert!(!fx.client(b).window(wb).suspended());

    // Input now goes to personal only.
    fx.key(key::A, true);
    fx.key(key::A, false);
    assert!(key_events(&fx.client(a).take_events()).is_empty());
    assert_eq!(key_events(&fx.client(b).take_events()).len(), 2);
}

#[test]
fn each_persona_keeps_its_own_cursor_position() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (b, wb) = window_client(&mut fx, "personal");
    fx.input(InputEvent::PointerMotionAbsolute { x: 30.0, y: 40.0 });
    fx.switch("personal");
    fx.input(InputEvent::PointerMotionAbsolute { x: 100.0, y: 120.0 });
    fx.client(a).take_events();
    fx.client(b).take_events();
    fx.switch("work");
    let ea = fx.client(a).take_events();
    assert!(
        ea.contains(&Event::PointerEnter {
            surface: wa,
            x: 30.0,
            y: 40.0
        }),
        "{ea:?}"
    );
    fx.switch("personal");
    let eb = fx.client(b).take_events();
    assert!(eb.contains(&Event::PointerEnter {
        surface: wb,
        x: 100.0,
        y: 120.0
    }));
}

#[test]
fn key_pressed_before_switch_is_released_nowhere() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (b, wb) = window_client(&mut fx, "personal");
    fx.client(a).take_events();
    fx.key(key::A, true);
    assert_eq!(
        key_events(&fx.client(a).take_events()),
        vec![&Event::Key {
            key: key::A,
            pressed: true
        }]
    );
    fx.client(b).take_events();
    fx.switch("personal");
    fx.key(key::A, false);
    fx.roundtrip_all();
    let ea = fx.client(a).take_events();
    let eb = fx.client(b).take_events();
    assert_eq!(
        keyboard_events(&ea),
        vec![Event::KeyboardLeave { surface: wa }],
        "nothing after leave"
    );
    assert!(eb.contains(&Event::KeyboardEnter {
        surface: wb,
        keys: vec![]
    }));
    assert!(key_events(&eb).is_empty(), "{eb:?}");

    // Back in work: the key is not held there either.
    fx.switch("work");
    let ea = fx.client(a).take_events();
    assert!(ea.contains(&Event::KeyboardEnter {
        surface: wa,
        keys: vec![]
    }));
    assert!(ea.contains(&Event::Modifiers {
        depressed: 0,
        latched: 0,
        locked: 0,
        group: 0
    }));
}

#[test]
fn binding_modifiers_are_real_in_the_new_persona_and_stick_nowhere() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (b, wb) = window_client(&mut fx, "personal");
    fx.client(a).take_events();
    fx.client(b).take_events();
    fx.key(key::LEFTMETA, true);
    fx.key(key::LEFTCTRL, true);
    fx.key(key::RIGHT, true); // Super+Ctrl+Right = next
    assert_eq!(fx.active(), "personal");
    fx.roundtrip_all();
    let ea = fx.client(a).take_events();
    assert!(!ea.contains(&Event::Key {
        key: key::RIGHT,
        pressed: true
    }));
    assert_eq!(
        keyboard_events(&ea).last(),
        Some(&Event::KeyboardLeave { surface: wa })
    );
    let eb = fx.client(b).take_events();
    assert!(eb.contains(&Event::KeyboardEnter {
        surface: wb,
        keys: vec![]
    }));
    assert!(
        eb.contains(&Event::Modifiers {
            depressed: MOD_CTRL | MOD_LOGO,
            latched: 0,
            locked: 0,
            group: 0
        }),
        "the modifiers physically held are real in the new persona: {eb:?}"
    );

    // Modifiers released first, then the binding key.
    fx.key(key::LEFTCTRL, false);
    fx.key(key::LEFTMETA, false);
    fx.key(key::RIGHT, false);
    fx.roundtrip_all();
    assert!(
        keyboard_events(&fx.client(a).take_events()).is_empty(),
        "nothing after leave"
    );
    let eb = fx.client(b).take_events();
    assert!(
        key_events(&eb).is_empty(),
        "no key event for keys pressed before: {eb:?}"
    );
    assert_eq!(
        eb.last(),
        Some(&Event::Modifiers {
            depressed: 0,
            latched: 0,
            locked: 0,
            group: 0
        })
    );

    // A plain key now arrives with no modifier held.
    fx.key(key::A, true);
    fx.key(key::A, false);
    let eb = fx.client(b).take_events();
    assert_eq!(key_events(&eb).len(), 2);
    assert!(!eb
        .iter()
        .any(|e| matches!(e, Event::Modifiers { depressed, .. } if *depressed != 0)));

    // And work, switched back to, has nothing stuck either.
    fx.switch("work");
    let ea = fx.client(a).take_events();
    assert!(ea.contains(&Event::Modifiers {
        depressed: 0,
        latched: 0,
        locked: 0,
        group: 0
    }));
}

#[test]
fn binding_keys_reach_no_client() {
    let mut fx = Fixture::new();
    let (a, _) = window_client(&mut fx, "work");
    let (b, _) = window_client(&mut fx, "personal");
    for (code, target) in [(key::KEY_2, "personal"), (key::KEY_1, "work")] {
        fx.key(key::LEFTMETA, true);
        fx.key(key::LEFTCTRL, true);
        fx.key(code, true);
        fx.key(code, false);
        fx.key(key::LEFTCTRL, false);
        fx.key(key::LEFTMETA, false);
        assert_eq!(fx.active(), target);
    }
    fx.roundtrip_all();
    for c in [a, b] {
        let events = fx.client(c).take_events();
        assert!(
            !events.iter().any(
                |e| matches!(e, Event::Key { key, .. } if *key == key::KEY_1 || *key == key::KEY_2)
            ),
            "{events:?}"
        );
    }
}

#[test]
fn background_frame_callbacks_are_throttled() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (b, wb) = window_client(&mut fx, "personal");
    for tick in 1..=2 {
        // Each client asks for its next frame, as an animating client does.
        fx.client(b).request_frame(wb);
        fx.client(b).commit(wb);
        for _ in 0..5 {
            fx.client(a).request_frame(wa);
            fx.client(a).commit(wa);
            fx.render();
        }
        assert_eq!(
            fx.client(b).frames_done(wb),
            tick - 1,
            "background frames wait for the throttle tick"
        );
        fx.state.throttled_background_frames();
        fx.roundtrip_all();
        assert_eq!(
            fx.client(b).frames_done(wb),
            tick,
            "one frame per throttle tick"
        );
    }
    assert!(
        fx.client(a).frames_done(wa) >= 10,
        "the active persona runs at frame rate"
    );
}

#[test]
fn paused_background_persona_gets_no_frames() {
    let config = common::fixture::TWO_PERSONAS
        .replace("[headless]", "background_frames = \"paused\"\n[headless]");
    let mut fx = Fixture::with_config(&config);
    let (b, wb) = window_client(&mut fx, "personal");
    fx.client(b).request_frame(wb);
    fx.client(b).commit(wb);
    fx.render();
    fx.state.throttled_background_frames();
    fx.roundtrip_all();
    assert_eq!(fx.client(b).frames_done(wb), 0);
    fx.switch("personal");
    fx.render();
    assert_eq!(fx.client(b).frames_done(wb), 1, "frames resume in front");
}

#[test]
fn background_commits_get_discarded_presentation_feedback() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (b, wb) = window_client(&mut fx, "personal");
    fx.client(a).take_events();
    fx.client(b).take_events();
    fx.client(a).request_presentation_feedback(wa);
    fx.client(a).commit(wa);
    fx.client(b).request_presentation_feedback(wb);
    fx.client(b).commit(wb);
    fx.render();
    assert!(fx.client(a).take_events().contains(&Event::Presented));
    assert!(fx.client(b).take_events().contains(&Event::Discarded));
}

#[test]
fn selection_set_in_one_persona_is_never_offered_to_another() {
    let mut fx = Fixture::new();
    let (a, _) = window_client(&mut fx, "work");
    let (b, _) = window_client(&mut fx, "personal");
    fx.client(a)
        .set_selection("text/plain;charset=utf-8", b"secret work text");
    fx.client(a)
        .set_primary_selection("text/plain;charset=utf-8", b"secret primary");
    fx.roundtrip_all();

    // The legitimate path: another work client that takes focus sees the offer.
    let (a2, _) = window_client(&mut fx, "work");
    fx.roundtrip_all();
    assert_eq!(
        fx.client(a2).selection_mimes(),
        Some(vec!["text/plain;charset=utf-8".to_string()])
    );
    fx.client(a2).receive_selection("text/plain;charset=utf-8");
    assert_eq!(
        received(&mut fx, a2).as_deref(),
        Some(&b"secret work text"[..])
    );

    // The other persona: focused, yet offered nothing.
    fx.switch("personal");
    fx.roundtrip_all();
    assert_eq!(fx.client(b).selection_mimes(), None);
    assert_eq!(fx.client(b).primary_selection_mimes(), None);
    let events = fx.client(b).take_events();
    assert!(!events.iter().any(|e| matches!(
        e,
        Event::Selection { mimes: Some(_) } | Event::PrimarySelection { mimes: Some(_) }
    )));
}

/// What client `c` receives of the selection it asked for, once the owner
/// has written it.
fn received(fx: &mut Fixture, c: usize) -> Option<Vec<u8>> {
    for _ in 0..100 {
        fx.roundtrip_all();
        if let Some(got) = fx.client(c).read_received() {
            return Some(got);
        }
    }
    None
}

#[test]
fn a_clipboard_manager_sees_and_sets_only_its_own_persona_clipboard() {
    let config = common::fixture::two_personas_with("work", "privileged = [\"data-control\"]");
    let mut fx = Fixture::with_config(&config);
    let manager = fx.add_bound_client("work");
    fx.client(manager).enable_data_control();
    fx.roundtrip(manager);
    let (a, _) = window_client(&mut fx, "work");
    let (b, _) = window_client(&mut fx, "personal");
    let text = "text/plain;charset=utf-8";
    let seen = |fx: &mut Fixture| -> Vec<Option<Vec<String>>> {
        fx.roundtrip_all();
        fx.client(manager)
            .take_events()
            .into_iter()
            .filter_map(|e| match e {
                Event::ControlSelection { mimes } => Some(mimes),
                _ => None,
            })
            .collect()
    };
    seen(&mut fx);

    // Its own persona's clipboard: seen, and readable.
    fx.client(a).set_selection(text, b"work text");
    assert_eq!(seen(&mut fx), [Some(vec![text.to_string()])]);
    fx.client(manager).control_receive(text);
    assert_eq!(
        received(&mut fx, manager).as_deref(),
        Some(&b"work text"[..])
    );

    // Another persona's: never, also while that persona is on screen.
    fx.switch("personal");
    fx.roundtrip_all();
    fx.client(b).set_selection(text, b"personal secret");
    assert_eq!(seen(&mut fx), Vec::<Option<Vec<String>>>::new());

    // What it sets reaches its own persona's clients only.
    fx.client(manager)
        .control_set_selection(text, b"from the manager");
    fx.roundtrip_all();
    fx.client(b).take_events();
    fx.switch("work");
    fx.roundtrip_all();
    assert_eq!(fx.client(a).selection_mimes(), Some(vec![text.to_string()]));
    fx.client(a).receive_selection(text);
    assert_eq!(
        received(&mut fx, a).as_deref(),
        Some(&b"from the manager"[..])
    );
    fx.switch("personal");
    fx.roundtrip_all();
    fx.client(b).receive_selection(text);
    assert_eq!(
        received(&mut fx, b).as_deref(),
        Some(&b"personal secret"[..])
    );
}

#[test]
fn a_protocol_error_disconnects_only_that_client() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let bad = fx.add_bound_client("work");
    let w = fx.client(bad).create_window();
    fx.roundtrip(bad);
    fx.client(bad).expect_protocol_error();
    // A buffer scale of 0 is a protocol error (wl_surface.invalid_scale).
    fx.client(bad).wl_surface(w).set_buffer_scale(0);
    for _ in 0..10 {
        fx.dispatch();
    }
    assert!(fx.client(bad).protocol_error().is_some());
    // The compositor and the other client carry on.
    fx.client(a).request_frame(wa);
    fx.client(a).commit(wa);
    fx.render();
    assert!(fx.client(a).frames_done(wa) >= 1);
    match fx.request(Request::List) {
        Reply::Personas { personas } => assert_eq!(personas.len(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_client_dying_mid_commit_takes_only_its_windows() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (d, wd) = window_client(&mut fx, "work");
    assert!(fx.client(d).window(wd).activated());
    // Half a commit: a new buffer attached, then the connection is gone.
    fx.client(d).request_frame(wd);
    fx.kill_client(d);
    fx.roundtrip_all();
    assert_eq!(fx.state.personas.active().state.window_count(), 1);
    let events = fx.client(a).take_events();
    assert!(
        events.contains(&Event::KeyboardEnter {
            surface: wa,
            keys: vec![]
        }),
        "focus returns to the remaining window: {events:?}"
    );
    fx.client(a).request_frame(wa);
    fx.client(a).commit(wa);
    fx.render();
    assert!(fx.client(a).frames_done(wa) >= 1);
}

#[test]
fn a_persona_keymap_is_its_own_and_bindings_still_work() {
    let config = common::fixture::two_personas_with("personal", "keymap = { layout = \"de\" }");
    let mut fx = Fixture::with_config(&config);
    let a = fx.add_bound_client("work");
    let b = fx.add_bound_client("personal");
    let size = |events: &[Event]| {
        events.iter().find_map(|e| match e {
            Event::Keymap { size } => Some(*size),
            _ => None,
        })
    };
    let (ka, kb) = (size(fx.client(a).events()), size(fx.client(b).events()));
    assert!(ka.is_some() && kb.is_some());
    assert_ne!(ka, kb, "each persona sends its own keymap");
    fx.switch("personal");
    // Super+Ctrl+Right is matched on the binding layout, whatever personal uses.
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, key::RIGHT]);
    assert_eq!(fx.active(), "work");
}

#[test]
fn touch_points_are_cancelled_on_switch_and_their_up_reaches_nobody() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (b, _) = window_client(&mut fx, "personal");
    fx.input(InputEvent::TouchDown {
        slot: 0,
        x: 50.0,
        y: 50.0,
    });
    fx.roundtrip(a);
    assert!(fx
        .client(a)
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::TouchDown { surface, id: 0, .. } if *surface == wa)));
    fx.client(b).take_events();
    fx.switch("personal");
    fx.input(InputEvent::TouchMotion {
        slot: 0,
        x: 60.0,
        y: 60.0,
    });
    fx.input(InputEvent::TouchUp { slot: 0 });
    fx.roundtrip_all();
    let ea = fx.client(a).take_events();
    assert!(ea.contains(&Event::TouchCancel), "{ea:?}");
    let touch_after_cancel = ea
        .iter()
        .skip_while(|e| **e != Event::TouchCancel)
        .skip(1)
        .any(|e| {
            matches!(
                e,
                Event::TouchUp { .. } | Event::TouchMotion { .. } | Event::TouchDown { .. }
            )
        });
    assert!(!touch_after_cancel, "{ea:?}");
    let eb = fx.client(b).take_events();
    assert!(
        !eb.iter()
            .any(|e| matches!(e, Event::TouchUp { .. } | Event::TouchMotion { .. })),
        "{eb:?}"
    );
}

#[test]
fn a_button_held_across_a_switch_is_released_nowhere() {
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    let (b, _) = window_client(&mut fx, "personal");
    fx.input(InputEvent::PointerMotionAbsolute { x: 20.0, y: 20.0 });
    fx.input(InputEvent::PointerButton {
        button: personas::input::BTN_LEFT,
        pressed: true,
    });
    fx.roundtrip(a);
    assert!(fx.client(a).take_events().contains(&Event::PointerButton {
        button: personas::input::BTN_LEFT,
        pressed: true
    }));
    fx.client(b).take_events();
    fx.switch("personal");
    fx.input(InputEvent::PointerButton {
        button: personas::input::BTN_LEFT,
        pressed: false,
    });
    fx.roundtrip_all();
    let ea = fx.client(a).take_events();
    assert!(ea.contains(&Event::PointerLeave { surface: wa }), "{ea:?}");
    assert!(
        !ea.iter().any(|e| matches!(e, Event::PointerButton { .. })),
        "{ea:?}"
    );
    let eb = fx.client(b).take_events();
    assert!(
        !eb.iter().any(|e| matches!(e, Event::PointerButton { .. })),
        "{eb:?}"
    );
    // The next click in personal is an ordinary one.
    fx.input(InputEvent::PointerButton {
        button: personas::input::BTN_LEFT,
        pressed: true,
    });
    fx.input(InputEvent::PointerButton {
        button: personas::input::BTN_LEFT,
        pressed: false,
    });
    fx.roundtrip_all();
    let buttons = fx
        .client(b)
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, Event::PointerButton { .. }))
        .count();
    assert_eq!(buttons, 2);
}

#[test]
fn covered_windows_get_frames_only_at_the_hidden_rate() {
    let mut fx = Fixture::new();
    let (c, below) = window_client(&mut fx, "work");
    let top = fx.add_window(c, RED);
    fx.render();
    for _ in 0..5 {
        fx.client(c).request_frame(below);
        fx.client(c).commit(below);
        fx.client(c).request_frame(top);
        fx.client(c).commit(top);
        fx.render();
    }
    assert!(fx.client(c).frames_done(top) >= 5);
    assert!(
        fx.client(c).frames_done(below) <= 1,
        "a fully covered window is not drawn and gets no frame per render: {}",
        fx.client(c).frames_done(below)
    );
}

#[test]
fn the_frame_clock_delivers_frames_without_help() {
    // No explicit render: the loop's own pacing must draw and call back.
    let mut fx = Fixture::new();
    let (a, wa) = window_client(&mut fx, "work");
    for round in 1..=3 {
        fx.client(a).request_frame(wa);
        fx.client(a).commit(wa);
        fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
            fx.client(a).frames_done(wa) >= round
        });
    }
}

#[test]
fn the_background_throttle_runs_on_its_own_timer() {
    let mut fx = Fixture::new();
    let (b, wb) = window_client(&mut fx, "personal");
    fx.client(b).request_frame(wb);
    fx.client(b).commit(wb);
    // About one second of real time: the throttle's interval.
    fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
        fx.client(b).frames_done(wb) >= 1
    });
}

#[test]
fn a_task_list_shows_only_its_own_persona_windows() {
    let mut fx = Fixture::new();
    let a = fx.add_bound_client("work");
    let wa = fx.client(a).create_window_with(Some("mail"), None);
    fx.roundtrip(a);
    fx.client(a).ack_and_draw(wa, RED, SIZE);
    fx.roundtrip(a);
    let b = fx.add_bound_client("personal");
    let wb = fx.client(b).create_window_with(Some("photos"), None);
    fx.roundtrip(b);
    fx.client(b).ack_and_draw(wb, RED, SIZE);
    fx.roundtrip(b);

    let panel_w = fx.add_bound_client("work");
    fx.client(panel_w).list_toplevels();
    let panel_p = fx.add_bound_client("personal");
    fx.client(panel_p).list_toplevels();
    fx.roundtrip_all();
    let listed = |events: Vec<Event>| -> Vec<String> {
        events
            .into_iter()
            .filter_map(|e| match e {
                Event::ListedToplevel { title } => Some(title),
                _ => None,
            })
            .collect()
    };
    assert_eq!(listed(fx.client(panel_w).take_events()), ["mail"]);
    assert_eq!(listed(fx.client(panel_p).take_events()), ["photos"]);
    // A title change and a close reach the persona's own list only.
    fx.client(a).set_title(wa, "mail (3)");
    fx.client(a).commit(wa);
    fx.roundtrip_all();
    assert_eq!(listed(fx.client(panel_w).take_events()), ["mail (3)"]);
    fx.client(a).close_window(wa);
    fx.roundtrip_all();
    assert!(fx
        .client(panel_w)
        .take_events()
        .contains(&Event::ListedToplevelClosed));
    assert!(fx.client(panel_p).take_events().is_empty());
}

#[test]
fn a_sandboxed_client_joins_the_persona_of_its_engine_without_the_security_global() {
    let mut fx = Fixture::with_config(&common::fixture::two_personas_with(
        "work",
        &format!("privileged = {ALL_PRIVILEGED}"),
    ));
    let engine = fx.add_bound_client("work");
    for iface in PRIVILEGED_GLOBALS {
        assert_eq!(fx.client(engine).count_globals(iface), 1, "{iface}");
    }
    assert_eq!(
        fx.client(engine)
            .count_globals("wp_security_context_manager_v1"),
        1
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let _keep = fx
        .client(engine)
        .create_security_listener(&listener, "org.example.App");
    fx.roundtrip(engine);
    fx.dispatch();
    // The app connects through the engine's listener.
    let stream = std::os::unix::net::UnixStream::connect(&path).unwrap();
    let app = fx.adopt_client(stream);
    fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
        fx.client(app).count_globals("wl_seat") == 1
    });
    assert_eq!(
        fx.client(app)
            .count_globals("wp_security_context_manager_v1"),
        0,
        "no nested contexts"
    );
    // When the user is active is not for sandboxed apps either.
    assert_eq!(fx.client(engine).count_globals("ext_idle_notifier_v1"), 1);
    assert_eq!(fx.client(app).count_globals("ext_idle_notifier_v1"), 0);
    for iface in PRIVILEGED_GLOBALS {
        assert_eq!(
            fx.client(app).count_globals(iface),
            0,
            "{iface} for a sandboxed app"
        );
    }
    // It is a client of work: its window is work's.
    fx.client(app).bind_all();
    fx.roundtrip(app);
    fx.roundtrip(app);
    let w = fx.client(app).create_window();
    fx.roundtrip(app);
    fx.client(app).ack_and_draw(w, RED, SIZE);
    fx.roundtrip(app);
    assert_eq!(fx.state.personas.active().state.window_count(), 1);
    assert!(fx.client(app).window(w).activated());
}

/// Every privileged protocol, and the globals they bring.
const ALL_PRIVILEGED: &str =
    r#"["data-control", "virtual-keyboard", "virtual-pointer", "screencopy"]"#;
const PRIVILEGED_GLOBALS: [&str; 8] = [
    "zwlr_data_control_manager_v1",
    "ext_data_control_manager_v1",
    "zwp_virtual_keyboard_manager_v1",
    "zwlr_virtual_pointer_manager_v1",
    "zwlr_screencopy_manager_v1",
    "ext_image_copy_capture_manager_v1",
    "ext_output_image_capture_source_manager_v1",
    "ext_foreign_toplevel_image_capture_source_manager_v1",
];

#[test]
fn privileged_protocols_exist_only_where_granted() {
    let config =
        common::fixture::two_personas_with("work", &format!("privileged = {ALL_PRIVILEGED}"));
    let mut fx = Fixture::with_config(&config);
    let w = fx.add_client("work");
    let p = fx.add_client("personal");
    for iface in PRIVILEGED_GLOBALS {
        assert_eq!(
            fx.client(w).count_globals(iface),
            1,
            "{iface} granted to work"
        );
        assert_eq!(
            fx.client(p).count_globals(iface),
            0,
            "{iface} not granted to personal"
        );
    }
}
