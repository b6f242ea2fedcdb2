//! The trusted persona indicator: drawn by the compositor where no client can
//! cover or imitate it. `frame` is a border in the persona's color around the
//! persona's area (its output is smaller by the border, so no client pixel is
//! under it); `badge` is a corner square over the content; `none` is nothing.

use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::utils::{Physical, Point, Rectangle, Size};

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
    badge: SolidColorBuffer,
}

impl OutputIndicator {
    fn new(color: Color) -> OutputIndicator {
        OutputIndicator {
            background: SolidColorBuffer::new((1, 1), super::background_color(color)),
            area: (1, 1),
            badge: SolidColorBuffer::new((BADGE_SIZE, BADGE_SIZE), full(color)),
        }
    }

    fn set_color(&mut self, color: Color) {
        self.background.set_color(super::background_color(color));
        self.badge.set_color(full(color));
    }

    /// The badge (over everything) and the background (under everything) for
    /// an output of `output` size with the persona's area at `inner`.
    pub fn elements(
        &mut self,
        indicator: Indicator,
        output: Size<i32, Physical>,
        inner: Rectangle<i32, Physical>,
    ) -> (Option<SolidColorRenderElement>, SolidColorRenderElement) {
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
        let badge = (indicator == Indicator::Badge).then(|| {
            SolidColorRenderElement::from_buffer(
                &self.badge,
                Point::<i32, Physical>::from((output.w - BADGE_SIZE, 0)),
                1.0,
                1.0,
                Kind::Unspecified,
            )
        });
        (badge, background)
    }
}

fn full(color: Color) -> smithay::backend::renderer::Color32F {
    let [r, g, b, _] = color.to_f32();
    smithay::backend::renderer::Color32F::new(r, g, b, 1.0)
}
