//! Starting, serving and restarting each persona's Xwayland (`xwayland/`).

use std::time::Duration;

use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{Interest, LoopHandle, Mode, PostAction};

use super::State;
use crate::persona::{Persona, PersonaId, PersonaState};
use crate::xwayland::Xwayland;

/// A server that ran this long before it exited starts the backoff over.
const STABLE_AFTER: Duration = Duration::from_secs(30);
/// The longest wait before starting a server again.
const MAX_DELAY: Duration = Duration::from_secs(30);

impl State {
    /// Whether `persona` gets an X server: config `xwayland`, on by default
    /// for the real compositor (the test fixture starts one only when asked).
    fn wants_xwayland(&self, persona: &Persona) -> bool {
        persona
            .config
            .extra
            .xwayland
            .unwrap_or(self.xwayland_by_default)
    }

    /// After a reload: starts or ends the persona's X server as its config
    /// now says (its sessions get the new `DISPLAY` when they next start).
    pub(super) fn apply_xwayland(&mut self, id: PersonaId) {
        let Some(mut persona) = self.personas.take(id) else {
            return;
        };
        let want = self.wants_xwayland(&persona);
        match (&mut persona.xwayland, want) {
            (None, true) => self.start_xwayland(&mut persona),
            (Some(x), true) if x.off => {
                x.off = false;
                let dh = persona.display.handle();
                let name = persona.state.name.clone();
                match x.spawn(&dh, &name) {
                    Ok(()) => {
                        watch(&self.loop_handle, id, x);
                        self.sessions
                            .set_x11(&name, Some((x.display_name(), x.private_dir.clone())));
                    }
                    Err(err) => tracing::error!(persona = %name, "no X11 in this persona: {err}"),
                }
            }
            (Some(x), false) if !x.off => {
                // Off, but the number stays reserved: running sessions
                // still have DISPLAY=:n, and nobody else may take it.
                retire(&self.loop_handle, &mut persona.state, x);
                x.off = true;
                self.sessions.set_x11(&persona.state.name, None);
                tracing::info!(persona = %persona.state.name, "Xwayland turned off");
            }
            _ => {}
        }
        self.personas.put_back(persona);
    }

    /// Ends the persona's X server for good (the persona goes).
    pub(super) fn stop_xwayland(&mut self, persona: &mut Persona) {
        let Some(mut xwayland) = persona.xwayland.take() else {
            return;
        };
        retire(&self.loop_handle, &mut persona.state, &mut xwayland);
        drop(xwayland);
        // The killed Xwayland client is cleaned up (and its process
        // reaped) by a dispatch of the display.
        persona.dispatch();
        persona.flush();
        self.sessions.set_x11(&persona.state.name, None);
    }

    /// Starts the persona's X server before its session, so the session
    /// gets `DISPLAY`. A server that cannot start is logged; the persona
    /// runs without X11.
    pub(super) fn start_xwayland(&mut self, persona: &mut Persona) {
        if !self.wants_xwayland(persona) {
            return;
        }
        let name = persona.state.name.clone();
        let mut xwayland = match Xwayland::start(&persona.display.handle(), &name) {
            Ok(xwayland) => xwayland,
            Err(err) => {
                tracing::error!(persona = %name, "no X11 in this persona: {err}");
                return;
            }
        };
        if !watch(&self.loop_handle, persona.state.id, &mut xwayland) {
            return;
        }
        self.sessions.set_x11(
            &name,
            Some((xwayland.display_name(), xwayland.private_dir.clone())),
        );
        persona.xwayland = Some(xwayland);
    }

    /// Runs what the persona's X server and window manager sent.
    pub fn dispatch_xwayland(&mut self, id: PersonaId) {
        if let Some(persona) = self.personas.get_mut(id) {
            if let Some(xwayland) = persona.xwayland.as_mut() {
                xwayland.dispatch(&mut persona.state);
            }
            self.mark_dirty(id);
        }
    }

