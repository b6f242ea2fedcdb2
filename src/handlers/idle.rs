//! ext-idle-notify and idle-inhibit, per persona. A persona's idle time
//! counts only while it is on screen: its clients hear `idled` only when the
//! user left the persona they see alone, never because the user is busy in
//! another one (which would tell them so). An inhibitor counts only in the
//! persona on screen. The timing lives in the outer state (`state::idle`);
//! here are the protocol objects.
//!
//! smithay's `IdleNotifierState` wants a loop handle of the dispatch state,
//! which a persona does not have (the loop is the outer state's), so the
//! small notifier protocol is implemented here.

use std::time::Duration;

use smithay::delegate_idle_inhibit;
use smithay::reexports::wayland_protocols::ext::idle_notify::v1::server::{
    ext_idle_notification_v1::{self, ExtIdleNotificationV1},
    ext_idle_notifier_v1::{self, ExtIdleNotifierV1},
};
use smithay::reexports::wayland_server::backend::ClientId;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{
    Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource,
};
use smithay::wayland::compositor::get_parent;
use smithay::wayland::idle_inhibit::IdleInhibitHandler;

use super::privileged::not_sandboxed;
use crate::persona::{PersonaEvent, PersonaState};

/// ext_idle_notifier_v1's version: 2 adds input-only notifications.
pub const IDLE_NOTIFIER_VERSION: u32 = 2;

/// One `ext_idle_notification_v1`.
#[derive(Debug)]
pub struct IdleNotification {
    pub resource: ExtIdleNotificationV1,
    pub timeout: Duration,
    /// From `get_input_idle_notification`: inhibitors do not hold it back.
    pub input_only: bool,
    /// `idled` was sent and no `resumed` since.
    pub idle: bool,
}

impl PersonaState {
    /// Whether an inhibitor of this persona holds idleness back: its surface
    /// is part of a mapped window (the protocol asks for a visible one).
    pub fn idle_inhibited(&self) -> bool {
        self.idle_inhibitors.iter().any(|surface| {
            let mut root = surface.clone();
            while let Some(parent) = get_parent(&root) {
                root = parent;
            }
            surface.is_alive() && self.window_for_surface(&root).is_some()
        })
    }

    /// `resumed` to every notification that is idle.
    pub fn resume_idle(&mut self) -> bool {
        let mut any = false;
        for notification in self.idle.iter_mut().filter(|n| n.idle) {
            notification.resource.resumed();
            notification.idle = false;
            any = true;
        }
        any
    }
}

impl GlobalDispatch<ExtIdleNotifierV1, ()> for PersonaState {
    fn bind(
        _state: &mut Self,
        _dh: &DisplayHandle,
        _client: &Client,
        resource: New<ExtIdleNotifierV1>,
        _global_data: &(),
        data_init: &mut DataInit<'_, Self>,
    ) {
        data_init.init(resource, ());
    }

    /// When the user is active is for the user's own tools, not for
    /// sandboxed apps.
    fn can_view(client: Client, _global_data: &()) -> bool {
        not_sandboxed(&client)
    }
}

impl Dispatch<ExtIdleNotifierV1, ()> for PersonaState {
    fn request(
        state: &mut Self,
        _client: &Client,
        _notifier: &ExtIdleNotifierV1,
        request: ext_idle_notifier_v1::Request,
        _data: &(),
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        let (id, timeout, input_only) = match request {
            ext_idle_notifier_v1::Request::GetIdleNotification { id, timeout, .. } => {
                (id, timeout, false)
            }
            ext_idle_notifier_v1::Request::GetInputIdleNotification { id, timeout, .. } => {
                (id, timeout, true)
            }
            ext_idle_notifier_v1::Request::Destroy => return,
            _ => return,
        };
        let resource = data_init.init(id, ());
        state.idle.push(IdleNotification {
            resource,
            timeout: Duration::from_millis(u64::from(timeout)),
            input_only,
            idle: false,
        });
        state.events.push(PersonaEvent::IdleChanged);
    }
}

impl Dispatch<ExtIdleNotificationV1, ()> for PersonaState {
    fn request(
        _state: &mut Self,
        _client: &Client,
        _notification: &ExtIdleNotificationV1,
        _request: ext_idle_notification_v1::Request,
        _data: &(),
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        // Only `destroy`, handled in `destroyed`.
    }

    fn destroyed(
        state: &mut Self,
        _client: ClientId,
        notification: &ExtIdleNotificationV1,
        _data: &(),
    ) {
        state.idle.retain(|n| n.resource != *notification);
    }
}

impl IdleInhibitHandler for PersonaState {
    fn inhibit(&mut self, surface: WlSurface) {
        self.idle_inhibitors.push(surface);
        self.events.push(PersonaEvent::IdleChanged);
    }

    fn uninhibit(&mut self, surface: WlSurface) {
        if let Some(at) = self.idle_inhibitors.iter().position(|s| *s == surface) {
            self.idle_inhibitors.remove(at);
        }
        self.events.push(PersonaEvent::IdleChanged);
    }
}

delegate_idle_inhibit!(PersonaState);
