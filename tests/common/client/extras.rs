//! Input protocols beyond the seat, for the input tests: pointer constraints,
//! relative pointer, keyboard-shortcuts-inhibit. Bound on first use.

use wayland_client::{Connection, Dispatch, Proxy, QueueHandle};
use wayland_protocols::wp::keyboard_shortcuts_inhibit::zv1::client::{
    zwp_keyboard_shortcuts_inhibit_manager_v1::ZwpKeyboardShortcutsInhibitManagerV1,
    zwp_keyboard_shortcuts_inhibitor_v1::{self, ZwpKeyboardShortcutsInhibitorV1},
};
use wayland_protocols::wp::pointer_constraints::zv1::client::{
    zwp_confined_pointer_v1::{self, ZwpConfinedPointerV1},
    zwp_locked_pointer_v1::{self, ZwpLockedPointerV1},
    zwp_pointer_constraints_v1::{Lifetime, ZwpPointerConstraintsV1},
};
use wayland_protocols::wp::relative_pointer::zv1::client::{
    zwp_relative_pointer_manager_v1::ZwpRelativePointerManagerV1,
    zwp_relative_pointer_v1::{self, ZwpRelativePointerV1},
};

use wayland_protocols::xdg::activation::v1::client::{
    xdg_activation_token_v1::{self, XdgActivationTokenV1},
    xdg_activation_v1::XdgActivationV1,
};

use super::{ClientState, Event, TestClient, WindowId};

impl TestClient {
    /// Locks the pointer on window `id` (persistent or oneshot).
    pub fn lock_pointer(&mut self, id: WindowId, persistent: bool) {
        let constraints = self.bind_required::<ZwpPointerConstraintsV1>(1);
        let pointer = self.state.pointer.clone().expect("no wl_pointer yet");
        let surface = self.state.windows[id].surface.clone();
        constraints.lock_pointer(&surface, &pointer, None, lifetime(persistent), &self.qh, ());
        self.flush();
    }

    /// Confines the pointer to window `id` (persistent or oneshot).
    pub fn confine_pointer(&mut self, id: WindowId, persistent: bool) {
        let constraints = self.bind_required::<ZwpPointerConstraintsV1>(1);
        let pointer = self.state.pointer.clone().expect("no wl_pointer yet");
        let surface = self.state.windows[id].surface.clone();
        constraints.confine_pointer(&surface, &pointer, None, lifetime(persistent), &self.qh, ());
        self.flush();
    }

    /// Relative motion events arrive as [`Event::RelativeMotion`] from now on.
    pub fn enable_relative_pointer(&mut self) {
        let manager = self.bind_required::<ZwpRelativePointerManagerV1>(1);
        let pointer = self.state.pointer.clone().expect("no wl_pointer yet");
        manager.get_relative_pointer(&pointer, &self.qh, ());
        self.flush();
    }

    /// Asks that the compositor's shortcuts go to window `id` while it is focused.
    pub fn inhibit_shortcuts(&mut self, id: WindowId) {
        let manager = self.bind_required::<ZwpKeyboardShortcutsInhibitManagerV1>(1);
        let seat = self.state.seat.clone().expect("no wl_seat");
        let surface = self.state.windows[id].surface.clone();
        manager.inhibit_shortcuts(&surface, &seat, &self.qh, ());
        self.flush();
    }
}

impl TestClient {
    /// Asks (through xdg-activation) for window `id` to be activated: a token
    /// is requested, and used as soon as it arrives.
    pub fn request_activation(&mut self, id: WindowId) {
        let activation = self.bind_required::<XdgActivationV1>(1);
        let surface = self.state.windows[id].surface.clone();
        let token = activation.get_activation_token(&self.qh, (activation.clone(), id));
        token.set_surface(&surface);
        token.commit();
        self.flush();
    }
}

impl TestClient {
    /// Starts a drag of `data` as `mime` from window `id`, with the serial of the
    /// latest pointer button press (the button must still be held).
    pub fn start_drag(&mut self, id: WindowId, mime: &str, data: &[u8]) {
        let serial = self
            .state
            .button_serial
            .expect("no button press to drag with");
        let manager = self
            .state
            .data_device_manager
            .clone()
            .expect("no data device manager");
        let device = self.state.data_device.clone().expect("no wl_data_device");
        let source = manager.create_data_source(
            &self.qh,
            super::SourceData {
                mime: mime.to_owned(),
                data: data.to_vec(),
            },
        );
        source.offer(mime.to_owned());
        if source.version() >= 3 {
            source.set_actions(wayland_client::protocol::wl_data_device_manager::DndAction::Copy);
        }
        let surface = self.state.windows[id].surface.clone();
        device.start_drag(Some(&source), &surface, None, serial);
        self.flush();
    }

