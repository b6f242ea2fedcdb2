//! Several physical outputs (the headless backend's `extra_outputs`): every
//! persona has a virtual output per physical output, side by side or
//! mirroring the primary; windows open on the output the pointer is on and
//! fill it; the pointer crosses between outputs; each output shows its part.

mod common;

use common::fixture::{Fixture, TWO_PERSONAS};
use personas::input::InputEvent;

const RED: [u8; 4] = [255, 0, 0, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];

/// The primary 320x200 and HEADLESS-2 of 200x160 to its right.
fn two_outputs(extra: &str) -> String {
    TWO_PERSONAS.replace(
        "size = \"320x200\"",
        &format!("size = \"320x200\"\nextra_outputs = [\"200x160\"]\n{extra}"),
    )
}

/// `extra` as top-level settings (before any table).
fn two_outputs_with(top: &str) -> String {
    format!("{top}\n{}", two_outputs(""))
}

fn rgb(p: [u8; 4]) -> [u8; 3] {
    [p[0], p[1], p[2]]
}

fn move_by(fx: &mut Fixture, dx: f64, dy: f64) {
    fx.input(InputEvent::PointerMotion {
        dx,
        dy,
        dx_unaccel: dx,
        dy_unaccel: dy,
        utime: 0,
    });
}

/// The size the window's last configure asked for.
fn configured(fx: &mut Fixture, c: usize, w: usize) -> Option<(i32, i32)> {
    fx.client(c)
        .window(w)
        .last_configure()
        .map(|c| (c.width, c.height))
}

/// The touch-downs client `c` got since last asked: (surface, x, y).
fn touch_downs(fx: &mut Fixture, c: usize) -> Vec<(usize, f64, f64)> {
    fx.client(c)
        .take_events()
        .iter()
        .filter_map(|e| match e {
            common::client::Event::TouchDown { surface, x, y, .. } => Some((*surface, *x, *y)),
            _ => None,
        })
        .collect()
}

fn pointer(fx: &Fixture) -> (f64, f64) {
    let p = fx.state.personas.active().state.pointer_location;
    (p.x, p.y)
}

#[test]
fn every_persona_has_a_virtual_output_per_physical_output() {
    let mut fx = Fixture::with_config(&two_outputs(""));
    for persona in ["work", "personal"] {
        let c = fx.add_bound_client(persona);
        fx.roundtrip(c);
        let mut outputs = fx.client(c).outputs();
        outputs.sort_by_key(|o| o.name.clone());
        let seen: Vec<_> = outputs
            .iter()
            .map(|o| (o.name.clone().unwrap_or_default(), o.mode, o.position))
            .collect();
        assert_eq!(
            seen,
            [
                ("HEADLESS-1".to_string(), Some((320, 200, 60_000)), (0, 0)),
                ("HEADLESS-2".to_string(), Some((200, 160, 60_000)), (320, 0)),
            ],
            "{persona}'s outputs"
        );
    }
}

