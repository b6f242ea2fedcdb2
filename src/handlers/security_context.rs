//! security-context-v1 inside each persona: a sandbox engine (Flatpak, say)
//! running in a persona gets a listener of that persona for its app; clients
//! that connect there belong to the same persona, marked as sandboxed, and do
//! not see the security-context global themselves.

use smithay::delegate_security_context;
use smithay::wayland::security_context::{
    SecurityContext, SecurityContextHandler, SecurityContextListenerSource,
};

use crate::persona::PersonaState;

impl SecurityContextHandler for PersonaState {
    fn context_created(&mut self, source: SecurityContextListenerSource, context: SecurityContext) {
        // The outer loop takes the listener (handlers cannot reach it).
        self.security_listeners.push((source, context));
    }
}

delegate_security_context!(PersonaState);
