//! What only GLES draws: the persona indicator by a shader, and the switch
//! transition from the old persona's snapshot to the new persona. pixman
//! draws the same indicator with solid rectangles and no transition.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::element::memory::{
    MemoryRenderBuffer, MemoryRenderBufferRenderElement,
};
use smithay::backend::renderer::element::solid::SolidColorBuffer;
use smithay::backend::renderer::element::texture::{TextureBuffer, TextureRenderElement};
use smithay::backend::renderer::element::utils::{Relocate, RelocateRenderElement};
use smithay::backend::renderer::element::{Element, Id, Kind, RenderElement};
use smithay::backend::renderer::gles::element::{PixelShaderElement, TextureShaderElement};
use smithay::backend::renderer::gles::{
    GlesError, GlesFrame, GlesPixelProgram, GlesRenderer, GlesTexProgram, GlesTexture, Uniform,
    UniformName, UniformType,
};
use smithay::backend::renderer::utils::{CommitCounter, DamageSet, OpaqueRegions};
use smithay::backend::renderer::{Color32F, Offscreen, RendererSuper};
use smithay::utils::{Buffer, Logical, Physical, Point, Rectangle, Scale, Size, Transform};

use super::{renderer_error, OutputElement, RenderError, Scene, SceneRenderer};
use crate::config::{Indicator, Transition as TransitionKind};
use crate::persona::outputs::View;
use crate::persona::PersonaState;

/// How long a transition runs.
pub const TRANSITION_TIME: Duration = Duration::from_millis(150);

/// How dark the outgoing persona is at the end of a slide.
const SLIDE_SHADE: f32 = 0.5;

/// A renderer whose frames are GLES frames underneath: GLES itself, or the
/// tty's renderer over several GPUs, which draws on one GPU's GLES. The
/// shaders and the transition's snapshots belong to that GLES.
pub trait OnGles: SceneRenderer + RendererSuper<Error: From<GlesError>> {
    /// The GLES that draws.
    fn gles(&mut self) -> &mut GlesRenderer;
    /// The GLES frame under one of this renderer's frames.
    fn gles_frame<'a, 'f, 'b>(frame: &'a mut Self::Frame<'f, 'b>) -> &'a mut GlesFrame<'f, 'b>
    where
        'b: 'f,
        Self: 'f;
    /// Tells the frame that `damage` (inside `dst`) is drawn underneath it:
    /// a frame copied to another GPU copies only what it saw drawn.
    fn note_damage(
        frame: &mut Self::Frame<'_, '_>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
    );
}

impl OnGles for GlesRenderer {
    fn gles(&mut self) -> &mut GlesRenderer {
        self
    }

    fn gles_frame<'a, 'f, 'b>(frame: &'a mut GlesFrame<'f, 'b>) -> &'a mut GlesFrame<'f, 'b>
    where
        'b: 'f,
    {
        frame
    }

    fn note_damage(
        _frame: &mut GlesFrame<'_, '_>,
        _dst: Rectangle<i32, Physical>,
        _damage: &[Rectangle<i32, Physical>],
    ) {
    }
}

/// A GLES-only element (a shader, a GLES texture) drawn by any [`OnGles`]
/// renderer, on the GLES frame underneath.
#[derive(Debug, Clone)]
pub struct Shader<E>(pub E);

impl<E: Element> Element for Shader<E> {
    fn id(&self) -> &Id {
        self.0.id()
    }
    fn current_commit(&self) -> CommitCounter {
        self.0.current_commit()
    }
    fn location(&self, scale: Scale<f64>) -> Point<i32, Physical> {
        self.0.location(scale)
    }
    fn src(&self) -> Rectangle<f64, Buffer> {
        self.0.src()
    }
    fn transform(&self) -> Transform {
        self.0.transform()
    }
    fn geometry(&self, scale: Scale<f64>) -> Rectangle<i32, Physical> {
        self.0.geometry(scale)
    }
    fn damage_since(
        &self,
        scale: Scale<f64>,
        commit: Option<CommitCounter>,
    ) -> DamageSet<i32, Physical> {
        self.0.damage_since(scale, commit)
    }
    fn opaque_regions(&self, scale: Scale<f64>) -> OpaqueRegions<i32, Physical> {
        self.0.opaque_regions(scale)
    }
    fn alpha(&self) -> f32 {
        self.0.alpha()
    }
    fn kind(&self) -> Kind {
        self.0.kind()
    }
}

impl<R: OnGles, E: RenderElement<GlesRenderer>> RenderElement<R> for Shader<E> {
    fn draw(
        &self,
        frame: &mut R::Frame<'_, '_>,
        src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        opaque_regions: &[Rectangle<i32, Physical>],
    ) -> Result<(), R::Error> {
        R::note_damage(frame, dst, damage);
        Ok(self
            .0
            .draw(R::gles_frame(frame), src, dst, damage, opaque_regions)?)
    }
}