#[test]
fn windows_open_on_the_pointers_output_and_fill_it() {
    let mut fx = Fixture::with_config(&two_outputs(""));
    let (c, first) = fx.open_window("work", RED);
    assert_eq!(
        configured(&mut fx, c, first),
        Some((320, 200)),
        "the first window fills the primary output"
    );
    // From the middle of the primary onto HEADLESS-2.
    move_by(&mut fx, 240.0, 0.0);
    assert_eq!(pointer(&fx), (400.0, 100.0));
    let second = fx.add_window(c, GREEN);
    assert_eq!(
        configured(&mut fx, c, second),
        Some((200, 160)),
        "a window opened with the pointer on HEADLESS-2 fills HEADLESS-2"
    );
    fx.render();
    assert_eq!(fx.client(c).window(second).entered_outputs, 1);
    assert_eq!(fx.client(c).window(first).entered_outputs, 1);
    let headless = fx.state.backend.headless().unwrap();
    let primary = headless.screenshot_of(0).unwrap();
    let other = headless.screenshot_of(1).unwrap();
    assert_eq!((other.width, other.height), (200, 160));
    assert_eq!(
        rgb(primary.pixel(160, 100)),
        rgb(RED),
        "the primary shows the first"
    );
    assert_eq!(
        rgb(other.pixel(100, 80)),
        rgb(GREEN),
        "HEADLESS-2 shows the second"
    );
    assert_eq!(rgb(other.pixel(1, 1)), rgb(GREEN));

    // The second moves to the next output (round to the primary) and fills it.
    fx.state
        .run_action(personas::config::Action::MoveWindowToNextOutput, None);
    fx.roundtrip(c);
    assert_eq!(
        configured(&mut fx, c, second),
        Some((320, 200)),
        "moved to the primary, it is told the primary's size"
    );
    fx.client(c).ack_and_draw(second, BLUE, (1, 1));
    fx.roundtrip(c);
    fx.render();
    let headless = fx.state.backend.headless().unwrap();
    assert_eq!(
        rgb(headless.screenshot_of(0).unwrap().pixel(160, 100)),
        rgb(BLUE)
    );
    assert_ne!(
        rgb(headless.screenshot_of(1).unwrap().pixel(100, 80)),
        rgb(BLUE),
        "nothing of it is left on HEADLESS-2"
    );
}

#[test]
fn the_pointer_crosses_outputs_and_stops_where_none_is() {
    let mut fx = Fixture::with_config(&two_outputs(""));
    fx.open_window("work", RED);
    move_by(&mut fx, 1000.0, 0.0);
    assert_eq!(
        pointer(&fx),
        (519.0, 100.0),
        "stops at HEADLESS-2's right edge"
    );
    move_by(&mut fx, 0.0, 1000.0);
    assert_eq!(pointer(&fx), (519.0, 159.0), "HEADLESS-2 is only 160 high");
    move_by(&mut fx, -1000.0, 0.0);
    assert_eq!(
        pointer(&fx),
        (0.0, 159.0),
        "back across to the primary's left edge"
    );
    move_by(&mut fx, 0.0, 30.0);
    assert_eq!(pointer(&fx), (0.0, 189.0), "the primary is higher");
}

#[test]
fn a_mirror_shows_the_primarys_picture_scaled_to_fit() {
    let mut fx = Fixture::with_config(&two_outputs_with("output_layout = \"mirror\""));
    let (c, w) = fx.open_window("work", RED);
    let outputs = fx.client(c).outputs();
    assert!(
        outputs.iter().all(|o| o.position == (0, 0)),
        "every output at the origin: {outputs:?}"
    );
    // The pointer stays on the primary's area: the mirror adds no room.
    move_by(&mut fx, 1000.0, 0.0);
    assert_eq!(pointer(&fx), (319.0, 100.0));
    let second = fx.add_window(c, GREEN);
    assert_eq!(
        configured(&mut fx, c, second),
        Some((320, 200)),
        "mirroring, every window fills the primary"
    );
    let _ = w;
    fx.render();
    let headless = fx.state.backend.headless().unwrap();
    let mirror = headless.screenshot_of(1).unwrap();
    // 320x200 into 200x160: scale 0.625, 200x125, 17 rows of bar above.
    assert_eq!(rgb(mirror.pixel(100, 80)), rgb(GREEN));
    assert_eq!(rgb(mirror.pixel(1, 19)), rgb(GREEN));
    assert_eq!(rgb(mirror.pixel(198, 140)), rgb(GREEN));
    for (x, y) in [(100, 5), (100, 155)] {
        assert_ne!(rgb(mirror.pixel(x, y)), rgb(GREEN), "a bar at ({x},{y})");
    }
}

