//! The headless backend: virtual outputs (one, or more with `[headless]
//! extra_outputs`) rendered with pixman into offscreen images. Used by
//! tests, CI and servers; the test fixture and `--test-input` inject input
//! into it.

use std::time::Duration;

use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::element::solid::SolidColorBuffer;
use smithay::backend::renderer::element::RenderElementStates;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::utils::Buffer;
use smithay::reexports::pixman::Image;
use smithay::utils::Transform;

use super::pacing::FlipState;
use super::Flip;
use crate::persona::{OutputSpec, PersonaState};
use crate::render::{self, RenderError, Screenshot};

/// The connector name of the headless output; personas' virtual outputs mirror it.
pub const OUTPUT_NAME: &str = "HEADLESS-1";
pub const REFRESH_MHZ: i32 = 60_000;

pub struct HeadlessBackend {
    renderer: PixmanRenderer,
    /// Every output's image, the primary first.
    screens: Vec<Screen>,
    /// The images are black from [`HeadlessBackend::blank`] and nothing was
    /// drawn since.
    blanked: bool,
    /// What keyboard LEDs would show (no keyboard here; for tests).
    pub leds: smithay::input::keyboard::LedState,
    /// Frames in which a client's buffer was an output's frame.
    pub scanned_out: u64,
    /// Per-surface dmabuf feedback, as a tty screen has (none unless a
    /// test sets it: headless has no GPU).
    pub surface_feedback: Option<crate::handlers::dmabuf::SurfaceFeedback>,
    /// Page flips as a tty has them, for tests: each frame is queued and
    /// waits for [`State::simulated_page_flip`] (off: frames are shown as
    /// drawn).
    pub simulate_flips: bool,
    /// The primary (which stands for a built-in panel here), taken out of
    /// the layout while the lid is closed and another output shows.
    under_lid: Option<Screen>,
}

/// One output: its image, damage and veil.
struct Screen {
    spec: OutputSpec,
    image: Image<'static, 'static>,
    tracker: OutputDamageTracker,
    /// The next frame redraws everything (after a switch: element ids of two
    /// personas may be equal, so the old frame's damage state means nothing;
    /// after a scanned-out frame the image is not what the tracker drew).
    whole: bool,
    dim_veil: SolidColorBuffer,
    /// The client buffer that is this output's frame, when a single opaque
    /// surface covered it and nothing was composited (the headless
    /// equivalent of direct scan-out). Held, so unreleased, until the next
    /// frame; the image gets its pixels only when someone reads it.
    scanout: Option<Buffer>,
    /// Its simulated page flips.
    flip: FlipState,
    /// Turned off by hand (`output NAME off`) while others show: black,
    /// not drawn.
    off: bool,
}

impl Screen {
    fn new(renderer: &mut PixmanRenderer, spec: OutputSpec) -> Result<Screen, RenderError> {
        let image = render::offscreen(renderer, spec.size)?;
        let tracker = OutputDamageTracker::new(spec.size, 1.0, spec.transform);
        let dim_veil = SolidColorBuffer::new(spec.display_size().to_logical(1), render::DIM_VEIL);
        Ok(Screen {
            spec,
            image,
            tracker,
            whole: true,
            dim_veil,
            scanout: None,
            flip: FlipState::default(),
            off: false,
        })
    }

    /// Black, as a panel turned off shows.
    fn black(&mut self, renderer: &mut PixmanRenderer) -> Result<(), RenderError> {
        use smithay::backend::renderer::{Bind, Color32F, Frame, Renderer};
        self.scanout = None;
        let size = self.spec.size;
        let mut framebuffer = renderer.bind(&mut self.image)?;
        let mut frame = renderer.render(&mut framebuffer, size, Transform::Normal)?;
        frame.clear(
            Color32F::BLACK,
            &[smithay::utils::Rectangle::from_size(size)],
        )?;
        let _ = frame.finish()?;
        Ok(())
    }

