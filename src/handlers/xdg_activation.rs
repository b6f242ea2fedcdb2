//! xdg-activation: a client asks for one of its windows to come forward. In the
//! active persona that window takes focus. A background persona never steals
//! the screen: its window becomes the one focused when it returns, and the
//! persona is marked as wanting attention, unless its config allows it to come
//! to the front (`allow_activation = true`, for an incoming call, say).

use std::time::Duration;

use smithay::delegate_xdg_activation;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::wayland::xdg_activation::{
    XdgActivationHandler, XdgActivationState, XdgActivationToken, XdgActivationTokenData,
};

use crate::persona::{PersonaEvent, PersonaState};

/// Tokens older than this are refused (the user has moved on).
const TOKEN_LIFETIME: Duration = Duration::from_secs(10);

impl XdgActivationHandler for PersonaState {
    fn activation_state(&mut self) -> &mut XdgActivationState {
        &mut self.xdg_activation_state
    }

    fn request_activation(
        &mut self,
        token: XdgActivationToken,
        token_data: XdgActivationTokenData,
        surface: WlSurface,
    ) {
        self.xdg_activation_state.remove_token(&token);
        if token_data.timestamp.elapsed() > TOKEN_LIFETIME {
            return;
        }
        let Some(window) = self
            .window_for_surface(&surface)
            .filter(|w| self.focus_stack.contains(w))
            .cloned()
        else {
            return;
        };
        self.focus_window(window);
        if !self.active {
            self.events.push(PersonaEvent::ActivationRequested);
        }
    }
}

delegate_xdg_activation!(PersonaState);
