//! wp-fifo and wp-commit-timing: how Vulkan (FIFO present mode) and
//! media clients pace their frames. smithay holds a commit that waits on a
//! barrier or a time; we release them — after each frame for the active
//! persona, once a second for background ones (so a hidden Vulkan client
//! slows down instead of stalling), and at a commit's target time.

use std::time::Duration;

use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{Client, DisplayHandle, Resource};
use smithay::utils::{Monotonic, Time};
use smithay::wayland::commit_timing::{
    CommitTimerBarrierStateUserData, CommitTimerStateUserData, CommitTimingManagerState,
};
use smithay::wayland::compositor::with_states;
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

/// Notes a surface whose commit sets a fifo barrier or a commit time (a
/// pre-commit hook on every surface): only those are visited when barriers
/// are released, and a timed commit wakes the loop for its time.
pub fn track_barriers(state: &mut PersonaState, surface: &WlSurface) {
    let (barrier, timed) = with_states(surface, |states| {
        let barrier = states
            .cached_state
            .get::<FifoBarrierCachedState>()
            .pending()
            .barrier
            .is_some();
        let timed = states
            .data_map
            .get::<CommitTimerStateUserData>()
            .is_some_and(|t| t.borrow().timestamp.is_some());
        (barrier, timed)
    });
    if !(barrier || timed) {
        return;
    }
    if !state.barrier_surfaces.iter().any(|w| w == surface) {
        state.barrier_surfaces.push(surface.downgrade());
    }
    state.timing_wake |= timed;
}

impl Persona {
    /// Signals the fifo barriers (`fifo`: what a frame latched) and the
    /// commit timers due by `until` of this persona's surfaces that use
    /// them, and applies the commits they held. Returns when the next
    /// commit timer is due, if one waits.
    pub fn release_barriers(&mut self, until: Duration, fifo: bool) -> Option<Duration> {
        let deadline = Time::<Monotonic>::from(until);
        let mut released: Vec<Client> = Vec::new();
        let mut next: Option<Duration> = None;
        self.state.barrier_surfaces.retain(|weak| {
            let Ok(surface) = weak.upgrade() else {
                return false;
            };
            let (any, waiting) = with_states(&surface, |states| {
                let mut any = false;
                let mut waiting = false;
                let mut cached = states.cached_state.get::<FifoBarrierCachedState>();
                if fifo {
                    if let Some(barrier) = cached.current().barrier.take() {
                        barrier.signal();
                        any = true;
                    }
                } else {
                    waiting |= cached.current().barrier.is_some();
                }
                waiting |= cached.pending().barrier.is_some();
                if let Some(timers) = states.data_map.get::<CommitTimerBarrierStateUserData>() {
                    let mut timers = timers.lock().unwrap_or_else(|e| e.into_inner());
                    any |= timers.signal_until(deadline);
                    if let Some(due) = timers.next_deadline() {
                        let due = Duration::from(Time::<Monotonic>::from(due));
                        next = Some(next.map_or(due, |n| n.min(due)));
                        waiting = true;
                    }
                }
                (any, waiting)
            });
            if any {
                if let Some(client) = surface.client() {
                    if !released.contains(&client) {
                        released.push(client);
                    }
                }
            }
            waiting
        });
        for client in released {
            self.blocker_cleared(&client);
        }
        next
    }
}

delegate_fifo!(PersonaState);
delegate_commit_timing!(PersonaState);
