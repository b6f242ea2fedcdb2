//! ext-session-lock on the system display. The lock screen (swaylock, …)
//! is a client there; what locking means for the personas (none is shown,
//! switching is refused) is the outer state's business (`system/lock.rs`),
//! so these handlers only note requests and keep the lock surfaces.

use smithay::output::Output;
use smithay::reexports::wayland_protocols::ext::session_lock::v1::server::{
    ext_session_lock_manager_v1::ExtSessionLockManagerV1,
    ext_session_lock_surface_v1::ExtSessionLockSurfaceV1,
    ext_session_lock_v1::{self, ExtSessionLockV1},
};
use smithay::reexports::wayland_server::protocol::wl_output::WlOutput;
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle, Resource};
use smithay::wayland::session_lock::{
    LockSurface, SessionLockHandler, SessionLockManagerState, SessionLockState, SessionLocker,
};

use crate::persona::{PersonaEvent, PersonaState};

impl SessionLockHandler for PersonaState {
    fn lock_state(&mut self) -> &mut SessionLockManagerState {
        &mut self
            .system
            .as_mut()
            .expect("ext-session-lock exists only on the system display")
            .lock_state
    }

    fn lock(&mut self, confirmation: SessionLocker) {
        let Some(system) = self.system.as_mut() else {
            return;
        };
        // A second locker while one holds the lock is refused (dropping
        // the confirmation sends `finished`); one replacing a lock screen
        // that died takes over. It holds the lock from now on, so its lock
        // surfaces (sent before `locked`, as swaylock does) count.
        if system.lock.as_ref().is_some_and(|l| l.is_alive()) {
            tracing::warn!("a second lock screen was refused");
            drop(confirmation);
            return;
        }
        system.lock = Some(confirmation.ext_session_lock().clone());
        system.lock_surfaces.clear();
        system.pending_lock = Some(confirmation);
        self.events.push(PersonaEvent::LockRequested);
    }

    fn unlock(&mut self) {
        let Some(system) = self.system.as_mut() else {
            return;
        };
        // (Only the holder's unlock gets here: see the dispatch below.)
        system.lock = None;
        system.lock_surfaces.clear();
        self.events.push(PersonaEvent::Unlocked);
    }

    fn new_surface(&mut self, surface: LockSurface, wl_output: WlOutput) {
        // A lock surface of a lock that does not hold the session is
        // configured (smithay does) but never shown or given input.
        if !self.system.as_ref().is_some_and(|s| s.from_holder) {
            return;
        }
        let output = Output::from_resource(&wl_output)
            .filter(|o| self.outputs().any(|mine| mine == o))
            .unwrap_or_else(|| self.output.clone());
        let size = self
            .space
            .output_geometry(&output)
            .map_or((1, 1).into(), |g| g.size);
        surface.with_pending_state(|state| {
            state.size = Some((size.w.max(1) as u32, size.h.max(1) as u32).into());
        });
        let scale = output.current_scale().fractional_scale();
        smithay::desktop::utils::with_surfaces_surface_tree(surface.wl_surface(), |s, data| {
            crate::persona::scale::tell(s, data, scale)
        });
        let Some(system) = self.system.as_mut() else {
            return;
        };
        system.lock_surfaces.retain(|(s, _)| s.alive());
        system.lock_surfaces.push((surface, output));
        self.needs_redraw = true;
    }
}

// delegate_session_lock!, except that the lock object's requests go through
// the guard below.
smithay::reexports::wayland_server::delegate_global_dispatch!(PersonaState: [
    ExtSessionLockManagerV1: smithay::wayland::session_lock::SessionLockManagerGlobalData
] => SessionLockManagerState);
smithay::reexports::wayland_server::delegate_dispatch!(PersonaState: [
    ExtSessionLockManagerV1: ()
] => SessionLockManagerState);
smithay::reexports::wayland_server::delegate_dispatch!(PersonaState: [
    ExtSessionLockSurfaceV1: smithay::wayland::session_lock::ExtLockSurfaceUserData
] => SessionLockManagerState);

