//! The winit backend: personas in a window of an existing Wayland or X11
//! desktop, for development. Drawn with GLES on the window's EGL surface;
//! input comes from the window (the host draws the pointer). Captures and
//! screenshots are drawn offscreen with the same renderer, which imports
//! every client buffer.

use std::time::Instant;

use smithay::backend::allocator::dmabuf::Dmabuf;
use smithay::backend::egl::EGLDevice;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::element::solid::SolidColorBuffer;
use smithay::backend::renderer::element::{RenderElement, RenderElementStates};
use smithay::backend::renderer::gles::GlesRenderer;
use smithay::backend::renderer::{Color32F, ImportDma};
use smithay::backend::winit::{self, WinitEvent, WinitGraphicsBackend};
use smithay::reexports::calloop::LoopHandle;
use smithay::utils::{Physical, Size, Transform};

use crate::config::Transition as TransitionKind;
use crate::handlers::dmabuf::GpuOffer;
use crate::persona::{OutputSpec, PersonaState};
use crate::render::effects::{self, Effects, Transition};
use crate::render::{self, RenderError, Scene};
use crate::state::State;

/// The window's name as an output.
pub const OUTPUT_NAME: &str = "WINIT-1";

#[derive(Debug, thiserror::Error)]
pub enum WinitError {
    #[error("opening a window with GLES: {0} (is WAYLAND_DISPLAY or DISPLAY a running desktop with working EGL?)")]
    Init(String),
    #[error("window event source: {0}")]
    Source(String),
}

pub struct WinitBackend {
    pub spec: OutputSpec,
    /// Boxed: large, and the backend lives in an enum.
    window: Box<WinitGraphicsBackend<GlesRenderer>>,
    tracker: OutputDamageTracker,
    dim_veil: SolidColorBuffer,
    full_damage: bool,
    effects: Effects,
    transition: Option<Transition>,
}

/// GL's rows run bottom-up: the window's frames are drawn upside down after
/// the output's own transform, which clients never see (their output is
/// only turned).
fn tracker(size: Size<i32, Physical>, transform: Transform) -> OutputDamageTracker {
    OutputDamageTracker::new(size, 1.0, upside_down(transform))
}

/// The window's rows reversed (GL's run bottom-up), then turned by
/// `transform`. (`Transform`'s `+` only adds angles, which is not this.)
fn upside_down(transform: Transform) -> Transform {
    match transform {
        Transform::Normal => Transform::Flipped180,
        Transform::_90 => Transform::Flipped90,
        Transform::_180 => Transform::Flipped,
        Transform::_270 => Transform::Flipped270,
        Transform::Flipped => Transform::_180,
        Transform::Flipped90 => Transform::_90,
        Transform::Flipped180 => Transform::Normal,
        Transform::Flipped270 => Transform::_270,
    }
}

impl WinitBackend {
    pub fn new(
        config: &crate::config::Config,
        event_loop: &LoopHandle<'static, State>,
    ) -> Result<WinitBackend, WinitError> {
        let (mut window, events) =
            winit::init::<GlesRenderer>().map_err(|e| WinitError::Init(e.to_string()))?;
        let effects =
            Effects::compile(window.renderer()).map_err(|e| WinitError::Init(e.to_string()))?;
        window.window().set_title("personas");
        let size = window.window_size();
        event_loop
            .insert_source(events, |event, _, state: &mut State| {
                state.on_winit_event(event)
            })
            .map_err(|e| WinitError::Source(e.to_string()))?;
        let transform = config.output_transform(OUTPUT_NAME);
        let spec = OutputSpec {
            name: OUTPUT_NAME.to_owned(),
            size,
            refresh_mhz: 60_000,
            scale: 1.0,
            transform,
        };
        Ok(WinitBackend {
            window: Box::new(window),
            tracker: tracker(size, transform),
            dim_veil: SolidColorBuffer::new(spec.display_size().to_logical(1), render::DIM_VEIL),
            spec,
            full_damage: true,
            effects,
            transition: None,
        })
    }

