//! The pixel tests' scenes drawn with GLES (Mesa's llvmpipe, no GPU) and with
//! pixman must agree: the frame indicator and the badge (drawn by GLES with
//! `shaders/indicator.frag`), the switch notice, a turned output, the dim
//! veil, the pointer and the overview. The switch transitions (GLES only)
//! start at the old persona's frame and end at the new one's, both as pixman
//! draws them. On a mismatch both frames are written under
//! target/test-pixels.

mod common;

use std::path::PathBuf;

use common::fixture::{Fixture, TWO_PERSONAS};
use personas::config::Transition as TransitionKind;
use personas::render::effects::{self, Transition, TRANSITION_TIME};
use personas::render::gles::GlesOffscreen;
use personas::render::{persona_scene, Screenshot};
use smithay::backend::renderer::element::solid::SolidColorBuffer;

/// Channel difference allowed: blending rounds differently.
const TOLERANCE: i32 = 3;

fn gles() -> GlesOffscreen {
    GlesOffscreen::new().expect("GLES on llvmpipe (Mesa's EGL must be installed)")
}

fn compare(pixman: &Screenshot, gl: &Screenshot, name: &str) {
    assert_eq!(
        (pixman.width, pixman.height),
        (gl.width, gl.height),
        "{name}"
    );
    let worst = pixman
        .rgba
        .chunks_exact(4)
        .zip(gl.rgba.chunks_exact(4))
        .enumerate()
        .map(|(i, (a, b))| {
            let d = (0..3)
                .map(|c| (a[c] as i32 - b[c] as i32).abs())
                .max()
                .unwrap();
            (d, i)
        })
        .max()
        .unwrap();
    if worst.0 > TOLERANCE {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-pixels");
        std::fs::create_dir_all(&dir).unwrap();
        for (shot, suffix) in [(pixman, "pixman"), (gl, "gles")] {
            let png =
                personas::ipc::protocol::encode_png(shot.width, shot.height, &shot.rgba).unwrap();
            std::fs::write(dir.join(format!("gles-{name}.{suffix}.png")), png).unwrap();
        }
        let (x, y) = (worst.1 as u32 % pixman.width, worst.1 as u32 / pixman.width);
        panic!(
            "{name}: pixman and GLES differ by {} at ({x},{y}): {:?} vs {:?}; see {}",
            worst.0,
            pixman.pixel(x, y),
            gl.pixel(x, y),
            dir.display()
        );
    }
}

/// The active persona's frame as the headless backend drew it, and the same
/// scene drawn with GLES.
fn both(fx: &mut Fixture, gl: &mut GlesOffscreen, dim: bool, name: &str) {
    let pixman = fx.render();
    let id = fx.state.personas.active_id();
    let persona = &fx.state.personas.get(id).unwrap().state;
    let spec = persona.output_spec.clone();
    let veil = SolidColorBuffer::new(
        spec.display_size().to_logical(1),
        personas::render::DIM_VEIL,
    );
    let overlay = personas::render::Overlay {
        notice: fx.state.notice.as_ref(),
        system: None,
        cursor_hidden: false,
        front: 0,
    };
    let scene = effects::persona_scene(
        &mut gl.renderer,
        &mut gl.effects,
        persona,
        Some(&overlay),
        dim.then_some(&veil),
        None,
        None,
    )
    .unwrap();
    let shot = gl.render(spec.size, spec.transform, &scene).unwrap();
    compare(&pixman, &shot, name);
}

#[test]
fn windows_and_the_frame_indicator_look_the_same() {
    let mut gl = gles();
    let mut fx = Fixture::with_config(
        &TWO_PERSONAS.replace("indicator = \"none\"", "indicator = \"frame\""),
    );
    // No window yet: the frame and the dimmed area inside it.
    both(&mut fx, &mut gl, false, "frame-empty");
    fx.open_window("work", [255, 0, 0, 255]);
    fx.open_window("personal", [0, 0, 255, 255]);
    both(&mut fx, &mut gl, false, "frame-work");
    fx.switch("personal");
    both(&mut fx, &mut gl, false, "frame-personal");
}