    fn reset_damage(&mut self) {
        self.whole = true;
        self.tracker = OutputDamageTracker::new(self.spec.size, 1.0, self.spec.transform);
    }

    /// The image as the output shows it: a scanned-out buffer copied in.
    fn image(
        &mut self,
        renderer: &mut PixmanRenderer,
    ) -> Result<&mut Image<'static, 'static>, RenderError> {
        if let Some(buffer) = &self.scanout {
            render::scanout::copy_buffer(renderer, buffer, &mut self.image, self.spec.size)?;
        }
        Ok(&mut self.image)
    }
}

impl HeadlessBackend {
    pub fn new(size: (u32, u32), transform: Transform) -> Result<HeadlessBackend, RenderError> {
        let spec = OutputSpec {
            name: OUTPUT_NAME.to_owned(),
            size: (size.0 as i32, size.1 as i32).into(),
            refresh_mhz: REFRESH_MHZ,
            scale: 1.0,
            transform,
        };
        let mut renderer = render::pixman_renderer()?;
        let primary = Screen::new(&mut renderer, spec)?;
        Ok(HeadlessBackend {
            renderer,
            screens: vec![primary],
            blanked: false,
            leds: Default::default(),
            scanned_out: 0,
            surface_feedback: None,
            simulate_flips: false,
            under_lid: None,
        })
    }

    /// Adds an output of `size` (HEADLESS-2, HEADLESS-3, …).
    pub fn add_output(&mut self, size: (u32, u32)) -> Result<(), RenderError> {
        let spec = OutputSpec {
            name: format!("HEADLESS-{}", self.screens.len() + 1),
            size: (size.0 as i32, size.1 as i32).into(),
            refresh_mhz: REFRESH_MHZ,
            scale: 1.0,
            transform: Transform::Normal,
        };
        let screen = Screen::new(&mut self.renderer, spec)?;
        self.screens.push(screen);
        Ok(())
    }

    /// The output named `name`.
    pub fn spec_named(&self, name: &str) -> Option<&OutputSpec> {
        self.screens
            .iter()
            .map(|s| &s.spec)
            .find(|s| s.name == name)
    }

    /// Every output, the primary first.
    pub fn specs(&self) -> Vec<OutputSpec> {
        self.screens.iter().map(|s| s.spec.clone()).collect()
    }

    /// What output `index` (0: the primary) shows now.
    pub fn screenshot_of(&mut self, index: usize) -> Result<Screenshot, RenderError> {
        let screen = self
            .screens
            .get_mut(index)
            .ok_or_else(|| RenderError::Renderer(format!("no output {index}")))?;
        let image = screen.image(&mut self.renderer)?;
        render::read_pixels(&mut self.renderer, image)
    }

    /// Whether output `index`'s last frame was a client buffer, not composited.
    pub fn scanned_out(&self, index: usize) -> bool {
        self.screens.get(index).is_some_and(|s| s.scanout.is_some())
    }

    /// The primary output's.
    pub fn spec(&self) -> &OutputSpec {
        &self.screens[0].spec
    }

    pub fn frame_duration(&self) -> Duration {
        self.spec().frame_duration()
    }

