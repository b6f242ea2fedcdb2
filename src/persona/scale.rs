//! Output scale (config `[outputs."NAME"] scale`, fractional values too):
//! a persona's virtual output has the panel's pixels as its mode and the
//! scale, so its logical size is the pixels divided by it; each view draws
//! the persona's logical scene scaled up by it. Clients learn the scale
//! from wl_output, wl_surface.preferred_buffer_scale and
//! wp-fractional-scale, and draw sharp buffers through wp-viewporter.

use smithay::delegate_fractional_scale;
use smithay::desktop::{layer_map_for_output, Window, WindowSurfaceType};
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::Transform;
use smithay::wayland::compositor::{get_parent, send_surface_state, with_states, SurfaceData};
use smithay::wayland::fractional_scale::{with_fractional_scale, FractionalScaleHandler};

use super::PersonaState;

/// What a surface on `output` is told: the integer scale (rounded up, as
/// wl_output says) and the exact one.
pub(crate) fn tell(surface: &WlSurface, data: &SurfaceData, scale: f64) {
    // Buffers are drawn upright; the renderer turns them (so a client never
    // has to pre-rotate for a turned tablet).
    send_surface_state(surface, data, scale.ceil() as i32, Transform::Normal);
    with_fractional_scale(data, |fractional| fractional.set_preferred_scale(scale));
}

impl PersonaState {
    /// The output `window` is on (the primary while mirroring).
    pub fn output_of(&self, window: &Window) -> &Output {
        if self.mirror || self.free_placement {
            return &self.output;
        }
        super::windows::home_of(window)
            .and_then(|name| self.output_named(&name))
            .unwrap_or(&self.output)
    }

    /// Tells every surface of `window` the scale of its output.
    pub fn send_window_scale(&self, window: &Window) {
        let scale = self.output_of(window).current_scale().fractional_scale();
        window.with_surfaces(|surface, data| tell(surface, data, scale));
    }

    /// Tells every window and layer surface its output's scale (after the
    /// outputs changed).
    pub fn send_scales(&self) {
        for window in self.space.elements() {
            self.send_window_scale(window);
        }
        for output in self.outputs() {
            let scale = output.current_scale().fractional_scale();
            for layer in layer_map_for_output(output).layers() {
                layer.with_surfaces(|surface, data| tell(surface, data, scale));
            }
        }
    }

    /// The scale of the output `surface` is (or will be) on.
    fn scale_for(&self, surface: &WlSurface) -> f64 {
        let mut root = surface.clone();
        while let Some(parent) = get_parent(&root) {
            root = parent;
        }
        if let Some(window) = self.window_for_surface(&root) {
            return self.output_of(window).current_scale().fractional_scale();
        }
        let output = match self.find_layer(&root, WindowSurfaceType::ALL) {
            Some((output, _)) => output,
            None => self.output_at(self.pointer_location).clone(),
        };
        output.current_scale().fractional_scale()
    }
}

impl FractionalScaleHandler for PersonaState {
    fn new_fractional_scale(&mut self, surface: WlSurface) {
        let scale = self.scale_for(&surface);
        with_states(&surface, |data| tell(&surface, data, scale));
    }
}

delegate_fractional_scale!(PersonaState);
