//! The headless backend: virtual outputs (one, or more with `[headless]
//! extra_outputs`) rendered with pixman into offscreen images. Used by
//! tests, CI and servers; the test fixture and `--test-input` inject input
//! into it.

use std::time::Duration;

use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::element::solid::SolidColorBuffer;
use smithay::backend::renderer::element::RenderElementStates;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::reexports::pixman::Image;
use smithay::utils::Transform;

use crate::persona::{OutputSpec, PersonaState};
use crate::render::{self, RenderError, Screenshot};

/// The connector name of the headless output; personas' virtual outputs mirror it.
pub const OUTPUT_NAME: &str = "HEADLESS-1";
pub const REFRESH_MHZ: i32 = 60_000;

pub struct HeadlessBackend {
    /// The primary output's.
    pub spec: OutputSpec,
    renderer: PixmanRenderer,
    image: Image<'static, 'static>,
    tracker: OutputDamageTracker,
    /// The next frame redraws everything (after a switch: element ids of two
    /// personas may be equal, so the old frame's damage state means nothing).
    full_damage: bool,
    /// The veil drawn over everything while dimmed.
    dim_veil: SolidColorBuffer,
    /// The outputs after the first.
    more: Vec<MoreOutput>,
    /// The image is black from [`HeadlessBackend::blank`] and nothing was
    /// drawn since.
    blanked: bool,
    /// What keyboard LEDs would show (no keyboard here; for tests).
    pub leds: smithay::input::keyboard::LedState,
}

/// An output besides the first: its own image, damage and veil.
struct MoreOutput {
    spec: OutputSpec,
    image: Image<'static, 'static>,
    tracker: OutputDamageTracker,
    dim_veil: SolidColorBuffer,
}

impl HeadlessBackend {
    pub fn new(size: (u32, u32), transform: Transform) -> Result<HeadlessBackend, RenderError> {
        let spec = OutputSpec {
            name: OUTPUT_NAME.to_owned(),
            size: (size.0 as i32, size.1 as i32).into(),
            refresh_mhz: REFRESH_MHZ,
            transform,
        };
        let mut renderer = PixmanRenderer::new()?;
        let image = render::offscreen(&mut renderer, spec.size)?;
        let tracker = OutputDamageTracker::new(spec.size, 1.0, spec.transform);
        let dim_veil = SolidColorBuffer::new(spec.display_size().to_logical(1), render::DIM_VEIL);
        Ok(HeadlessBackend {
            spec,
            renderer,
            image,
            tracker,
            full_damage: true,
            dim_veil,
            blanked: false,
            leds: Default::default(),
            more: Vec::new(),
        })
    }

    /// Adds an output of `size` (HEADLESS-2, HEADLESS-3, …).
    pub fn add_output(&mut self, size: (u32, u32)) -> Result<(), RenderError> {
        let spec = OutputSpec {
            name: format!("HEADLESS-{}", self.more.len() + 2),
            size: (size.0 as i32, size.1 as i32).into(),
            refresh_mhz: REFRESH_MHZ,
            transform: Transform::Normal,
        };
        let image = render::offscreen(&mut self.renderer, spec.size)?;
        let tracker = OutputDamageTracker::new(spec.size, 1.0, spec.transform);
        let dim_veil = SolidColorBuffer::new(spec.display_size().to_logical(1), render::DIM_VEIL);
        self.more.push(MoreOutput {
            spec,
            image,
            tracker,
            dim_veil,
        });
        Ok(())
    }

    /// The output named `name`.
    pub fn spec_named(&self, name: &str) -> Option<&OutputSpec> {
        std::iter::once(&self.spec)
            .chain(self.more.iter().map(|m| &m.spec))
            .find(|s| s.name == name)
    }

    /// Every output, the primary first.
    pub fn specs(&self) -> Vec<OutputSpec> {
        std::iter::once(self.spec.clone())
            .chain(self.more.iter().map(|m| m.spec.clone()))
            .collect()
    }

    /// What output `index` (0: the primary) shows now.
    pub fn screenshot_of(&mut self, index: usize) -> Result<Screenshot, RenderError> {
        match index {
            0 => self.screenshot(),
            i => {
                let more = self
                    .more
                    .get_mut(i - 1)
                    .ok_or_else(|| RenderError::Renderer(format!("no output {i}")))?;
                render::read_pixels(&mut self.renderer, &mut more.image)
            }
        }
    }

    pub fn frame_duration(&self) -> Duration {
        self.spec.frame_duration()
    }

