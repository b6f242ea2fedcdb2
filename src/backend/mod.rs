//! Backends, as a plain enum: where frames go and where input comes from.
//! headless (tests, CI, servers) and tty (the real display from a VT); `auto`
//! picks tty on a VT and falls back to headless (with a warning) where winit
//! would be the right choice.

pub mod backlight;
pub mod headless;
pub mod pacing;
pub mod tty;
pub mod winit;

use std::time::Duration;

use smithay::backend::allocator::dmabuf::Dmabuf;
use smithay::backend::allocator::format::FormatSet;
use smithay::backend::renderer::element::solid::SolidColorBuffer;
use smithay::backend::renderer::element::RenderElementStates;
use smithay::backend::renderer::ImportDma;
use smithay::input::keyboard::LedState;
use smithay::utils::Transform;

use crate::handlers::dmabuf::{GpuOffer, SurfaceFeedback};
use crate::persona::{OutputSpec, PersonaState};
use crate::render::{overview, AnyReadback, RenderError, Screenshot};

/// What `--backend` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    Auto,
    Tty,
    Winit,
    Headless,
}

impl BackendKind {
    /// tty on a VT, winit inside a desktop, headless otherwise.
    pub fn resolve_auto() -> BackendKind {
        if std::env::var_os("WAYLAND_DISPLAY").is_some() || std::env::var_os("DISPLAY").is_some() {
            BackendKind::Winit
        } else if on_vt() {
            BackendKind::Tty
        } else {
            BackendKind::Headless
        }
    }
}

/// Whether stdin is a Linux virtual terminal (`/dev/ttyN`).
fn on_vt() -> bool {
    let Ok(link) = std::fs::read_link("/proc/self/fd/0") else {
        return false;
    };
    let name = link.to_string_lossy();
    name.strip_prefix("/dev/tty")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// What became of a rendered frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flip {
    /// On screen now (headless: there is no scan-out to wait for).
    Shown,
    /// Queued for scan-out; the page flip tells when it is shown.
    Queued,
    /// Nothing changed on screen (or the display is away): no flip.
    Nothing,
    /// Drawing or queueing failed: this frame is lost and must be drawn
    /// again (whole) one refresh later.
    Failed,
    /// A frame still waits for its page flip: nothing was drawn; the flip
    /// draws this one.
    Pending,
}

impl Flip {
    /// What a frame drawn on several outputs, each paced by its own flips,
    /// came to: queued if any output queued (a flip will come), failed if
    /// any failed (drawn again in a refresh), and pending only if every
    /// output still waits for a flip (none could be drawn).
    pub fn combine(flips: impl IntoIterator<Item = Flip>) -> Flip {
        let rank = |flip: &Flip| match flip {
            Flip::Pending => 0,
            Flip::Nothing => 1,
            Flip::Shown => 2,
            Flip::Failed => 3,
            Flip::Queued => 4,
        };
        flips.into_iter().max_by_key(rank).unwrap_or(Flip::Nothing)
    }
}

// One per process, never moved: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum Backend {
    Headless(headless::HeadlessBackend),
    Tty(tty::TtyBackend),
    Winit(winit::WinitBackend),
}

impl Backend {
    pub fn output_spec(&self) -> &OutputSpec {
        match self {
            Backend::Headless(b) => b.spec(),
            Backend::Tty(b) => &b.spec,
            Backend::Winit(b) => &b.spec,
        }
    }

    pub fn frame_duration(&self) -> Duration {
        self.output_spec().frame_duration()
    }

    /// The output the compositor's own pictures (the overview, the switch
    /// notice) show on: the primary, unless it is turned off by hand (a
    /// laptop's panel off beside a monitor), then the first that shows.
    pub fn front_output(&self) -> &OutputSpec {
        match self {
            Backend::Headless(b) => b.front_spec(),
            Backend::Tty(b) => b.front_spec(),
            Backend::Winit(b) => &b.spec,
        }
    }

    /// The index of `front_output` among `output_specs`.
    pub fn front_index(&self) -> usize {
        match self {
            Backend::Headless(b) => b.front_index(),
            Backend::Tty(b) => b.front_index(),
            Backend::Winit(_) => 0,
        }
    }

