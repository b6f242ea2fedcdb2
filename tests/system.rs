//! The system display: personas-control-v1 and ext-session-lock exist there
//! only; a switcher lists the personas and switches; a lock covers every
//! persona, takes the input, refuses every switch, survives its lock
//! screen's death and gives the persona back on unlock.

mod common;

use common::client::{Event, ListedPersona};
use common::fixture::{assert_region, key, Fixture};
use personas::ipc::protocol::{Reply, Request};

const RED: [u8; 4] = [255, 0, 0, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];
const WHOLE: (u32, u32, u32, u32) = (0, 0, 320, 200);

fn listed(name: &str, rgb: u32, windows: u32) -> ListedPersona {
    ListedPersona {
        name: name.into(),
        rgb,
        session: 0,
        attention: false,
        windows,
        removed: false,
    }
}

#[test]
fn only_the_system_display_offers_the_lock_and_the_persona_list() {
    let mut fx = Fixture::new();
    for persona in ["work", "personal"] {
        let c = fx.add_bound_client(persona);
        for interface in ["ext_session_lock_manager_v1", "personas_control_v1"] {
            assert!(
                !fx.client(c).offers(interface),
                "{persona}'s clients must not see {interface}"
            );
        }
    }
    let s = fx.add_system_client();
    for interface in ["ext_session_lock_manager_v1", "personas_control_v1"] {
        assert!(
            fx.client(s).offers(interface),
            "the system display offers {interface}"
        );
    }
    // It is in no list a persona's user or client sees.
    let Reply::Personas { personas } = fx.request(Request::List) else {
        panic!("list failed");
    };
    let names: Vec<_> = personas.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["work", "personal"]);
}

#[test]
fn a_switcher_lists_the_personas_and_follows_every_change() {
    let mut fx = Fixture::new();
    let s = fx.add_system_client();
    fx.client(s).watch_personas();
    fx.roundtrip_all();
    let system = fx.client(s).system();
    assert_eq!(
        system.listed,
        [listed("work", 0x3366cc, 0), listed("personal", 0xcc6633, 0)]
    );
    assert_eq!(system.active.as_deref(), Some("work"));
    assert!(!system.control_locked);
    let dones = system.dones;

    fx.switch("personal");
    fx.roundtrip_all();
    assert_eq!(fx.client(s).system().active.as_deref(), Some("personal"));

    // A window in the background persona, which then asks for attention.
    let (w, win) = fx.open_window("work", RED);
    fx.client(w).request_activation(win);
    fx.roundtrip_all();
    fx.roundtrip_all();
    let system = fx.client(s).system();
    assert_eq!(system.listed[0].windows, 1, "{:?}", system.listed);
    assert!(system.listed[0].attention, "{:?}", system.listed);
    assert!(system.dones > dones);

    // Nothing changed: nothing is sent.
    let dones = fx.client(s).system().dones;
    fx.roundtrip_all();
    assert_eq!(fx.client(s).system().dones, dones);

    // A handle the switcher destroyed is not sent again.
    fx.client(s).forget_persona("work");
    fx.roundtrip_all();
    fx.switch("work");
    fx.roundtrip_all();
    let system = fx.client(s).system();
    assert_eq!(system.dones, dones + 1, "the switch was told");
    let names: Vec<_> = system.listed.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["personal"]);
}

#[test]
fn a_switcher_switches_personas() {
    let mut fx = Fixture::new();
    let s = fx.add_system_client();
    fx.client(s).watch_personas();
    fx.roundtrip_all();
    fx.client(s).activate_persona("personal");
    fx.roundtrip_all();
    assert_eq!(fx.active(), "personal");
    assert_eq!(fx.client(s).system().active.as_deref(), Some("personal"));
    fx.client(s).activate_persona("work");
    fx.roundtrip_all();
    assert_eq!(fx.active(), "work");
}

