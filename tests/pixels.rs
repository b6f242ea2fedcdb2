//! Pixel tests: the composited headless frame, read back and compared. On a
//! mismatch the actual and expected frames are written as PNGs under
//! target/test-pixels.

mod common;

use common::fixture::{assert_region, Fixture};

const RED: [u8; 4] = [255, 0, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];
const SIZE: (i32, i32) = (320, 200);
const FULL: (u32, u32, u32, u32) = (0, 0, 320, 200);

fn colored_window(fx: &mut Fixture, persona: &str, color: [u8; 4]) -> (usize, usize) {
    fx.open_window(persona, color)
}

#[test]
fn the_frame_shows_the_active_persona_only() {
    let mut fx = Fixture::new();
    colored_window(&mut fx, "work", RED);
    colored_window(&mut fx, "personal", BLUE);
    assert_region(&fx.render(), FULL, RED, "active_work");
    fx.switch("personal");
    // The switch itself rendered: no extra frame needed.
    let shot = fx
        .state
        .backend
        .headless()
        .expect("headless")
        .screenshot()
        .unwrap();
    assert_region(&shot, FULL, BLUE, "after_switch_personal");
    fx.switch("work");
    let shot = fx
        .state
        .backend
        .headless()
        .expect("headless")
        .screenshot()
        .unwrap();
    assert_region(&shot, FULL, RED, "after_switch_back_work");
}

#[test]
fn identical_clients_in_two_personas_are_never_confused() {
    // Same requests in the same order: equal object ids in both displays. A
    // damage tracker keyed on those ids would skip redrawing after a switch.
    // Both personas have the same color so that nothing else (the clear color)
    // differs between the two scenes.
    let same_color = common::fixture::TWO_PERSONAS.replace("#cc6633", "#3366cc");
    let mut fx = Fixture::with_config(&same_color);
    let (a, wa) = colored_window(&mut fx, "work", RED);
    let (b, wb) = colored_window(&mut fx, "personal", GREEN);
    assert_eq!(
        fx.client(a).surface_id(wa).protocol_id(),
        fx.client(b).surface_id(wb).protocol_id()
    );
    for round in 0..3 {
        assert_region(&fx.render(), FULL, RED, &format!("identical_work_{round}"));
        fx.switch("personal");
        assert_region(
            &fx.render(),
            FULL,
            GREEN,
            &format!("identical_personal_{round}"),
        );
        fx.switch("work");
    }
    // A new buffer in the background persona shows when it comes to the front.
    fx.client(b).ack_and_draw(wb, BLUE, SIZE);
    fx.roundtrip(b);
    assert_region(&fx.render(), FULL, RED, "identical_work_after_bg_commit");
    fx.switch("personal");
    assert_region(&fx.render(), FULL, BLUE, "identical_personal_new_buffer");
}

#[test]
fn screenshot_of_a_background_persona_shows_its_buffered_content() {
    let mut fx = Fixture::new();
    colored_window(&mut fx, "work", RED);
    colored_window(&mut fx, "personal", BLUE);
    assert_region(&fx.render(), FULL, RED, "output_before_snapshot");
    assert_region(&fx.snapshot("personal"), FULL, BLUE, "snapshot_personal");
    // Taking it changed nothing on the output.
    let shot = fx
        .state
        .backend
        .headless()
        .expect("headless")
        .screenshot()
        .unwrap();
    assert_region(&shot, FULL, RED, "output_after_snapshot");
    assert_region(&fx.render(), FULL, RED, "output_rendered_after_snapshot");
}

#[test]
fn an_empty_persona_shows_its_dimmed_color() {
    let mut fx = Fixture::new();
    colored_window(&mut fx, "work", RED);
    fx.switch("personal");
    // #cc6633 at a quarter.
    let shot = fx.render();
    let px = shot.pixel(10, 10);
    assert!(
        (px[0] as i32 - 0x33).abs() <= 1
            && (px[1] as i32 - 0x19).abs() <= 1
            && (px[2] as i32 - 0x0c).abs() <= 1,
        "{px:?}"
    );
}