    /// Draws `persona` (the active one) onto every output; what each drew,
    /// by view. An output that one opaque client surface covers whole is
    /// not composited: that buffer is its frame.
    pub fn render(
        &mut self,
        persona: &PersonaState,
        views: &[crate::persona::outputs::View],
        overlay: &crate::render::Overlay,
        dim: bool,
    ) -> Result<Vec<(RenderElementStates, Flip)>, RenderError> {
        self.blanked = false;
        let mut drawn = Vec::with_capacity(self.screens.len());
        for view in views {
            let Some(screen) = self.screens.get_mut(view.index) else {
                continue;
            };
            if self.simulate_flips && !screen.flip.may_draw() {
                drawn.push((RenderElementStates::default(), Flip::Pending));
                continue;
            }
            if screen.off {
                drawn.push((RenderElementStates::default(), Flip::Nothing));
                continue;
            }
            let overlay = overlay.on_view(view.index);
            let scene = render::persona_scene_in(
                &mut self.renderer,
                persona,
                view,
                Some(&overlay),
                dim.then_some(&screen.dim_veil),
                None,
            )?;
            let sole = (screen.spec.transform == Transform::Normal)
                .then(|| render::scanout::sole_buffer(&mut self.renderer, &scene, screen.spec.size))
                .flatten();
            let (states, damaged) = match sole {
                Some((id, buffer)) => {
                    self.scanned_out += 1;
                    screen.scanout = Some(buffer);
                    screen.whole = true;
                    (render::scanout::scanned_out(id, screen.spec.size), true)
                }
                None => {
                    screen.scanout = None;
                    let age = if std::mem::take(&mut screen.whole) {
                        0
                    } else {
                        1
                    };
                    let mut framebuffer = smithay::backend::renderer::Bind::bind(
                        &mut self.renderer,
                        &mut screen.image,
                    )
                    .map_err(render::renderer_error)?;
                    let result = render::render_scene(
                        &mut self.renderer,
                        &mut framebuffer,
                        &mut screen.tracker,
                        &scene,
                        age,
                    )?;
                    (result.states, result.damage.is_some())
                }
            };
            // As on a tty: a frame that changed nothing queues no flip.
            let flip = match (self.simulate_flips, damaged) {
                (false, _) => Flip::Shown,
                (true, false) => Flip::Nothing,
                (true, true) => {
                    screen.flip.queued(Duration::ZERO);
                    Flip::Queued
                }
            };
            drawn.push((persona.render_ids.borrow().unscope(states), flip));
        }
        Ok(drawn)
    }

    /// Output `index`'s simulated page flip: its name and whether it owes
    /// a frame, or None if no frame waited for a flip there.
    pub fn page_flip(&mut self, index: usize) -> Option<(String, bool)> {
        let screen = self.screens.get_mut(index)?;
        let owed = screen.flip.flipped()?;
        Some((screen.spec.name.clone(), owed))
    }

    /// Whether every output waits for its (simulated) page flip.
    pub fn all_flips_pending(&self) -> bool {
        self.screens.iter().all(|s| s.flip.pending())
    }

    /// Whether an output missed a frame while it waited for its flip.
    pub fn owes_frames(&self) -> bool {
        self.screens.iter().any(|s| s.flip.owed())
    }

    /// A frame was asked for that no output could draw.
    pub fn owe_all(&mut self) {
        for screen in &mut self.screens {
            screen.flip.owe();
        }
    }

    /// Draws any scene (the overview) whole onto output `index`, and whole
    /// again in the next frame.
    pub fn draw_on<E: smithay::backend::renderer::element::RenderElement<PixmanRenderer>>(
        &mut self,
        index: usize,
        scene: &crate::render::Scene<E>,
    ) -> Result<RenderElementStates, RenderError> {
        self.blanked = false;
        let screen = &mut self.screens[index];
        if screen.off {
            // Every output is off: nothing shows the overview.
            return Ok(RenderElementStates::default());
        }
        screen.scanout = None;
        screen.whole = true;
        render::draw(
            &mut self.renderer,
            &mut screen.image,
            &mut screen.tracker,
            scene,
            0,
        )
    }

    /// The screen the overview and the notice show on (see
    /// `Backend::front_output`).
    pub fn front_index(&self) -> usize {
        self.screens.iter().position(|s| !s.off).unwrap_or(0)
    }

    pub fn front_spec(&self) -> &OutputSpec {
        &self.screens[self.front_index()].spec
    }