#[test]
fn the_indicator_frames_every_output() {
    let config = two_outputs("").replace("indicator = \"none\"", "indicator = \"frame\"");
    let mut fx = Fixture::with_config(&config);
    let (c, w) = fx.open_window("work", RED);
    // The primary's area ends at 311 (320 less two 4 px frames), the next
    // starts at 320: a small step crosses the frames between them.
    move_by(&mut fx, 1000.0, 0.0);
    assert_eq!(pointer(&fx).0, 511.0);
    move_by(&mut fx, -1000.0, 0.0);
    move_by(&mut fx, 311.0, 0.0);
    assert_eq!(pointer(&fx).0, 311.0);
    move_by(&mut fx, 2.0, 0.0);
    assert_eq!(pointer(&fx).0, 320.0, "across the frames");
    move_by(&mut fx, -1.5, 0.0);
    assert_eq!(pointer(&fx).0, 311.0, "and back");
    move_by(&mut fx, 50.0, 0.0);
    fx.add_window(c, GREEN);
    let _ = w;
    fx.render();
    let frame = [0x33, 0x66, 0xcc];
    let headless = fx.state.backend.headless().unwrap();
    for index in 0..2 {
        let shot = headless.screenshot_of(index).unwrap();
        let (w, h) = (shot.width, shot.height);
        for (x, y) in [(0, 0), (w - 1, h - 1), (2, h / 2), (w / 2, 3)] {
            assert_eq!(
                rgb(shot.pixel(x, y)),
                frame,
                "output {index} frame at ({x},{y})"
            );
        }
        let inside = if index == 0 { RED } else { GREEN };
        assert_eq!(rgb(shot.pixel(4, 4)), rgb(inside), "output {index} inside");
    }
}

/// A touchscreen mapped to HEADLESS-2 touches what HEADLESS-2 shows, at the
/// place on it, not what is at that place on the primary.
#[test]
fn a_touchscreen_mapped_to_another_output_touches_that_output() {
    let config = format!(
        "{}\n[input.touchscreen]\nmap_to_output = \"HEADLESS-2\"\n",
        two_outputs("")
    );
    let mut fx = Fixture::with_config(&config);
    let (c, primary) = fx.open_window("work", RED);
    move_by(&mut fx, 240.0, 0.0);
    let other = fx.add_window(c, GREEN);
    fx.client(c).take_events();
    fx.touch_tap(50.0, 40.0);
    fx.roundtrip(c);
    let downs = touch_downs(&mut fx, c);
    assert_eq!(
        downs,
        [(other, 50.0, 40.0)],
        "not on the primary's window {primary}"
    );
}

/// Mirroring, a touchscreen on the mirror touches the picture it shows:
/// its positions are scaled back to the primary's.
#[test]
fn a_touch_on_a_mirror_lands_where_the_picture_shows() {
    let config = format!(
        "output_layout = \"mirror\"\n{}\n[input.touchscreen]\nmap_to_output = \"HEADLESS-2\"\n",
        two_outputs("")
    );
    let mut fx = Fixture::with_config(&config);
    let (c, w) = fx.open_window("work", RED);
    fx.client(c).take_events();
    // The picture is 0.625 the size, 17 rows down: (100, 79) shows (160, 99.2).
    fx.touch_tap(100.0, 79.0);
    fx.roundtrip(c);
    let downs = touch_downs(&mut fx, c);
    assert_eq!(downs.len(), 1, "{downs:?}");
    let (surface, x, y) = downs[0];
    assert_eq!(surface, w);
    assert!(
        (x - 160.0).abs() < 0.01 && (y - 99.2).abs() < 0.01,
        "({x}, {y})"
    );
}

