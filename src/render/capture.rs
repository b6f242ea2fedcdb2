//! Images for screen capture (wlr-screencopy, ext-image-copy-capture). A
//! capture renders the persona's own scene afresh for the request — never the
//! composed output, which can hold the indicator, the switch notice or
//! another persona — so a client gets only what its own persona shows, also
//! while the persona is in the background.

use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::element::surface::WaylandSurfaceRenderElement;
use smithay::backend::renderer::element::AsRenderElements;
use smithay::backend::renderer::Color32F;
use smithay::desktop::Window;
use smithay::reexports::wayland_server::protocol::wl_buffer::WlBuffer;
use smithay::reexports::wayland_server::protocol::wl_shm;
use smithay::utils::{Physical, Rectangle, Scale, Size, Transform};
use smithay::wayland::shm::with_buffer_contents_mut;

use super::{background_color, persona_elements_in, Readback, RenderError};
use crate::persona::PersonaState;

/// A captured image in the byte order of `wl_shm` ARGB8888/XRGB8888 (B, G, R,
/// A in memory), rows packed.
#[derive(Debug, Clone, PartialEq)]
pub struct Captured {
    pub width: i32,
    pub height: i32,
    pub bgra: Vec<u8>,
}

/// Why a client's buffer cannot take the image.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BufferError {
    #[error("not a shm buffer")]
    NotShm,
    #[error("buffer is {got_w}x{got_h} with stride {stride}, format {format:?}; need {w}x{h}, stride ≥ {min}, ARGB8888 or XRGB8888")]
    Mismatch {
        got_w: i32,
        got_h: i32,
        stride: i32,
        format: wl_shm::Format,
        w: i32,
        h: i32,
        min: i32,
    },
}

/// Whether `buffer` is a shm buffer an image of `size` can be copied into.
pub fn check_buffer(buffer: &WlBuffer, size: Size<i32, Physical>) -> Result<(), BufferError> {
    smithay::wayland::shm::with_buffer_contents(buffer, |_, len, data| {
        let fits = data.width == size.w
            && data.height == size.h
            && data.stride >= size.w * 4
            && matches!(
                data.format,
                wl_shm::Format::Argb8888 | wl_shm::Format::Xrgb8888
            )
            && data.offset as usize + data.stride as usize * data.height as usize <= len;
        if fits {
            Ok(())
        } else {
            Err(BufferError::Mismatch {
                got_w: data.width,
                got_h: data.height,
                stride: data.stride,
                format: data.format,
                w: size.w,
                h: size.h,
                min: size.w * 4,
            })
        }
    })
    .map_err(|_| BufferError::NotShm)?
}

/// Copies `region` of `image` into the client's shm `buffer`.
pub fn copy_into(
    buffer: &WlBuffer,
    image: &Captured,
    region: Rectangle<i32, Physical>,
) -> Result<(), BufferError> {
    check_buffer(buffer, region.size)?;
    with_buffer_contents_mut(buffer, |ptr, len, data| {
        let row_bytes = region.size.w as usize * 4;
        for row in 0..region.size.h as usize {
            let src_start =
                ((region.loc.y as usize + row) * image.width as usize + region.loc.x as usize) * 4;
            let src = &image.bgra[src_start..src_start + row_bytes];
            let dst_start = data.offset as usize + row * data.stride as usize;
            debug_assert!(dst_start + row_bytes <= len);
            // SAFETY: check_buffer made sure offset + stride * height fits in
            // the pool's `len` bytes and stride ≥ the row's bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(src.as_ptr(), ptr.add(dst_start), row_bytes);
            }
        }
    })
    .map_err(|_| BufferError::NotShm)
}

/// A virtual output of the persona (by name) as its clients see it: its
/// windows on its own background, without indicator, notice or cursor.
pub fn capture_output<R: Readback>(
    renderer: &mut R,
    persona: &PersonaState,
    name: &str,
) -> Result<Captured, RenderError> {
    let output = persona.output_named(name).ok_or(RenderError::NoMode)?;
    let size = output.current_mode().ok_or(RenderError::NoMode)?.size;
    let view = persona.capture_view(output).ok_or(RenderError::NoMode)?;
    // The output's pixels: the logical scene at the output's scale.
    let scale = output.current_scale().fractional_scale();
    let elements: Vec<_> = persona_elements_in(renderer, persona, &view)?
        .into_iter()
        .map(|e| {
            smithay::backend::renderer::element::utils::RescaleRenderElement::from_element(
                e,
                smithay::utils::Point::from((0, 0)),
                scale,
            )
        })
        .collect();
    // In the panel's orientation, as a scan-out would be; clients turn it
    // with the output's transform (grim does; ext-image-copy says it).
    let transform = output.current_transform();
    draw(
        renderer,
        size,
        transform,
        &elements,
        background_color(persona.color),
    )
}

/// One window with its subsurfaces, at its geometry's size, on transparency.
pub fn capture_window<R: Readback>(
    renderer: &mut R,
    window: &Window,
) -> Result<Captured, RenderError> {
    let geometry = window.geometry();
    let size: Size<i32, Physical> = (geometry.size.w, geometry.size.h).into();
    if size.w <= 0 || size.h <= 0 {
        return Err(RenderError::NoMode);
    }
    let location = (-geometry.loc.x, -geometry.loc.y).into();
    let elements: Vec<WaylandSurfaceRenderElement<R>> =
        window.render_elements(renderer, location, Scale::from(1.0), 1.0);
    draw(
        renderer,
        size,
        Transform::Normal,
        &elements,
        Color32F::TRANSPARENT,
    )
}

fn draw<R, E>(
    renderer: &mut R,
    size: Size<i32, Physical>,
    transform: Transform,
    elements: &[E],
    clear: Color32F,
) -> Result<Captured, RenderError>
where
    R: Readback,
    E: smithay::backend::renderer::element::RenderElement<R>,
{
    let mut target = renderer.new_target(size)?;
    let mut tracker = OutputDamageTracker::new(size, 1.0, transform);
    let mut framebuffer = renderer.bind_target(&mut target)?;
    tracker
        .render_output(renderer, &mut framebuffer, 0, elements, clear)
        .map_err(|err| RenderError::Damage(format!("{err:?}")))?;
    drop(framebuffer);
    let mut bgra = renderer.read_rgba(&mut target)?;
    for pixel in bgra.chunks_exact_mut(4) {
        pixel.swap(0, 2);
    }
    Ok(Captured {
        width: size.w,
        height: size.h,
        bgra,
    })
}
