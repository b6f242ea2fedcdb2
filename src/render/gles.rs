//! GLES without a window: an EGL display on the software device (Mesa's
//! llvmpipe) or surfaceless, rendering a scene into an offscreen buffer. The
//! pixel tests draw the same scenes with it and with pixman and compare, so
//! the GL paths (winit, and later tty on a GPU) draw what pixman draws.

use smithay::backend::egl::native::EGLSurfacelessDisplay;
use smithay::backend::egl::{EGLContext, EGLDevice, EGLDisplay};
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::element::RenderElement;
use smithay::backend::renderer::gles::GlesRenderer;
use smithay::utils::{Physical, Size, Transform};

use super::{renderer_error, Readback, RenderError, Scene, Screenshot};

pub struct GlesOffscreen {
    pub renderer: GlesRenderer,
    pub effects: super::effects::Effects,
}

impl GlesOffscreen {
    /// A GLES renderer on the software EGL device, else surfaceless EGL.
    pub fn new() -> Result<GlesOffscreen, RenderError> {
        let egl = |what: &str, err: &dyn std::fmt::Display| {
            RenderError::Renderer(format!(
                "{what}: {err} (needs Mesa's EGL: apt install libegl1 libegl-mesa0 libgl1-mesa-dri)"
            ))
        };
        let software = EGLDevice::enumerate()
            .map_err(|e| egl("listing EGL devices", &e))?
            .find(|d| {
                d.extensions()
                    .iter()
                    .any(|e| e == "EGL_MESA_device_software")
            });
        // SAFETY: the display lives as long as the context and renderer made
        // from it, which keep it alive themselves.
        let display = match software {
            Some(device) => unsafe { EGLDisplay::new(device) },
            None => unsafe { EGLDisplay::new(EGLSurfacelessDisplay) },
        }
        .map_err(|e| egl("opening an EGL display", &e))?;
        let context = EGLContext::new(&display).map_err(|e| egl("creating a context", &e))?;
        // SAFETY: the context is new and current on no other thread.
        let mut renderer = unsafe { GlesRenderer::new(context) }.map_err(renderer_error)?;
        let effects = super::effects::Effects::compile(&mut renderer)?;
        Ok(GlesOffscreen { renderer, effects })
    }

    /// Draws `scene` on an output of `size` turned by `transform` and reads
    /// it back as RGBA, top row first.
    pub fn render<E: RenderElement<GlesRenderer>>(
        &mut self,
        size: Size<i32, Physical>,
        transform: Transform,
        scene: &Scene<E>,
    ) -> Result<Screenshot, RenderError> {
        let renderer = &mut self.renderer;
        let mut target = renderer.new_target(size)?;
        let mut framebuffer = renderer.bind_target(&mut target)?;
        let mut tracker = OutputDamageTracker::new(size, 1.0, transform);
        super::render_scene(renderer, &mut framebuffer, &mut tracker, scene, 0)?;
        drop(framebuffer);
        let rgba = renderer.read_rgba(&mut target)?;
        Ok(Screenshot {
            width: size.w as u32,
            height: size.h as u32,
            rgba,
        })
    }
}
