//! Protocols that let a client read or inject across applications:
//! wlr- and ext-data-control (clipboard managers) and virtual-keyboard (on-screen
//! keyboards that inject keys). Each persona has its own, so they reach only
//! that persona; and they exist at all only in personas whose config lists
//! them in `privileged`, never for sandboxed clients.

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

/// Sandboxed clients (security-context) never get a privileged protocol.
fn not_sandboxed(client: &Client) -> bool {
    client
        .get_data::<ClientState>()
        .is_none_or(|data| data.security_context.is_none())
}

/// The privileged globals a persona's config grants.
pub struct Privileged {
    pub data_control: Option<DataControlState>,
    pub ext_data_control: Option<ExtDataControlState>,
    pub virtual_keyboard: Option<VirtualKeyboardManagerState>,
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
    }
}

delegate_data_control!(PersonaState);
delegate_ext_data_control!(PersonaState);
delegate_virtual_keyboard_manager!(PersonaState);