/// Only the lock that holds the session may unlock it or cover outputs:
/// smithay calls `unlock` for any lock object (after telling a non-holder
/// invalid_unlock), and makes lock surfaces for a refused lock too.
impl Dispatch<ExtSessionLockV1, SessionLockState> for PersonaState {
    fn request(
        state: &mut Self,
        client: &Client,
        resource: &ExtSessionLockV1,
        request: ext_session_lock_v1::Request,
        data: &SessionLockState,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        let holder = state
            .system
            .as_ref()
            .is_some_and(|s| s.lock.as_ref() == Some(resource));
        if matches!(request, ext_session_lock_v1::Request::UnlockAndDestroy) && !holder {
            resource.post_error(
                ext_session_lock_v1::Error::InvalidUnlock,
                "this lock does not hold the session",
            );
            return;
        }
        if let Some(system) = state.system.as_mut() {
            system.from_holder = holder;
        }
        <SessionLockManagerState as Dispatch<ExtSessionLockV1, SessionLockState, Self>>::request(
            state, client, resource, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut Self,
        client: smithay::reexports::wayland_server::backend::ClientId,
        resource: &ExtSessionLockV1,
        data: &SessionLockState,
    ) {
        <SessionLockManagerState as Dispatch<ExtSessionLockV1, SessionLockState, Self>>::destroyed(
            state, client, resource, data,
        );
    }
}

impl PersonaState {
    /// The outputs changed: each lock surface is told its output's size.
    pub fn configure_lock_surfaces(&mut self) {
        let Some(system) = self.system.as_ref() else {
            return;
        };
        for (surface, output) in &system.lock_surfaces {
            let Some(geometry) = self.space.output_geometry(output) else {
                continue;
            };
            let size = (geometry.size.w.max(1) as u32, geometry.size.h.max(1) as u32).into();
            if surface.with_pending_state(|state| state.size.replace(size)) != Some(size) {
                surface.send_configure();
            }
        }
    }

    /// The lock surface on `output` and where it sits.
    pub fn lock_surface_on(
        &self,
        output: &Output,
    ) -> Option<(
        smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
        smithay::utils::Point<i32, smithay::utils::Logical>,
    )> {
        let system = self.system.as_ref()?;
        let (surface, _) = system
            .lock_surfaces
            .iter()
            .find(|(s, o)| o == output && s.alive())?;
        let at = self.space.output_geometry(output)?.loc;
        Some((surface.wl_surface().clone(), at))
    }

    /// The lock surface under `pos`, with its origin.
    pub fn lock_surface_under(
        &self,
        pos: smithay::utils::Point<f64, smithay::utils::Logical>,
    ) -> Option<(
        smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
        smithay::utils::Point<f64, smithay::utils::Logical>,
    )> {
        let (surface, at) = self.lock_surface_on(self.output_at(pos))?;
        smithay::desktop::utils::under_from_surface_tree(
            &surface,
            pos - at.to_f64(),
            (0, 0),
            smithay::desktop::WindowSurfaceType::ALL,
        )
        .map(|(s, p)| (s, (p + at).to_f64()))
    }

    /// The lock surface that takes the keyboard: the one on the primary
    /// output, else any.
    pub fn lock_keyboard_target(
        &self,
    ) -> Option<smithay::reexports::wayland_server::protocol::wl_surface::WlSurface> {
        let system = self.system.as_ref()?;
        let alive = || system.lock_surfaces.iter().filter(|(s, _)| s.alive());
        alive()
            .find(|(_, o)| *o == self.output)
            .or_else(|| alive().next())
            .map(|(s, _)| s.wl_surface().clone())
    }

    /// Every lock surface, for frame callbacks.
    pub fn lock_surfaces(
        &self,
    ) -> impl Iterator<Item = &smithay::reexports::wayland_server::protocol::wl_surface::WlSurface>
    {
        self.system
            .iter()
            .flat_map(|s| s.lock_surfaces.iter())
            .filter(|(s, _)| s.alive())
            .map(|(s, _)| s.wl_surface())
    }
}
