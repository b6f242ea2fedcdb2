//! Composing a persona's scene. Only one persona is ever drawn onto the physical
//! output; screenshots of a background persona render its kept buffers into a
//! separate image with a fresh damage tracker, so no tracker ever compares render
//! elements of two personas (their Wayland object ids can be equal).

pub mod capture;
pub mod cursor;
pub mod effects;
pub mod gles;
pub mod indicator;
pub mod multi;
pub mod notice;
pub mod overview;
pub mod scanout;
pub mod scoped;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::damage::{OutputDamageTracker, RenderOutputResult};
use smithay::backend::renderer::element::memory::{
    MemoryRenderBuffer, MemoryRenderBufferRenderElement,
};
use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::surface::WaylandSurfaceRenderElement;
use smithay::backend::renderer::element::utils::{
    Relocate, RelocateRenderElement, RescaleRenderElement,
};
use smithay::backend::renderer::element::AsRenderElements;
use smithay::backend::renderer::element::RenderElementStates;
use smithay::backend::renderer::element::{Kind, RenderElement};
use smithay::backend::renderer::gles::{GlesRenderbuffer, GlesRenderer};
use smithay::backend::renderer::pixman::{PixmanError, PixmanRenderer};
use smithay::backend::renderer::{
    Bind, Color32F, ExportMem, ImportAll, ImportMem, Offscreen, Renderer, Texture, TextureMapping,
};
use smithay::reexports::pixman::Image;
use smithay::utils::{Physical, Point, Rectangle, Scale, Size};

use crate::config::{Color, Indicator};
use crate::persona::outputs::View;
use crate::persona::PersonaState;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("pixman: {0}")]
    Pixman(#[from] PixmanError),
    #[error("damage tracking: {0}")]
    Damage(String),
    #[error("the persona's output has no mode")]
    NoMode,
    #[error("scan-out: {0}")]
    Drm(String),
    #[error("renderer: {0}")]
    Renderer(String),
}

/// What the scene needs of a renderer; pixman and GLES both qualify.
pub trait SceneRenderer: Renderer<TextureId = Self::Texture> + ImportAll + ImportMem {
    type Texture: Texture + Clone + Send + 'static;
}

impl<R> SceneRenderer for R
where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Texture + Clone + Send + 'static,
{
    type Texture = R::TextureId;
}

/// A pixman renderer for the scene. It scales (an output's scale, a
/// mirror, a client's viewport) with nearest-neighbour filtering: pixman's
/// bilinear filter blends a buffer's edge pixels with the transparent
/// outside, so every scaled window would get a dark seam; GLES clamps to
/// the edge and keeps its linear filter.
pub fn pixman_renderer() -> Result<PixmanRenderer, RenderError> {
    let mut renderer = PixmanRenderer::new()?;
    renderer.upscale_filter(smithay::backend::renderer::TextureFilter::Nearest)?;
    renderer.downscale_filter(smithay::backend::renderer::TextureFilter::Nearest)?;
    Ok(renderer)
}

/// A renderer's error as ours.
pub fn renderer_error<E: std::error::Error>(err: E) -> RenderError {
    RenderError::Renderer(err.to_string())
}

pub type PersonaElement<R> = WaylandSurfaceRenderElement<R>;

/// A rendered frame read back as RGBA bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Screenshot {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl Screenshot {
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        [
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        ]
    }
}

/// What dimming lays over the whole output: half black.
pub const DIM_VEIL: Color32F = Color32F::new(0.0, 0.0, 0.0, 0.5);

/// What shows where a persona has no window: its own color, dimmed, so an empty
/// persona is still recognisable.
pub fn background_color(color: Color) -> Color32F {
    let [r, g, b, _] = color.to_f32();
    Color32F::new(r * 0.25, g * 0.25, b * 0.25, 1.0)
}

/// The render elements of a persona's scene, top first: each window with
/// its subsurfaces and popups, where it overlaps the persona's output.
pub fn persona_elements<R: SceneRenderer>(
    renderer: &mut R,
    persona: &PersonaState,
) -> Result<Vec<PersonaElement<R>>, RenderError> {
    persona
        .space
        .output_geometry(&persona.output)
        .ok_or(RenderError::NoMode)?;
    persona_elements_in(renderer, persona, &persona.primary_view())
}