    /// Whether this client accepts every drag that enters one of its surfaces.
    pub fn accept_drags(&mut self, accept: bool) {
        self.state.accept_drags = accept;
    }
}

fn lifetime(persistent: bool) -> Lifetime {
    if persistent {
        Lifetime::Persistent
    } else {
        Lifetime::Oneshot
    }
}

macro_rules! no_events {
    ($($ty:ty),*) => {$(
        impl Dispatch<$ty, ()> for ClientState {
            fn event(_: &mut Self, _: &$ty, _: <$ty as wayland_client::Proxy>::Event, _: &(), _: &Connection, _: &QueueHandle<Self>) {}
        }
    )*};
}
no_events!(
    XdgActivationV1,
    ZwpPointerConstraintsV1,
    ZwpRelativePointerManagerV1,
    ZwpKeyboardShortcutsInhibitManagerV1
);

impl Dispatch<ZwpLockedPointerV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwpLockedPointerV1,
        event: zwp_locked_pointer_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_locked_pointer_v1::Event::Locked => state.events.push(Event::Locked),
            zwp_locked_pointer_v1::Event::Unlocked => state.events.push(Event::Unlocked),
            _ => {}
        }
    }
}

impl Dispatch<ZwpConfinedPointerV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwpConfinedPointerV1,
        event: zwp_confined_pointer_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_confined_pointer_v1::Event::Confined => state.events.push(Event::Confined),
            zwp_confined_pointer_v1::Event::Unconfined => state.events.push(Event::Unconfined),
            _ => {}
        }
    }
}

impl Dispatch<ZwpRelativePointerV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwpRelativePointerV1,
        event: zwp_relative_pointer_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwp_relative_pointer_v1::Event::RelativeMotion { dx, dy, .. } = event {
            state.events.push(Event::RelativeMotion { dx, dy });
        }
    }
}

impl Dispatch<ZwpKeyboardShortcutsInhibitorV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwpKeyboardShortcutsInhibitorV1,
        event: zwp_keyboard_shortcuts_inhibitor_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_keyboard_shortcuts_inhibitor_v1::Event::Active => {
                state.events.push(Event::InhibitorActive)
            }
            zwp_keyboard_shortcuts_inhibitor_v1::Event::Inactive => {
                state.events.push(Event::InhibitorInactive)
            }
            _ => {}
        }
    }
}

impl Dispatch<XdgActivationTokenV1, (XdgActivationV1, WindowId)> for ClientState {
    fn event(
        state: &mut Self,
        token: &XdgActivationTokenV1,
        event: xdg_activation_token_v1::Event,
        (activation, id): &(XdgActivationV1, WindowId),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_activation_token_v1::Event::Done { token: value } = event {
            activation.activate(value, &state.windows[*id].surface);
            token.destroy();
        }
    }
}

use wayland_protocols::wp::text_input::zv3::client::{
    zwp_text_input_manager_v3::ZwpTextInputManagerV3,
    zwp_text_input_v3::{self, ZwpTextInputV3},
};
use wayland_protocols_misc::zwp_input_method_v2::client::{
    zwp_input_method_manager_v2::ZwpInputMethodManagerV2,
    zwp_input_method_v2::{self, ZwpInputMethodV2},
};

impl TestClient {
    /// A text field: a text-input that enables itself whenever it gets focus,
    /// and reports committed text as [`Event::TextCommitted`].
    pub fn enable_text_input(&mut self) {
        let manager = self.bind_required::<ZwpTextInputManagerV3>(1);
        let seat = self.state.seat.clone().expect("no wl_seat");
        self.state.text_input = Some(manager.get_text_input(&seat, &self.qh, ()));
        self.flush();
    }

    /// Becomes the seat's input method (an on-screen keyboard, say).
    pub fn become_input_method(&mut self) {
        let manager = self.bind_required::<ZwpInputMethodManagerV2>(1);
        let seat = self.state.seat.clone().expect("no wl_seat");
        self.state.input_method = Some(manager.get_input_method(&seat, &self.qh, ()));
        self.flush();
    }

