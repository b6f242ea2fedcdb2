//! The pointer on a real display: the client's cursor surface, or for a
//! named cursor (cursor-shape, or none set) the image of that name from the
//! xcursor theme (`XCURSOR_THEME`, `XCURSOR_SIZE`, searched as libXcursor
//! does, `XCURSOR_PATH` first), else the built-in arrow
//! (`assets/cursor-fallback.png`). Headless draws no cursor, so screenshots
//! and pixel tests show only what clients drew.

use std::cell::RefCell;
use std::collections::HashMap;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::MemoryRenderBuffer;
use smithay::backend::renderer::element::surface::render_elements_from_surface_tree;
use smithay::backend::renderer::element::Kind;
use smithay::input::pointer::{CursorIcon, CursorImageStatus, CursorImageSurfaceData};
use smithay::reexports::wayland_server::Resource;
use smithay::utils::{Physical, Point, Transform};
use smithay::wayland::compositor::with_states;

use super::{OutputElement, RenderError, SceneRenderer};
use crate::persona::PersonaState;

/// The built-in arrow, used where no theme has the cursor asked for.
const FALLBACK_PNG: &[u8] = include_bytes!("../../assets/cursor-fallback.png");

/// The size cursors are loaded at unless `XCURSOR_SIZE` says.
pub const DEFAULT_SIZE: u32 = 24;

/// The compositor's arrow as a buffer (ARGB, premultiplied).
pub fn arrow() -> MemoryRenderBuffer {
    let (width, height, rgba) =
        crate::ipc::protocol::decode_png(FALLBACK_PNG).expect("the built-in cursor is a valid PNG");
    let mut pixels = Vec::with_capacity(rgba.len());
    for px in rgba.chunks_exact(4) {
        let a = px[3] as u32;
        let premultiply = |c: u8| ((c as u32 * a + 127) / 255) as u8;
        // Little-endian ARGB8888: B, G, R, A.
        pixels.extend_from_slice(&[
            premultiply(px[2]),
            premultiply(px[1]),
            premultiply(px[0]),
            px[3],
        ]);
    }
    MemoryRenderBuffer::from_slice(
        &pixels,
        Fourcc::Argb8888,
        (width as i32, height as i32),
        1,
        Transform::Normal,
        None,
    )
}

/// A themed cursor image and its hotspot.
#[derive(Clone)]
pub struct Themed {
    pub buffer: MemoryRenderBuffer,
    pub hotspot: Point<i32, Physical>,
}

/// The theme and what was looked up in it, per thread (the renderer's).
struct Cache {
    theme: xcursor::CursorTheme,
    size: u32,
    icons: HashMap<CursorIcon, Option<Themed>>,
}

thread_local! {
    static CACHE: RefCell<Option<Cache>> = const { RefCell::new(None) };
}

/// The theme's image for `icon` (or one of its other names), at the size
/// nearest `XCURSOR_SIZE`; `None` when the theme has none.
pub fn named(icon: CursorIcon) -> Option<Themed> {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let cache = cache.get_or_insert_with(|| {
            let name = std::env::var("XCURSOR_THEME").unwrap_or_else(|_| "default".into());
            let size = std::env::var("XCURSOR_SIZE")
                .ok()
                .and_then(|s| s.parse().ok())
                .filter(|&s: &u32| (1..=512).contains(&s))
                .unwrap_or(DEFAULT_SIZE);
            tracing::debug!(theme = %name, size, "cursor theme");
            Cache {
                theme: xcursor::CursorTheme::load(&name),
                size,
                icons: HashMap::new(),
            }
        });
        let (theme, size) = (&cache.theme, cache.size);
        cache
            .icons
            .entry(icon)
            .or_insert_with(|| load(theme, size, icon))
            .clone()
    })
}

fn load(theme: &xcursor::CursorTheme, size: u32, icon: CursorIcon) -> Option<Themed> {
    let path = std::iter::once(icon.name())
        .chain(icon.alt_names().iter().copied())
        .find_map(|name| theme.load_icon(name))?;
    let bytes = std::fs::read(&path).ok()?;
    let images = xcursor::parser::parse_xcursor(&bytes)?;
    // The nominal size nearest the one wanted; its first frame.
    let nearest = images
        .iter()
        .min_by_key(|image| (image.size as i64 - size as i64).abs())?
        .size;
    let image = images.iter().find(|image| image.size == nearest)?;
    let expected = image.width as usize * image.height as usize * 4;
    if image.pixels_rgba.len() != expected || image.width == 0 || image.height == 0 {
        tracing::warn!(path = %path.display(), "cursor image is malformed; using the built-in arrow");
        return None;
    }
    Some(Themed {
        // The file's pixels are native-endian premultiplied ARGB32.
        buffer: MemoryRenderBuffer::from_slice(
            &image.pixels_rgba,
            Fourcc::Argb8888,
            (image.width as i32, image.height as i32),
            1,
            Transform::Normal,
            None,
        ),
        hotspot: Point::from((image.xhot as i32, image.yhot as i32)),
    })
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
            Ok(
                render_elements_from_surface_tree(
                    renderer,
                    surface,
                    origin,
                    1.0,
                    1.0,
                    Kind::Cursor,
                )
                .into_iter()
                .map(OutputElement::CursorSurface)
                .collect(),
            )
        }
        // A named cursor from the theme; else (no theme has it, or the
        // surface is gone) the arrow, its tip the hotspot.
        CursorImageStatus::Named(icon) => {
            let (buffer, hotspot) = match named(*icon) {
                Some(themed) => (themed.buffer, themed.hotspot),
                None => (arrow.clone(), Point::from((0, 0))),
            };
            image_element(renderer, &buffer, at - hotspot.to_f64())
        }
        _ => image_element(renderer, arrow, at),
    }
}

fn image_element<R: SceneRenderer>(
    renderer: &mut R,
    buffer: &MemoryRenderBuffer,
    at: Point<f64, Physical>,
) -> Result<Vec<OutputElement<R>>, RenderError> {
    Ok(vec![OutputElement::Memory(
        smithay::backend::renderer::element::memory::MemoryRenderBufferRenderElement::from_buffer(
            renderer,
            at,
            buffer,
            None,
            None,
            None,
            Kind::Cursor,
        )
        .map_err(super::renderer_error)?,
    )])
}
