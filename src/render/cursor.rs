//! The pointer on a real display: the client's cursor surface, or the
//! compositor's own arrow where the client asked for a named cursor (no
//! cursor theme is loaded yet) or none was set. Headless draws no cursor, so
//! screenshots and pixel tests show only what clients drew.

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::MemoryRenderBuffer;
use smithay::backend::renderer::element::surface::render_elements_from_surface_tree;
use smithay::backend::renderer::element::Kind;
use smithay::input::pointer::{CursorImageStatus, CursorImageSurfaceData};
use smithay::reexports::wayland_server::Resource;
use smithay::utils::{Physical, Point, Transform};
use smithay::wayland::compositor::with_states;

use super::{OutputElement, RenderError, SceneRenderer};
use crate::persona::PersonaState;

/// The arrow, row by row: `X` outline, `o` fill, `.` clear. Tip at (0, 0).
const ARROW: [&str; 19] = [
    "X...........",
    "XX..........",
    "XoX.........",
    "XooX........",
    "XoooX.......",
    "XooooX......",
    "XoooooX.....",
    "XooooooX....",
    "XoooooooX...",
    "XooooooooX..",
    "XoooooooooX.",
    "XooooooXXXXX",
    "XoooXooX....",
    "XooXXooX....",
    "XoX..XooX...",
    "XX...XooX...",
    "X.....XooX..",
    "......XooX..",
    ".......XX...",
];

/// The compositor's arrow as a buffer (ARGB, premultiplied).
pub fn arrow() -> MemoryRenderBuffer {
    let width = ARROW[0].len();
    let mut pixels = Vec::with_capacity(width * ARROW.len() * 4);
    for row in ARROW {
        for c in row.bytes() {
            // Little-endian ARGB8888: B, G, R, A.
            pixels.extend_from_slice(match c {
                b'X' => &[0, 0, 0, 255],
                b'o' => &[255, 255, 255, 255],
                _ => &[0, 0, 0, 0],
            });
        }
    }
    MemoryRenderBuffer::from_slice(
        &pixels,
        Fourcc::Argb8888,
        (width as i32, ARROW.len() as i32),
        1,
        Transform::Normal,
        None,
    )
}

/// The cursor's elements with its hotspot `at` on the output, top first.
pub fn cursor_elements<R: SceneRenderer>(
    renderer: &mut R,
    persona: &PersonaState,
    arrow: &MemoryRenderBuffer,
    at: Point<f64, Physical>,
) -> Result<Vec<OutputElement<R>>, RenderError> {
    match &persona.cursor {
        CursorImageStatus::Hidden => Ok(Vec::new()),
        CursorImageStatus::Surface(surface) if surface.is_alive() => {
            let hotspot = with_states(surface, |states| {
                states
                    .data_map
                    .get::<CursorImageSurfaceData>()
                    .map(|data| data.lock().map(|d| d.hotspot).unwrap_or_default())
                    .unwrap_or_default()
            });
            let origin = (at - hotspot.to_physical(1).to_f64()).to_i32_round();
            Ok(render_elements_from_surface_tree(
                renderer,
                surface,
                origin,
                1.0,
                1.0,
                Kind::Cursor,
            )
            .into_iter()
            .map(OutputElement::CursorSurface)
            .collect())
        }
        // A named cursor, or a surface that is gone: the arrow.
        _ => Ok(vec![OutputElement::Memory(
            smithay::backend::renderer::element::memory::MemoryRenderBufferRenderElement::from_buffer(
                renderer,
                at,
                arrow,
                None,
                None,
                None,
                Kind::Cursor,
            )
            .map_err(super::renderer_error)?,
        )]),
    }
}
