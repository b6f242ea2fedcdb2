//! The trusted persona indicator: drawn by the compositor where no client can
//! cover or imitate it. `frame` is a border in the persona's color around the
//! persona's area (its output is smaller by the border, so no client pixel is
//! under it); `badge` is a corner square over the content; `none` is nothing.
//!
//! The badge is a buffer of its own marked as a cursor, not a solid element or
//! a shader: the tty's display may then put it on the cursor plane (when the
//! pointer is not on that output), so a fullscreen window under it can still
//! be scanned out as it is.

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::{
    MemoryRenderBuffer, MemoryRenderBufferRenderElement,
};
use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::{Element, Id, Kind};
use smithay::utils::{Physical, Point, Rectangle, Size, Transform};

use super::{renderer_error, RenderError, SceneRenderer};
use crate::config::{Color, Indicator};

/// The badge's side, in pixels.
pub const BADGE_SIZE: i32 = 16;

/// The persona's solid-color pieces for each output (by view index), kept so
/// their ids (and so their damage) stay the same from frame to frame.
#[derive(Debug, Clone)]
pub struct IndicatorBuffers {
    color: Color,
    outputs: Vec<OutputIndicator>,
}

impl IndicatorBuffers {
    pub fn new(color: Color) -> IndicatorBuffers {
        IndicatorBuffers {
            color,
            outputs: Vec::new(),
        }
    }

    pub fn set_color(&mut self, color: Color) {
        self.color = color;
        for output in &mut self.outputs {
            output.set_color(color);
        }
    }

    /// The badge last drawn on the output of view `index`, if any.
    pub fn badge_id(&self, index: usize) -> Option<&Id> {
        self.outputs.get(index)?.badge_id()
    }

    /// The pieces for the output of view `index`.
    pub fn for_view(&mut self, index: usize, color: Color) -> &mut OutputIndicator {
        if color != self.color {
            self.set_color(color);
        }
        while self.outputs.len() <= index {
            self.outputs.push(OutputIndicator::new(self.color));
        }
        &mut self.outputs[index]
    }
}

/// One output's pieces.
#[derive(Debug, Clone)]
pub struct OutputIndicator {
    /// The persona's area behind its windows (its color, dimmed).
    background: SolidColorBuffer,
    area: (i32, i32),
    badge: MemoryRenderBuffer,
    /// The id of the badge last drawn, to see where the display put it.
    badge_id: Option<Id>,
}

impl OutputIndicator {
    fn new(color: Color) -> OutputIndicator {
        OutputIndicator {
            background: SolidColorBuffer::new((1, 1), super::background_color(color)),
            area: (1, 1),
            badge: badge_buffer(color),
            badge_id: None,
        }
    }

    fn set_color(&mut self, color: Color) {
        self.background.set_color(super::background_color(color));
        // A new buffer (and id): drawn anew wherever it is.
        self.badge = badge_buffer(color);
    }

    /// The badge last drawn, if any.
    pub fn badge_id(&self) -> Option<&Id> {
        self.badge_id.as_ref()
    }

    /// The badge (over everything) and the background (under everything) for
    /// an output of `output` size with the persona's area at `inner`.
    #[allow(clippy::type_complexity)]
    pub fn elements<R: SceneRenderer>(
        &mut self,
        renderer: &mut R,
        indicator: Indicator,
        output: Size<i32, Physical>,
        inner: Rectangle<i32, Physical>,
    ) -> Result<
        (
            Option<MemoryRenderBufferRenderElement<R>>,
            SolidColorRenderElement,
        ),
        RenderError,
    > {
        let area = (inner.size.w.max(1), inner.size.h.max(1));
        if self.area != area {
            self.area = area;
            self.background.resize(area);
        }
        let background = SolidColorRenderElement::from_buffer(
            &self.background,
            inner.loc,
            1.0,
            1.0,
            Kind::Unspecified,
        );
        Ok((self.badge(renderer, indicator, output)?, background))
    }

    /// The badge (for `indicator = "badge"`) at the top right of an output
    /// of `output` size.
    pub fn badge<R: SceneRenderer>(
        &mut self,
        renderer: &mut R,
        indicator: Indicator,
        output: Size<i32, Physical>,
    ) -> Result<Option<MemoryRenderBufferRenderElement<R>>, RenderError> {
        if indicator != Indicator::Badge {
            self.badge_id = None;
            return Ok(None);
        }
        let at = Point::<f64, Physical>::from(((output.w - BADGE_SIZE) as f64, 0.0));
        let badge = MemoryRenderBufferRenderElement::from_buffer(
            renderer,
            at,
            &self.badge,
            None,
            None,
            None,
            Kind::Cursor,
        )
        .map_err(renderer_error)?;
        self.badge_id = Some(badge.id().clone());
        Ok(Some(badge))
    }
}

/// The badge's pixels: the persona's color, opaque.
fn badge_buffer(color: Color) -> MemoryRenderBuffer {
    // ARGB8888 is B, G, R, A in memory.
    let pixel = [color.b, color.g, color.r, 0xff];
    let side = BADGE_SIZE as usize;
    MemoryRenderBuffer::from_slice(
        &pixel.repeat(side * side),
        Fourcc::Argb8888,
        (BADGE_SIZE, BADGE_SIZE),
        1,
        Transform::Normal,
        Some(vec![Rectangle::from_size((BADGE_SIZE, BADGE_SIZE).into())]),
    )
}