smithay::backend::renderer::element::render_elements! {
    /// What a GLES frame draws: the compositor's pieces that stay put, the
    /// persona (moved while it slides in), and the outgoing snapshot.
    pub GlesElement<R> where R: OnGles;
    Fixed=OutputElement<R>,
    Persona=RelocateRenderElement<OutputElement<R>>,
    Indicator=RelocateRenderElement<Shader<PixelShaderElement>>,
    Badge=RelocateRenderElement<MemoryRenderBufferRenderElement<R>>,
    Snapshot=Shader<TextureShaderElement>,
}

/// The compiled shaders, and each persona's indicator elements, kept so their
/// ids (and so their damage) stay the same from frame to frame.
pub struct Effects {
    indicator: GlesPixelProgram,
    transition: GlesTexProgram,
    /// By persona id and view index (a key without allocation, per frame).
    kept: HashMap<(crate::persona::PersonaId, usize), KeptIndicator>,
}

struct KeptIndicator {
    /// What the elements were made for.
    key: (
        [f32; 4],
        Indicator,
        Rectangle<i32, Physical>,
        Size<i32, Physical>,
    ),
    area: PixelShaderElement,
}

impl Effects {
    pub fn compile(renderer: &mut GlesRenderer) -> Result<Effects, RenderError> {
        let indicator = renderer
            .compile_custom_pixel_shader(
                include_str!("../../shaders/indicator.frag"),
                &[
                    UniformName::new("frame_color", UniformType::_4f),
                    UniformName::new("area_color", UniformType::_4f),
                    UniformName::new("inner", UniformType::_4f),
                ],
            )
            .map_err(|e| RenderError::Renderer(format!("shaders/indicator.frag: {e}")))?;
        let transition = renderer
            .compile_custom_texture_shader(
                include_str!("../../shaders/transition.frag"),
                &[
                    UniformName::new("progress", UniformType::_1f),
                    UniformName::new("shade", UniformType::_1f),
                ],
            )
            .map_err(|e| RenderError::Renderer(format!("shaders/transition.frag: {e}")))?;
        Ok(Effects {
            indicator,
            transition,
            kept: HashMap::new(),
        })
    }

    /// The persona's area, under its windows: the frame and the dimmed color
    /// where no window is. (The badge is a buffer: `render::indicator`.)
    fn indicator(&mut self, persona: &PersonaState, view: &View) -> PixelShaderElement {
        let color = persona.color.to_f32();
        let size = view.spec.display_size();
        // Where the persona's area is; the frame is around it.
        let inner = view.inner();
        let key = (color, persona.indicator, inner, size);
        let inner = [
            inner.loc.x as f32,
            inner.loc.y as f32,
            (inner.loc.x + inner.size.w) as f32,
            (inner.loc.y + inner.size.h) as f32,
        ];
        let area_color = super::background_color(persona.color).components();
        let full = [color[0], color[1], color[2], 1.0];
        let area_rect = Rectangle::<i32, Logical>::from_size((size.w, size.h).into());
        let area_uniforms = || {
            vec![
                Uniform::new("frame_color", full),
                Uniform::new("area_color", area_color),
                Uniform::new("inner", inner),
            ]
        };
        let program = &self.indicator;
        let kept = self
            .kept
            .entry((persona.id, view.index))
            .or_insert_with(|| KeptIndicator {
                key,
                area: PixelShaderElement::new(
                    program.clone(),
                    area_rect,
                    Some(vec![area_rect]),
                    1.0,
                    area_uniforms(),
                    Kind::Unspecified,
                ),
            });
        if kept.key != key {
            kept.key = key;
            kept.area.resize(area_rect, Some(vec![area_rect]));
            kept.area.update_uniforms(area_uniforms());
        }
        kept.area.clone()
    }
}

/// A switch in progress: the old persona as it last looked, leaving.
pub struct Transition {
    pub kind: TransitionKind,
    /// The old persona as each output showed it, by view index.
    snapshots: Vec<(usize, TextureBuffer<GlesTexture>)>,
    started: Instant,
}

impl Transition {
    /// Draws `from` (the persona being left) as each of `views` shows it,
    /// into textures to leave from.
    ///
    /// `renderer` is the one the frames are drawn with, so the windows'
    /// textures it already has are used, not uploaded again.
    pub fn begin<R>(
        renderer: &mut R,
        effects: &mut Effects,
        from: &PersonaState,
        kind: TransitionKind,
        views: &[View],
    ) -> Result<Transition, RenderError>
    where
        R: OnGles + Offscreen<GlesTexture>,
    {
        let mut snapshots = Vec::with_capacity(views.len());
        for view in views {
            let size = view.spec.display_size();
            let mut texture: GlesTexture = renderer
                .create_buffer(Fourcc::Abgr8888, (size.w, size.h).into())
                .map_err(renderer_error)?;
            {
                let mut framebuffer = renderer.bind(&mut texture).map_err(renderer_error)?;
                let scene =
                    persona_scene_in(renderer, effects, from, view, None, None, None, None)?;
                let mut tracker = OutputDamageTracker::new(size, 1.0, Transform::Normal);
                super::render_scene(renderer, &mut framebuffer, &mut tracker, &scene, 0)?;
            }
            let snapshot =
                TextureBuffer::from_texture(renderer.gles(), texture, 1, Transform::Normal, None);
            snapshots.push((view.index, snapshot));
        }
        Ok(Transition {
            kind,
            snapshots,
            started: Instant::now(),
        })
    }