/// Outputs come and go (a monitor unplugged, another panel becoming the
/// primary): a window on an output that went moves to the primary and is
/// told its size; every persona keeps one virtual output per name.
#[test]
fn windows_follow_when_outputs_go_or_trade_places() {
    use personas::state::layout;
    let mut fx = Fixture::with_config(&two_outputs(""));
    let (c, _first) = fx.open_window("work", RED);
    move_by(&mut fx, 240.0, 0.0);
    let second = fx.add_window(c, GREEN);
    assert_eq!(configured(&mut fx, c, second), Some((200, 160)));
    let specs = fx.state.backend.output_specs();
    let set = |fx: &mut Fixture, specs: &[personas::persona::OutputSpec]| {
        let placed = layout::arrange(specs, &fx.state.config);
        for id in fx.state.personas.ids().to_vec() {
            let state = &mut fx.state.personas.get_mut(id).unwrap().state;
            state.set_outputs(&placed, false);
        }
        fx.roundtrip_all();
    };

    // HEADLESS-2 goes.
    set(&mut fx, &specs[..1]);
    assert_eq!(configured(&mut fx, c, second), Some((320, 200)));
    let names: Vec<_> = fx
        .client(c)
        .outputs()
        .into_iter()
        .filter_map(|o| o.name)
        .collect();
    assert_eq!(names, ["HEADLESS-1"]);

    // It comes back as the primary, HEADLESS-1 beside it.
    set(&mut fx, &[specs[1].clone(), specs[0].clone()]);
    let persona = &fx.state.personas.active().state;
    assert_eq!(persona.output.name(), "HEADLESS-2");
    let mut names: Vec<String> = persona.outputs().map(|o| o.name()).collect();
    names.sort();
    assert_eq!(
        names,
        ["HEADLESS-1", "HEADLESS-2"],
        "one virtual output per name"
    );
    let mut seen: Vec<_> = fx
        .client(c)
        .outputs()
        .into_iter()
        .filter_map(|o| o.name)
        .collect();
    seen.sort();
    assert_eq!(seen, ["HEADLESS-1", "HEADLESS-2"]);
}

/// The overview is on the primary output; the others show its background
/// meanwhile, and the persona again when it closes.
#[test]
fn the_overview_is_on_the_primary_and_the_others_wait() {
    let mut fx = Fixture::with_config(&two_outputs(""));
    let (c, _) = fx.open_window("work", RED);
    move_by(&mut fx, 240.0, 0.0);
    fx.add_window(c, GREEN);
    fx.render();
    let other = |fx: &mut Fixture| rgb(fx.shown_on(1).pixel(100, 80));
    assert_eq!(other(&mut fx), rgb(GREEN));
    fx.state.toggle_overview();
    fx.render();
    assert_eq!(other(&mut fx), [20, 20, 20], "the overview's background");
    fx.state.toggle_overview();
    fx.render();
    assert_eq!(other(&mut fx), rgb(GREEN));
}

