//! wlr-layer-shell per persona: a persona's own panel, launcher, wallpaper or
//! notification daemon. Its layer surfaces live on that persona's virtual
//! outputs, so they are drawn only while it is active and always inside the
//! trusted indicator (the virtual output is already inset by it).

use smithay::delegate_layer_shell;
use smithay::desktop::{layer_map_for_output, LayerSurface, PopupKind, WindowSurfaceType};
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_output::WlOutput;
use smithay::wayland::shell::wlr_layer::{
    Layer, LayerSurface as WlrLayerSurface, WlrLayerShellHandler, WlrLayerShellState,
};
use smithay::wayland::shell::xdg::PopupSurface;

use crate::persona::PersonaState;

impl WlrLayerShellHandler for PersonaState {
    fn shell_state(&mut self) -> &mut WlrLayerShellState {
        &mut self.layer_shell_state
    }

    fn new_layer_surface(
        &mut self,
        surface: WlrLayerSurface,
        output: Option<WlOutput>,
        _layer: Layer,
        namespace: String,
    ) {
        // The output it names, if that is one of this persona's; else the
        // one the pointer is on, as sway does.
        let output = output
            .as_ref()
            .and_then(Output::from_resource)
            .filter(|o| self.outputs().any(|own| own == o))
            .unwrap_or_else(|| self.output_at(self.pointer_location).clone());
        let layer = LayerSurface::new(surface, namespace);
        let mapped = layer_map_for_output(&output).map_layer(&layer);
        if let Err(err) = mapped {
            tracing::warn!(persona = %self.name, "layer surface not mapped: {err}");
        }
    }

    fn new_popup(&mut self, _parent: WlrLayerSurface, popup: PopupSurface) {
        // Tracked when created (xdg-shell's new_popup had no parent yet);
        // placed now that it has one.
        self.unconstrain_popup(&popup);
        if self.popups.find_popup(popup.wl_surface()).is_none() {
            if let Err(err) = self.popups.track_popup(PopupKind::Xdg(popup)) {
                tracing::warn!("layer popup not tracked: {err}");
            }
        }
    }

    fn layer_destroyed(&mut self, surface: WlrLayerSurface) {
        if let Some((output, layer)) =
            self.find_layer(surface.wl_surface(), WindowSurfaceType::TOPLEVEL)
        {
            layer_map_for_output(&output).unmap_layer(&layer);
            self.layers_changed();
        }
        if self.layer_focus.as_ref() == Some(surface.wl_surface()) {
            self.layer_focus = None;
        }
        self.restore_keyboard_focus();
    }
}

delegate_layer_shell!(PersonaState);
