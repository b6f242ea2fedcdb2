//! The trusted persona indicator: drawn by the compositor where no client can
//! cover or imitate it. `frame` is a border in the persona's color around the
//! persona's area (its output is smaller by the border, so no client pixel is
//! under it); `badge` is a corner square over the content; `none` is nothing.

use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::utils::{Physical, Point, Size};

use crate::config::{Color, Indicator};

/// The badge's side, in pixels.
pub const BADGE_SIZE: i32 = 16;

/// The persona's solid-color pieces, kept so their ids (and so their damage)
/// stay the same from frame to frame.
#[derive(Debug, Clone)]
pub struct IndicatorBuffers {
    /// The persona's area behind its windows (its color, dimmed).
    background: SolidColorBuffer,
    area: (i32, i32),
    badge: SolidColorBuffer,
}

impl IndicatorBuffers {
    pub fn new(color: Color) -> IndicatorBuffers {
        IndicatorBuffers {
            background: SolidColorBuffer::new((1, 1), super::background_color(color)),
            area: (1, 1),
            badge: SolidColorBuffer::new((BADGE_SIZE, BADGE_SIZE), full(color)),
        }
    }

    pub fn set_color(&mut self, color: Color) {
        self.background.set_color(super::background_color(color));
        self.badge.set_color(full(color));
    }

    /// The badge (over everything) and the background (under everything) for
    /// an output of `output` size with the persona's area inset by `inset`.
    pub fn elements(
        &mut self,
        indicator: Indicator,
        output: Size<i32, Physical>,
        inset: i32,
    ) -> (Option<SolidColorRenderElement>, SolidColorRenderElement) {
        let area = ((output.w - 2 * inset).max(1), (output.h - 2 * inset).max(1));
        if self.area != area {
            self.area = area;
            self.background.resize(area);
        }
        let background = SolidColorRenderElement::from_buffer(
            &self.background,
            Point::<i32, Physical>::from((inset, inset)),
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
