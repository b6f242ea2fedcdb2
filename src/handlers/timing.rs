//! wp-fifo and wp-commit-timing: how Vulkan (FIFO present mode) and
//! media clients pace their frames. smithay holds a commit that waits on a
//! barrier or a time; we release them — after each frame for the active
//! persona, once a second for background ones (so a hidden Vulkan client
//! slows down instead of stalling), and at a commit's target time.

use std::time::Duration;

use smithay::reexports::wayland_server::{Client, DisplayHandle, Resource};
use smithay::utils::{Monotonic, Time};
use smithay::wayland::commit_timing::{CommitTimerBarrierStateUserData, CommitTimingManagerState};
use smithay::wayland::compositor::CompositorHandler;
use smithay::wayland::fifo::{FifoBarrierCachedState, FifoManagerState};
use smithay::{delegate_commit_timing, delegate_fifo};

use crate::persona::{Persona, PersonaState};

/// The two globals, kept for the life of the persona.
pub struct Timing {
    pub fifo: FifoManagerState,
    pub commit_timing: CommitTimingManagerState,
}

impl Timing {
    pub fn new(dh: &DisplayHandle) -> Timing {
        Timing {
            fifo: FifoManagerState::new::<PersonaState>(dh),
            commit_timing: CommitTimingManagerState::new::<PersonaState>(dh),
        }
    }
}

impl Persona {
    /// Signals every fifo barrier and every commit timer due by `until` on
    /// this persona's surfaces, and applies the commits they held. Returns
    /// when the next commit timer is due, if one waits.
    pub fn release_barriers(&mut self, until: Duration) -> Option<Duration> {
        let until = Time::<Monotonic>::from(until);
        let mut released: Vec<Client> = Vec::new();
        let mut next: Option<Duration> = None;
        let mut visit =
            |surface: &smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
             states: &smithay::wayland::compositor::SurfaceData| {
                let mut any = false;
                if let Some(barrier) = states
                    .cached_state
                    .get::<FifoBarrierCachedState>()
                    .current()
                    .barrier
                    .take()
                {
                    barrier.signal();
                    any = true;
                }
                if let Some(timers) = states.data_map.get::<CommitTimerBarrierStateUserData>() {
                    let mut timers = timers.lock().unwrap_or_else(|e| e.into_inner());
                    any |= timers.signal_until(until);
                    if let Some(due) = timers.next_deadline() {
                        let due = Duration::from(Time::<Monotonic>::from(due));
                        next = Some(next.map_or(due, |n| n.min(due)));
                    }
                }
                if any {
                    if let Some(client) = surface.client() {
                        if !released.contains(&client) {
                            released.push(client);
                        }
                    }
                }
            };
        for window in self.state.space.elements() {
            window.with_surfaces(&mut visit);
        }
        for layer in self.state.all_layers() {
            layer.with_surfaces(&mut visit);
        }
        let dh = self.display.handle();
        for client in released {
            self.state
                .client_compositor_state(&client)
                .blocker_cleared(&mut self.state, &dh);
        }
        next
    }
}

delegate_fifo!(PersonaState);
delegate_commit_timing!(PersonaState);
