//! The persona's seat and its selections. Each persona has its own `seat0`, its own
//! clipboard and primary selection: they live in this persona's display only.

use smithay::input::pointer::CursorImageStatus;
use smithay::input::{Seat, SeatHandler, SeatState};
use smithay::reexports::wayland_protocols::wp::primary_selection::zv1::server::{
    zwp_primary_selection_device_manager_v1::ZwpPrimarySelectionDeviceManagerV1,
    zwp_primary_selection_device_v1::ZwpPrimarySelectionDeviceV1,
    zwp_primary_selection_source_v1::{self, ZwpPrimarySelectionSourceV1},
};
use smithay::reexports::wayland_server::backend::ClientId;
use smithay::reexports::wayland_server::protocol::wl_data_device::WlDataDevice;
use smithay::reexports::wayland_server::protocol::wl_data_device_manager::WlDataDeviceManager;
use smithay::reexports::wayland_server::protocol::wl_data_source::{self, WlDataSource};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;
use smithay::reexports::wayland_server::{
    delegate_dispatch, delegate_global_dispatch, Client, DataInit, Dispatch, DisplayHandle,
};
use smithay::wayland::selection::data_device::{
    set_data_device_focus, ClientDndGrabHandler, DataDeviceHandler, DataDeviceState,
    DataDeviceUserData, DataSourceUserData, ServerDndGrabHandler,
};
use smithay::wayland::selection::primary_selection::{
    set_primary_focus, PrimaryDeviceManagerGlobalData, PrimaryDeviceUserData,
    PrimarySelectionHandler, PrimarySelectionState, PrimarySourceUserData,
};
use std::os::fd::OwnedFd;

use smithay::delegate_seat;
use smithay::wayland::selection::{SelectionHandler, SelectionSource, SelectionTarget};

use super::limits::{self, MAX_MIME_TYPES};
use super::xwayland::HeldSelection;
use crate::persona::PersonaState;

impl SeatHandler for PersonaState {
    type KeyboardFocus = crate::persona::focus::KeyboardFocus;
    type PointerFocus = WlSurface;
    type TouchFocus = WlSurface;

    fn seat_state(&mut self) -> &mut SeatState<Self> {
        &mut self.seat_state
    }

    fn focus_changed(
        &mut self,
        seat: &Seat<Self>,
        focused: Option<&crate::persona::focus::KeyboardFocus>,
    ) {
        // Selections are offered to the client holding keyboard focus, as usual.
        let dh = &self.display_handle;
        let client = focused
            .and_then(|f| f.surface())
            .and_then(|s| dh.get_client(s.id()).ok());
        set_data_device_focus(dh, seat, client.clone());
        set_primary_focus(dh, seat, client);
    }

    /// Kept per persona; the keyboards' LEDs show the active one's.
    fn led_state_changed(&mut self, _seat: &Seat<Self>, leds: smithay::input::keyboard::LedState) {
        self.leds = leds;
    }

    /// Kept per persona; drawn where the backend shows a pointer (tty).
    fn cursor_image(&mut self, _seat: &Seat<Self>, image: CursorImageStatus) {
        self.cursor = image;
        if self.active {
            self.needs_redraw = true;
        }
    }
}

impl SelectionHandler for PersonaState {
    /// A selection the compositor holds: the text of a clipboard transfer,
    /// or an X client's selection.
    type SelectionUserData = HeldSelection;

    fn new_selection(
        &mut self,
        ty: SelectionTarget,
        source: Option<SelectionSource>,
        _seat: Seat<Self>,
    ) {
        let mimes = source.map(|s| s.mime_types());
        match ty {
            SelectionTarget::Clipboard => self.clipboard_mimes = mimes.clone().unwrap_or_default(),
            SelectionTarget::Primary => self.primary_mimes = mimes.clone().unwrap_or_default(),
        }
        // The persona's X clients paste it too.
        self.x11_selection_changed(ty, mimes);
    }

    fn send_selection(
        &mut self,
        ty: SelectionTarget,
        mime_type: String,
        fd: OwnedFd,
        _seat: Seat<Self>,
        data: &HeldSelection,
    ) {
        match data {
            HeldSelection::Bytes(data) => super::xwayland::write_in_background(data.clone(), fd),
            HeldSelection::X11 => self.x11_send_selection(ty, mime_type, fd),
        }
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

// The data device and primary selection as smithay's delegate macros wire
// them, except the sources: their `offer` grows a list of mime types, which is
// limited (handlers::limits).
delegate_global_dispatch!(PersonaState: [WlDataDeviceManager: ()] => DataDeviceState);
delegate_dispatch!(PersonaState: [WlDataDeviceManager: ()] => DataDeviceState);
delegate_dispatch!(PersonaState: [WlDataDevice: DataDeviceUserData] => DataDeviceState);
delegate_global_dispatch!(PersonaState: [ZwpPrimarySelectionDeviceManagerV1: PrimaryDeviceManagerGlobalData] => PrimarySelectionState);
delegate_dispatch!(PersonaState: [ZwpPrimarySelectionDeviceManagerV1: ()] => PrimarySelectionState);
delegate_dispatch!(PersonaState: [ZwpPrimarySelectionDeviceV1: PrimaryDeviceUserData] => PrimarySelectionState);

impl Dispatch<WlDataSource, DataSourceUserData> for PersonaState {
    fn request(
        state: &mut Self,
        client: &Client,
        source: &WlDataSource,
        request: wl_data_source::Request,
        data: &DataSourceUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if matches!(request, wl_data_source::Request::Offer { .. })
            && !limits::grow_or_disconnect(state, client, source, MAX_MIME_TYPES, "mime types")
        {
            return;
        }
        <DataDeviceState as Dispatch<WlDataSource, DataSourceUserData, Self>>::request(
            state, client, source, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut Self,
        client: ClientId,
        source: &WlDataSource,
        data: &DataSourceUserData,
    ) {
        state.growth.forget(&source.id());
        <DataDeviceState as Dispatch<WlDataSource, DataSourceUserData, Self>>::destroyed(
            state, client, source, data,
        );
    }
}

impl Dispatch<ZwpPrimarySelectionSourceV1, PrimarySourceUserData> for PersonaState {
    fn request(
        state: &mut Self,
        client: &Client,
        source: &ZwpPrimarySelectionSourceV1,
        request: zwp_primary_selection_source_v1::Request,
        data: &PrimarySourceUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if matches!(
            request,
            zwp_primary_selection_source_v1::Request::Offer { .. }
        ) && !limits::grow_or_disconnect(state, client, source, MAX_MIME_TYPES, "mime types")
        {
            return;
        }
        <PrimarySelectionState as Dispatch<
            ZwpPrimarySelectionSourceV1,
            PrimarySourceUserData,
            Self,
        >>::request(state, client, source, request, data, dh, data_init);
    }

    fn destroyed(
        state: &mut Self,
        client: ClientId,
        source: &ZwpPrimarySelectionSourceV1,
        data: &PrimarySourceUserData,
    ) {
        state.growth.forget(&source.id());
        <PrimarySelectionState as Dispatch<
            ZwpPrimarySelectionSourceV1,
            PrimarySourceUserData,
            Self,
        >>::destroyed(state, client, source, data);
    }
}
