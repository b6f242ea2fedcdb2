//! Output transforms, as on a tablet turned on its side: the config's
//! `transform` and `personas msg output NAME transform T` turn the panel;
//! every persona's virtual output follows (clients see the transform and get
//! configures for the turned size), the frame is drawn turned, and a touch
//! where something is drawn reaches that thing.

mod common;

use common::client::Event;
use common::fixture::{assert_region, key, Fixture, TWO_PERSONAS};
use personas::ipc::protocol::{Reply, Request};
use wayland_client::protocol::wl_output;

const RED: [u8; 4] = [255, 0, 0, 255];

fn turned(transform: &str) -> Fixture {
    Fixture::with_config(&format!(
        "{TWO_PERSONAS}\n[outputs.\"HEADLESS-1\"]\ntransform = \"{transform}\"\n"
    ))
}

/// Where the panel (320x200) shows the display-space rectangle `rect` when
/// turned by `transform`, written out by hand (not with smithay's helpers, so
/// the test checks them).
fn on_panel(transform: &str, rect: (i32, i32, i32, i32)) -> (u32, u32, u32, u32) {
    let (x, y, w, h) = rect;
    let (pw, ph) = (320, 200);
    let (x, y, w, h) = match transform {
        "normal" => (x, y, w, h),
        // Upright is 200 wide and 320 high; its top left is the panel's
        // bottom left.
        "90" => (y, ph - x - w, h, w),
        "180" => (pw - x - w, ph - y - h, w, h),
        _ => unreachable!(),
    };
    (x as u32, y as u32, w as u32, h as u32)
}

/// A fixed-size window of `size` sits centered in the upright display.
fn centered(upright: (i32, i32), size: (i32, i32)) -> (i32, i32, i32, i32) {
    (
        (upright.0 - size.0) / 2,
        (upright.1 - size.1) / 2,
        size.0,
        size.1,
    )
}

#[test]
fn a_turned_output_is_upright_for_clients_and_on_the_panel() {
    for transform in ["90", "180"] {
        let mut fx = turned(transform);
        let (c, w) = fx.open_window("work", [0, 0, 255, 255]);
        let last = fx.client(c).window(w).last_configure().unwrap().clone();
        let size = (last.width, last.height);
        let upright = if transform == "90" {
            (200, 320)
        } else {
            (320, 200)
        };
        assert_eq!(size, upright, "{transform}: windows get the upright size");
        let output = fx.client(c).outputs()[0].clone();
        let expected = if transform == "90" {
            wl_output::Transform::_90
        } else {
            wl_output::Transform::_180
        };
        assert_eq!(output.transform, Some(expected));
        assert_eq!(output.logical_size, Some(upright));

        // A 50x80 window, centered in the upright display.
        fx.client(c).draw_fixed(w, RED, (50, 80));
        fx.roundtrip(c);
        let shot = fx.render();
        let rect = on_panel(transform, centered(upright, (50, 80)));
        assert_region(&shot, rect, RED, &format!("turned_{transform}"));

        // A touch on the panel inside that rectangle reaches the window at
        // the same upright place: panel point → display space as a
        // touchscreen mapped to the panel reports it.
        let spec = fx.state.backend.output_spec().clone();
        let panel = (rect.0 as f64 + 5.0, rect.1 as f64 + 7.0);
        let (x, y) = spec.to_display(panel.0, panel.1);
        fx.client(c).take_events();
        fx.input(personas::input::InputEvent::TouchDown { slot: 0, x, y });
        fx.input(personas::input::InputEvent::TouchUp { slot: 0 });
        fx.roundtrip(c);
        let down = fx
            .client(c)
            .take_events()
            .into_iter()
            .find_map(|e| match e {
                Event::TouchDown { x, y, .. } => Some((x, y)),
                _ => None,
            });
        let (dx, dy) = down.expect("the window got the touch");
        // Upright, by hand: turned 90, the panel's left edge is the top.
        let upright_point = match transform {
            "90" => (200.0 - panel.1, panel.0),
            _ => (320.0 - panel.0, 200.0 - panel.1),
        };
        let window = centered(upright, (50, 80));
        let expected = (
            upright_point.0 - window.0 as f64,
            upright_point.1 - window.1 as f64,
        );
        assert!(
            (dx - expected.0).abs() < 0.01 && (dy - expected.1).abs() < 0.01,
            "{transform}: touch at panel {panel:?} reached the window at {dx},{dy}, not {expected:?}"
        );
    }
}