#[test]
fn the_badge_notice_and_dim_veil_look_the_same() {
    let mut gl = gles();
    let config = TWO_PERSONAS
        .replace("indicator = \"none\"", "indicator = \"badge\"")
        .replace("switch_notice = false", "switch_notice = true");
    let mut fx = Fixture::with_config(&config);
    fx.open_window("work", [0, 200, 0, 255]);
    fx.switch("personal");
    fx.switch("work");
    assert!(fx.state.notice.is_some(), "the switch shows the notice");
    both(&mut fx, &mut gl, false, "badge-notice");
    // The veil (half black) as idle dimming lays it.
    fx.state.set_power(personas::state::idle::Power::Dimmed);
    both(&mut fx, &mut gl, true, "dimmed");
}

#[test]
fn a_turned_output_looks_the_same() {
    let mut gl = gles();
    let config = format!(
        "{}\n[outputs.\"HEADLESS-1\"]\ntransform = \"90\"\n",
        // The badge sits in one corner: a turn the wrong way shows.
        TWO_PERSONAS.replace("indicator = \"none\"", "indicator = \"badge\"")
    );
    let mut fx = Fixture::with_config(&config);
    fx.open_window("work", [250, 200, 10, 255]);
    both(&mut fx, &mut gl, false, "turned-90");
}

#[test]
fn the_pointer_arrow_looks_the_same() {
    use personas::input::InputEvent;
    // No cursor theme: the built-in arrow (tests/cursor.rs covers themes).
    std::env::set_var("XCURSOR_PATH", "/nonexistent");
    let mut gl = gles();
    let mut fx = Fixture::new();
    fx.open_window("work", [255, 0, 0, 255]);
    fx.input(InputEvent::PointerMotionAbsolute { x: 40.0, y: 30.0 });
    fx.roundtrip_all();
    let arrow = personas::render::cursor::arrow();
    let id = fx.state.personas.active_id();
    let persona = &fx.state.personas.get(id).unwrap().state;
    let spec = persona.output_spec.clone();
    let gl_scene = effects::persona_scene(
        &mut gl.renderer,
        &mut gl.effects,
        persona,
        None,
        None,
        Some(&arrow),
        None,
    )
    .unwrap();
    let gl_shot = gl.render(spec.size, spec.transform, &gl_scene).unwrap();
    let renderer = fx.state.backend.headless().unwrap().renderer();
    let scene = persona_scene(renderer, persona, None, None, Some(&arrow)).unwrap();
    let mut image = personas::render::offscreen(renderer, spec.size).unwrap();
    let mut tracker = smithay::backend::renderer::damage::OutputDamageTracker::new(
        spec.size,
        1.0,
        spec.transform,
    );
    personas::render::draw(renderer, &mut image, &mut tracker, &scene, 0).unwrap();
    let shot = personas::render::read_pixels(renderer, &mut image).unwrap();
    assert_eq!(shot.pixel(40, 30), [0, 0, 0, 255], "the tip is drawn");
    compare(&shot, &gl_shot, "pointer");
}

#[test]
fn the_overview_looks_the_same() {
    let mut gl = gles();
    let mut fx = Fixture::new();
    fx.open_window("work", [255, 0, 0, 255]);
    fx.open_window("personal", [0, 0, 255, 255]);
    fx.state.toggle_overview();
    let pixman = fx.render();
    let cells = fx.state.overview_cells();
    let overview = fx.state.overview.as_mut().expect("opened");
    let scene = personas::state::overview::overview_scene_for(
        &fx.state.personas,
        overview,
        &cells,
        &mut gl.renderer,
        None,
    )
    .unwrap();
    let spec = fx.state.backend.output_spec().clone();
    let shot = gl.render(spec.size, spec.transform, &scene).unwrap();
    compare(&pixman, &shot, "overview");
}

/// `personal`'s frame with a transition from `from` at `progress`.
fn transition_frame(
    fx: &mut Fixture,
    gl: &mut GlesOffscreen,
    transition: &Transition,
    progress: f32,
) -> Screenshot {
    let id = fx.state.personas.active_id();
    let persona = &fx.state.personas.get(id).unwrap().state;
    let spec = persona.output_spec.clone();
    let scene = effects::persona_scene(
        &mut gl.renderer,
        &mut gl.effects,
        persona,
        None,
        None,
        None,
        Some((transition, progress)),
    )
    .unwrap();
    gl.render(spec.size, spec.transform, &scene).unwrap()
}

