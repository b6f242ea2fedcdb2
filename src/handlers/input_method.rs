//! text-input-v3 and input-method-v2, per persona: an on-screen keyboard (or any
//! input method) running in a persona types into that persona's focused text
//! field only, since both protocols live on that persona's display and seat.
//! smithay moves text-input focus with keyboard focus, so a switch deactivates
//! the old persona's input method and the new one's field gets its own.

use smithay::desktop::{PopupKind, PopupManager};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Rectangle};
use smithay::wayland::input_method::{InputMethodHandler, PopupSurface};
use smithay::{delegate_input_method_manager, delegate_text_input_manager};

use crate::persona::PersonaState;

impl InputMethodHandler for PersonaState {
    fn new_popup(&mut self, surface: PopupSurface) {
        if let Err(err) = self.popups.track_popup(PopupKind::from(surface)) {
            tracing::warn!("input method popup not tracked: {err}");
        }
    }

    fn popup_repositioned(&mut self, _surface: PopupSurface) {
        self.needs_redraw = true;
    }

    fn dismiss_popup(&mut self, surface: PopupSurface) {
        if let Some(parent) = surface.get_parent().map(|p| p.surface.clone()) {
            let _ = PopupManager::dismiss_popup(&parent, &PopupKind::from(surface));
        }
    }

    fn parent_geometry(&self, parent: &WlSurface) -> Rectangle<i32, Logical> {
        self.window_for_surface(parent)
            .and_then(|w| self.space.element_geometry(w))
            .unwrap_or_default()
    }
}

delegate_input_method_manager!(PersonaState);
delegate_text_input_manager!(PersonaState);