/// A rotation daemon turns the output at run time: windows of every
/// persona are reconfigured, the frame follows, and a bad request is an
/// error that changes nothing.
#[test]
fn turning_at_run_time_reaches_every_persona() {
    let mut fx = Fixture::new();
    let (work, w) = fx.open_window("work", RED);
    let (personal, p) = fx.open_window("personal", [0, 255, 0, 255]);
    for (request, error) in [
        (
            Request::OutputTransform {
                output: "DP-9".into(),
                transform: "90".into(),
            },
            "no output named `DP-9`",
        ),
        (
            Request::OutputTransform {
                output: "HEADLESS-1".into(),
                transform: "45".into(),
            },
            "unknown transform `45`",
        ),
    ] {
        match fx.request(request) {
            Reply::Error { message } => assert!(message.contains(error), "{message}"),
            other => panic!("expected an error, got {other:?}"),
        }
    }
    assert_eq!(
        fx.state.backend.output_spec().transform,
        smithay::utils::Transform::Normal
    );

    let reply = fx.request(Request::OutputTransform {
        output: "HEADLESS-1".into(),
        transform: "90".into(),
    });
    assert_eq!(reply, Reply::Ok);
    fx.roundtrip_all();
    for (c, w) in [(work, w), (personal, p)] {
        let last = fx.client(c).window(w).last_configure().unwrap().clone();
        assert_eq!(
            (last.width, last.height),
            (200, 320),
            "every persona's windows are turned"
        );
        assert_eq!(
            fx.client(c).outputs()[0].transform,
            Some(wl_output::Transform::_90)
        );
    }
    fx.client(work).draw_fixed(w, [0, 0, 255, 255], (50, 80));
    fx.roundtrip(work);
    let shot = fx.render();
    let rect = on_panel("90", centered((200, 320), (50, 80)));
    assert_region(&shot, rect, [0, 0, 255, 255], "runtime_90");

    // The persona in the background follows too, and shows turned on switch.
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, key::KEY_2]);
    assert_eq!(fx.active(), "personal");
    fx.client(personal).draw_fixed(p, RED, (20, 30));
    fx.roundtrip(personal);
    let shot = fx.render();
    let rect = on_panel("90", centered((200, 320), (20, 30)));
    assert_region(&shot, rect, RED, "runtime_90_personal");
}

/// The transform math on its own: for every transform, a point on the
/// panel where a display-space rectangle is drawn maps back into that
/// rectangle.
#[test]
fn panel_points_map_back_into_what_is_drawn_there() {
    use smithay::utils::{Rectangle, Transform};
    for transform in [
        Transform::Normal,
        Transform::_90,
        Transform::_180,
        Transform::_270,
        Transform::Flipped,
        Transform::Flipped90,
        Transform::Flipped180,
        Transform::Flipped270,
    ] {
        let spec = personas::persona::OutputSpec {
            name: "X".into(),
            size: (320, 200).into(),
            refresh_mhz: 60_000,
            scale: 1.0,
            transform,
        };
        let display = spec.display_size();
        for rect in [
            (0, 0, 10, 20),
            (37, 5, 3, 9),
            (display.w - 7, display.h - 4, 7, 4),
        ] {
            let r = Rectangle::<i32, smithay::utils::Physical>::new(
                (rect.0, rect.1).into(),
                (rect.2, rect.3).into(),
            );
            // What OutputDamageTracker does with the output's transform.
            let drawn = transform.invert().transform_rect_in(r, &display);
            let center = (
                drawn.loc.x as f64 + drawn.size.w as f64 / 2.0,
                drawn.loc.y as f64 + drawn.size.h as f64 / 2.0,
            );
            let (x, y) = spec.to_display(center.0, center.1);
            assert!(
                r.to_f64().contains((x, y)),
                "{transform:?}: panel {center:?} → {x},{y}, outside {rect:?}"
            );
        }
    }
}

/// One finger moving on the panel from `from` by `by` in ten steps over
/// 200 ms, as a touchscreen mapped to the panel reports it.
fn panel_swipe(fx: &mut Fixture, from: (f64, f64), by: (f64, f64)) {
    use personas::input::InputEvent;
    let spec = fx.state.backend.output_spec().clone();
    let t0 = std::time::Instant::now();
    let (x, y) = spec.to_display(from.0, from.1);
    fx.input_at(InputEvent::TouchDown { slot: 0, x, y }, t0);
    for step in 1..=10u64 {
        let f = step as f64 / 10.0;
        let (x, y) = spec.to_display(from.0 + by.0 * f, from.1 + by.1 * f);
        let at = t0 + std::time::Duration::from_millis(20 * step);
        fx.input_at(InputEvent::TouchMotion { slot: 0, x, y }, at);
    }
    fx.input(InputEvent::TouchUp { slot: 0 });
    fx.roundtrip_all();
}

/// Edge swipes go by the edges the user sees: turned 90°, the panel's top
/// edge is the upright right edge (`edge-right` = next), and the panel's
/// right edge is the upright bottom (unbound).
#[test]
fn edge_swipes_follow_the_upright_edges() {
    let mut fx = turned("90");
    fx.open_window("work", RED);
    panel_swipe(&mut fx, (318.0, 100.0), (-150.0, 0.0));
    assert_eq!(fx.active(), "work", "the panel's right edge is the bottom");
    panel_swipe(&mut fx, (160.0, 2.0), (0.0, 150.0));
    assert_eq!(fx.active(), "personal", "the panel's top edge is the right");
}

/// A reload applies the file's transform, as sway's does.
#[test]
fn a_reload_applies_the_configured_transform() {
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("work", RED);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!("{TWO_PERSONAS}\n[outputs.\"HEADLESS-1\"]\ntransform = \"270\"\n"),
    )
    .unwrap();
    fx.state.config_source = personas::config::ConfigSource::File(path);
    assert!(matches!(
        fx.request(Request::Reload),
        Reply::Reloaded { .. }
    ));
    assert_eq!(
        fx.state.backend.output_spec().transform,
        smithay::utils::Transform::_270
    );
    fx.roundtrip(c);
    let last = fx.client(c).window(w).last_configure().unwrap().clone();
    assert_eq!((last.width, last.height), (200, 320));
}