/// A lock screen on the system display: locked, with a lock surface drawn
/// in `color` at the size its configure gave.
fn lock(fx: &mut Fixture, color: [u8; 4]) -> (usize, usize) {
    let s = fx.add_system_client();
    fx.client(s).lock_session();
    fx.roundtrip_all();
    // Confirmed once a frame without any persona is on screen.
    fx.render();
    fx.roundtrip_all();
    assert!(fx.client(s).system().locked, "the lock is confirmed");
    let surface = fx.client(s).lock_surface(0);
    fx.roundtrip_all();
    assert_eq!(
        fx.client(s).window(surface).layer_configures.last(),
        Some(&(320, 200)),
        "a lock surface covers its output"
    );
    fx.client(s).draw_with_frame(surface, color, (1, 1));
    fx.roundtrip_all();
    // Drawn, it hears so (a lock screen redraws on frame callbacks).
    fx.render();
    fx.roundtrip_all();
    assert!(
        fx.client(s).window(surface).frames_done >= 1,
        "a frame callback"
    );
    (s, surface)
}

#[test]
fn the_lock_covers_every_persona_and_takes_the_keyboard() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    fx.open_window("personal", GREEN);
    fx.client(w).take_events();
    let (s, surface) = lock(&mut fx, BLUE);
    assert_region(&fx.render(), WHOLE, BLUE, "the lock screen over everything");
    assert!(
        fx.client(w)
            .take_events()
            .contains(&Event::KeyboardLeave { surface: 0 }),
        "the persona's window lost the keyboard"
    );

    fx.key(key::A, true);
    fx.key(key::A, false);
    fx.roundtrip_all();
    let events = fx.client(s).take_events();
    assert!(
        events.contains(&Event::KeyboardEnter {
            surface,
            keys: vec![]
        }),
        "{events:?}"
    );
    assert!(
        events.contains(&Event::Key {
            key: key::A,
            pressed: true
        }),
        "typing reaches the lock screen: {events:?}"
    );
    assert!(
        !fx.client(w)
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::Key { .. })),
        "and no persona"
    );
}

#[test]
fn nothing_switches_while_locked() {
    let mut fx = Fixture::new();
    fx.open_window("work", RED);
    fx.open_window("personal", GREEN);
    lock(&mut fx, BLUE);
    // The bindings, the control socket and an activation request.
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, key::KEY_2]);
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, key::RIGHT]);
    fx.roundtrip_all();
    let reply = fx.request(Request::Switch {
        name: "personal".into(),
    });
    assert!(
        matches!(&reply, Reply::Error { message } if message.contains("locked")),
        "{reply:?}"
    );
    assert!(matches!(fx.request(Request::Next), Reply::Error { .. }));
    let (p, win) = fx.open_window("personal", GREEN);
    fx.client(p).request_activation(win);
    fx.roundtrip_all();
    // A switcher neither.
    let sw = fx.add_system_client();
    fx.client(sw).watch_personas();
    fx.roundtrip_all();
    assert!(fx.client(sw).system().control_locked);
    assert_eq!(fx.client(sw).system().active, None);
    fx.client(sw).activate_persona("personal");
    fx.roundtrip_all();
    assert_region(&fx.render(), WHOLE, BLUE, "still the lock screen");
    assert_eq!(
        fx.request(Request::Active),
        Reply::Active {
            name: "work".into()
        },
        "the persona that comes back on unlock"
    );
    let Reply::Personas { personas } = fx.request(Request::List) else {
        panic!("list failed");
    };
    assert!(personas[0].active && !personas[1].active, "{personas:?}");
}

#[test]
fn unlocking_gives_the_persona_back() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    let (s, _) = lock(&mut fx, BLUE);
    fx.client(w).take_events();
    fx.client(s).unlock_session();
    fx.roundtrip_all();
    assert_region(&fx.render(), WHOLE, RED, "the persona again");
    assert!(
        fx.client(w)
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::KeyboardEnter { surface: 0, .. })),
        "its window has the keyboard again"
    );
    fx.switch("personal");
    assert_eq!(fx.active(), "personal", "switching works again");
}

