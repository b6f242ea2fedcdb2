//! Protocols that let a client read or inject across applications:
//! wlr- and ext-data-control (clipboard managers), virtual-keyboard (on-screen
//! keyboards that inject keys), virtual-pointer ([`super::virtual_pointer`])
//! and screen capture ([`super::capture`]). Each persona has its own, so they reach only
//! that persona; and they exist at all only in personas whose config lists
//! them in `privileged`, never for sandboxed clients.

use smithay::reexports::wayland_protocols_wlr::virtual_pointer::v1::server::zwlr_virtual_pointer_manager_v1::ZwlrVirtualPointerManagerV1;
use smithay::reexports::wayland_server::backend::GlobalId;
use smithay::reexports::wayland_server::{Client, DisplayHandle};
use smithay::wayland::selection::ext_data_control::{
    DataControlHandler as ExtDataControlHandler, DataControlState as ExtDataControlState,
};
use smithay::wayland::selection::primary_selection::PrimarySelectionState;
use smithay::wayland::selection::wlr_data_control::{DataControlHandler, DataControlState};
use smithay::wayland::virtual_keyboard::VirtualKeyboardManagerState;
use smithay::{
    delegate_data_control, delegate_ext_data_control, delegate_virtual_keyboard_manager,
};

use crate::persona::{ClientState, PersonaState};

impl DataControlHandler for PersonaState {
    fn data_control_state(&self) -> &DataControlState {
        self.data_control_state
            .as_ref()
            .expect("the global exists only when the state does")
    }
}

impl ExtDataControlHandler for PersonaState {
    fn data_control_state(&self) -> &ExtDataControlState {
        self.ext_data_control_state
            .as_ref()
            .expect("the global exists only when the state does")
    }
}

/// Global data of the privileged globals written here (capture,
/// virtual-pointer): only their visibility rule.
pub struct PrivilegedGlobal;

/// Sandboxed clients (security-context) never get a privileged protocol.
pub fn not_sandboxed(client: &Client) -> bool {
    client
        .get_data::<ClientState>()
        .is_none_or(|data| data.security_context.is_none())
}

/// The privileged globals a persona's config grants.
pub struct Privileged {
    pub data_control: Option<DataControlState>,
    pub ext_data_control: Option<ExtDataControlState>,
    pub virtual_keyboard: Option<VirtualKeyboardManagerState>,
    /// Screen capture and virtual-pointer globals, kept with the persona.
    pub globals: Vec<GlobalId>,
}

pub fn privileged_states(
    dh: &DisplayHandle,
    granted: &[String],
    primary: &PrimarySelectionState,
) -> Privileged {
    let has = |name: &str| granted.iter().any(|g| g == name);
    let data_control = has("data-control");
    Privileged {
        data_control: data_control
            .then(|| DataControlState::new::<PersonaState, _>(dh, Some(primary), not_sandboxed)),
        ext_data_control: data_control
            .then(|| ExtDataControlState::new::<PersonaState, _>(dh, Some(primary), not_sandboxed)),
        virtual_keyboard: has("virtual-keyboard")
            .then(|| VirtualKeyboardManagerState::new::<PersonaState, _>(dh, not_sandboxed)),
        globals: [
            has("screencopy").then(|| super::capture::create_globals(dh)),
            has("virtual-pointer").then(|| {
                vec![
                    dh.create_global::<PersonaState, ZwlrVirtualPointerManagerV1, _>(
                        2,
                        PrivilegedGlobal,
                    ),
                ]
            }),
        ]
        .into_iter()
        .flatten()
        .flatten()
        .collect(),
    }
}

delegate_data_control!(PersonaState);
delegate_ext_data_control!(PersonaState);
delegate_virtual_keyboard_manager!(PersonaState);