/// With the primary turned off by hand (a laptop's panel off beside a
/// monitor), the overview and the switch notice show on the output that is
/// on, and the pointer (whose absolute positions are the primary's) picks
/// there.
#[test]
fn with_the_primary_off_the_overview_and_the_notice_show_on_the_next_output() {
    use personas::ipc::protocol::{Reply, Request};
    use personas::render::overview::layout;
    let config = two_outputs("").replace("switch_notice = false", "switch_notice = true");
    let mut fx = Fixture::with_config(&config);
    fx.open_window("work", RED);
    fx.open_window("personal", GREEN);
    fx.switch("work");
    fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
        fx.state.notice.is_none()
    });
    let off = Request::OutputPower {
        output: "HEADLESS-1".into(),
        on: false,
    };
    assert_eq!(fx.request(off), Reply::Ok);
    fx.state.toggle_overview();
    let shot = fx.render_output(1);
    let cells = layout(2, (200, 160).into(), (320, 200).into());
    let middle = |i: usize| {
        let c = cells[i].cell;
        (c.loc.x + c.size.w / 2, c.loc.y + c.size.h / 2)
    };
    for (i, color) in [(0, RED), (1, GREEN)] {
        let (x, y) = middle(i);
        assert_eq!(
            rgb(shot.pixel(x as u32, y as u32)),
            rgb(color),
            "thumbnail {i} on HEADLESS-2"
        );
    }
    // The primary's wider picture is fitted: work's stays in its cell.
    let edge = cells[1].cell.loc.x as u32 + 1;
    assert_eq!(
        rgb(shot.pixel(edge, middle(1).1 as u32)),
        [20, 20, 20],
        "the overview's background at personal's cell's edge"
    );
    // personal's thumbnail, clicked at the primary's (320x200) position of
    // the same place.
    let (x, y) = middle(1);
    fx.input(InputEvent::PointerMotionAbsolute {
        x: x as f64 * 320.0 / 200.0,
        y: y as f64 * 200.0 / 160.0,
    });
    for pressed in [true, false] {
        fx.input(InputEvent::PointerButton {
            button: 0x110,
            pressed,
        });
    }
    assert_eq!(fx.active(), "personal");
    let shot = fx.render_output(1);
    let notice = fx.state.notice.clone().expect("a notice after the switch");
    let (x, y) = (notice.location.x as u32, notice.location.y as u32);
    assert!(
        notice.location.x + notice.size.w <= 200,
        "sized for HEADLESS-2"
    );
    assert_eq!(
        rgb(shot.pixel(x + 1, y + 1)),
        [0xcc, 0x66, 0x33],
        "personal's notice on HEADLESS-2"
    );
    // A position on HEADLESS-2 itself (display space: it is placed right
    // of the primary) is that spot of the overview.
    fx.state.toggle_overview();
    let (x, y) = middle(0);
    fx.input(InputEvent::PointerMotionAbsolute {
        x: 320.0 + x as f64,
        y: y as f64,
    });
    for pressed in [true, false] {
        fx.input(InputEvent::PointerButton {
            button: 0x110,
            pressed,
        });
    }
    assert_eq!(fx.active(), "work");
}

/// Each output turns on its own: the config's `transform` for HEADLESS-2, a
/// rotation daemon's `output HEADLESS-2 transform …`, and a reload back to
/// the file. The primary and its window stay as they are.
#[test]
fn a_second_output_turns_on_its_own() {
    use personas::ipc::protocol::{Reply, Request};
    use wayland_client::protocol::wl_output;
    let config = two_outputs("[outputs.\"HEADLESS-2\"]\ntransform = \"90\"\n")
        .replace("indicator = \"none\"", "indicator = \"badge\"");
    let mut fx = Fixture::with_config(&config);
    let (c, first) = fx.open_window("work", RED);
    move_by(&mut fx, 240.0, 0.0);
    let second = fx.add_window(c, GREEN);
    let outputs = |fx: &mut Fixture| {
        let mut outputs = fx.client(c).outputs();
        outputs.sort_by_key(|o| o.name.clone());
        outputs
            .iter()
            .map(|o| (o.transform, o.logical_size))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        outputs(&mut fx),
        [
            (Some(wl_output::Transform::Normal), Some((320, 200))),
            (Some(wl_output::Transform::_90), Some((160, 200))),
        ]
    );
    assert_eq!(configured(&mut fx, c, second), Some((160, 200)));
    assert_eq!(configured(&mut fx, c, first), Some((320, 200)));

    // Upright 160x200 on a 200x160 panel: a 40x60 window centered there
    // shows turned, its upright top left at the panel's bottom left.
    fx.client(c).draw_fixed(second, BLUE, (40, 60));
    fx.roundtrip(c);
    fx.render();
    let (x, y, w, h) = (60, 70, 40, 60);
    let on_panel = (y, 160 - x - w, h, w);
    let shot = fx
        .state
        .backend
        .headless()
        .unwrap()
        .screenshot_of(1)
        .unwrap();
    common::fixture::assert_region(
        &shot,
        (on_panel.0 as u32, on_panel.1 as u32, h as u32, w as u32),
        BLUE,
        "second_output_turned_90",
    );
    // The badge, at the upright top right, is at the panel's top left
    // turned 90° (270° would put it at the bottom right).
    let work = [0x33, 0x66, 0xcc];
    assert_eq!(rgb(shot.pixel(4, 4)), work, "the badge at the top left");
    assert_ne!(rgb(shot.pixel(195, 155)), work);
    assert_ne!(rgb(shot.pixel(195, 4)), work);

    // Turned back at run time: that output alone changes.
    fx.client(c).take_events();
    let reply = fx.request(Request::OutputTransform {
        output: "HEADLESS-2".into(),
        transform: "normal".into(),
    });
    assert_eq!(reply, Reply::Ok);
    fx.roundtrip_all();
    assert_eq!(
        outputs(&mut fx),
        [
            (Some(wl_output::Transform::Normal), Some((320, 200))),
            (Some(wl_output::Transform::Normal), Some((200, 160))),
        ]
    );
    assert_eq!(configured(&mut fx, c, second), Some((200, 160)));
    assert_eq!(
        fx.state.backend.output_spec().transform,
        smithay::utils::Transform::Normal,
        "the primary is untouched"
    );
    match fx.request(Request::OutputTransform {
        output: "HEADLESS-3".into(),
        transform: "90".into(),
    }) {
        Reply::Error { message } => assert!(
            message.contains("no output named `HEADLESS-3` (outputs: HEADLESS-1, HEADLESS-2)"),
            "{message}"
        ),
        other => panic!("expected an error, got {other:?}"),
    }

    // A reload applies the file again.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, &config).unwrap();
    fx.state.config_source = personas::config::ConfigSource::File(path);
    assert!(matches!(
        fx.request(Request::Reload),
        Reply::Reloaded { .. }
    ));
    fx.roundtrip_all();
    assert_eq!(configured(&mut fx, c, second), Some((160, 200)));
    assert_eq!(configured(&mut fx, c, first), Some((320, 200)));
}

