//! The persona's seat and its selections. Each persona has its own `seat0`, its own
//! clipboard and primary selection: they live in this persona's display only.

use smithay::input::pointer::CursorImageStatus;
use smithay::input::{Seat, SeatHandler, SeatState};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;
use smithay::wayland::selection::data_device::{
    set_data_device_focus, ClientDndGrabHandler, DataDeviceHandler, DataDeviceState,
    ServerDndGrabHandler,
};
use smithay::wayland::selection::primary_selection::{
    set_primary_focus, PrimarySelectionHandler, PrimarySelectionState,
};
use std::os::fd::OwnedFd;
use std::sync::Arc;

use smithay::wayland::selection::{SelectionHandler, SelectionSource, SelectionTarget};
use smithay::{delegate_data_device, delegate_primary_selection, delegate_seat};

use crate::persona::PersonaState;

impl SeatHandler for PersonaState {
    type KeyboardFocus = WlSurface;
    type PointerFocus = WlSurface;
    type TouchFocus = WlSurface;

    fn seat_state(&mut self) -> &mut SeatState<Self> {
        &mut self.seat_state
    }

    fn focus_changed(&mut self, seat: &Seat<Self>, focused: Option<&WlSurface>) {
        // Selections are offered to the client holding keyboard focus, as usual.
        let dh = &self.display_handle;
        let client = focused.and_then(|s| dh.get_client(s.id()).ok());
        set_data_device_focus(dh, seat, client.clone());
        set_primary_focus(dh, seat, client);
    }

    fn cursor_image(&mut self, _seat: &Seat<Self>, _image: CursorImageStatus) {}
}

impl SelectionHandler for PersonaState {
    /// A selection the compositor owns: the text of a clipboard transfer.
    type SelectionUserData = Arc<Vec<u8>>;

    fn new_selection(
        &mut self,
        ty: SelectionTarget,
        source: Option<SelectionSource>,
        _seat: Seat<Self>,
    ) {
        if ty == SelectionTarget::Clipboard {
            self.clipboard_mimes = source.map(|s| s.mime_types()).unwrap_or_default();
        }
    }

    fn send_selection(
        &mut self,
        _ty: SelectionTarget,
        _mime_type: String,
        fd: OwnedFd,
        _seat: Seat<Self>,
        data: &Arc<Vec<u8>>,
    ) {
        // A reader that is slow (or never reads) must not block the compositor.
        let data = data.clone();
        std::thread::spawn(move || {
            let mut file = std::fs::File::from(fd);
            let _ = std::io::Write::write_all(&mut file, &data);
        });
    }
}

impl DataDeviceHandler for PersonaState {
    fn data_device_state(&self) -> &DataDeviceState {
        &self.data_device_state
    }
}

impl ClientDndGrabHandler for PersonaState {}
impl ServerDndGrabHandler for PersonaState {}

impl PrimarySelectionHandler for PersonaState {
    fn primary_selection_state(&self) -> &PrimarySelectionState {
        &self.primary_selection_state
    }
}

delegate_seat!(PersonaState);
delegate_data_device!(PersonaState);
delegate_primary_selection!(PersonaState);