/// The render elements of what `view` shows of a persona, top first, with
/// the shown area's corner at the origin.
pub fn persona_elements_in<R: SceneRenderer>(
    renderer: &mut R,
    persona: &PersonaState,
    view: &View,
) -> Result<Vec<PersonaElement<R>>, RenderError> {
    let mut elements = Vec::new();
    let shown = Rectangle::from_size(view.area.size.to_physical(1));
    // The persona's own panels over its windows (overlay, then top).
    push_layers(renderer, persona, view, true, &mut elements);
    // The lock screen (on the system display), under its keyboard.
    if let Some((surface, at)) = persona.lock_surface_on(&view.output) {
        let origin = (at - view.area.loc).to_physical_precise_round(1.0);
        elements.extend(
            smithay::backend::renderer::element::surface::render_elements_from_surface_tree(
                renderer,
                &surface,
                origin,
                Scale::from(1.0),
                1.0,
                Kind::Unspecified,
            ),
        );
    }
    let mut looked_at = 0;
    let mut covered = covers(&elements, shown);
    for window in persona.space.elements_for_output(&view.output).rev() {
        if covered {
            break;
        }
        looked_at += 1;
        let Some(location) = persona.space.element_location(window) else {
            continue;
        };
        let origin =
            (location - window.geometry().loc - view.area.loc).to_physical_precise_round(1.0);
        let first = elements.len();
        elements.extend(AsRenderElements::<R>::render_elements::<PersonaElement<R>>(
            window,
            renderer,
            origin,
            Scale::from(1.0),
            1.0,
        ));
        // Nothing under an opaque window that covers the whole view shows:
        // the windows below are not even looked at, so a frame costs the
        // same however many windows a persona has.
        covered = covers(&elements[first..], shown);
    }
    if view.index == 0 {
        persona.drawn_windows.set(looked_at);
    }
    if !covered {
        // Its wallpaper and bottom panels under them.
        push_layers(renderer, persona, view, false, &mut elements);
    }
    Ok(elements)
}

/// The render elements of the layer surfaces of `view`'s output above or
/// below the windows, top first.
fn push_layers<R: SceneRenderer>(
    renderer: &mut R,
    persona: &PersonaState,
    view: &View,
    above: bool,
    elements: &mut Vec<PersonaElement<R>>,
) {
    for placed in persona.layers_on(&view.output, above) {
        let origin = (placed.location - view.area.loc).to_physical_precise_round(1.0);
        elements.extend(AsRenderElements::<R>::render_elements::<PersonaElement<R>>(
            &placed.layer,
            renderer,
            origin,
            Scale::from(1.0),
            1.0,
        ));
    }
}

/// Whether `elements` together are opaque over all of `area`.
fn covers<E: smithay::backend::renderer::element::Element>(
    elements: &[E],
    area: Rectangle<i32, Physical>,
) -> bool {
    let scale = Scale::from(1.0);
    let opaque = elements.iter().flat_map(|e| {
        let at = e.geometry(scale).loc;
        e.opaque_regions(scale)
            .into_iter()
            .map(move |r| Rectangle::new(r.loc + at, r.size))
    });
    area.subtract_rects(opaque).is_empty()
}

smithay::backend::renderer::element::render_elements! {
    /// What goes onto the output: the persona's scene (moved inside the
    /// indicator frame) and the compositor's own solid pieces.
    pub OutputElement<R> where R: SceneRenderer;
    Persona=RelocateRenderElement<RescaleRenderElement<scoped::Scoped<PersonaElement<R>>>>,
    Solid=SolidColorRenderElement,
    Memory=MemoryRenderBufferRenderElement<R>,
    CursorSurface=WaylandSurfaceRenderElement<R>,
}

/// What the compositor lays over the active persona: the notice after a
/// switch, and the system display's panels (a persona bar).
#[derive(Default, Clone, Copy)]
pub struct Overlay<'a> {
    pub notice: Option<&'a notice::Notice>,
    /// The system display, whose top and overlay layer surfaces show over
    /// every persona (not while locked: then it is the persona on screen).
    pub system: Option<&'a PersonaState>,
    /// The pointer is hidden (`state::cursor`): neither the arrow nor a
    /// client's cursor surface is drawn.
    pub cursor_hidden: bool,
    /// The view the notice shows on (`Backend::front_index`).
    pub front: usize,
}

impl<'a> Overlay<'a> {
    /// What view `index` shows: the notice only on the front output.
    pub fn on_view(&self, index: usize) -> Overlay<'a> {
        Overlay {
            notice: self.notice.filter(|_| index == self.front),
            ..*self
        }
    }
}

/// What a frame draws: its elements, top first, and the color where none is.
pub struct Scene<E> {
    pub elements: Vec<E>,
    pub clear: Color32F,
}