#[test]
fn subsurfaces_and_popups_are_composited() {
    let mut fx = Fixture::new();
    let (c, w) = colored_window(&mut fx, "work", RED);
    fx.client(c).create_subsurface(w, (10, 10), (50, 40), BLUE);
    fx.roundtrip(c);
    fx.client(c).commit(w);
    fx.roundtrip(c);
    let shot = fx.render();
    assert_region(&shot, (10, 10, 50, 40), BLUE, "subsurface");
    assert_region(&shot, (100, 100, 50, 50), RED, "around_subsurface");

    let p = fx.client(c).create_popup(w, (40, 30), (200, 100, 1, 1));
    fx.roundtrip(c);
    fx.roundtrip(c);
    let conf = fx
        .client(c)
        .window(p)
        .last_popup_configure()
        .cloned()
        .expect("popup configured");
    let shot = fx.render();
    let color = common::client::POPUP_COLOR;
    assert_region(
        &shot,
        (
            conf.x as u32,
            conf.y as u32,
            conf.width as u32,
            conf.height as u32,
        ),
        color,
        "popup",
    );
}

#[test]
fn popups_are_kept_on_the_output() {
    let mut fx = Fixture::new();
    let (c, w) = colored_window(&mut fx, "work", RED);
    // Anchored at the bottom-right corner: it must be slid or flipped inside.
    let p = fx.client(c).create_popup(w, (80, 60), (318, 198, 1, 1));
    fx.roundtrip(c);
    fx.roundtrip(c);
    let conf = fx
        .client(c)
        .window(p)
        .last_popup_configure()
        .cloned()
        .unwrap();
    assert!(conf.x >= 0 && conf.y >= 0, "{conf:?}");
    assert!(
        conf.x + conf.width <= 320 && conf.y + conf.height <= 200,
        "{conf:?}"
    );
}

#[test]
fn a_fixed_size_window_is_centered() {
    let mut fx = Fixture::new();
    let c = fx.add_bound_client("work");
    let w = fx.client(c).create_window();
    fx.roundtrip(c);
    fx.client(c).draw_fixed(w, BLUE, (100, 50));
    fx.roundtrip(c);
    let shot = fx.render();
    assert_region(&shot, (110, 75, 100, 50), BLUE, "centered_window");
    let bg = shot.pixel(5, 5);
    assert_ne!(bg, BLUE, "outside the window is the background");
    assert_region(&shot, (0, 0, 110, 75), bg, "centered_window_surroundings");
}

#[test]
fn malformed_buffers_cost_only_their_client() {
    use common::client::BadBuffer;
    for kind in [BadBuffer::LargerThanPool, BadBuffer::TruncatedPool] {
        let mut fx = Fixture::new();
        let (good, _) = colored_window(&mut fx, "work", RED);
        let bad = fx.add_bound_client("work");
        let w = fx.client(bad).create_window();
        fx.roundtrip(bad);
        fx.client(bad).expect_protocol_error();
        fx.client(bad).draw_bad_buffer(w, kind, SIZE);
        for _ in 0..5 {
            fx.dispatch();
        }
        // Rendering must survive whatever the bad client left behind.
        let shot = fx.render();
        assert!(
            fx.client(bad).protocol_error().is_some() || fx.client(bad).is_disconnected(),
            "{kind:?}: the offending client is disconnected"
        );
        assert_region(&shot, FULL, RED, &format!("bad_buffer_{kind:?}"));
        fx.roundtrip(good);
        assert!(!fx.client(good).is_disconnected());
    }
}