    /// How far along it is at `now` (eased, 0 to 1); `None` once it is over.
    pub fn progress(&self, now: Instant) -> Option<f32> {
        let t = now.saturating_duration_since(self.started).as_secs_f32()
            / TRANSITION_TIME.as_secs_f32();
        (t < 1.0).then_some(t * t * (3.0 - 2.0 * t))
    }
}

/// The output's scene for `persona` drawn with GLES: what
/// [`super::persona_scene`] draws, with the indicator drawn by its shader and,
/// while `transition` runs (at the given progress), the old persona leaving.
pub fn persona_scene<R: OnGles>(
    renderer: &mut R,
    effects: &mut Effects,
    persona: &PersonaState,
    overlay: Option<&super::Overlay>,
    dim: Option<&SolidColorBuffer>,
    cursor: Option<&MemoryRenderBuffer>,
    transition: Option<(&Transition, f32)>,
) -> Result<Scene<GlesElement<R>>, RenderError> {
    let view = persona.primary_view();
    persona_scene_in(
        renderer, effects, persona, &view, overlay, dim, cursor, transition,
    )
}

/// [`persona_scene`] for what one physical output shows (`view`).
#[allow(clippy::too_many_arguments)]
pub fn persona_scene_in<R: OnGles>(
    renderer: &mut R,
    effects: &mut Effects,
    persona: &PersonaState,
    view: &View,
    overlay: Option<&super::Overlay>,
    dim: Option<&SolidColorBuffer>,
    cursor: Option<&MemoryRenderBuffer>,
    transition: Option<(&Transition, f32)>,
) -> Result<Scene<GlesElement<R>>, RenderError> {
    let layers = super::scene_layers(renderer, persona, view, overlay, dim, cursor)?;
    let area = effects.indicator(persona, view);
    let width = view.spec.display_size().w as f64;
    // While sliding, the new persona comes in from the right.
    // Only outputs the old persona was drawn for take part.
    let transition = transition.and_then(|(t, progress)| {
        let snapshot = t.snapshots.iter().find(|(i, _)| *i == view.index)?;
        Some((t, &snapshot.1, progress))
    });
    let shift = match transition {
        Some((t, _, progress)) if t.kind == TransitionKind::Slide => {
            ((1.0 - progress as f64) * width).round() as i32
        }
        _ => 0,
    };
    let shift = Point::<i32, Physical>::from((shift, 0));
    fn moved<E: Element>(e: E, shift: Point<i32, Physical>) -> RelocateRenderElement<E> {
        RelocateRenderElement::from_element(e, shift, Relocate::Relative)
    }

    let mut elements: Vec<GlesElement<R>> = Vec::with_capacity(layers.windows.len() + 6);
    elements.extend(layers.over.into_iter().map(GlesElement::Fixed));
    if let Some((t, snapshot, progress)) = transition {
        elements.push(GlesElement::Snapshot(snapshot_element(
            effects, t.kind, snapshot, progress, width,
        )));
    }
    let badge = persona
        .indicator_buffers
        .borrow_mut()
        .for_view(view.index, persona.color)
        .badge(
            renderer,
            persona.indicator,
            view.spec.display_size(),
            &elements,
        )?;
    elements.extend(badge.map(|b| GlesElement::Badge(moved(b, shift))));
    elements.extend(
        layers
            .windows
            .into_iter()
            .map(|e| GlesElement::Persona(moved(e, shift))),
    );
    elements.push(GlesElement::Indicator(moved(Shader(area), shift)));
    Ok(Scene {
        elements,
        clear: Color32F::BLACK,
    })
}

/// The outgoing persona: fading over the new one, or sliding out left.
fn snapshot_element(
    effects: &Effects,
    kind: TransitionKind,
    snapshot: &TextureBuffer<GlesTexture>,
    progress: f32,
    width: f64,
) -> Shader<TextureShaderElement> {
    let (location, alpha, shade) = match kind {
        TransitionKind::Slide => (-(progress as f64 * width).round(), 1.0, SLIDE_SHADE),
        TransitionKind::Crossfade | TransitionKind::None => (0.0, 1.0 - progress, 0.0),
    };
    let texture = TextureRenderElement::from_texture_buffer(
        Point::<f64, Physical>::from((location, 0.0)),
        snapshot,
        Some(alpha),
        None,
        None,
        Kind::Unspecified,
    );
    Shader(TextureShaderElement::new(
        texture,
        effects.transition.clone(),
        vec![
            Uniform::new("progress", progress),
            Uniform::new("shade", shade),
        ],
    ))
}
