//! The headless backend: one virtual output rendered with pixman into an
//! offscreen image. Used by tests, CI and servers; the test fixture and
//! `--test-input` inject input into it.

use std::time::Duration;

use smithay::backend::renderer::damage::OutputDamageTracker;
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
    pub spec: OutputSpec,
    renderer: PixmanRenderer,
    image: Image<'static, 'static>,
    tracker: OutputDamageTracker,
    /// The next frame redraws everything (after a switch: element ids of two
    /// personas may be equal, so the old frame's damage state means nothing).
    full_damage: bool,
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
        Ok(HeadlessBackend {
            spec,
            renderer,
            image,
            tracker,
            full_damage: true,
        })
    }

    pub fn frame_duration(&self) -> Duration {
        self.spec.frame_duration()
    }

    /// Draws `persona` (the active one) onto the output.
    pub fn render(
        &mut self,
        persona: &PersonaState,
        notice: Option<&crate::render::notice::Notice>,
    ) -> Result<RenderElementStates, RenderError> {
        let age = if std::mem::take(&mut self.full_damage) {
            0
        } else {
            1
        };
        render::render_persona(
            &mut self.renderer,
            &mut self.image,
            &mut self.tracker,
            persona,
            notice,
            age,
        )
    }

    /// Forget everything the damage tracker knows: the next frame is drawn whole.
    pub fn reset_damage(&mut self) {
        self.full_damage = true;
        self.tracker = OutputDamageTracker::new(self.spec.size, 1.0, self.spec.transform);
    }

    /// Turns the output (a rotation daemon, `personas msg output … transform`).
    pub fn set_transform(&mut self, transform: Transform) {
        self.spec.transform = transform;
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
        render::snapshot_persona(&mut self.renderer, persona, &self.spec)
    }
}