    /// The headless backend, for what only it can do (injected input, tests).
    pub fn headless(&mut self) -> Option<&mut headless::HeadlessBackend> {
        match self {
            Backend::Headless(b) => Some(b),
            Backend::Tty(_) | Backend::Winit(_) => None,
        }
    }

    /// Every physical output, the primary (the built-in panel, the window)
    /// first.
    pub fn output_specs(&self) -> Vec<OutputSpec> {
        match self {
            Backend::Headless(b) => b.specs(),
            Backend::Tty(b) => b.specs(),
            Backend::Winit(b) => vec![b.spec.clone()],
        }
    }

    /// The physical output named `name`, if there is one.
    pub fn output_named(&self, name: &str) -> Option<&OutputSpec> {
        match self {
            Backend::Headless(b) => b.spec_named(name),
            Backend::Tty(b) => b.spec_named(name),
            Backend::Winit(b) => Some(&b.spec).filter(|s| s.name == name),
        }
    }

    /// Draws `persona` (the active one) onto the outputs as `views` (its
    /// `views()`) say; what each drew and what became of it, in their
    /// order. An output still waiting for its page flip is left out
    /// (`Flip::Pending`): each output is paced by its own flips.
    pub fn render(
        &mut self,
        persona: &PersonaState,
        views: &[crate::persona::outputs::View],
        overlay: &crate::render::Overlay,
        dim: bool,
    ) -> Result<Vec<(RenderElementStates, Flip)>, RenderError> {
        match self {
            Backend::Headless(b) => b.render(persona, views, overlay, dim),
            Backend::Tty(b) => b.render_persona(persona, views, overlay, dim),
            Backend::Winit(b) => Ok(vec![(b.render(persona, overlay, dim)?, Flip::Shown)]),
        }
    }

    /// A switch away from `from` begins: where the renderer can (GLES), the
    /// old persona leaves as `kind` says; pixman cuts straight to the new one.
    pub fn begin_transition(&mut self, from: &PersonaState, kind: crate::config::Transition) {
        if kind == crate::config::Transition::None {
            // (One still running from an earlier switch ends too: nothing
            // fades over a lock screen.)
            match self {
                Backend::Headless(_) => {}
                Backend::Tty(b) => b.end_transition(),
                Backend::Winit(b) => b.end_transition(),
            }
            return;
        }
        let begun = match self {
            Backend::Headless(_) => Ok(()),
            Backend::Tty(b) => b.begin_transition(from, kind),
            Backend::Winit(b) => b.begin_transition(from, kind),
        };
        if let Err(err) = begun {
            tracing::warn!("no switch transition: {err}");
        }
    }

    /// Whether a transition wants further frames.
    pub fn animating(&self) -> bool {
        match self {
            Backend::Headless(_) => false,
            Backend::Tty(b) => b.animating(),
            Backend::Winit(b) => b.animating(),
        }
    }

    /// Draws the overview; what is drawn next is drawn whole.
    pub fn render_overview(
        &mut self,
        personas: &crate::persona::list::Personas,
        overview: &mut crate::state::overview::Overview,
        cells: &[overview::Cell],
        dim: bool,
    ) -> Result<Flip, RenderError> {
        match self {
            Backend::Winit(b) => b
                .render_overview(personas, overview, cells, dim)
                .map(|()| Flip::Shown),
            Backend::Tty(b) => b.render_overview(personas, overview, cells, dim),
            Backend::Headless(b) => {
                let index = b.front_index();
                let veil = dim.then(|| b.dim_veil_of(index).clone());
                let scene = crate::state::overview::overview_scene_for(
                    personas,
                    overview,
                    cells,
                    b.renderer(),
                    veil.as_ref(),
                )?;
                b.draw_on(index, &scene)?;
                // The others show its background.
                b.fill_others(index, overview::OVERVIEW_BACKGROUND)?;
                Ok(Flip::Shown)
            }
        }
    }

    /// The veil drawn over everything while dimmed.
    pub fn dim_veil(&self) -> &SolidColorBuffer {
        match self {
            Backend::Headless(b) => b.dim_veil(),
            Backend::Tty(b) => b.dim_veil(),
            Backend::Winit(b) => b.dim_veil(),
        }
    }

