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
use smithay::{delegate_data_control, delegate_ext_data_control};

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

// virtual-keyboard as smithay's delegate_virtual_keyboard_manager! wires it,
// except the keyboard's `keymap` request: smithay 0.7 (through xkbcommon-rs)
// takes the keymap to be its size less one byte, so a keymap padded with
// several NULs (wvkbd sends a page-rounded buffer) hands NULs to the parser,
// the keyboard stays without a keymap and its first key is a protocol
// error. The keymap is passed on ending in exactly one NUL.
mod virtual_keyboard {
    use std::io::{Read, Seek, SeekFrom, Write};
    use std::os::fd::{FromRawFd, OwnedFd};

    use smithay::reexports::wayland_protocols_misc::zwp_virtual_keyboard_v1::server::zwp_virtual_keyboard_manager_v1::ZwpVirtualKeyboardManagerV1;
    use smithay::reexports::wayland_protocols_misc::zwp_virtual_keyboard_v1::server::zwp_virtual_keyboard_v1::{
        self, ZwpVirtualKeyboardV1,
    };
    use smithay::reexports::wayland_server::{
        delegate_dispatch, delegate_global_dispatch, Client, DataInit, Dispatch, DisplayHandle,
    };
    use smithay::wayland::virtual_keyboard::{
        VirtualKeyboardManagerGlobalData, VirtualKeyboardManagerState, VirtualKeyboardUserData,
    };

    use crate::persona::PersonaState;

    /// Larger keymaps are passed on as they are (real ones are tens of KiB).
    const MAX_KEYMAP: u32 = 4 << 20;

    delegate_global_dispatch!(PersonaState: [ZwpVirtualKeyboardManagerV1: VirtualKeyboardManagerGlobalData] => VirtualKeyboardManagerState);
    delegate_dispatch!(PersonaState: [ZwpVirtualKeyboardManagerV1: ()] => VirtualKeyboardManagerState);

    impl Dispatch<ZwpVirtualKeyboardV1, VirtualKeyboardUserData<PersonaState>> for PersonaState {
        fn request(
            state: &mut Self,
            client: &Client,
            keyboard: &ZwpVirtualKeyboardV1,
            request: zwp_virtual_keyboard_v1::Request,
            data: &VirtualKeyboardUserData<PersonaState>,
            dh: &DisplayHandle,
            data_init: &mut DataInit<'_, Self>,
        ) {
            let request = match request {
                zwp_virtual_keyboard_v1::Request::Keymap { format, fd, size } => {
                    let (fd, size) = without_trailing_nuls(fd, size);
                    zwp_virtual_keyboard_v1::Request::Keymap { format, fd, size }
                }
                other => other,
            };
            <VirtualKeyboardManagerState as Dispatch<
                ZwpVirtualKeyboardV1,
                VirtualKeyboardUserData<PersonaState>,
                Self,
            >>::request(state, client, keyboard, request, data, dh, data_init);
        }
    }

    /// The keymap in `fd` ending in one NUL, in a new memfd; the original
    /// when it ends in none, cannot be read, or is too large.
    fn without_trailing_nuls(fd: OwnedFd, size: u32) -> (OwnedFd, u32) {
        if size == 0 || size > MAX_KEYMAP {
            return (fd, size);
        }
        let mut file = std::fs::File::from(fd);
        let mut text = vec![0u8; size as usize];
        let read = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| file.read_exact(&mut text));
        if read.is_err() || text.last() != Some(&0) {
            return (file.into(), size);
        }
        while text.last() == Some(&0) {
            text.pop();
        }
        // Exactly one NUL: what the size then counts (xkbcommon-rs reads
        // size - 1 bytes of text).
        text.push(0);
        // SAFETY: memfd_create with a NUL-terminated name; the fd is ours.
        let raw = unsafe { libc::memfd_create(c"personas-keymap".as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return (file.into(), size);
        }
        // SAFETY: raw is a new fd nothing else owns.
        let mut copy = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(raw) });
        if copy.write_all(&text).is_err() {
            return (file.into(), size);
        }
        (copy.into(), text.len() as u32)
    }
}