    /// As the input method, types `text` into the focused text field.
    pub fn input_method_type(&mut self, text: &str) {
        let im = self
            .state
            .input_method
            .clone()
            .expect("not an input method");
        im.commit_string(text.to_owned());
        im.commit(self.state.input_method_serial);
        self.flush();
    }
}

no_events!(ZwpTextInputManagerV3, ZwpInputMethodManagerV2);

impl Dispatch<ZwpTextInputV3, ()> for ClientState {
    fn event(
        state: &mut Self,
        ti: &ZwpTextInputV3,
        event: zwp_text_input_v3::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_text_input_v3::Event::Enter { .. } => {
                ti.enable();
                ti.commit();
                state.events.push(Event::TextInputEnter);
            }
            zwp_text_input_v3::Event::Leave { .. } => state.events.push(Event::TextInputLeave),
            zwp_text_input_v3::Event::CommitString { text } => state
                .events
                .push(Event::TextCommitted(text.unwrap_or_default())),
            _ => {}
        }
    }
}

impl Dispatch<ZwpInputMethodV2, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwpInputMethodV2,
        event: zwp_input_method_v2::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_input_method_v2::Event::Activate => state.events.push(Event::InputMethodActivate),
            zwp_input_method_v2::Event::Deactivate => {
                state.events.push(Event::InputMethodDeactivate)
            }
            zwp_input_method_v2::Event::Done => state.input_method_serial += 1,
            _ => {}
        }
    }
}

use wayland_client::event_created_child;
use wayland_protocols::wp::tablet::zv2::client::{
    zwp_tablet_manager_v2::ZwpTabletManagerV2,
    zwp_tablet_pad_v2::ZwpTabletPadV2,
    zwp_tablet_seat_v2::{self, ZwpTabletSeatV2},
    zwp_tablet_tool_v2::{self, ZwpTabletToolV2},
    zwp_tablet_v2::ZwpTabletV2,
};

impl TestClient {
    /// Tablet and tool events arrive as `Event::Tablet*` from now on.
    pub fn enable_tablets(&mut self) {
        let manager = self.bind_required::<ZwpTabletManagerV2>(1);
        let seat = self.state.seat.clone().expect("no wl_seat");
        self.state.tablet_seat = Some(manager.get_tablet_seat(&seat, &self.qh, ()));
        self.flush();
    }
}

no_events!(ZwpTabletManagerV2, ZwpTabletV2, ZwpTabletPadV2);

impl Dispatch<ZwpTabletSeatV2, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwpTabletSeatV2,
        event: zwp_tablet_seat_v2::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwp_tablet_seat_v2::Event::ToolAdded { .. } = event {
            state.events.push(Event::TabletToolAdded);
        }
    }

    event_created_child!(ClientState, ZwpTabletSeatV2, [
        zwp_tablet_seat_v2::EVT_TABLET_ADDED_OPCODE => (ZwpTabletV2, ()),
        zwp_tablet_seat_v2::EVT_TOOL_ADDED_OPCODE => (ZwpTabletToolV2, ()),
        zwp_tablet_seat_v2::EVT_PAD_ADDED_OPCODE => (ZwpTabletPadV2, ()),
    ]);
}

impl Dispatch<ZwpTabletToolV2, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwpTabletToolV2,
        event: zwp_tablet_tool_v2::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let event = match event {
            zwp_tablet_tool_v2::Event::ProximityIn { surface, .. } => Event::TabletProximityIn {
                surface: ClientState::surface_window(&surface),
            },
            zwp_tablet_tool_v2::Event::ProximityOut => Event::TabletProximityOut,
            zwp_tablet_tool_v2::Event::Down { .. } => Event::TabletDown,
            zwp_tablet_tool_v2::Event::Up => Event::TabletUp,
            zwp_tablet_tool_v2::Event::Motion { x, y } => Event::TabletMotion { x, y },
            _ => return,
        };
        state.events.push(event);
    }
}

use wayland_protocols::wp::pointer_gestures::zv1::client::{
    zwp_pointer_gesture_swipe_v1::{self, ZwpPointerGestureSwipeV1},
    zwp_pointer_gestures_v1::ZwpPointerGesturesV1,
};