    /// Fills every output but `except` with `color` (while the overview is
    /// there); they are drawn whole afterwards.
    pub fn fill_others(
        &mut self,
        except: usize,
        color: smithay::backend::renderer::Color32F,
    ) -> Result<(), RenderError> {
        let scene: crate::render::Scene<
            smithay::backend::renderer::element::solid::SolidColorRenderElement,
        > = crate::render::Scene {
            elements: Vec::new(),
            clear: color,
        };
        let others = self.screens.iter_mut().enumerate();
        for (_, screen) in others.filter(|(i, s)| *i != except && !s.off) {
            screen.scanout = None;
            render::draw(
                &mut self.renderer,
                &mut screen.image,
                &mut screen.tracker,
                &scene,
                0,
            )?;
            screen.reset_damage();
        }
        Ok(())
    }

    pub fn dim_veil(&self) -> &SolidColorBuffer {
        self.dim_veil_of(0)
    }

    pub fn dim_veil_of(&self, index: usize) -> &SolidColorBuffer {
        &self.screens[index].dim_veil
    }

    /// The outputs powered off: black, and drawn whole when they come back.
    pub fn blank(&mut self) -> Result<(), RenderError> {
        if self.blanked {
            return Ok(());
        }
        for screen in &mut self.screens {
            screen.black(&mut self.renderer)?;
        }
        self.reset_damage();
        self.blanked = true;
        Ok(())
    }

    /// Turns output `name` off (black, not drawn) or on again; false if
    /// there is none.
    pub fn set_output_off(&mut self, name: &str, off: bool) -> Result<bool, RenderError> {
        let Some(screen) = self.screens.iter_mut().find(|s| s.spec.name == name) else {
            return Ok(false);
        };
        screen.off = off;
        if off {
            screen.black(&mut self.renderer)?;
        }
        screen.reset_damage();
        Ok(true)
    }

    /// Whether output `name` is turned off by hand.
    pub fn output_off(&self, name: &str) -> bool {
        self.screens.iter().any(|s| s.spec.name == name && s.off)
    }

    /// Forget everything the damage trackers know: the next frame is drawn whole.
    pub fn reset_damage(&mut self) {
        for screen in &mut self.screens {
            screen.reset_damage();
        }
    }

    /// The lid closed or opened: closed, the built-in panel (HEADLESS-1)
    /// leaves the layout if another output is there (a laptop docked
    /// with its lid shut); opened, it is back as the primary. Returns
    /// whether the outputs changed.
    pub fn set_lid(&mut self, closed: bool) -> bool {
        if closed {
            let another_shows = self.screens.iter().skip(1).any(|s| !s.off);
            if self.under_lid.is_some()
                || !another_shows
                || self.screens[0].spec.name != OUTPUT_NAME
            {
                return false;
            }
            let mut panel = self.screens.remove(0);
            // A flip it waited for never comes.
            panel.flip.settle();
            self.under_lid = Some(panel);
        } else {
            let Some(panel) = self.under_lid.take() else {
                return false;
            };
            self.screens.insert(0, panel);
        }
        self.reset_damage();
        true
    }

    /// Whether a closed lid leaves nothing to see: the built-in panel is
    /// among the outputs, or every other output is off.
    pub fn lid_blanks(&self) -> bool {
        self.screens
            .iter()
            .all(|s| s.spec.name == OUTPUT_NAME || s.off)
    }

    /// Turns output `name` (a rotation daemon, `personas msg output …
    /// transform`); false if there is none.
    pub fn set_transform(&mut self, name: &str, transform: Transform) -> bool {
        let Some(screen) = self.screens.iter_mut().find(|s| s.spec.name == name) else {
            return false;
        };
        screen.spec.transform = transform;
        screen
            .dim_veil
            .resize(screen.spec.display_size().to_logical(1));
        self.reset_damage();
        true
    }

    /// The renderer, for work beside the output (captures).
    pub fn renderer(&mut self) -> &mut PixmanRenderer {
        &mut self.renderer
    }

    /// What the primary output shows now.
    pub fn screenshot(&mut self) -> Result<Screenshot, RenderError> {
        self.screenshot_of(0)
    }
}
