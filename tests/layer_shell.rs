//! wlr-layer-shell per persona: panels take their exclusive zone from that
//! persona's windows only, show only while it is active (inside its
//! indicator), get the pointer and the keyboard as the protocol says, and a
//! client that asks for the impossible gets the protocol error.

mod common;

use common::client::{Event, LayerSpec};
use common::fixture::{assert_region, Fixture};
use personas::input::{InputEvent, BTN_LEFT};
use wayland_protocols_wlr::layer_shell::v1::client::{
    zwlr_layer_shell_v1::Layer,
    zwlr_layer_surface_v1::{Anchor, KeyboardInteractivity},
};

const RED: [u8; 4] = [255, 0, 0, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];

/// A client of `persona` with a layer surface as `spec` says, drawn in
/// `color` at the size its configure gave.
fn open_layer(fx: &mut Fixture, persona: &str, spec: &LayerSpec, color: [u8; 4]) -> (usize, usize) {
    let c = fx.add_bound_client(persona);
    assert!(
        fx.client(c).has_layer_shell(),
        "{persona} offers layer-shell"
    );
    let l = fx.client(c).create_layer(spec, "test");
    fx.roundtrip(c);
    fx.client(c).ack_and_draw(l, color, (1, 1));
    fx.roundtrip_all();
    (c, l)
}

fn click(fx: &mut Fixture, x: f64, y: f64) {
    fx.input(InputEvent::PointerMotionAbsolute { x, y });
    for pressed in [true, false] {
        fx.input(InputEvent::PointerButton {
            button: BTN_LEFT,
            pressed,
        });
    }
    fx.roundtrip_all();
}

#[test]
fn a_panel_takes_its_exclusive_zone_from_its_personas_windows_only() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    let (p, _) = fx.open_window("personal", GREEN);
    let (panel, l) = open_layer(&mut fx, "work", &LayerSpec::top_panel(30), BLUE);
    assert_eq!(
        fx.client(panel).window(l).layer_configures.first(),
        Some(&(320, 30)),
        "the panel is stretched across the output"
    );
    let configure = fx.client(w).window(0).last_configure().unwrap().clone();
    assert_eq!(
        (configure.width, configure.height),
        (320, 170),
        "the window gets what the panel leaves"
    );
    fx.client(w).ack_and_draw(0, RED, (1, 1));
    let shot = fx.render();
    assert_region(&shot, (0, 0, 320, 30), BLUE, "layer_panel_top");
    assert_region(&shot, (0, 30, 320, 170), RED, "layer_window_below_panel");
    // The other persona's window keeps the whole output.
    let other = fx.client(p).window(0).last_configure().unwrap().clone();
    assert_eq!((other.width, other.height), (320, 200));

    // The panel goes: the window gets the whole output back.
    fx.client(panel).destroy_layer(l);
    fx.roundtrip_all();
    let configure = fx.client(w).window(0).last_configure().unwrap().clone();
    assert_eq!((configure.width, configure.height), (320, 200));
}

#[test]
fn layer_surfaces_show_only_while_their_persona_is_active() {
    let mut fx = Fixture::new();
    fx.open_window("personal", GREEN);
    open_layer(&mut fx, "work", &LayerSpec::wallpaper(), BLUE);
    let shot = fx.render();
    assert_region(&shot, (0, 0, 320, 200), BLUE, "layer_wallpaper_shown");
    fx.switch("personal");
    let shot = fx.render();
    assert_region(
        &shot,
        (0, 0, 320, 200),
        GREEN,
        "layer_hidden_in_other_persona",
    );
    fx.switch("work");
    let shot = fx.render();
    assert_region(&shot, (0, 0, 320, 200), BLUE, "layer_back_with_its_persona");
}

#[test]
fn a_wallpaper_is_under_windows_and_an_overlay_above_them() {
    let mut fx = Fixture::new();
    open_layer(&mut fx, "work", &LayerSpec::wallpaper(), BLUE);
    fx.open_window("work", RED);
    let overlay = LayerSpec {
        layer: Layer::Overlay,
        anchor: Anchor::Bottom | Anchor::Right,
        size: (40, 20),
        exclusive_zone: 0,
        keyboard: KeyboardInteractivity::None,
        margin: (0, 10, 10, 0),
    };
    open_layer(&mut fx, "work", &overlay, GREEN);
    let shot = fx.render();
    assert_region(&shot, (0, 0, 320, 170), RED, "layer_window_over_wallpaper");
    assert_region(
        &shot,
        (270, 170, 40, 20),
        GREEN,
        "layer_overlay_with_margins",
    );
    assert_region(&shot, (310, 170, 10, 30), RED, "layer_margin_right");
}