/// The output's scene for `persona`: its windows inside the indicator, the
/// notice and the dim veil. Element ids are scoped to the persona; turn the
/// drawn states back with `persona.render_ids.borrow().unscope(..)`.
pub fn persona_scene<R: SceneRenderer>(
    renderer: &mut R,
    persona: &PersonaState,
    overlay: Option<&Overlay>,
    dim: Option<&SolidColorBuffer>,
    cursor: Option<&MemoryRenderBuffer>,
) -> Result<Scene<OutputElement<R>>, RenderError> {
    persona_scene_in(
        renderer,
        persona,
        &persona.primary_view(),
        overlay,
        dim,
        cursor,
    )
}

/// [`persona_scene`] for what one physical output shows (`view`).
pub fn persona_scene_in<R: SceneRenderer>(
    renderer: &mut R,
    persona: &PersonaState,
    view: &View,
    overlay: Option<&Overlay>,
    dim: Option<&SolidColorBuffer>,
    cursor: Option<&MemoryRenderBuffer>,
) -> Result<Scene<OutputElement<R>>, RenderError> {
    let layers = scene_layers(renderer, persona, view, overlay, dim, cursor)?;
    let (badge, background) = persona
        .indicator_buffers
        .borrow_mut()
        .for_view(view.index, persona.color)
        .elements(
            renderer,
            persona.indicator,
            view.spec.display_size(),
            view.inner(),
            &layers.over,
        )?;
    let mut elements = layers.over;
    elements.extend(badge.map(OutputElement::Memory));
    elements.extend(layers.windows);
    elements.push(OutputElement::Solid(background));
    // Where nothing is drawn, the clear color shows: that is the frame.
    let clear = match persona.indicator {
        // (A fullscreen window may cover the frame: then there is none.)
        Indicator::Frame if persona.inset > 0 => persona.color.to_f32().into(),
        Indicator::Frame | Indicator::Badge | Indicator::None => background_color(persona.color),
    };
    Ok(Scene { elements, clear })
}

/// A persona's scene without its indicator, which each renderer draws its
/// own way (pixman with solid colors, GLES with a shader): what goes over
/// the indicator and what goes under it, top first.
pub struct SceneLayers<E> {
    /// The dim veil, the pointer, the notice and the system display's panels.
    pub over: Vec<E>,
    /// The persona's windows, moved inside the frame.
    pub windows: Vec<E>,
}

pub fn scene_layers<R: SceneRenderer>(
    renderer: &mut R,
    persona: &PersonaState,
    view: &View,
    overlay: Option<&Overlay>,
    dim: Option<&SolidColorBuffer>,
    cursor: Option<&MemoryRenderBuffer>,
) -> Result<SceneLayers<OutputElement<R>>, RenderError> {
    let notice = overlay.and_then(|o| o.notice);
    let scene = persona_elements_in(renderer, persona, view)?;
    let mut ids = persona.render_ids.borrow_mut();
    let offset = view.corner;
    // The pointer, on the output it is on.
    let pointer = match (cursor, view.to_output(persona.pointer_location)) {
        (Some(arrow), Some(at)) => cursor::cursor_elements(renderer, persona, arrow, at)?,
        _ => Vec::new(),
    };
    let mut over: Vec<OutputElement<R>> = Vec::with_capacity(pointer.len() + 2);
    // Dimmed while the user is idle: a half-black veil over everything.
    if let Some(dim) = dim {
        over.push(OutputElement::Solid(SolidColorRenderElement::from_buffer(
            dim,
            Point::<i32, Physical>::from((0, 0)),
            1.0,
            1.0,
            Kind::Unspecified,
        )));
    }
    // The pointer: above everything but the dim veil.
    over.extend(pointer);
    if let Some(notice) = notice {
        over.push(OutputElement::Memory(
            MemoryRenderBufferRenderElement::from_buffer(
                renderer,
                notice.location.to_f64(),
                &notice.buffer,
                None,
                None,
                None,
                Kind::Unspecified,
            )
            .map_err(renderer_error)?,
        ));
    }
    // The system display's panels, over the frame: they are the
    // compositor's own, placed on the whole output.
    if let Some(system) = overlay.and_then(|o| o.system) {
        if let Some(shown) = system.views().into_iter().find(|v| v.index == view.index) {
            let mut panels = Vec::new();
            push_layers(renderer, system, &shown, true, &mut panels);
            let wrapped = system.render_ids.borrow_mut().wrap(panels);
            over.extend(wrapped.into_iter().map(|e| {
                let scaled =
                    RescaleRenderElement::from_element(e, Point::from((0, 0)), shown.scale);
                OutputElement::Persona(RelocateRenderElement::from_element(
                    scaled,
                    shown.corner,
                    Relocate::Relative,
                ))
            }));
        }
    }
    let windows = ids
        .wrap(scene)
        .into_iter()
        .map(|e| {
            // Scaled about the area's corner (a mirror), then put in place.
            let scaled = RescaleRenderElement::from_element(e, Point::from((0, 0)), view.scale);
            OutputElement::Persona(RelocateRenderElement::from_element(
                scaled,
                offset,
                Relocate::Relative,
            ))
        })
        .collect();
    Ok(SceneLayers { over, windows })
}

