//! The overview: every persona's kept output as a thumbnail with its name on
//! its color, the selected one framed. Drawn by the compositor alone (no
//! client pixel outside its own thumbnail); with pixman the thumbnails are
//! the personas' scenes scaled down.

use smithay::backend::renderer::element::memory::MemoryRenderBufferRenderElement;
use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::utils::{
    Relocate, RelocateRenderElement, RescaleRenderElement,
};
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::Color32F;
use smithay::utils::{Physical, Point, Rectangle, Scale, Size};

use super::notice::Notice;
use super::{
    background_color, persona_elements, renderer_error, scoped, PersonaElement, RenderError, Scene,
    SceneRenderer,
};
use crate::persona::PersonaState;

/// Where the overview's pieces go on an output of `display` size for `n`
/// personas: a grid as square as it can be, each cell holding a thumbnail of
/// a persona's `picture` (its primary output's size: the overview may be on
/// another output, when the primary is off), and room under it for the name.
pub fn layout(n: usize, display: Size<i32, Physical>, picture: Size<i32, Physical>) -> Vec<Cell> {
    let n = n.max(1);
    let cols = columns(n) as i32;
    let rows = (n as i32 + cols - 1) / cols;
    let (cw, ch) = (display.w / cols, display.h / rows);
    // A margin all round, and a strip for the label under the thumbnail.
    let margin = (cw.min(ch) / 12).max(2);
    let label = (ch / 6).max(8);
    let room =
        Size::<i32, Physical>::from(((cw - 2 * margin).max(1), (ch - 2 * margin - label).max(1)));
    let picture = Size::<i32, Physical>::from((picture.w.max(1), picture.h.max(1)));
    let scale = (room.w as f64 / picture.w as f64).min(room.h as f64 / picture.h as f64);
    let size = Size::<i32, Physical>::from((
        ((picture.w as f64 * scale) as i32).max(1),
        ((picture.h as f64 * scale) as i32).max(1),
    ));
    (0..n as i32)
        .map(|i| {
            let (col, row) = (i % cols, i / cols);
            let cell = Rectangle::new((col * cw, row * ch).into(), (cw, ch).into());
            let thumb = Rectangle::new(
                (
                    cell.loc.x + (cw - size.w) / 2,
                    cell.loc.y + margin + (room.h - size.h) / 2,
                )
                    .into(),
                size,
            );
            Cell { cell, thumb, scale }
        })
        .collect()
}

/// How many thumbnails a row of the overview holds for `n` personas.
pub fn columns(n: usize) -> usize {
    (n.max(1) as f64).sqrt().ceil() as usize
}

/// One persona's place in the overview.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// What a click or tap picks.
    pub cell: Rectangle<i32, Physical>,
    /// Where its output is drawn, scaled by `scale`.
    pub thumb: Rectangle<i32, Physical>,
    pub scale: f64,
}

/// Frame width around the selected thumbnail.
pub const SELECTED_FRAME: i32 = 4;
/// What shows between the thumbnails.
pub const OVERVIEW_BACKGROUND: Color32F = Color32F::new(0.08, 0.08, 0.08, 1.0);

smithay::backend::renderer::element::render_elements! {
    pub OverviewElement<R> where R: SceneRenderer;
    Thumb=RelocateRenderElement<RescaleRenderElement<scoped::Scoped<PersonaElement<R>>>>,
    Solid=SolidColorRenderElement,
    Label=MemoryRenderBufferRenderElement<R>,
}

/// One persona as the overview draws it.
pub struct Item<'a> {
    pub persona: &'a PersonaState,
    pub cell: Cell,
    pub label: &'a Notice,
    pub selected: bool,
}