#[test]
fn a_lock_screen_that_dies_leaves_the_session_locked() {
    let mut fx = Fixture::new();
    fx.open_window("work", RED);
    let (s, _) = lock(&mut fx, BLUE);
    fx.kill_client(s);
    fx.roundtrip_all();
    let shot = fx.render();
    assert_region(&shot, WHOLE, [0, 0, 0, 255], "black, not the persona");
    assert!(matches!(
        fx.request(Request::Switch {
            name: "personal".into()
        }),
        Reply::Error { .. }
    ));
    // A new lock screen takes over at once, and can unlock.
    let (s2, _) = lock(&mut fx, GREEN);
    assert_region(&fx.render(), WHOLE, GREEN, "the new lock screen");
    fx.client(s2).unlock_session();
    fx.roundtrip_all();
    assert_region(&fx.render(), WHOLE, RED, "unlocked");
}

#[test]
fn a_second_lock_screen_is_refused() {
    let mut fx = Fixture::new();
    let (first, _) = lock(&mut fx, BLUE);
    let second = fx.add_system_client();
    fx.client(second).lock_session();
    fx.roundtrip_all();
    assert!(fx.client(second).system().finished);
    assert!(!fx.client(second).system().locked);
    assert!(fx.client(first).system().locked);
    assert_region(&fx.render(), WHOLE, BLUE, "the first lock screen stays");
    // It cannot unlock what it does not hold.
    fx.client(second).expect_protocol_error();
    fx.client(second).unlock_session();
    fx.roundtrip_all();
    assert!(
        fx.client(second).protocol_error().is_some(),
        "invalid_unlock for a lock that does not hold the session"
    );
    assert!(matches!(fx.request(Request::Next), Reply::Error { .. }));
    assert_region(&fx.render(), WHOLE, BLUE, "still locked");
}

#[test]
fn an_on_screen_keyboard_types_into_the_lock_screen() {
    let mut fx = Fixture::new();
    let (s, _) = lock(&mut fx, BLUE);
    fx.client(s).take_events();
    let osk = fx.add_system_client();
    fx.client(osk).virtual_key_tap(key::A);
    fx.roundtrip_all();
    fx.roundtrip_all();
    let events = fx.client(s).take_events();
    assert!(
        events.contains(&Event::Key {
            key: key::A,
            pressed: true
        }),
        "{events:?}"
    );
}

/// A persona bar: a 30-pixel top panel of a system display client.
fn bar(fx: &mut Fixture, color: [u8; 4]) -> (usize, usize) {
    let s = fx.add_system_client();
    let l = fx
        .client(s)
        .create_layer(&common::client::LayerSpec::top_panel(30), "bar");
    fx.roundtrip(s);
    fx.client(s).draw_with_frame(l, color, (1, 1));
    fx.roundtrip_all();
    (s, l)
}

#[test]
fn a_system_panel_shows_over_every_persona() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    let (p, _) = fx.open_window("personal", GREEN);
    let (s, l) = bar(&mut fx, BLUE);
    // Its exclusive zone is taken from every persona's windows.
    for c in [w, p] {
        let configure = fx.client(c).window(0).last_configure().unwrap().clone();
        assert_eq!((configure.width, configure.height), (320, 170));
    }
    fx.client(w).ack_and_draw(0, RED, (1, 1));
    fx.client(p).ack_and_draw(0, GREEN, (1, 1));
    fx.roundtrip_all();
    let shot = fx.render();
    assert_region(&shot, (0, 0, 320, 30), BLUE, "the bar over work");
    assert_region(&shot, (0, 30, 320, 170), RED, "work under it");
    // It drew with that frame: it hears so, and may draw the next.
    fx.roundtrip_all();
    assert!(fx.client(s).window(l).frames_done >= 1);
    fx.switch("personal");
    let shot = fx.render();
    assert_region(&shot, (0, 0, 320, 30), BLUE, "the bar over personal");
    assert_region(&shot, (0, 30, 320, 170), GREEN, "personal under it");
    // Gone with its client, and the windows have the whole output again.
    fx.kill_client(s);
    fx.roundtrip_all();
    let configure = fx.client(p).window(0).last_configure().unwrap().clone();
    assert_eq!((configure.width, configure.height), (320, 200));
    fx.client(p).ack_and_draw(0, GREEN, (1, 1));
    fx.roundtrip_all();
    assert_region(&fx.render(), WHOLE, GREEN, "no bar");
}