/// Draws `scene` into `target` with its damage tracker.
pub fn draw<E: RenderElement<PixmanRenderer>>(
    renderer: &mut PixmanRenderer,
    target: &mut Image<'static, 'static>,
    tracker: &mut OutputDamageTracker,
    scene: &Scene<E>,
    age: usize,
) -> Result<RenderElementStates, RenderError> {
    let mut framebuffer = renderer.bind(target)?;
    Ok(render_scene(renderer, &mut framebuffer, tracker, scene, age)?.states)
}

/// Draws `scene` into `framebuffer` through its damage tracker (`age` 0
/// redraws everything): what every renderer and target here shares.
pub fn render_scene<'t, R, E>(
    renderer: &mut R,
    framebuffer: &mut R::Framebuffer<'_>,
    tracker: &'t mut OutputDamageTracker,
    scene: &Scene<E>,
    age: usize,
) -> Result<RenderOutputResult<'t>, RenderError>
where
    R: Renderer,
    R::TextureId: Texture,
    E: RenderElement<R>,
{
    tracker
        .render_output(renderer, framebuffer, age, &scene.elements, scene.clear)
        .map_err(|err| RenderError::Damage(format!("{err:?}")))
}

/// Reads `image` back as RGBA.
pub fn read_pixels(
    renderer: &mut PixmanRenderer,
    image: &mut Image<'static, 'static>,
) -> Result<Screenshot, RenderError> {
    let (width, height) = (image.width() as u32, image.height() as u32);
    Ok(Screenshot {
        width,
        height,
        rgba: read_image(renderer, image, Fourcc::Abgr8888)?,
    })
}

/// All of `image`'s pixels, in `format`'s byte order, rows packed.
pub fn read_image(
    renderer: &mut PixmanRenderer,
    image: &mut Image<'static, 'static>,
    format: Fourcc,
) -> Result<Vec<u8>, RenderError> {
    let (width, height) = (image.width() as i32, image.height() as i32);
    let framebuffer = renderer.bind(image)?;
    let mapping = renderer.copy_framebuffer(
        &framebuffer,
        Rectangle::from_size((width, height).into()),
        format,
    )?;
    Ok(renderer.map_texture(&mapping)?.to_vec())
}

/// A new offscreen image of `size` for the output.
pub fn offscreen(
    renderer: &mut PixmanRenderer,
    size: Size<i32, Physical>,
) -> Result<Image<'static, 'static>, RenderError> {
    Ok(renderer.create_buffer(Fourcc::Argb8888, (size.w, size.h).into())?)
}

/// A renderer that draws offscreen and reads the pixels back, for captures
/// and screenshots. It must be the one that draws the output: only it
/// imports every client buffer (pixman reads no tiled GPU buffer).
pub trait Readback: SceneRenderer {
    type Target;
    fn new_target(&mut self, size: Size<i32, Physical>) -> Result<Self::Target, RenderError>;
    fn bind_target<'t>(
        &mut self,
        target: &'t mut Self::Target,
    ) -> Result<Self::Framebuffer<'t>, RenderError>;
    /// The target's pixels as RGBA, top row first, rows packed.
    fn read_rgba(&mut self, target: &mut Self::Target) -> Result<Vec<u8>, RenderError>;
}

impl Readback for PixmanRenderer {
    type Target = Image<'static, 'static>;

    fn new_target(&mut self, size: Size<i32, Physical>) -> Result<Self::Target, RenderError> {
        offscreen(self, size)
    }

    fn bind_target<'t>(
        &mut self,
        target: &'t mut Self::Target,
    ) -> Result<Self::Framebuffer<'t>, RenderError> {
        Ok(self.bind(target)?)
    }

    fn read_rgba(&mut self, target: &mut Self::Target) -> Result<Vec<u8>, RenderError> {
        read_image(self, target, Fourcc::Abgr8888)
    }
}