/// The overview's scene: thumbnails, labels and the selection frame.
pub fn overview_scene<R: SceneRenderer>(
    renderer: &mut R,
    items: &[Item<'_>],
    solids: &mut Vec<SolidColorBuffer>,
    dim: Option<&SolidColorBuffer>,
) -> Result<Scene<OverviewElement<R>>, RenderError> {
    let mut elements: Vec<OverviewElement<R>> = Vec::new();
    // Dimmed while the user is idle, as the persona view is.
    if let Some(dim) = dim {
        elements.push(OverviewElement::Solid(
            SolidColorRenderElement::from_buffer(
                dim,
                Point::<i32, Physical>::from((0, 0)),
                1.0,
                1.0,
                Kind::Unspecified,
            ),
        ));
    }
    let mut backgrounds = Vec::new();
    // Buffers for the solid pieces, kept from frame to frame (stable ids).
    solids.resize_with(items.len() * 2, || {
        SolidColorBuffer::new((1, 1), Color32F::BLACK)
    });
    for (i, item) in items.iter().enumerate() {
        let Cell { thumb, scale, .. } = item.cell;
        let label_at = Point::<i32, Physical>::from((
            item.cell.cell.loc.x + (item.cell.cell.size.w - item.label.size.w).max(0) / 2,
            thumb.loc.y + thumb.size.h + SELECTED_FRAME + 2,
        ));
        elements.push(OverviewElement::Label(
            MemoryRenderBufferRenderElement::from_buffer(
                renderer,
                label_at.to_f64(),
                &item.label.buffer,
                None,
                None,
                None,
                Kind::Unspecified,
            )
            .map_err(renderer_error)?,
        ));
        let scene = persona_elements(renderer, item.persona)?;
        let mut ids = item.persona.render_ids.borrow_mut();
        elements.extend(ids.wrap(scene).into_iter().map(|e| {
            OverviewElement::Thumb(RelocateRenderElement::from_element(
                RescaleRenderElement::from_element(e, (0, 0).into(), Scale::from(scale)),
                thumb.loc,
                Relocate::Relative,
            ))
        }));
        // Under the scene: the persona's own background; under that, the
        // selection frame.
        let (background, frame) = solids.split_at_mut(2 * i + 1);
        let background = &mut background[2 * i];
        background.update(
            thumb.size.to_logical(1),
            background_color(item.persona.color),
        );
        backgrounds.push(OverviewElement::Solid(
            SolidColorRenderElement::from_buffer(
                background,
                thumb.loc,
                1.0,
                1.0,
                Kind::Unspecified,
            ),
        ));
        if item.selected {
            let frame = &mut frame[0];
            let grown = Size::<i32, Physical>::from((
                thumb.size.w + 2 * SELECTED_FRAME,
                thumb.size.h + 2 * SELECTED_FRAME,
            ));
            frame.update(grown.to_logical(1), Color32F::new(1.0, 1.0, 1.0, 1.0));
            backgrounds.push(OverviewElement::Solid(
                SolidColorRenderElement::from_buffer(
                    frame,
                    thumb.loc - Point::from((SELECTED_FRAME, SELECTED_FRAME)),
                    1.0,
                    1.0,
                    Kind::Unspecified,
                ),
            ));
        }
    }
    elements.extend(backgrounds);
    Ok(Scene {
        elements,
        clear: OVERVIEW_BACKGROUND,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_keep_the_output_shape_inside_their_cells() {
        let display = Size::from((1280, 800));
        for n in 1..=9 {
            let cells = layout(n, display, display);
            assert_eq!(cells.len(), n);
            for c in &cells {
                assert!(c.cell.contains_rect(c.thumb), "{n}: {c:?}");
                let ratio = c.thumb.size.w as f64 / c.thumb.size.h as f64;
                assert!((ratio - 1.6).abs() < 0.05, "{n}: {ratio}");
                assert!(c.scale > 0.0 && c.scale < 1.0);
            }
            // No two cells overlap.
            for (i, a) in cells.iter().enumerate() {
                for b in &cells[i + 1..] {
                    assert!(!a.cell.overlaps(b.cell), "{n}: {a:?} {b:?}");
                }
            }
        }
        // Four personas: two by two.
        let cells = layout(4, display, display);
        assert_eq!(cells[1].cell.loc, (640, 0).into());
        assert_eq!(cells[2].cell.loc, (0, 400).into());
    }

    /// On another output than the primary (the primary off), the grid is
    /// that output's and each thumbnail the primary's picture, fitted.
    #[test]
    fn thumbnails_of_a_wider_picture_fit_a_narrower_output() {
        let (display, picture) = (Size::from((200, 160)), Size::from((320, 200)));
        let cells = layout(2, display, picture);
        for c in &cells {
            assert!(c.cell.contains_rect(c.thumb), "{c:?}");
            let ratio = c.thumb.size.w as f64 / c.thumb.size.h as f64;
            assert!((ratio - 1.6).abs() < 0.05, "{ratio}");
            // The picture drawn at `scale` is the thumbnail.
            assert!((picture.w as f64 * c.scale - c.thumb.size.w as f64).abs() < 1.0);
        }
        assert_eq!(cells[1].cell.loc, (100, 0).into());
    }
}