#[test]
fn the_frame_indicator_surrounds_the_persona_and_no_client_pixel_is_under_it() {
    let config =
        common::fixture::TWO_PERSONAS.replace("indicator = \"none\"", "indicator = \"frame\"");
    let mut fx = Fixture::with_config(&config);
    let (c, w) = fx.open_window("work", RED);
    // The persona's output, and so its window, is smaller by the frame.
    let configure = fx.client(c).window(w).last_configure().cloned().unwrap();
    let f = personas::persona::FRAME_WIDTH;
    assert_eq!(
        (configure.width, configure.height),
        (320 - 2 * f, 200 - 2 * f)
    );
    fx.client(c).set_fullscreen(w);
    fx.roundtrip(c);
    fx.client(c).ack_and_draw(w, RED, SIZE);
    fx.roundtrip(c);
    let shot = fx.render();
    let work = [0x33, 0x66, 0xcc, 0xff];
    let f = f as u32;
    assert_region(&shot, (0, 0, 320, f), work, "frame_top");
    assert_region(&shot, (0, 200 - f, 320, f), work, "frame_bottom");
    assert_region(&shot, (0, 0, f, 200), work, "frame_left");
    assert_region(&shot, (320 - f, 0, f, 200), work, "frame_right");
    assert_region(
        &shot,
        (f, f, 320 - 2 * f, 200 - 2 * f),
        RED,
        "inside_the_frame",
    );
    // Input lands where it is drawn: the window's corner is the frame's inside.
    fx.input(personas::input::InputEvent::PointerMotionAbsolute {
        x: f as f64 + 1.0,
        y: f as f64 + 1.0,
    });
    fx.roundtrip(c);
    let events = fx.client(c).take_events();
    assert!(
        events.iter().any(|e| matches!(
            e,
            common::client::Event::PointerEnter { x, y, .. }
                | common::client::Event::PointerMotion { x, y } if (*x, *y) == (1.0, 1.0)
        )),
        "{events:?}"
    );
    // The other persona's frame has its color.
    fx.open_window("personal", BLUE);
    fx.switch("personal");
    let shot = fx.render();
    assert_region(
        &shot,
        (0, 0, 320, f),
        [0xcc, 0x66, 0x33, 0xff],
        "personal_frame",
    );
}

#[test]
fn a_fullscreen_window_covers_the_frame_only_where_the_config_allows() {
    let config = common::fixture::TWO_PERSONAS
        .replace("indicator = \"none\"", "indicator = \"frame\"")
        .replace(
            "name = \"personal\"",
            "name = \"personal\"\nfullscreen_over_frame = true",
        );
    let mut fx = Fixture::with_config(&config);
    let f = personas::persona::FRAME_WIDTH;
    let (c, w) = fx.open_window("personal", RED);
    let (c2, w2) = fx.open_window("personal", GREEN);
    fx.switch("personal");
    // Focused and fullscreen: the whole screen, frame included.
    fx.client(c2).set_fullscreen(w2);
    fx.roundtrip(c2);
    let configure = fx.client(c2).window(w2).last_configure().cloned().unwrap();
    assert_eq!((configure.width, configure.height), (320, 200));
    fx.client(c2).ack_and_draw(w2, GREEN, SIZE);
    fx.roundtrip(c2);
    assert_region(&fx.render(), FULL, GREEN, "fullscreen_over_the_frame");
    let mode = |fx: &mut Fixture, c| fx.client(c).outputs()[0].mode.map(|m| (m.0, m.1));
    assert_eq!(mode(&mut fx, c2), Some((320, 200)));
    // Focus elsewhere (Alt+Tab): the frame is back, the output smaller again.
    use common::fixture::key::{LEFTALT, TAB};
    fx.chord(&[LEFTALT, TAB]);
    fx.roundtrip(c);
    fx.roundtrip(c2);
    fx.client(c).ack_and_draw(w, RED, SIZE);
    fx.roundtrip(c);
    let shot = fx.render();
    let frame = [0xcc, 0x66, 0x33, 0xff];
    assert_region(&shot, (0, 0, 320, f as u32), frame, "frame_back");
    assert_eq!(mode(&mut fx, c), Some((320 - 2 * f, 200 - 2 * f)));
    // Without the setting (work), fullscreen stays inside the frame: see
    // the_frame_indicator_surrounds_the_persona_and_no_client_pixel_is_under_it.
}

#[test]
fn the_badge_indicator_sits_over_the_content() {
    let config =
        common::fixture::TWO_PERSONAS.replace("indicator = \"none\"", "indicator = \"badge\"");
    let mut fx = Fixture::with_config(&config);
    fx.open_window("work", RED);
    let shot = fx.render();
    let b = personas::render::indicator::BADGE_SIZE as u32;
    assert_region(&shot, (320 - b, 0, b, b), [0x33, 0x66, 0xcc, 0xff], "badge");
    assert_region(&shot, (0, 0, 320 - b, 200), RED, "content_full_size");
}

