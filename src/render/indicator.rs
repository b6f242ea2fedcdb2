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
use smithay::utils::{Physical, Rectangle, Size, Transform};

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
        above: &[impl Element],
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
        Ok((self.badge(renderer, indicator, output, above)?, background))
    }

    /// The badge (for `indicator = "badge"`) at the top right of an output
    /// of `output` size, under the elements `above` it. It may go on the
    /// cursor plane (which is over everything) only where none of them
    /// covers it: the dim veil, the notice, a panel, a leaving snapshot.
    pub fn badge<R: SceneRenderer>(
        &mut self,
        renderer: &mut R,
        indicator: Indicator,
        output: Size<i32, Physical>,
        above: &[impl Element],
    ) -> Result<Option<MemoryRenderBufferRenderElement<R>>, RenderError> {
        if indicator != Indicator::Badge {
            self.badge_id = None;
            return Ok(None);
        }
        let square = Rectangle::<i32, Physical>::new(
            (output.w - BADGE_SIZE, 0).into(),
            (BADGE_SIZE, BADGE_SIZE).into(),
        );
        let covered = above
            .iter()
            .any(|e| e.geometry(1.0.into()).overlaps(square));
        let kind = if covered {
            Kind::Unspecified
        } else {
            Kind::Cursor
        };
        let at = square.loc.to_f64();
        let badge = MemoryRenderBufferRenderElement::from_buffer(
            renderer,
            at,
            &self.badge,
            None,
            None,
            None,
            kind,
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

#[cfg(test)]
mod tests {
    use super::*;
    use smithay::backend::renderer::element::solid::SolidColorBuffer;

    /// What may go on the cursor plane: the badge, unless something drawn
    /// over it (the dim veil, the notice) covers it, since the plane is over
    /// everything.
    #[test]
    fn the_badge_is_a_cursor_only_where_nothing_covers_it() {
        let mut renderer = crate::render::pixman_renderer().unwrap();
        let mut output = OutputIndicator::new(Color {
            r: 0x33,
            g: 0x66,
            b: 0xcc,
            a: 0xff,
        });
        let size = Size::<i32, Physical>::from((200, 100));
        let piece = |at: (i32, i32)| {
            let buffer = SolidColorBuffer::new((20, 20), [0.0, 0.0, 0.0, 0.5]);
            SolidColorRenderElement::from_buffer(&buffer, at, 1.0, 1.0, Kind::Unspecified)
        };
        let mut kind = |output: &mut OutputIndicator, above: &[SolidColorRenderElement]| {
            let badge = output
                .badge(&mut renderer, Indicator::Badge, size, above)
                .unwrap()
                .expect("a badge");
            assert_eq!(badge.geometry(1.0.into()).loc, (200 - BADGE_SIZE, 0).into());
            assert_eq!(Some(badge.id()), output.badge_id());
            badge.kind()
        };
        assert_eq!(kind(&mut output, &[]), Kind::Cursor);
        assert_eq!(kind(&mut output, &[piece((10, 10))]), Kind::Cursor);
        assert_eq!(kind(&mut output, &[piece((190, 5))]), Kind::Unspecified);
        let none = output
            .badge(
                &mut renderer,
                Indicator::Frame,
                size,
                &[] as &[SolidColorRenderElement],
            )
            .unwrap();
        assert!(none.is_none() && output.badge_id().is_none());
    }
}