    /// Draws `persona` (the active one) onto every output; what each drew,
    /// by view.
    pub fn render(
        &mut self,
        persona: &PersonaState,
        views: &[crate::persona::outputs::View],
        notice: Option<&crate::render::notice::Notice>,
        dim: bool,
    ) -> Result<Vec<RenderElementStates>, RenderError> {
        self.blanked = false;
        let age = if std::mem::take(&mut self.full_damage) {
            0
        } else {
            1
        };
        let mut drawn = Vec::with_capacity(1 + self.more.len());
        for view in views {
            let (image, tracker, veil, notice) = match view.index {
                0 => (&mut self.image, &mut self.tracker, &self.dim_veil, notice),
                i => match self.more.get_mut(i - 1) {
                    Some(m) => (&mut m.image, &mut m.tracker, &m.dim_veil, None),
                    None => continue,
                },
            };
            let scene = render::persona_scene_in(
                &mut self.renderer,
                persona,
                view,
                notice,
                dim.then_some(veil),
                None,
            )?;
            let states = render::draw(&mut self.renderer, image, tracker, &scene, age)?;
            drawn.push(persona.render_ids.borrow().unscope(states));
        }
        Ok(drawn)
    }

    /// Draws any scene (the overview); `whole` redraws everything now and
    /// in the next frame.
    pub fn draw<E: smithay::backend::renderer::element::RenderElement<PixmanRenderer>>(
        &mut self,
        scene: &crate::render::Scene<E>,
        whole: bool,
    ) -> Result<RenderElementStates, RenderError> {
        self.blanked = false;
        let age = if std::mem::take(&mut self.full_damage) || whole {
            0
        } else {
            1
        };
        self.full_damage = whole;
        render::draw(
            &mut self.renderer,
            &mut self.image,
            &mut self.tracker,
            scene,
            age,
        )
    }

    /// Fills every output but the primary with `color` (while the overview
    /// is on the primary); they are drawn whole afterwards.
    pub fn fill_others(
        &mut self,
        color: smithay::backend::renderer::Color32F,
    ) -> Result<(), RenderError> {
        let scene: crate::render::Scene<
            smithay::backend::renderer::element::solid::SolidColorRenderElement,
        > = crate::render::Scene {
            elements: Vec::new(),
            clear: color,
        };
        for more in &mut self.more {
            render::draw(
                &mut self.renderer,
                &mut more.image,
                &mut more.tracker,
                &scene,
                0,
            )?;
            more.tracker = OutputDamageTracker::new(more.spec.size, 1.0, more.spec.transform);
        }
        Ok(())
    }

    pub fn dim_veil(&self) -> &SolidColorBuffer {
        &self.dim_veil
    }

    /// The output powered off: black, and drawn whole when it comes back.
    pub fn blank(&mut self) -> Result<(), RenderError> {
        use smithay::backend::renderer::{Bind, Color32F, Frame, Renderer};
        if self.blanked {
            return Ok(());
        }
        let images = std::iter::once((&mut self.image, self.spec.size))
            .chain(self.more.iter_mut().map(|m| (&mut m.image, m.spec.size)));
        for (image, size) in images {
            let mut framebuffer = self.renderer.bind(image)?;
            let mut frame = self
                .renderer
                .render(&mut framebuffer, size, Transform::Normal)?;
            frame.clear(
                Color32F::BLACK,
                &[smithay::utils::Rectangle::from_size(size)],
            )?;
            let _ = frame.finish()?;
        }
        self.reset_damage();
        self.blanked = true;
        Ok(())
    }

    /// Forget everything the damage trackers know: the next frame is drawn whole.
    pub fn reset_damage(&mut self) {
        self.full_damage = true;
        self.tracker = OutputDamageTracker::new(self.spec.size, 1.0, self.spec.transform);
        for more in &mut self.more {
            more.tracker = OutputDamageTracker::new(more.spec.size, 1.0, more.spec.transform);
        }
    }

    /// Turns the output (a rotation daemon, `personas msg output … transform`).
    pub fn set_transform(&mut self, transform: Transform) {
        self.spec.transform = transform;
        self.dim_veil.resize(self.spec.display_size().to_logical(1));
        self.reset_damage();
    }

    /// The renderer, for work beside the output (captures).
    pub fn renderer(&mut self) -> &mut PixmanRenderer {
        &mut self.renderer
    }

    /// What the output shows now.
    pub fn screenshot(&mut self) -> Result<Screenshot, RenderError> {
        render::read_pixels(&mut self.renderer, &mut self.image)
    }

    /// A background persona's kept content, rendered on its own.
    pub fn snapshot(&mut self, persona: &PersonaState) -> Result<Screenshot, RenderError> {
        render::snapshot_persona(&mut self.renderer, persona)
    }
}
