//! What holds a persona's keyboard: a Wayland surface, or an X11 window of
//! the persona's Xwayland. X11 needs its own variant because an X client
//! types into the window the X server focuses, which only the window
//! manager sets (smithay's `X11Surface` does it on enter and leave).

use std::borrow::Cow;

use smithay::backend::input::KeyState;
use smithay::desktop::PopupKind;
use smithay::input::keyboard::{KeyboardTarget, KeysymHandle, ModifiersState};
use smithay::input::Seat;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{IsAlive, Serial};
use smithay::wayland::seat::WaylandFocus;
use smithay::xwayland::X11Surface;

use super::PersonaState;

#[derive(Debug, Clone, PartialEq)]
pub enum KeyboardFocus {
    Surface(WlSurface),
    X11(X11Surface),
}

impl KeyboardFocus {
    /// The wl_surface keys reach (an X11 window's, once Xwayland paired it).
    pub fn surface(&self) -> Option<WlSurface> {
        WaylandFocus::wl_surface(self).map(Cow::into_owned)
    }
}

impl From<WlSurface> for KeyboardFocus {
    fn from(surface: WlSurface) -> KeyboardFocus {
        KeyboardFocus::Surface(surface)
    }
}

impl From<PopupKind> for KeyboardFocus {
    fn from(popup: PopupKind) -> KeyboardFocus {
        KeyboardFocus::Surface(popup.wl_surface().clone())
    }
}

impl IsAlive for KeyboardFocus {
    fn alive(&self) -> bool {
        match self {
            KeyboardFocus::Surface(surface) => surface.alive(),
            KeyboardFocus::X11(window) => window.alive(),
        }
    }
}

impl WaylandFocus for KeyboardFocus {
    fn wl_surface(&self) -> Option<Cow<'_, WlSurface>> {
        match self {
            KeyboardFocus::Surface(surface) => Some(Cow::Borrowed(surface)),
            KeyboardFocus::X11(window) => window.wl_surface().map(Cow::Owned),
        }
    }
}

impl KeyboardTarget<PersonaState> for KeyboardFocus {
    fn enter(
        &self,
        seat: &Seat<PersonaState>,
        data: &mut PersonaState,
        keys: Vec<KeysymHandle<'_>>,
        serial: Serial,
    ) {
        match self {
            KeyboardFocus::Surface(s) => KeyboardTarget::enter(s, seat, data, keys, serial),
            KeyboardFocus::X11(w) => KeyboardTarget::enter(w, seat, data, keys, serial),
        }
    }

    fn leave(&self, seat: &Seat<PersonaState>, data: &mut PersonaState, serial: Serial) {
        match self {
            KeyboardFocus::Surface(s) => KeyboardTarget::leave(s, seat, data, serial),
            KeyboardFocus::X11(w) => KeyboardTarget::leave(w, seat, data, serial),
        }
    }

    fn key(
        &self,
        seat: &Seat<PersonaState>,
        data: &mut PersonaState,
        key: KeysymHandle<'_>,
        state: KeyState,
        serial: Serial,
        time: u32,
    ) {
        match self {
            KeyboardFocus::Surface(s) => {
                KeyboardTarget::key(s, seat, data, key, state, serial, time)
            }
            KeyboardFocus::X11(w) => KeyboardTarget::key(w, seat, data, key, state, serial, time),
        }
    }

    fn modifiers(
        &self,
        seat: &Seat<PersonaState>,
        data: &mut PersonaState,
        modifiers: ModifiersState,
        serial: Serial,
    ) {
        match self {
            KeyboardFocus::Surface(s) => {
                KeyboardTarget::modifiers(s, seat, data, modifiers, serial)
            }
            KeyboardFocus::X11(w) => KeyboardTarget::modifiers(w, seat, data, modifiers, serial),
        }
    }
}

/// What takes the keyboard when `window` is focused.
pub fn window_focus(window: &smithay::desktop::Window) -> Option<KeyboardFocus> {
    if let Some(x11) = window.x11_surface() {
        return Some(KeyboardFocus::X11(x11.clone()));
    }
    window
        .toplevel()
        .map(|t| KeyboardFocus::Surface(t.wl_surface().clone()))
}

/// Popup grabs hand their keyboard focus to the pointer. Only xdg popups
/// and their Wayland roots go that way (smithay's popup grab builds them
/// from `PopupKind` and the root's wl_surface), never an X11 window.
impl From<KeyboardFocus> for WlSurface {
    fn from(focus: KeyboardFocus) -> WlSurface {
        focus
            .surface()
            .expect("popup grabs convert Wayland surfaces only")
    }
}
