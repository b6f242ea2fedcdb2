//! ext-idle-notify and idle-inhibit, for the idle tests. Bound on first use.

use wayland_client::{delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols::ext::idle_notify::v1::client::{
    ext_idle_notification_v1::{self, ExtIdleNotificationV1},
    ext_idle_notifier_v1::ExtIdleNotifierV1,
};
use wayland_protocols::wp::idle_inhibit::zv1::client::{
    zwp_idle_inhibit_manager_v1::ZwpIdleInhibitManagerV1, zwp_idle_inhibitor_v1::ZwpIdleInhibitorV1,
};

use super::{ClientState, Event, TestClient, WindowId};

impl TestClient {
    /// An idle notification after `timeout_ms`; its events arrive as
    /// [`Event::Idled`] / [`Event::Resumed`] with `token`. `input_only`:
    /// v2's notification that inhibitors do not hold back.
    pub fn idle_notification(&mut self, token: u32, timeout_ms: u32, input_only: bool) {
        let notifier = self.bind_required::<ExtIdleNotifierV1>(2);
        let seat = self.state.seat.clone().expect("no wl_seat");
        if input_only {
            notifier.get_input_idle_notification(timeout_ms, &seat, &self.qh, token);
        } else {
            notifier.get_idle_notification(timeout_ms, &seat, &self.qh, token);
        }
        self.flush();
    }

    /// Whether the compositor offers ext-idle-notify to this client.
    pub fn has_idle_notifier(&self) -> bool {
        self.count_globals("ext_idle_notifier_v1") > 0
    }

    /// An idle inhibitor on window `id`; kept until [`Self::uninhibit_idle`].
    pub fn inhibit_idle(&mut self, id: WindowId) {
        let manager = self.bind_required::<ZwpIdleInhibitManagerV1>(1);
        let surface = self.state.windows[id].surface.clone();
        let inhibitor = manager.create_inhibitor(&surface, &self.qh, ());
        self.state.idle_inhibitors.push(inhibitor);
        self.flush();
    }

    /// Destroys every idle inhibitor of this client.
    pub fn uninhibit_idle(&mut self) {
        for inhibitor in self.state.idle_inhibitors.drain(..) {
            inhibitor.destroy();
        }
        self.flush();
    }
}

impl Dispatch<ExtIdleNotificationV1, u32> for ClientState {
    fn event(
        state: &mut Self,
        _: &ExtIdleNotificationV1,
        event: ext_idle_notification_v1::Event,
        token: &u32,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            ext_idle_notification_v1::Event::Idled => state.events.push(Event::Idled(*token)),
            ext_idle_notification_v1::Event::Resumed => state.events.push(Event::Resumed(*token)),
            _ => {}
        }
    }
}

delegate_noop!(ClientState: ExtIdleNotifierV1);
delegate_noop!(ClientState: ZwpIdleInhibitManagerV1);
delegate_noop!(ClientState: ZwpIdleInhibitorV1);
