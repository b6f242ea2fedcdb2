//! The overview: every persona's kept output as a thumbnail with its name,
//! picked with keys, a click or a tap. While it is open no new input reaches
//! any client.

mod common;

use common::client::Event;
use common::fixture::{key, Fixture};
use personas::input::InputEvent;
use personas::render::overview::{layout, SELECTED_FRAME};

const CONFIG: &str = r##"
indicator = "none"
switch_notice = false
[headless]
size = "320x200"
[keys]
"Super+o" = "overview"
"Super+Ctrl+1" = { switch = "work" }
[[persona]]
name = "work"
color = "#3366cc"
[[persona]]
name = "personal"
color = "#cc6633"
[[persona]]
name = "kids"
color = "#33aa55"
"##;

const COLORS: [[u8; 4]; 3] = [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]];
const NAMES: [&str; 3] = ["work", "personal", "kids"];

/// Three personas, each with a window of its color; the overview opened.
fn opened() -> (Fixture, Vec<usize>) {
    let mut fx = Fixture::with_config(CONFIG);
    let clients = NAMES
        .iter()
        .zip(COLORS)
        .map(|(name, color)| fx.open_window(name, color).0)
        .collect::<Vec<_>>();
    fx.chord(&[key::LEFTMETA, O]);
    for c in &clients {
        fx.client(*c).take_events();
    }
    (fx, clients)
}

/// evdev code of `o`.
const O: u32 = 24;
const RIGHT: u32 = key::RIGHT;
const ENTER: u32 = 28;
const ESC: u32 = key::ESC;

fn tap(fx: &mut Fixture, code: u32) {
    fx.key(code, true);
    fx.key(code, false);
}

fn cells() -> Vec<personas::render::overview::Cell> {
    layout(3, (320, 200).into(), (320, 200).into())
}

/// What no client may have received while the overview was open.
fn assert_no_input(fx: &mut Fixture, clients: &[usize]) {
    for c in clients {
        let events = fx.client(*c).take_events();
        assert!(
            !events.iter().any(|e| matches!(
                e,
                Event::Key { .. }
                    | Event::PointerButton { .. }
                    | Event::PointerMotion { .. }
                    | Event::TouchDown { .. }
            )),
            "client {c} got input during the overview: {events:?}"
        );
    }
}

#[test]
fn every_persona_shows_as_a_thumbnail_with_the_active_one_framed() {
    let (mut fx, _) = opened();
    let shot = fx.render();
    for (i, cell) in cells().iter().enumerate() {
        let center = (
            (cell.thumb.loc.x + cell.thumb.size.w / 2) as u32,
            (cell.thumb.loc.y + cell.thumb.size.h / 2) as u32,
        );
        assert_eq!(
            shot.pixel(center.0, center.1),
            COLORS[i],
            "{} thumbnail",
            NAMES[i]
        );
        // The frame: white around the selected (the active, work) only.
        let frame = ((cell.thumb.loc.x - SELECTED_FRAME / 2) as u32, center.1);
        let expected = if i == 0 {
            [255, 255, 255, 255]
        } else {
            [20, 20, 20, 255]
        };
        assert_eq!(shot.pixel(frame.0, frame.1), expected, "{} frame", NAMES[i]);
    }
}

#[test]
fn keys_pick_and_nothing_reaches_a_client() {
    let (mut fx, clients) = opened();
    tap(&mut fx, RIGHT);
    tap(&mut fx, RIGHT);
    tap(&mut fx, key::A);
    assert_eq!(fx.active(), "work", "moving the frame is not a switch");
    assert_no_input(&mut fx, &clients);
    fx.key(ENTER, true);
    assert_eq!(fx.active(), "kids");
    assert!(fx.state.overview.is_none());
    // Enter's release, after the switch, reaches nobody either.
    fx.key(ENTER, false);
    fx.roundtrip_all();
    for c in &clients {
        let keys: Vec<_> = fx
            .client(*c)
            .take_events()
            .into_iter()
            .filter(|e| matches!(e, Event::Key { .. }))
            .collect();
        assert!(keys.is_empty(), "{c}: {keys:?}");
    }
    let shot = fx.render();
    assert_eq!(shot.pixel(160, 100), COLORS[2], "kids on screen");
    // Typing goes to kids now, and only now.
    tap(&mut fx, key::A);
    fx.roundtrip_all();
    let events = fx.client(clients[2]).take_events();
    assert!(
        events.iter().any(|e| matches!(e, Event::Key { .. })),
        "{events:?}"
    );
}