    /// The outputs powered off: black, and drawn whole when they come
    /// back. Returns false if an output still waits for a page flip (its
    /// flip blanks it).
    pub fn blank(&mut self) -> Result<bool, RenderError> {
        match self {
            Backend::Headless(b) => b.blank().map(|()| true),
            Backend::Tty(b) => b.blank(),
            Backend::Winit(b) => b.blank().map(|()| true),
        }
    }

    /// The next frame is drawn whole.
    pub fn reset_damage(&mut self) {
        match self {
            Backend::Headless(b) => b.reset_damage(),
            Backend::Tty(b) => b.reset_damage(),
            Backend::Winit(b) => b.reset_damage(),
        }
    }

    /// Turns output `name` (a rotation daemon, `personas msg output …
    /// transform`); false if there is no such output.
    pub fn set_transform(&mut self, name: &str, transform: Transform) -> bool {
        match self {
            Backend::Headless(b) => b.set_transform(name, transform),
            Backend::Tty(b) => b.set_transform(name, transform),
            Backend::Winit(b) => b.set_transform(name, transform),
        }
    }

    /// The renderer for captures and screenshots: the one that draws the
    /// (primary) output, so every client buffer on screen can be read.
    pub fn readback(&mut self) -> AnyReadback<'_> {
        match self {
            Backend::Headless(b) => AnyReadback::Pixman(b.renderer()),
            Backend::Tty(b) => b.readback(),
            Backend::Winit(b) => b.readback(),
        }
    }

    /// What the output shows: the frame itself where it can be read back,
    /// else the active persona drawn anew.
    pub fn screenshot(&mut self, active: &PersonaState) -> Result<Screenshot, RenderError> {
        match self {
            Backend::Headless(b) => b.screenshot(),
            _ => self.readback().snapshot_persona(active),
        }
    }

    /// A background persona's kept content, rendered on its own.
    pub fn snapshot(&mut self, persona: &PersonaState) -> Result<Screenshot, RenderError> {
        self.readback().snapshot_persona(persona)
    }

    /// Lights the keyboards' lock LEDs as `leds` says (when they differ from
    /// what they show).
    pub fn show_leds(&mut self, leds: LedState) {
        match self {
            Backend::Headless(b) => b.leds = leds,
            Backend::Tty(b) => b.show_leds(leds),
            Backend::Winit(_) => {}
        }
    }

    /// What clients may hand over as GPU buffers: the formats the renderer
    /// imports and the device they come from. headless has no device and
    /// offers none (clients use shm; the test fixture sets its own offer).
    pub fn gpu_offer(&mut self) -> Option<GpuOffer> {
        let offer = match self {
            Backend::Headless(_) => return None,
            Backend::Tty(b) => b.gpu_offer(),
            Backend::Winit(b) => b.gpu_offer(),
        };
        match offer {
            Ok(offer) => Some(offer),
            Err(why) => {
                tracing::info!("no linux-dmabuf, clients use shm: {why}");
                None
            }
        }
    }

    /// Imports a client's dmabuf into the renderer that draws it, which
    /// keeps it for drawing: whether it can be drawn at all.
    pub fn import_dmabuf(&mut self, dmabuf: &Dmabuf) -> Result<(), RenderError> {
        match self {
            Backend::Headless(b) => b
                .renderer()
                .import_dmabuf(dmabuf, None)
                .map(drop)
                .map_err(crate::render::renderer_error),
            Backend::Tty(b) => b.import_dmabuf(dmabuf),
            Backend::Winit(b) => b.import_dmabuf(dmabuf),
        }
    }

    /// The formats clients are offered: surface feedback suggests no other.
    pub fn set_offered_formats(&mut self, formats: Option<&FormatSet>) {
        if let Backend::Tty(b) = self {
            b.set_offered_formats(formats);
        }
    }

    /// Per-surface dmabuf feedback for the output of view `index`, where
    /// its screen could scan clients' buffers out.
    pub fn surface_feedback(&self, index: usize) -> Option<&SurfaceFeedback> {
        match self {
            Backend::Tty(b) => b.feedback(index),
            Backend::Headless(b) => b.surface_feedback.as_ref(),
            Backend::Winit(_) => None,
        }
    }

    /// See [`tty::TtyBackend::frames_badge_on_plane`]; no other backend has planes.
    pub fn frames_badge_on_plane(&self) -> u64 {
        match self {
            Backend::Tty(b) => b.frames_badge_on_plane(),
            Backend::Headless(_) | Backend::Winit(_) => 0,
        }
    }

    /// Frames in which a client's buffer was an output's whole frame.
    pub fn frames_scanned_out(&self) -> u64 {
        match self {
            Backend::Headless(b) => b.scanned_out,
            Backend::Tty(b) => b.frames_scanned_out(),
            Backend::Winit(_) => 0,
        }
    }

    /// Whether the pointer is drawn (a real display; headless shows none).
    pub fn draws_cursor(&self) -> bool {
        matches!(self, Backend::Tty(_))
    }

    /// Whether every output waits for its page flip (nothing can be drawn
    /// until one comes).
    pub fn flip_pending(&self) -> bool {
        match self {
            Backend::Headless(b) => b.all_flips_pending(),
            Backend::Winit(_) => false,
            Backend::Tty(b) => b.all_flips_pending(),
        }
    }

    /// The lid closed or opened: a built-in panel leaves the layout while
    /// it is closed and another output shows. Returns whether the outputs
    /// changed.
    pub fn set_lid(&mut self, closed: bool, config: &crate::config::Config) -> bool {
        match self {
            Backend::Headless(b) => b.set_lid(closed),
            Backend::Winit(_) => false,
            Backend::Tty(b) => b.set_lid(closed, config),
        }
    }

    /// Turns output `name` off by hand (black, not drawn, kept in the
    /// layout) or on again; false if there is no such output.
    pub fn set_output_off(&mut self, name: &str, off: bool) -> bool {
        let found = match self {
            Backend::Headless(b) => b.set_output_off(name, off).unwrap_or_else(|err| {
                tracing::warn!(output = %name, "turning off: {err}");
                true
            }),
            Backend::Winit(_) => false,
            Backend::Tty(b) => b.set_output_off(name, off),
        };
        if found {
            self.reset_damage();
        }
        found
    }

    /// Whether output `name` has the backlight `brightness` sets (the
    /// built-in panel).
    pub fn has_backlight(&self, name: &str) -> bool {
        match self {
            Backend::Tty(b) => b.has_backlight(name),
            _ => self.output_spec().name == name,
        }
    }

    /// Every output's name, the primary first.
    pub fn output_names(&self) -> Vec<String> {
        self.output_specs().into_iter().map(|s| s.name).collect()
    }

    /// Whether output `name` is turned off by hand.
    pub fn output_off(&self, name: &str) -> bool {
        match self {
            Backend::Headless(b) => b.output_off(name),
            Backend::Winit(_) => false,
            Backend::Tty(b) => b.output_off(name),
        }
    }

    /// Whether a closed lid leaves nothing to see (no other output shows):
    /// then the display is turned off.
    pub fn lid_blanks(&self) -> bool {
        match self {
            Backend::Headless(b) => b.lid_blanks(),
            Backend::Winit(_) => true,
            Backend::Tty(b) => b.lid_blanks(),
        }
    }

    /// A frame was asked for while every output waited for its flip: each
    /// owes it (nothing new shows anywhere until each has drawn).
    pub fn owe_all(&mut self) {
        match self {
            Backend::Headless(b) => b.owe_all(),
            Backend::Winit(_) => {}
            Backend::Tty(b) => b.owe_all(),
        }
    }

    /// Whether an output waits for a page flip to draw what it missed.
    pub fn owes_frames(&self) -> bool {
        match self {
            Backend::Headless(b) => b.owes_frames(),
            Backend::Winit(_) => false,
            Backend::Tty(b) => b.owes_frames(),
        }
    }

    /// Ctrl+Alt+F`n` on a VT; other backends have no VTs to switch.
    pub fn change_vt(&mut self, vt: i32) -> bool {
        match self {
            Backend::Headless(_) | Backend::Winit(_) => false,
            Backend::Tty(b) => {
                b.change_vt(vt);
                true
            }
        }
    }
}