#[test]
fn a_switch_shows_the_persona_name_for_a_moment() {
    let config =
        common::fixture::TWO_PERSONAS.replace("switch_notice = false", "switch_notice = true");
    let mut fx = Fixture::with_config(&config);
    fx.open_window("work", RED);
    fx.open_window("personal", BLUE);
    fx.switch("personal");
    let shot = fx
        .state
        .backend
        .headless()
        .expect("headless")
        .screenshot()
        .unwrap();
    let notice = fx.state.notice.clone().expect("a notice after the switch");
    let (x, y) = (notice.location.x as u32, notice.location.y as u32);
    // Its background is the persona's color, and its letters are white.
    assert_eq!(shot.pixel(x + 1, y + 1), [0xcc, 0x66, 0x33, 0xff]);
    let white = (x..x + notice.size.w as u32)
        .flat_map(|px| (y..y + notice.size.h as u32).map(move |py| (px, py)))
        .filter(|&(px, py)| shot.pixel(px, py) == [0xff, 0xff, 0xff, 0xff])
        .count();
    assert!(white > 50, "the name is written: {white} white pixels");
    // Then it goes, on its own timer.
    fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
        fx.state.notice.is_none()
    });
    fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
        fx.state
            .backend
            .headless()
            .expect("headless")
            .screenshot()
            .unwrap()
            .pixel(x + 1, y + 1)
            == BLUE
    });
}

#[test]
fn a_real_display_draws_the_arrow_at_the_active_persona_pointer() {
    use personas::input::InputEvent;
    use smithay::backend::renderer::damage::OutputDamageTracker;
    // No cursor theme: the built-in arrow (tests/cursor.rs covers themes).
    std::env::set_var("XCURSOR_PATH", "/nonexistent");
    let mut fx = Fixture::new();
    colored_window(&mut fx, "work", RED);
    fx.input(InputEvent::PointerMotionAbsolute { x: 100.0, y: 60.0 });
    fx.roundtrip_all();
    let arrow = personas::render::cursor::arrow();
    let id = fx.state.personas.active_id();
    let persona = &fx.state.personas.get(id).unwrap().state;
    let spec = persona.output_spec.clone();
    let inset = persona.inset as u32;
    let renderer = fx.state.backend.headless().unwrap().renderer();
    let scene =
        personas::render::persona_scene(renderer, persona, None, None, Some(&arrow)).unwrap();
    let mut image = personas::render::offscreen(renderer, spec.size).unwrap();
    let mut tracker = OutputDamageTracker::new(spec.size, 1.0, spec.transform);
    personas::render::draw(renderer, &mut image, &mut tracker, &scene, 0).unwrap();
    let shot = personas::render::read_pixels(renderer, &mut image).unwrap();
    let at = |x: u32, y: u32| (100 + inset + x, 60 + inset + y);
    // The tip is outline, the body fill, beside it the window.
    let (x, y) = at(0, 0);
    assert_region(&shot, (x, y, 1, 1), [0, 0, 0, 255], "cursor_tip");
    let (x, y) = at(1, 5);
    assert_region(&shot, (x, y, 3, 4), [255, 255, 255, 255], "cursor_body");
    let (x, y) = at(12, 0);
    assert_region(&shot, (x, y, 20, 20), RED, "beside_cursor");
    // Headless screenshots never show it.
    assert_region(&fx.render(), FULL, RED, "headless_has_no_cursor");
}

/// A reload that only changes the global `indicator` frames every persona
/// at once: windows are told the smaller size and the frame is drawn.
#[test]
fn an_indicator_set_by_a_reload_frames_the_windows_at_once() {
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("work", GREEN);
    assert_region(&fx.render(), FULL, GREEN, "reload_indicator_before");
    let framed =
        common::fixture::TWO_PERSONAS.replace("indicator = \"none\"", "indicator = \"frame\"");
    fx.state
        .apply_config(personas::config::Config::parse(&framed, "test.toml").unwrap())
        .unwrap();
    fx.roundtrip(c);
    let configure = fx.client(c).window(w).last_configure().unwrap().clone();
    assert!(
        configure.width < SIZE.0 && configure.height < SIZE.1,
        "the window is told the framed size: {configure:?}"
    );
    fx.client(c).ack_and_draw(w, GREEN, (1, 1));
    fx.roundtrip(c);
    let shot = fx.render();
    assert_ne!(shot.pixel(0, 0), GREEN, "the frame is drawn at the edge");
    assert_eq!(shot.pixel(160, 100), GREEN, "the window inside it");
}