/// A docked laptop: closing the lid takes the built-in panel (HEADLESS-1
/// here) out of the layout while another output shows, so its windows move
/// there and the display stays on; opening it brings the panel back as the
/// primary.
#[test]
fn a_closed_lid_leaves_the_panel_out_while_a_monitor_shows() {
    use personas::input::HardwareSwitch;
    use personas::state::idle::Power;
    let mut fx = Fixture::with_config(&two_outputs(""));
    let (c, w) = fx.open_window("work", RED);
    assert_eq!(configured(&mut fx, c, w), Some((320, 200)));
    let names = |fx: &mut Fixture| {
        let mut names: Vec<String> = fx
            .client(c)
            .outputs()
            .into_iter()
            .filter_map(|o| o.name)
            .collect();
        names.sort();
        names
    };

    fx.input(InputEvent::Switch {
        switch: HardwareSwitch::Lid,
        on: true,
    });
    fx.roundtrip_all();
    assert_eq!(names(&mut fx), ["HEADLESS-2"]);
    assert_eq!(
        configured(&mut fx, c, w),
        Some((200, 160)),
        "the window moves to the monitor"
    );
    assert_eq!(fx.state.power, Power::On, "the monitor stays on");
    fx.client(c).ack_and_draw(w, GREEN, (1, 1));
    fx.roundtrip(c);
    let shot = fx.render();
    assert_eq!((shot.width, shot.height), (200, 160));
    assert_eq!(rgb(shot.pixel(100, 80)), rgb(GREEN));
    // A key (an external keyboard) is activity as ever.
    fx.key(30, true);
    fx.key(30, false);
    assert_eq!(fx.state.power, Power::On);

    fx.input(InputEvent::Switch {
        switch: HardwareSwitch::Lid,
        on: false,
    });
    fx.roundtrip_all();
    assert_eq!(names(&mut fx), ["HEADLESS-1", "HEADLESS-2"]);
    assert_eq!(
        fx.state.personas.active().state.output.name(),
        "HEADLESS-1",
        "the panel is the primary again"
    );
    assert_eq!(fx.state.power, Power::On);

    // A monitor turned off by hand shows nothing: closing the lid turns
    // the display off, as without a monitor, and the panel stays.
    let reply = fx.request(personas::ipc::protocol::Request::OutputPower {
        output: "HEADLESS-2".into(),
        on: false,
    });
    assert_eq!(reply, personas::ipc::protocol::Reply::Ok);
    fx.input(InputEvent::Switch {
        switch: HardwareSwitch::Lid,
        on: true,
    });
    fx.roundtrip_all();
    assert_eq!(names(&mut fx), ["HEADLESS-1", "HEADLESS-2"]);
    assert_eq!(fx.state.power, Power::Off);
    fx.input(InputEvent::Switch {
        switch: HardwareSwitch::Lid,
        on: false,
    });
    assert_eq!(fx.state.power, Power::On);
}