/// GLES, and the tty's renderer over GLES (whose textures of the windows
/// are those its frames use).
impl<R> Readback for R
where
    R: effects::OnGles + Offscreen<GlesRenderbuffer> + ExportMem,
{
    type Target = (GlesRenderbuffer, Size<i32, Physical>);

    fn new_target(&mut self, size: Size<i32, Physical>) -> Result<Self::Target, RenderError> {
        let buffer = self
            .create_buffer(Fourcc::Abgr8888, (size.w, size.h).into())
            .map_err(renderer_error)?;
        Ok((buffer, size))
    }

    fn bind_target<'t>(
        &mut self,
        target: &'t mut Self::Target,
    ) -> Result<Self::Framebuffer<'t>, RenderError> {
        self.bind(&mut target.0).map_err(renderer_error)
    }

    fn read_rgba(&mut self, target: &mut Self::Target) -> Result<Vec<u8>, RenderError> {
        let size = target.1;
        let framebuffer = self.bind(&mut target.0).map_err(renderer_error)?;
        let mapping = self
            .copy_framebuffer(
                &framebuffer,
                Rectangle::from_size((size.w, size.h).into()),
                Fourcc::Abgr8888,
            )
            .map_err(renderer_error)?;
        drop(framebuffer);
        let flipped = mapping.flipped();
        let bytes = self.map_texture(&mapping).map_err(renderer_error)?;
        // GL reads rows bottom-up unless the mapping says it flipped them.
        let row = size.w as usize * 4;
        Ok(if flipped {
            bytes.to_vec()
        } else {
            bytes.chunks_exact(row).rev().flatten().copied().collect()
        })
    }
}

/// The renderer captures and screenshots use: the backend's own.
pub enum AnyReadback<'a> {
    Pixman(&'a mut PixmanRenderer),
    Gles(&'a mut GlesRenderer),
    Tty(multi::TtyRenderer<'a>),
}

/// The same call with either renderer.
macro_rules! on_readback {
    ($readback:expr, $r:ident => $call:expr) => {
        match $readback {
            AnyReadback::Pixman(r) => {
                let $r = &mut **r;
                $call
            }
            AnyReadback::Gles(r) => {
                let $r = &mut **r;
                $call
            }
            AnyReadback::Tty($r) => $call,
        }
    };
}

impl AnyReadback<'_> {
    pub fn snapshot_view(
        &mut self,
        persona: &PersonaState,
        view: &View,
    ) -> Result<Screenshot, RenderError> {
        on_readback!(self, r => snapshot_view(r, persona, view))
    }

    pub fn snapshot_persona(&mut self, persona: &PersonaState) -> Result<Screenshot, RenderError> {
        on_readback!(self, r => snapshot_persona(r, persona))
    }

    pub fn capture_output(
        &mut self,
        persona: &PersonaState,
        name: &str,
    ) -> Result<capture::Captured, RenderError> {
        on_readback!(self, r => capture::capture_output(r, persona, name))
    }

    pub fn capture_window(
        &mut self,
        window: &smithay::desktop::Window,
    ) -> Result<capture::Captured, RenderError> {
        on_readback!(self, r => capture::capture_window(r, window))
    }
}

/// What `view` shows of a persona, rendered on its own (`screenshot --output`
/// where frames cannot be read back).
pub fn snapshot_view<R: Readback>(
    renderer: &mut R,
    persona: &PersonaState,
    view: &View,
) -> Result<Screenshot, RenderError> {
    let spec = &view.spec;
    let mut target = renderer.new_target(spec.size)?;
    let mut tracker = OutputDamageTracker::new(spec.size, 1.0, spec.transform);
    let scene = persona_scene_in(renderer, persona, view, None, None, None)?;
    let mut framebuffer = renderer.bind_target(&mut target)?;
    render_scene(renderer, &mut framebuffer, &mut tracker, &scene, 0)?;
    drop(framebuffer);
    Ok(Screenshot {
        width: spec.size.w as u32,
        height: spec.size.h as u32,
        rgba: renderer.read_rgba(&mut target)?,
    })
}

/// Renders a persona's kept content on its own, as the primary output shows
/// it: used for `screenshot --persona` of a background persona, which must
/// not disturb the output's damage state.
pub fn snapshot_persona<R: Readback>(
    renderer: &mut R,
    persona: &PersonaState,
) -> Result<Screenshot, RenderError> {
    snapshot_view(renderer, persona, &persona.primary_view())
}