#[test]
fn a_fullscreen_window_covers_the_top_layer_but_not_its_zone_rules() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    open_layer(&mut fx, "work", &LayerSpec::top_panel(30), BLUE);
    fx.client(w).ack_and_draw(0, RED, (1, 1));
    fx.client(w).set_fullscreen(0);
    fx.roundtrip_all();
    let configure = fx.client(w).window(0).last_configure().unwrap().clone();
    assert_eq!(
        (configure.width, configure.height),
        (320, 200),
        "fullscreen takes the whole output"
    );
    fx.client(w).ack_and_draw(0, RED, (1, 1));
    let shot = fx.render();
    assert_region(&shot, (0, 0, 320, 200), RED, "layer_under_fullscreen");
}

#[test]
fn the_pointer_and_an_on_demand_keyboard_go_to_a_panel() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    let mut spec = LayerSpec::top_panel(30);
    spec.keyboard = KeyboardInteractivity::OnDemand;
    let (panel, l) = open_layer(&mut fx, "work", &spec, BLUE);
    fx.client(w).ack_and_draw(0, RED, (1, 1));
    fx.roundtrip_all();
    assert!(
        fx.client(panel)
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::KeyboardEnter { surface, .. } if *surface == l)),
        "an on-demand surface above the windows gets the keyboard as it maps"
    );
    // A click on the window takes it.
    click(&mut fx, 10.0, 100.0);
    fx.client(panel).take_events();
    fx.client(w).take_events();

    click(&mut fx, 10.0, 10.0);
    let events = fx.client(panel).take_events();
    assert!(
        events.contains(&Event::PointerEnter {
            surface: l,
            x: 10.0,
            y: 10.0
        }),
        "the panel gets the pointer: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::KeyboardEnter { surface, .. } if *surface == l)),
        "a click gives an on-demand panel the keyboard: {events:?}"
    );
    assert!(fx
        .client(w)
        .take_events()
        .contains(&Event::KeyboardLeave { surface: 0 }));

    click(&mut fx, 10.0, 100.0);
    assert!(fx
        .client(panel)
        .take_events()
        .contains(&Event::KeyboardLeave { surface: l }));
    assert!(
        fx.client(w)
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::KeyboardEnter { surface: 0, .. })),
        "a click on the window takes the keyboard back"
    );
}

#[test]
fn an_exclusive_launcher_holds_the_keyboard_across_switches_and_clicks() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    let launcher = LayerSpec {
        layer: Layer::Overlay,
        anchor: Anchor::Top,
        size: (100, 50),
        exclusive_zone: 0,
        keyboard: KeyboardInteractivity::Exclusive,
        margin: (0, 0, 0, 0),
    };
    let (c, l) = open_layer(&mut fx, "work", &launcher, BLUE);
    let has_keyboard = |events: &[Event]| {
        events
            .iter()
            .any(|e| matches!(e, Event::KeyboardEnter { surface, .. } if *surface == l))
    };
    assert!(
        has_keyboard(&fx.client(c).take_events()),
        "it takes the keyboard as it maps"
    );
    fx.client(w).take_events();

    // A click on the window does not take it away.
    click(&mut fx, 10.0, 150.0);
    assert!(!fx
        .client(c)
        .take_events()
        .contains(&Event::KeyboardLeave { surface: l }));

    fx.switch("personal");
    assert!(fx
        .client(c)
        .take_events()
        .contains(&Event::KeyboardLeave { surface: l }));
    fx.switch("work");
    assert!(
        has_keyboard(&fx.client(c).take_events()),
        "it has it again after a switch back"
    );
    assert!(!fx
        .client(w)
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::KeyboardEnter { .. })));

    // Gone: the window has the keyboard.
    fx.client(c).destroy_layer(l);
    fx.roundtrip_all();
    assert!(fx
        .client(w)
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::KeyboardEnter { surface: 0, .. })));
}