    /// GPU buffers from the render node behind the window's EGL display
    /// (none on a software rasterizer: clients use shm).
    pub fn gpu_offer(&mut self) -> Result<GpuOffer, String> {
        let renderer = self.window.renderer();
        let device = EGLDevice::device_for_display(renderer.egl_context().display())
            .map_err(|e| format!("the window's EGL device: {e}"))?;
        let node = device
            .try_get_render_node()
            .map_err(|e| format!("the window's render node: {e}"))?
            .ok_or("the window's EGL device has no render node")?;
        let formats = renderer.dmabuf_formats();
        tracing::info!(main_device = %node, formats = formats.iter().count(), "linux-dmabuf offered");
        GpuOffer::new(node.dev_id(), formats, None).map_err(|e| format!("format table: {e}"))
    }

    /// Imports a client's dmabuf into the window's renderer.
    pub fn import_dmabuf(&mut self, dmabuf: &Dmabuf) -> Result<(), RenderError> {
        self.window
            .renderer()
            .import_dmabuf(dmabuf, None)
            .map(drop)
            .map_err(render::renderer_error)
    }

    /// Draws a scene built by `build` with the window's GLES renderer.
    fn draw<E, F>(&mut self, build: F) -> Result<RenderElementStates, RenderError>
    where
        E: RenderElement<GlesRenderer>,
        F: FnOnce(&mut GlesRenderer, &mut Effects) -> Result<Scene<E>, RenderError>,
    {
        let window = self.window.window_size();
        if window.w <= 0 || window.h <= 0 {
            // Minimized to nothing: nothing to draw into.
            return Ok(RenderElementStates::default());
        }
        if window != self.spec.size {
            self.full_damage = true;
        }
        let age = if std::mem::take(&mut self.full_damage) {
            0
        } else {
            self.window.buffer_age().unwrap_or(0)
        };
        let (renderer, mut framebuffer) = self
            .window
            .bind()
            .map_err(|e| RenderError::Renderer(e.to_string()))?;
        let scene = build(renderer, &mut self.effects)?;
        let result =
            render::render_scene(renderer, &mut framebuffer, &mut self.tracker, &scene, age)?;
        drop(framebuffer);
        let damage = result.damage.cloned();
        let states = result.states;
        // Nothing changed: the back buffer was not drawn, so it is not shown.
        if let Some(damage) = damage {
            self.window
                .submit(Some(&damage))
                .map_err(|e| RenderError::Renderer(e.to_string()))?;
        }
        Ok(states)
    }

    pub fn render(
        &mut self,
        persona: &PersonaState,
        overlay: &render::Overlay,
        dim: bool,
    ) -> Result<RenderElementStates, RenderError> {
        let veil = dim.then(|| self.dim_veil.clone());
        let progress = self
            .transition
            .as_ref()
            .and_then(|t| t.progress(Instant::now()));
        if progress.is_none() && self.transition.take().is_some() {
            // The last frame of a transition: the next is drawn whole.
            self.full_damage = true;
        }
        if progress.is_some() {
            // Everything moves or fades: drawn whole.
            self.full_damage = true;
        }
        let transition = self.transition.take();
        let drawn = self.draw(|renderer, fx| {
            effects::persona_scene(
                renderer,
                fx,
                persona,
                Some(overlay),
                veil.as_ref(),
                None,
                transition.as_ref().zip(progress),
            )
        });
        self.transition = transition;
        Ok(persona.render_ids.borrow().unscope(drawn?))
    }

    /// A switch away from `from` begins: it is drawn once more, to leave from.
    pub fn begin_transition(
        &mut self,
        from: &PersonaState,
        kind: TransitionKind,
    ) -> Result<(), RenderError> {
        self.transition = None;
        let primary = [from.primary_view()];
        let transition = Transition::begin(
            self.window.renderer(),
            &mut self.effects,
            from,
            kind,
            &primary,
        )?;
        self.transition = Some(transition);
        Ok(())
    }

    /// Any transition running stops; the next frame is drawn whole.
    pub fn end_transition(&mut self) {
        if self.transition.take().is_some() {
            self.full_damage = true;
        }
    }

    /// Whether a transition still wants frames (its last one draws the new
    /// persona alone).
    pub fn animating(&self) -> bool {
        self.transition.is_some()
    }