/// `output NAME off|on` for any output: with another showing, that one
/// goes dark and stays so (input does not wake it) until `on`, keeping its
/// place; the last one showing turns the display off as idleness does.
#[test]
fn each_output_turns_off_and_on_by_name() {
    use personas::ipc::protocol::{Reply, Request};
    use personas::state::idle::Power;
    let mut fx = Fixture::with_config(&two_outputs(""));
    let (c, _first) = fx.open_window("work", RED);
    move_by(&mut fx, 240.0, 0.0);
    let second = fx.add_window(c, GREEN);
    fx.render();
    let power = |fx: &mut Fixture, output: &str, on: bool| {
        fx.request(Request::OutputPower {
            output: output.into(),
            on,
        })
    };
    let off_listed = |fx: &mut Fixture| match fx.request(Request::Outputs) {
        Reply::Outputs { outputs } => outputs
            .into_iter()
            .filter(|o| o.off)
            .map(|o| o.name)
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (fx.output_middle(0), fx.output_middle(1)),
        (rgb(RED), rgb(GREEN))
    );

    assert_eq!(power(&mut fx, "HEADLESS-2", false), Reply::Ok);
    fx.render();
    assert_eq!(fx.output_middle(1), [0, 0, 0], "HEADLESS-2 is dark");
    assert_eq!(fx.output_middle(0), rgb(RED), "HEADLESS-1 shows on");
    assert_eq!(fx.state.power, Power::On);
    assert_eq!(off_listed(&mut fx), ["HEADLESS-2"]);
    assert_eq!(
        configured(&mut fx, c, second),
        Some((200, 160)),
        "its window keeps its place"
    );
    // Its window changes and a key is typed: it stays dark, and its window
    // gets no frame callback (as with the whole display off).
    let frames = fx.client(c).frames_done(second);
    fx.client(c).draw_with_frame(second, BLUE, (1, 1));
    fx.key(30, true);
    fx.key(30, false);
    fx.render();
    fx.roundtrip_all();
    assert_eq!(fx.output_middle(1), [0, 0, 0]);
    assert_eq!(fx.client(c).frames_done(second), frames);

    // The last output showing: the display goes off, as when idle.
    assert_eq!(power(&mut fx, "HEADLESS-1", false), Reply::Ok);
    assert_eq!(fx.state.power, Power::Off);
    assert_eq!(power(&mut fx, "HEADLESS-1", true), Reply::Ok);
    assert_eq!(fx.state.power, Power::On);
    fx.render();
    assert_eq!(fx.output_middle(0), rgb(RED));
    assert_eq!(fx.output_middle(1), [0, 0, 0], "HEADLESS-2 still off");

    assert_eq!(power(&mut fx, "HEADLESS-2", true), Reply::Ok);
    fx.render();
    fx.roundtrip_all();
    assert_eq!(fx.client(c).frames_done(second), frames + 1);
    assert_eq!(
        fx.output_middle(1),
        rgb(BLUE),
        "on again, with what it missed"
    );
    assert!(off_listed(&mut fx).is_empty());
    match power(&mut fx, "HEADLESS-9", false) {
        Reply::Error { message } => assert!(
            message.contains("no output named `HEADLESS-9` (outputs: HEADLESS-1, HEADLESS-2)"),
            "{message}"
        ),
        other => panic!("expected an error, got {other:?}"),
    }
}
