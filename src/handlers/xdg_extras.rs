//! The smaller xdg and wp protocols real toolkits look for: xdg-foreign
//! (a portal's dialog over an app's window — handles are per display, so
//! one persona's handle means nothing in another), xdg-dialog,
//! xdg-toplevel-icon, xdg-system-bell, content-type and alpha-modifier.

use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::DisplayHandle;
use smithay::wayland::alpha_modifier::AlphaModifierState;
use smithay::wayland::content_type::ContentTypeState;
use smithay::wayland::shell::xdg::dialog::{XdgDialogHandler, XdgDialogState};
use smithay::wayland::shell::xdg::ToplevelSurface;
use smithay::wayland::xdg_foreign::{XdgForeignHandler, XdgForeignState};
use smithay::wayland::xdg_system_bell::{XdgSystemBellHandler, XdgSystemBellState};
use smithay::wayland::xdg_toplevel_icon::{XdgToplevelIconHandler, XdgToplevelIconManager};
use smithay::{
    delegate_alpha_modifier, delegate_content_type, delegate_xdg_dialog, delegate_xdg_foreign,
    delegate_xdg_system_bell, delegate_xdg_toplevel_icon,
};

use crate::persona::{PersonaEvent, PersonaState};

/// The states of these globals, kept so they live as long as the persona.
pub struct XdgExtras {
    pub foreign: XdgForeignState,
    pub dialog: XdgDialogState,
    pub toplevel_icon: XdgToplevelIconManager,
    pub system_bell: XdgSystemBellState,
    pub content_type: ContentTypeState,
    pub alpha_modifier: AlphaModifierState,
}

impl XdgExtras {
    pub fn new(dh: &DisplayHandle) -> XdgExtras {
        XdgExtras {
            foreign: XdgForeignState::new::<PersonaState>(dh),
            dialog: XdgDialogState::new::<PersonaState>(dh),
            toplevel_icon: XdgToplevelIconManager::new::<PersonaState>(dh),
            system_bell: XdgSystemBellState::new::<PersonaState>(dh),
            content_type: ContentTypeState::new::<PersonaState>(dh),
            alpha_modifier: AlphaModifierState::new::<PersonaState>(dh),
        }
    }
}

impl XdgForeignHandler for PersonaState {
    fn xdg_foreign_state(&mut self) -> &mut XdgForeignState {
        &mut self.xdg_extras.foreign
    }
}

impl XdgDialogHandler for PersonaState {
    fn modal_changed(&mut self, toplevel: ToplevelSurface, is_modal: bool) {
        tracing::debug!(persona = %self.name, ?is_modal, surface = ?toplevel.wl_surface(), "dialog modality changed");
    }
}

impl XdgToplevelIconHandler for PersonaState {}

impl XdgSystemBellHandler for PersonaState {
    /// A bell in a background persona marks it as wanting attention (as an
    /// activation request does, without ever bringing it forward).
    fn ring(&mut self, _surface: Option<WlSurface>) {
        if !self.active {
            self.events.push(PersonaEvent::Bell);
        }
    }
}

delegate_xdg_foreign!(PersonaState);
delegate_xdg_dialog!(PersonaState);
delegate_xdg_toplevel_icon!(PersonaState);
delegate_xdg_system_bell!(PersonaState);
delegate_content_type!(PersonaState);
delegate_alpha_modifier!(PersonaState);