#[test]
fn impossible_anchors_are_the_clients_protocol_error_only() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    let c = fx.add_bound_client("work");
    fx.client(c).expect_protocol_error();
    // Width 0 needs both left and right anchors.
    let bad = LayerSpec {
        layer: Layer::Top,
        anchor: Anchor::Top,
        size: (0, 30),
        exclusive_zone: 30,
        keyboard: KeyboardInteractivity::None,
        margin: (0, 0, 0, 0),
    };
    fx.client(c).create_layer(&bad, "bad");
    fx.roundtrip_all();
    let (_, interface, _) = fx
        .client(c)
        .protocol_error()
        .expect("the client got a protocol error");
    assert_eq!(interface, "zwlr_layer_surface_v1");
    // Everyone else goes on.
    fx.client(w).ack_and_draw(0, RED, (1, 1));
    let shot = fx.render();
    assert_region(&shot, (0, 0, 320, 200), RED, "layer_bad_client_gone");
}

#[test]
fn a_panels_popup_is_drawn_and_gets_the_pointer() {
    let mut fx = Fixture::new();
    fx.open_window("work", RED);
    let (panel, l) = open_layer(&mut fx, "work", &LayerSpec::top_panel(30), BLUE);
    // A menu under the panel's left end, as a panel's dropdown is.
    let menu = fx.client(panel).create_popup(l, (60, 40), (0, 0, 40, 30));
    fx.roundtrip_all();
    fx.roundtrip_all();
    let configure = fx
        .client(panel)
        .window(menu)
        .last_popup_configure()
        .cloned()
        .expect("the popup is configured");
    assert_eq!((configure.x, configure.y), (0, 30));
    let shot = fx.render();
    assert_region(
        &shot,
        (0, 30, 60, 40),
        common::client::POPUP_COLOR,
        "layer_popup_drawn",
    );
    fx.client(panel).take_events();
    fx.input(InputEvent::PointerMotionAbsolute { x: 20.0, y: 50.0 });
    fx.roundtrip_all();
    let events = fx.client(panel).take_events();
    assert!(
        events.contains(&Event::PointerEnter {
            surface: menu,
            x: 20.0,
            y: 20.0
        }),
        "the pointer enters the menu: {events:?}"
    );
}

#[test]
fn a_zone_larger_than_the_output_leaves_windows_the_whole_output() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    let mut greedy = LayerSpec::top_panel(30);
    greedy.exclusive_zone = 10_000;
    open_layer(&mut fx, "work", &greedy, BLUE);
    let configure = fx.client(w).window(0).last_configure().unwrap().clone();
    assert_eq!(
        (configure.width, configure.height),
        (320, 200),
        "never a negative or empty size"
    );
}

#[test]
fn a_tap_gives_the_keyboard_to_an_on_demand_panel_and_back_to_the_window() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    let mut spec = LayerSpec::top_panel(30);
    spec.keyboard = KeyboardInteractivity::OnDemand;
    let (panel, l) = open_layer(&mut fx, "work", &spec, BLUE);
    fx.client(w).ack_and_draw(0, RED, (1, 1));
    fx.touch_tap(10.0, 100.0);
    fx.roundtrip_all();
    assert!(fx
        .client(w)
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::KeyboardEnter { surface: 0, .. })));
    fx.client(panel).take_events();
    fx.touch_tap(10.0, 10.0);
    fx.roundtrip_all();
    assert!(fx
        .client(panel)
        .take_events()
        .iter()
        .any(|e| matches!(e, Event::KeyboardEnter { surface, .. } if *surface == l)));
}

#[test]
fn an_exclusive_surface_below_the_windows_cannot_trap_the_keyboard() {
    let mut fx = Fixture::new();
    let (w, _) = fx.open_window("work", RED);
    let mut wallpaper = LayerSpec::wallpaper();
    wallpaper.keyboard = KeyboardInteractivity::Exclusive;
    let (bg, b) = open_layer(&mut fx, "work", &wallpaper, BLUE);
    fx.client(w).ack_and_draw(0, RED, (1, 1));
    fx.roundtrip_all();
    assert!(
        !fx.client(bg)
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::KeyboardEnter { surface, .. } if *surface == b)),
        "below the windows, exclusive is not taken on map"
    );
    fx.client(w).take_events();
    // Nothing is above it where no window is: close the window, click it,
    // open another: the new window gets the keyboard.
    fx.client(w).close_window(0);
    fx.roundtrip_all();
    click(&mut fx, 10.0, 10.0);
    let w2 = fx.client(w).create_window();
    fx.roundtrip(w);
    fx.client(w).ack_and_draw(w2, RED, (1, 1));
    fx.roundtrip_all();
    assert!(
        fx.client(w)
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::KeyboardEnter { surface, .. } if *surface == w2)),
        "a new window takes the keyboard from a wallpaper"
    );
}