/// Both transitions leave from the old persona's frame and arrive at the new
/// one's exactly; halfway, a crossfade is the mean of the two and a slide
/// shows the old persona's right half (shaded) beside the new one's left.
#[test]
fn transitions_go_from_the_old_persona_to_the_new() {
    let mut gl = gles();
    let mut fx = Fixture::with_config(
        &TWO_PERSONAS.replace("indicator = \"none\"", "indicator = \"frame\""),
    );
    fx.open_window("work", [255, 0, 0, 255]);
    fx.open_window("personal", [0, 0, 255, 255]);
    let old = fx.render();
    let work = fx.state.personas.active_id();
    fx.switch("personal");
    let new = fx.render();
    assert_ne!(old.pixel(100, 100), new.pixel(100, 100));
    for kind in [TransitionKind::Crossfade, TransitionKind::Slide] {
        let from = &fx.state.personas.get(work).unwrap().state;
        let views = [from.primary_view()];
        // Taken before it begins: a stall on a loaded machine cannot end it.
        let began = std::time::Instant::now();
        let transition =
            Transition::begin(&mut gl.renderer, &mut gl.effects, from, kind, &views).unwrap();
        assert_eq!(transition.progress(began), Some(0.0));
        assert!(
            transition
                .progress(std::time::Instant::now() + TRANSITION_TIME)
                .is_none(),
            "over after {TRANSITION_TIME:?}"
        );
        let name = format!("{kind:?}").to_lowercase();
        let start = transition_frame(&mut fx, &mut gl, &transition, 0.0);
        compare(&old, &start, &format!("{name}-start"));
        let end = transition_frame(&mut fx, &mut gl, &transition, 1.0);
        compare(&new, &end, &format!("{name}-end"));

        let half = transition_frame(&mut fx, &mut gl, &transition, 0.5);
        let (w, h) = (old.width, old.height);
        let expected = |x: u32, y: u32| -> [i32; 3] {
            let mix = |a: [u8; 4], b: [u8; 4], f: f32| -> [i32; 3] {
                [0, 1, 2].map(|c| (a[c] as f32 * f + b[c] as f32 * (1.0 - f)).round() as i32)
            };
            match kind {
                TransitionKind::Slide if x < w / 2 => {
                    // The old persona moved left by half, darkened by a quarter.
                    let [r, g, b, _] = old.pixel(x + w / 2, y);
                    [r, g, b].map(|v| (v as f32 * 0.75).round() as i32)
                }
                TransitionKind::Slide => mix(new.pixel(x - w / 2, y), [0; 4], 1.0),
                _ => mix(old.pixel(x, y), new.pixel(x, y), 0.5),
            }
        };
        for (x, y) in [
            (1, 1),
            (100, 100),
            (w / 2 - 3, h / 2),
            (w / 2 + 3, h / 2),
            (w - 2, h - 2),
        ] {
            let got = half.pixel(x, y);
            let want = expected(x, y);
            let off = (0..3)
                .map(|c| (got[c] as i32 - want[c]).abs())
                .max()
                .unwrap();
            assert!(
                off <= TOLERANCE + 1,
                "{name} halfway at ({x},{y}): {got:?}, expected {want:?}"
            );
        }
    }
}