#[test]
fn escape_and_the_binding_close_it_where_it_was() {
    let (mut fx, clients) = opened();
    tap(&mut fx, RIGHT);
    fx.key(ESC, true);
    assert_no_input(&mut fx, &clients);
    assert!(fx.state.overview.is_none());
    assert_eq!(fx.active(), "work");
    fx.key(ESC, false);
    assert_no_input(&mut fx, &clients);
    fx.chord(&[key::LEFTMETA, O]);
    assert!(fx.state.overview.is_some());
    fx.key(key::LEFTMETA, true);
    fx.client(clients[0]).take_events();
    fx.key(O, true);
    assert!(fx.state.overview.is_none(), "the binding toggles");
    fx.key(O, false);
    fx.key(key::LEFTMETA, false);
    assert_eq!(fx.render().pixel(160, 100), COLORS[0]);
}

#[test]
fn a_click_or_a_tap_picks_a_thumbnail() {
    let (mut fx, clients) = opened();
    let cell = cells()[1].cell;
    let (x, y) = (
        (cell.loc.x + cell.size.w / 2) as f64,
        (cell.loc.y + cell.size.h / 2) as f64,
    );
    fx.input(InputEvent::PointerMotionAbsolute { x, y });
    assert_no_input(&mut fx, &clients);
    fx.input(InputEvent::PointerButton {
        button: 0x110,
        pressed: true,
    });
    fx.input(InputEvent::PointerButton {
        button: 0x110,
        pressed: false,
    });
    assert_eq!(fx.active(), "personal");
    // The button's release reached nobody: personal only got its enter.
    let events = fx.client(clients[1]).take_events();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::PointerButton { .. })),
        "{events:?}"
    );

    fx.chord(&[key::LEFTMETA, O]);
    for c in &clients {
        fx.client(*c).take_events();
    }
    let cell = cells()[2].cell;
    let (x, y) = (
        (cell.loc.x + cell.size.w / 2) as f64,
        (cell.loc.y + cell.size.h / 2) as f64,
    );
    fx.input(InputEvent::TouchDown { slot: 0, x, y });
    fx.input(InputEvent::TouchUp { slot: 0 });
    assert_eq!(fx.active(), "kids");
    for c in &clients {
        let events = fx.client(*c).take_events();
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::TouchDown { .. } | Event::TouchUp { .. })),
            "{c}: {events:?}"
        );
    }
}

#[test]
fn a_switch_binding_in_the_overview_switches_and_closes_it() {
    let (mut fx, _) = opened();
    tap(&mut fx, RIGHT);
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, key::KEY_1]);
    assert!(fx.state.overview.is_none(), "a switch ends the overview");
    assert_eq!(fx.active(), "work");
}

#[test]
fn the_overview_dims_with_the_output() {
    let mut fx = Fixture::with_config(&format!("{CONFIG}\n[idle]\ndim_after = 0.05\n"));
    fx.open_window("work", COLORS[0]);
    fx.chord(&[key::LEFTMETA, O]);
    fx.dispatch_until(std::time::Duration::from_secs(10), |fx| {
        fx.state.power == personas::state::idle::Power::Dimmed
    });
    let shot = fx.render();
    let thumb = cells()[0].thumb;
    let px = shot.pixel(
        (thumb.loc.x + thumb.size.w / 2) as u32,
        (thumb.loc.y + thumb.size.h / 2) as u32,
    );
    assert!((120..=135).contains(&px[0]) && px[1] == 0, "dimmed: {px:?}");
    assert!(fx.state.overview.is_some(), "idling does not close it");
}