impl TestClient {
    /// Touchpad swipes arrive as `Event::Swipe*` from now on.
    pub fn enable_swipe_gestures(&mut self) {
        let gestures = self.bind_required::<ZwpPointerGesturesV1>(1);
        let pointer = self.state.pointer.clone().expect("no wl_pointer yet");
        gestures.get_swipe_gesture(&pointer, &self.qh, ());
        self.flush();
    }
}

no_events!(ZwpPointerGesturesV1);

impl Dispatch<ZwpPointerGestureSwipeV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwpPointerGestureSwipeV1,
        event: zwp_pointer_gesture_swipe_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let event = match event {
            zwp_pointer_gesture_swipe_v1::Event::Begin { fingers, .. } => {
                Event::SwipeBegin { fingers }
            }
            zwp_pointer_gesture_swipe_v1::Event::Update { .. } => Event::SwipeUpdate,
            zwp_pointer_gesture_swipe_v1::Event::End { cancelled, .. } => Event::SwipeEnd {
                cancelled: cancelled != 0,
            },
            _ => return,
        };
        state.events.push(event);
    }
}

use std::sync::Mutex as StdMutex;
use wayland_protocols::ext::foreign_toplevel_list::v1::client::{
    ext_foreign_toplevel_handle_v1::{self, ExtForeignToplevelHandleV1},
    ext_foreign_toplevel_list_v1::{self, ExtForeignToplevelListV1},
};

impl TestClient {
    /// The persona's toplevels arrive as `Event::ListedToplevel` from now on.
    pub fn list_toplevels(&mut self) {
        self.bind_required::<ExtForeignToplevelListV1>(1);
        self.flush();
    }
}

impl Dispatch<ExtForeignToplevelListV1, ()> for ClientState {
    fn event(
        _: &mut Self,
        _: &ExtForeignToplevelListV1,
        _: ext_foreign_toplevel_list_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }

    event_created_child!(ClientState, ExtForeignToplevelListV1, [
        ext_foreign_toplevel_list_v1::EVT_TOPLEVEL_OPCODE => (ExtForeignToplevelHandleV1, StdMutex::new(String::new())),
    ]);
}

impl Dispatch<ExtForeignToplevelHandleV1, StdMutex<String>> for ClientState {
    fn event(
        state: &mut Self,
        handle: &ExtForeignToplevelHandleV1,
        event: ext_foreign_toplevel_handle_v1::Event,
        title: &StdMutex<String>,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            ext_foreign_toplevel_handle_v1::Event::Title { title: t } => *title.lock().unwrap() = t,
            ext_foreign_toplevel_handle_v1::Event::Done => {
                if !state.listed.contains(handle) {
                    state.listed.push(handle.clone());
                }
                state.events.push(Event::ListedToplevel {
                    title: title.lock().unwrap().clone(),
                })
            }
            ext_foreign_toplevel_handle_v1::Event::Closed => {
                state.events.push(Event::ListedToplevelClosed)
            }
            _ => {}
        }
    }
}

use wayland_protocols::wp::security_context::v1::client::{
    wp_security_context_manager_v1::WpSecurityContextManagerV1,
    wp_security_context_v1::WpSecurityContextV1,
};

impl TestClient {
    /// As a sandbox engine: asks the compositor to serve `listener` for a
    /// sandboxed app. Returns the fd that keeps the listener alive (dropping
    /// it tells the compositor to stop).
    pub fn create_security_listener(
        &mut self,
        listener: &std::os::unix::net::UnixListener,
        app_id: &str,
    ) -> std::os::fd::OwnedFd {
        use std::os::fd::{AsFd, FromRawFd};
        let manager = self.bind_required::<WpSecurityContextManagerV1>(1);
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two fds that we own from here on.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        let (close_read, close_write) = unsafe {
            (
                std::os::fd::OwnedFd::from_raw_fd(fds[0]),
                std::os::fd::OwnedFd::from_raw_fd(fds[1]),
            )
        };
        let context = manager.create_listener(listener.as_fd(), close_read.as_fd(), &self.qh, ());
        context.set_sandbox_engine("org.example.test".into());
        context.set_app_id(app_id.into());
        context.commit();
        self.flush();
        close_write
    }
}

no_events!(WpSecurityContextManagerV1, WpSecurityContextV1);