/// With two outputs, each leaves from what it showed of the old persona and
/// arrives at what it shows of the new one.
#[test]
fn every_output_has_its_transition() {
    let mut gl = gles();
    let config = TWO_PERSONAS
        .replace("indicator = \"none\"", "indicator = \"frame\"")
        .replace(
            "size = \"320x200\"",
            "size = \"320x200\"\nextra_outputs = [\"200x160\"]",
        );
    let mut fx = Fixture::with_config(&config);
    fx.open_window("work", [255, 0, 0, 255]);
    fx.open_window("personal", [0, 0, 255, 255]);
    let second = |fx: &mut Fixture| fx.render_output(1);
    let old = second(&mut fx);
    let work = fx.state.personas.active_id();
    fx.switch("personal");
    let new = second(&mut fx);
    assert_ne!(old.pixel(100, 80), new.pixel(100, 80));
    let from = &fx.state.personas.get(work).unwrap().state;
    let views = from.views();
    assert_eq!(views.len(), 2);
    let transition = Transition::begin(
        &mut gl.renderer,
        &mut gl.effects,
        from,
        TransitionKind::Crossfade,
        &views,
    )
    .unwrap();
    let id = fx.state.personas.active_id();
    let persona = &fx.state.personas.get(id).unwrap().state;
    let view = persona.views().remove(1);
    for (progress, want, name) in [
        (0.0, &old, "two-outputs-start"),
        (1.0, &new, "two-outputs-end"),
    ] {
        let scene = effects::persona_scene_in(
            &mut gl.renderer,
            &mut gl.effects,
            persona,
            &view,
            None,
            None,
            None,
            Some((&transition, progress)),
        )
        .unwrap();
        let shot = gl
            .render(view.spec.size, view.spec.transform, &scene)
            .unwrap();
        compare(want, &shot, name);
    }
}

/// Captures and screenshots on the GLES backends read back with GLES (it
/// imports GPU clients' buffers, which pixman cannot read): the same images
/// as pixman's, the right way up (a subsurface marks the top-left corner)
/// and, for wlr-screencopy, in wl_shm's byte order.
#[test]
fn captures_and_snapshots_read_back_the_same_with_gles() {
    use personas::render::AnyReadback;
    /// Red unlike blue, so the byte order shows.
    const MARK: [u8; 4] = [200, 120, 30, 255];
    let mut gl = gles();
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("work", [200, 30, 30, 255]);
    fx.client(c).create_subsurface(w, (0, 0), (40, 20), MARK);
    fx.roundtrip(c);
    fx.open_window("personal", [30, 30, 200, 255]);
    fx.roundtrip_all();
    for name in ["work", "personal"] {
        let id = fx.state.personas.by_name(name).unwrap();
        let persona = &fx.state.personas.get(id).unwrap().state;
        let pixman = fx
            .state
            .backend
            .readback()
            .snapshot_persona(persona)
            .unwrap();
        let gl_shot = AnyReadback::Gles(&mut gl.renderer)
            .snapshot_persona(persona)
            .unwrap();
        compare(&pixman, &gl_shot, &format!("readback-snapshot-{name}"));
    }
    let id = fx.state.personas.by_name("work").unwrap();
    let persona = &fx.state.personas.get(id).unwrap().state;
    assert_eq!(
        fx.state
            .backend
            .readback()
            .snapshot_persona(persona)
            .unwrap()
            .pixel(5, 5),
        MARK,
        "the subsurface is at the top left"
    );
    let window = persona.focused_window().unwrap().clone();
    let name = persona.outputs().next().unwrap().name();
    let by_pixman = (
        fx.state
            .backend
            .readback()
            .capture_output(persona, &name)
            .unwrap(),
        fx.state.backend.readback().capture_window(&window).unwrap(),
    );
    let mut gles = AnyReadback::Gles(&mut gl.renderer);
    let by_gles = (
        gles.capture_output(persona, &name).unwrap(),
        gles.capture_window(&window).unwrap(),
    );
    for (pixman, gl_image, what) in [
        (&by_pixman.0, &by_gles.0, "output"),
        (&by_pixman.1, &by_gles.1, "window"),
    ] {
        let as_rgba = |c: &personas::render::capture::Captured| Screenshot {
            width: c.width as u32,
            height: c.height as u32,
            rgba: c
                .bgra
                .chunks_exact(4)
                .flat_map(|p| [p[2], p[1], p[0], p[3]])
                .collect(),
        };
        compare(
            &as_rgba(pixman),
            &as_rgba(gl_image),
            &format!("readback-capture-{what}"),
        );
        // B, G, R, A: the subsurface's color at the top left.
        let [r, g, b, a] = MARK;
        assert_eq!(&gl_image.bgra[..4], &[b, g, r, a], "{what}: wl_shm order");
    }
}
