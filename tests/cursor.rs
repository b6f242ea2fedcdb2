//! Cursor themes: a named cursor (cursor-shape, or the default before a
//! client sets one) is drawn from the xcursor theme `XCURSOR_THEME` at the
//! size nearest `XCURSOR_SIZE`, its hotspot at the pointer; a theme without
//! it, or no theme, gives the built-in arrow. The theme is read once per
//! thread, so each test sets its environment first and runs on its own thread.

mod common;

use std::path::Path;

use common::fixture::{assert_region, Fixture};
use personas::input::InputEvent;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::input::pointer::CursorIcon;

/// The environment is the process's: one test sets and reads it at a time.
static ENV: std::sync::Mutex<()> = std::sync::Mutex::new(());

const RED: [u8; 4] = [255, 0, 0, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];
const BLUE: [u8; 4] = [0, 0, 255, 255];

/// An Xcursor file with one square image per (size, color, hotspot).
fn xcursor(images: &[(u32, [u8; 4], (u32, u32))]) -> Vec<u8> {
    let mut file = Vec::new();
    let le = |v: u32| v.to_le_bytes();
    // Header: magic, header size, version, number of TOC entries.
    file.extend_from_slice(b"Xcur");
    file.extend_from_slice(&le(16));
    file.extend_from_slice(&le(0x1_0000));
    file.extend_from_slice(&le(images.len() as u32));
    let mut position = 16 + 12 * images.len() as u32;
    for &(size, _, _) in images {
        file.extend_from_slice(&le(0xfffd_0002));
        file.extend_from_slice(&le(size));
        file.extend_from_slice(&le(position));
        position += 36 + size * size * 4;
    }
    for &(size, [r, g, b, a], (xhot, yhot)) in images {
        for v in [36, 0xfffd_0002, size, 1, size, size, xhot, yhot, 0] {
            file.extend_from_slice(&le(v));
        }
        for _ in 0..size * size {
            // Native-endian ARGB32, premultiplied (opaque here).
            file.extend_from_slice(&le(u32::from_be_bytes([a, r, g, b])));
        }
    }
    file
}

fn theme(dir: &Path, name: &str, icon: &str, bytes: &[u8]) {
    let cursors = dir.join(name).join("cursors");
    std::fs::create_dir_all(&cursors).unwrap();
    std::fs::write(cursors.join(icon), bytes).unwrap();
}

/// What a real display shows with the pointer at (100, 60) over a red window.
fn frame_with_pointer(fx: &mut Fixture) -> personas::render::Screenshot {
    fx.input(InputEvent::PointerMotionAbsolute { x: 100.0, y: 60.0 });
    fx.roundtrip_all();
    let arrow = personas::render::cursor::arrow();
    let id = fx.state.personas.active_id();
    let persona = &fx.state.personas.get(id).unwrap().state;
    let spec = persona.output_spec.clone();
    let renderer = fx.state.backend.headless().unwrap().renderer();
    let scene =
        personas::render::persona_scene(renderer, persona, None, None, Some(&arrow)).unwrap();
    let mut image = personas::render::offscreen(renderer, spec.size).unwrap();
    let mut tracker = OutputDamageTracker::new(spec.size, 1.0, spec.transform);
    personas::render::draw(renderer, &mut image, &mut tracker, &scene, 0).unwrap();
    personas::render::read_pixels(renderer, &mut image).unwrap()
}

#[test]
fn a_named_cursor_is_drawn_from_the_theme_at_the_nearest_size() {
    let dir = tempfile::tempdir().unwrap();
    theme(
        dir.path(),
        "personas-test",
        "default",
        &xcursor(&[(16, BLUE, (1, 1)), (24, GREEN, (5, 7)), (48, BLUE, (2, 2))]),
    );
    let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::spawn({
        let path = dir.path().to_path_buf();
        move || {
            std::env::set_var("XCURSOR_PATH", &path);
            std::env::set_var("XCURSOR_THEME", "personas-test");
            std::env::set_var("XCURSOR_SIZE", "26");
            let themed = personas::render::cursor::named(CursorIcon::Default)
                .expect("the theme has a default cursor");
            assert_eq!(
                (themed.hotspot.x, themed.hotspot.y),
                (5, 7),
                "the 24 px image"
            );
            assert!(
                personas::render::cursor::named(CursorIcon::Wait).is_none(),
                "the theme has no wait cursor"
            );
            let mut fx = Fixture::new();
            fx.open_window("work", RED);
            let shot = frame_with_pointer(&mut fx);
            // The 24x24 image with its hotspot (5, 7) at the pointer.
            assert_region(&shot, (95, 53, 24, 24), GREEN, "cursor_themed");
            assert_region(&shot, (119, 53, 10, 24), RED, "cursor_themed_beside");
        }
    })
    .join()
    .unwrap();
}

#[test]
fn without_a_theme_the_built_in_arrow_is_drawn() {
    let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::spawn(|| {
        std::env::set_var("XCURSOR_PATH", "/nonexistent");
        std::env::set_var("XCURSOR_THEME", "no-such-theme");
        assert!(personas::render::cursor::named(CursorIcon::Default).is_none());
        let mut fx = Fixture::new();
        fx.open_window("work", RED);
        let shot = frame_with_pointer(&mut fx);
        // The arrow's tip (outline) at the pointer, its body below.
        assert_region(
            &shot,
            (100, 60, 1, 1),
            [0, 0, 0, 255],
            "cursor_fallback_tip",
        );
        assert_region(
            &shot,
            (101, 65, 3, 4),
            [255, 255, 255, 255],
            "cursor_fallback_body",
        );
    })
    .join()
    .unwrap();
}

/// `[input] hide_cursor_after_ms`: the pointer hides after that long
/// without pointer input; pointer input shows it at once. A touch hides
/// it (`hide_cursor_on_touch`, on by default), unless the config says no.
#[test]
fn the_pointer_hides_when_unused_or_touched_and_shows_on_pointer_input() {
    let config = common::fixture::TWO_PERSONAS
        .replace("[keys]", "[input]\nhide_cursor_after_ms = 300\n[keys]");
    let mut fx = Fixture::with_config(&config);
    let motion = InputEvent::PointerMotionAbsolute { x: 10.0, y: 10.0 };
    // Before the input, so no wait is counted that the timer did not wait.
    let used = std::time::Instant::now();
    fx.input(motion.clone());
    assert!(!fx.state.cursor.hidden, "just used");
    fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
        fx.state.cursor.hidden
    });
    assert!(
        used.elapsed() >= std::time::Duration::from_millis(300),
        "hidden only after the delay"
    );
    fx.input(InputEvent::PointerMotionAbsolute { x: 20.0, y: 10.0 });
    assert!(!fx.state.cursor.hidden, "pointer input shows it");

    fx.touch_tap(50.0, 50.0);
    assert!(fx.state.cursor.hidden, "a touch hides it");
    fx.input(InputEvent::PointerButton {
        button: 0x110,
        pressed: true,
    });
    assert!(!fx.state.cursor.hidden, "a click shows it");

    let keep = common::fixture::TWO_PERSONAS
        .replace("[keys]", "[input]\nhide_cursor_on_touch = false\n[keys]");
    let mut fx = Fixture::with_config(&keep);
    fx.touch_tap(50.0, 50.0);
    assert!(!fx.state.cursor.hidden, "hide_cursor_on_touch = false");
}