    pub fn render_overview(
        &mut self,
        personas: &crate::persona::list::Personas,
        overview: &mut crate::state::overview::Overview,
        cells: &[render::overview::Cell],
        dim: bool,
    ) -> Result<(), RenderError> {
        let veil = dim.then(|| self.dim_veil.clone());
        self.transition = None;
        self.draw(|renderer, _| {
            crate::state::overview::overview_scene_for(
                personas,
                overview,
                cells,
                renderer,
                veil.as_ref(),
            )
        })?;
        self.full_damage = true;
        Ok(())
    }

    /// Black, for an output turned off.
    pub fn blank(&mut self) -> Result<(), RenderError> {
        self.full_damage = true;
        self.transition = None;
        self.draw(|_, _| {
            Ok(
                Scene::<smithay::backend::renderer::element::solid::SolidColorRenderElement> {
                    elements: Vec::new(),
                    clear: Color32F::BLACK,
                },
            )
        })?;
        self.full_damage = true;
        Ok(())
    }

    pub fn reset_damage(&mut self) {
        self.full_damage = true;
    }

    /// The window was resized: the output is its new size.
    fn resized(&mut self, size: Size<i32, Physical>) {
        self.spec.size = size;
        self.reshaped();
    }

    /// Turns the output inside the window (a rotation daemon, or trying a
    /// tablet's portrait mode on a desktop): the window keeps its size.
    pub fn set_transform(&mut self, name: &str, transform: Transform) -> bool {
        if name != self.spec.name {
            return false;
        }
        self.spec.transform = transform;
        self.reshaped();
        true
    }

    fn reshaped(&mut self) {
        self.tracker = tracker(self.spec.size, self.spec.transform);
        self.dim_veil.resize(self.spec.display_size().to_logical(1));
        self.full_damage = true;
    }

    pub fn dim_veil(&self) -> &SolidColorBuffer {
        &self.dim_veil
    }

    /// Captures draw with the window's GLES, which imports every client buffer.
    pub fn readback(&mut self) -> render::AnyReadback<'_> {
        render::AnyReadback::Gles(self.window.renderer())
    }
}

impl State {
    fn on_winit_event(&mut self, event: WinitEvent) {
        match event {
            WinitEvent::Resized { size, .. } => {
                if let crate::backend::Backend::Winit(b) = &mut self.backend {
                    b.full_damage = true;
                    if size == b.spec.size || size.w <= 0 || size.h <= 0 {
                        return;
                    }
                    b.resized(size);
                }
                tracing::info!(width = size.w, height = size.h, "window resized");
                self.output_spec_changed();
            }
            WinitEvent::Input(event) => self.process_input_event(event),
            WinitEvent::Redraw => {
                self.backend.reset_damage();
                self.personas.active_mut().state.needs_redraw = true;
                self.queue_redraw();
            }
            WinitEvent::CloseRequested => {
                tracing::info!("window closed, exiting");
                self.running = false;
            }
            // winit drops the releases it makes up when the window loses
            // focus: what was held is released here, so nothing sticks.
            WinitEvent::Focus(false) => self.release_all_input(),
            WinitEvent::Focus(true) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smithay::utils::{Logical, Point};

    /// The damage tracker draws with a transform's inverse (a transform says
    /// how the output is turned). Drawing with `upside_down(t)` must put each
    /// point where `t` alone puts the point mirrored top to bottom: the
    /// window's rows are reversed before the output's turn is applied.
    #[test]
    fn upside_down_is_the_transform_of_reversed_rows() {
        let size: Size<f64, Logical> = (40.0, 30.0).into();
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
            for point in [(0.0, 0.0), (5.0, 1.0), (39.0, 2.0), (12.0, 29.0)] {
                let point: Point<f64, Logical> = point.into();
                let reversed: Point<f64, Logical> = (point.x, size.h - point.y).into();
                let expected = transform.invert().transform_point_in(reversed, &size);
                let got = upside_down(transform)
                    .invert()
                    .transform_point_in(point, &size);
                assert_eq!(got, expected, "{transform:?} at {point:?}");
            }
        }
    }
}