#[test]
fn the_pointer_and_touch_on_a_panel_reach_it_and_not_the_persona() {
    use personas::input::{InputEvent, BTN_LEFT};
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    let (s, l) = bar(&mut fx, BLUE);
    fx.input(InputEvent::PointerMotionAbsolute { x: 100.0, y: 100.0 });
    fx.roundtrip_all();
    fx.client(w).take_events();
    fx.client(s).take_events();

    fx.input(InputEvent::PointerMotionAbsolute { x: 100.0, y: 10.0 });
    for pressed in [true, false] {
        fx.input(InputEvent::PointerButton {
            button: BTN_LEFT,
            pressed,
        });
    }
    fx.roundtrip_all();
    let on_bar = fx.client(s).take_events();
    assert!(
        on_bar.contains(&Event::PointerEnter {
            surface: l,
            x: 100.0,
            y: 10.0
        }),
        "{on_bar:?}"
    );
    assert!(on_bar.contains(&Event::PointerButton {
        button: BTN_LEFT,
        pressed: true
    }));
    let on_window = fx.client(w).take_events();
    assert!(
        on_window.contains(&Event::PointerLeave { surface: 0 }),
        "{on_window:?}"
    );
    assert!(
        !on_window
            .iter()
            .any(|e| matches!(e, Event::PointerButton { .. })),
        "the click is the bar's: {on_window:?}"
    );

    // A press on the bar, a switch, the release: the bar gets it.
    fx.client(s).take_events();
    fx.input(InputEvent::PointerButton {
        button: BTN_LEFT,
        pressed: true,
    });
    fx.switch("personal");
    fx.input(InputEvent::PointerButton {
        button: BTN_LEFT,
        pressed: false,
    });
    fx.roundtrip_all();
    assert!(
        fx.client(s).take_events().contains(&Event::PointerButton {
            button: BTN_LEFT,
            pressed: false
        }),
        "the release reaches the bar"
    );
    fx.switch("work");

    // A switch while on the bar, and back: each persona's own cursor.
    fx.switch("personal");
    fx.switch("work");
    fx.input(InputEvent::PointerMotionAbsolute { x: 100.0, y: 12.0 });
    fx.roundtrip_all();
    fx.client(w).take_events();
    fx.client(s).take_events();

    // Back over the window: it has the pointer again.
    fx.input(InputEvent::PointerMotionAbsolute { x: 100.0, y: 100.0 });
    fx.roundtrip_all();
    assert!(fx
        .client(s)
        .take_events()
        .contains(&Event::PointerLeave { surface: l }));
    assert!(fx
        .client(w)
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::PointerEnter { surface: 0, .. })));

    // A tap on the bar is the bar's.
    fx.touch_tap(50.0, 15.0);
    fx.roundtrip_all();
    let on_bar = fx.client(s).take_events();
    assert!(
        on_bar
            .iter()
            .any(|e| matches!(e, Event::TouchDown { surface, .. } if *surface == l)),
        "{on_bar:?}"
    );
    assert!(on_bar.iter().any(|e| matches!(e, Event::TouchUp { .. })));
    assert!(
        !fx.client(w)
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::TouchDown { .. })),
        "not the window's"
    );
}