    /// The persona's X server exited: its windows go, and a new one starts
    /// on the same display after a backoff that grows while it keeps
    /// exiting soon after starting.
    pub(super) fn xwayland_exited(&mut self, id: PersonaId) {
        let Some(persona) = self.personas.get_mut(id) else {
            return;
        };
        let Some(xwayland) = persona.xwayland.as_mut() else {
            return;
        };
        if xwayland.restart_pending || xwayland.off {
            return;
        }
        retire(&self.loop_handle, &mut persona.state, xwayland);
        xwayland.restart_pending = true;
        if xwayland.started.elapsed() >= STABLE_AFTER {
            xwayland.failures = 0;
        }
        let delay = restart_delay(xwayland.failures);
        xwayland.failures = xwayland.failures.saturating_add(1);
        tracing::info!(persona = %persona.state.name, ?delay, "Xwayland restart scheduled");
        let inserted = self.loop_handle.insert_source(
            Timer::from_duration(delay),
            move |_, _, state: &mut State| {
                state.restart_xwayland(id);
                TimeoutAction::Drop
            },
        );
        match inserted {
            Ok(token) => xwayland.restart_timer = Some(token),
            Err(err) => tracing::error!("Xwayland restart not scheduled: {err}"),
        }
        self.mark_dirty(id);
    }

    fn restart_xwayland(&mut self, id: PersonaId) {
        let Some(persona) = self.personas.get_mut(id) else {
            return;
        };
        let dh = persona.display.handle();
        let name = persona.state.name.clone();
        let Some(xwayland) = persona.xwayland.as_mut() else {
            return;
        };
        xwayland.restart_timer = None;
        if !xwayland.restart_pending || xwayland.off {
            return;
        }
        xwayland.restart_pending = false;
        match xwayland.spawn(&dh, &name) {
            Ok(()) => {
                watch(&self.loop_handle, id, xwayland);
            }
            Err(err) => {
                tracing::error!(persona = %name, "Xwayland not restarted: {err}");
                persona
                    .state
                    .events
                    .push(crate::persona::PersonaEvent::XwaylandExited);
                self.mark_dirty(id);
            }
        }
    }
}

/// Puts the persona's X loop (a fresh one after every restart) in the
/// compositor's loop. False, logged, if it could not.
fn watch(handle: &LoopHandle<'static, State>, id: PersonaId, xwayland: &mut Xwayland) -> bool {
    if let Some(token) = xwayland.outer_token.take() {
        handle.remove(token);
    }
    let fd = match std::os::fd::AsFd::as_fd(&xwayland.event_loop).try_clone_to_owned() {
        Ok(fd) => fd,
        Err(err) => {
            tracing::error!("Xwayland's loop not watched: {err}");
            return false;
        }
    };
    let inserted = handle.insert_source(
        Generic::new(fd, Interest::READ, Mode::Level),
        move |_, _, state: &mut State| {
            state.dispatch_xwayland(id);
            Ok(PostAction::Continue)
        },
    );
    match inserted {
        Ok(token) => {
            xwayland.outer_token = Some(token);
            true
        }
        Err(err) => {
            tracing::error!("Xwayland's loop not watched: {err}");
            false
        }
    }
}

/// Ends a server's generation: its windows and window manager, its loop
/// and its pending restart.
fn retire(handle: &LoopHandle<'static, State>, state: &mut PersonaState, xwayland: &mut Xwayland) {
    state.forget_x11_windows();
    if let Some(token) = xwayland.outer_token.take() {
        handle.remove(token);
    }
    if let Some(token) = xwayland.restart_timer.take() {
        handle.remove(token);
    }
    xwayland.restart_pending = false;
    xwayland.retire();
}

/// 0 s for the first restart, then 1, 2, 4, … s, at most [`MAX_DELAY`].
pub fn restart_delay(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let factor = 1u64
        .checked_shl(failures - 1)
        .unwrap_or(u64::MAX)
        .min(1 << 20);
    Duration::from_secs(factor).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_back_off_to_a_cap() {
        let delays: Vec<u64> = (0..8).map(|f| restart_delay(f).as_secs()).collect();
        assert_eq!(delays, [0, 1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(restart_delay(u32::MAX), MAX_DELAY);
    }
}
