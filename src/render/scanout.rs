//! Frames that need no compositing: when one opaque client surface covers an
//! output exactly (nothing over it; not scaled, turned or faded), its buffer
//! is the frame, as a display controller would scan it out directly. The
//! headless backend then draws nothing; the pixels are copied only when
//! someone reads the output (a screenshot).

use std::collections::HashMap;

use smithay::backend::renderer::element::{
    Element, Id, RenderElement, RenderElementPresentationState, RenderElementState,
    RenderElementStates, UnderlyingStorage,
};
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::utils::Buffer;
use smithay::backend::renderer::{Bind, Frame, ImportAll, Renderer};
use smithay::utils::{Physical, Point, Rectangle, Scale, Size, Transform};

use super::{renderer_error, OutputElement, RenderError, Scene, SceneRenderer};

/// The top element's buffer and id, if that element alone is the whole
/// frame of an output of `size`.
pub fn sole_buffer<R: SceneRenderer>(
    renderer: &mut R,
    scene: &Scene<OutputElement<R>>,
    size: Size<i32, Physical>,
) -> Option<(Id, Buffer)> {
    let top = scene.elements.first()?;
    if !matches!(top, OutputElement::Persona(_)) {
        return None;
    }
    let scale = Scale::from(1.0);
    let whole = Rectangle::from_size(size);
    let src = top.src();
    let one_to_one = top.geometry(scale) == whole
        && top.transform() == Transform::Normal
        && top.alpha() >= 1.0
        && src.loc == Point::from((0.0, 0.0))
        && src.size == Size::from((f64::from(size.w), f64::from(size.h)));
    if !one_to_one {
        return None;
    }
    let opaque = top.opaque_regions(scale);
    if !whole.subtract_rects(opaque.iter().copied()).is_empty() {
        return None;
    }
    match top.underlying_storage(renderer)? {
        UnderlyingStorage::Wayland(buffer) => Some((top.id().clone(), buffer.clone())),
        UnderlyingStorage::Memory(_) => None,
    }
}

/// What a scanned-out frame drew: only that element, all of it visible.
pub fn scanned_out(id: Id, size: Size<i32, Physical>) -> RenderElementStates {
    let state = RenderElementState {
        visible_area: (size.w.max(0) as usize) * (size.h.max(0) as usize),
        presentation_state: RenderElementPresentationState::ZeroCopy,
    };
    RenderElementStates {
        states: HashMap::from([(id, state)]),
    }
}

/// Copies a scanned-out client buffer into `image` (of `size`), so the image
/// shows what the output does.
pub fn copy_buffer(
    renderer: &mut PixmanRenderer,
    buffer: &Buffer,
    image: &mut smithay::reexports::pixman::Image<'static, 'static>,
    size: Size<i32, Physical>,
) -> Result<(), RenderError> {
    let texture = renderer
        .import_buffer(buffer, None, &[])
        .ok_or_else(|| RenderError::Renderer("the scanned-out buffer is gone".into()))?
        .map_err(renderer_error)?;
    let whole = Rectangle::from_size(size);
    let mut framebuffer = renderer.bind(image)?;
    let mut frame = renderer.render(&mut framebuffer, size, Transform::Normal)?;
    frame.render_texture_from_to(
        &texture,
        Rectangle::from_size(Size::from((f64::from(size.w), f64::from(size.h)))),
        whole,
        &[whole],
        &[whole],
        Transform::Normal,
        1.0,
    )?;
    let _ = frame.finish()?;
    Ok(())
}
