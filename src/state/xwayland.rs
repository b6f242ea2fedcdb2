//! Starting, serving and restarting each persona's Xwayland (`xwayland/`).

use std::time::Duration;

use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{Interest, LoopHandle, Mode, PostAction, RegistrationToken};
use std::os::fd::OwnedFd;

use super::State;
use crate::persona::{Persona, PersonaId, PersonaState};
use crate::xwayland::Xwayland;

/// A server that ran this long before it exited starts the backoff over.
const STABLE_AFTER: Duration = Duration::from_secs(30);
/// The longest wait before starting a server again.
const MAX_DELAY: Duration = Duration::from_secs(30);

impl State {
    /// Whether `persona` gets an X display: config `xwayland`, on by
    /// default for the real compositor (the test fixture has one only when
    /// asked).
    fn wants_xwayland(&self, persona: &Persona) -> bool {
        persona
            .config
            .extra
            .xwayland
            .unwrap_or(self.xwayland_by_default)
    }

    /// Claims the persona's X display before its session starts, so the
    /// session gets `DISPLAY`; the server starts with the first X client.
    /// A display that cannot be had is logged; the persona runs without X11.
    pub(super) fn start_xwayland(&mut self, persona: &mut Persona) {
        if !self.wants_xwayland(persona) {
            return;
        }
        let name = persona.state.name.clone();
        let mut xwayland = match Xwayland::new() {
            Ok(xwayland) => xwayland,
            Err(err) => {
                tracing::error!(persona = %name, "no X11 in this persona: {err}");
                return;
            }
        };
        if !watch_listener(&self.loop_handle, persona.state.id, &mut xwayland) {
            return;
        }
        tracing::info!(persona = %name, display = %xwayland.display_name(), "X11 display ready (its server starts with the first client)");
        self.sessions.set_x11(&name, Some(xwayland.session_x11()));
        persona.xwayland = Some(xwayland);
    }

    /// After a reload: turns the persona's X11 on or off as its config now
    /// says (its sessions get the new `DISPLAY` when they next start).
    pub(super) fn apply_xwayland(&mut self, id: PersonaId) {
        let Some(mut persona) = self.personas.take(id) else {
            return;
        };
        let want = self.wants_xwayland(&persona);
        let name = persona.state.name.clone();
        match (&mut persona.xwayland, want) {
            (None, true) => self.start_xwayland(&mut persona),
            (Some(x), true) if x.off => {
                x.off = false;
                let listening = x
                    .display
                    .listen()
                    .map_err(|e| e.to_string())
                    .and_then(|()| x.display.link().map_err(|e| e.to_string()));
                match listening {
                    Ok(()) if watch_listener(&self.loop_handle, id, x) => {
                        self.sessions.set_x11(&name, Some(x.session_x11()));
                        tracing::info!(persona = %name, "X11 turned on");
                    }
                    Ok(()) => {}
                    Err(err) => tracing::error!(persona = %name, "X11 not turned on: {err}"),
                }
            }
            (Some(x), false) if !x.off => {
                // Off, but the number stays the persona's: running sessions
                // still have DISPLAY=:n, and nobody else may take it.
                retire(&self.loop_handle, &mut persona.state, x);
                if let Some(token) = x.listen_token.take() {
                    self.loop_handle.remove(token);
                }
                x.display.close();
                x.off = true;
                self.sessions.set_x11(&name, None);
                tracing::info!(persona = %name, "X11 turned off");
            }
            _ => {}
        }
        self.personas.put_back(persona);
    }

    /// Ends the persona's X11 for good (the persona goes).
    pub(super) fn stop_xwayland(&mut self, persona: &mut Persona) {
        let Some(mut xwayland) = persona.xwayland.take() else {
            return;
        };
        retire(&self.loop_handle, &mut persona.state, &mut xwayland);
        if let Some(token) = xwayland.listen_token.take() {
            self.loop_handle.remove(token);
        }
        drop(xwayland);
        // The killed Xwayland client is cleaned up (and its process
        // reaped) by a dispatch of the display.
        persona.dispatch();
        persona.flush();
        self.sessions.set_x11(&persona.state.name, None);
    }

    /// A client connected to the persona's display while no server runs:
    /// start one (it accepts the client).
    fn start_x_server(&mut self, id: PersonaId) {
        let Some(persona) = self.personas.get_mut(id) else {
            return;
        };
        let dh = persona.display.handle();
        let name = persona.state.name.clone();
        let Some(xwayland) = persona.xwayland.as_mut() else {
            return;
        };
        if xwayland.off || xwayland.running() {
            return;
        }
        match xwayland.spawn(&dh, &name) {
            Ok(()) => {
                watch(&self.loop_handle, id, xwayland);
            }
            Err(err) => {
                tracing::error!(persona = %name, "Xwayland did not start: {err}");
                persona
                    .state
                    .events
                    .push(crate::persona::PersonaEvent::XwaylandExited);
                self.mark_dirty(id);
            }
        }
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

    /// The persona's X server exited (or could not start): its windows go,
    /// and the next client starts a new one; after a quick exit, only once
    /// a backoff (growing while it keeps dying) has passed.
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
        if xwayland.started.elapsed() >= STABLE_AFTER {
            xwayland.failures = 0;
        }
        let delay = restart_delay(xwayland.failures);
        xwayland.failures = xwayland.failures.saturating_add(1);
        tracing::info!(persona = %persona.state.name, ?delay, "Xwayland exited; the next X client starts it again");
        if delay.is_zero() {
            if let Some(token) = xwayland.listen_token {
                let _ = self.loop_handle.enable(&token);
            }
            self.mark_dirty(id);
            return;
        }
        xwayland.restart_pending = true;
        let inserted = self.loop_handle.insert_source(
            Timer::from_duration(delay),
            move |_, _, state: &mut State| {
                state.backoff_over(id);
                TimeoutAction::Drop
            },
        );
        match inserted {
            Ok(token) => xwayland.restart_timer = Some(token),
            Err(err) => tracing::error!("Xwayland backoff not scheduled: {err}"),
        }
        self.mark_dirty(id);
    }

    /// The backoff after a quick exit is over: clients may start a server.
    fn backoff_over(&mut self, id: PersonaId) {
        let Some(xwayland) = self.personas.get_mut(id).and_then(|p| p.xwayland.as_mut()) else {
            return;
        };
        xwayland.restart_timer = None;
        if !xwayland.restart_pending || xwayland.off {
            return;
        }
        xwayland.restart_pending = false;
        if let Some(token) = xwayland.listen_token {
            let _ = self.loop_handle.enable(&token);
        }
    }
}

/// Watches the display's socket: a client connecting while no server runs
/// starts one. The source disables itself until that server is gone.
fn watch_listener(
    handle: &LoopHandle<'static, State>,
    id: PersonaId,
    xwayland: &mut Xwayland,
) -> bool {
    let Some(listener) = xwayland.display.listener.as_ref() else {
        return false;
    };
    let fd = listener.try_clone().map(OwnedFd::from);
    watch_fd(handle, &mut xwayland.listen_token, fd, move |state| {
        state.start_x_server(id);
        PostAction::Disable
    })
}

/// Puts a server's loop (a fresh one for every server) in the
/// compositor's loop.
fn watch(handle: &LoopHandle<'static, State>, id: PersonaId, xwayland: &mut Xwayland) -> bool {
    let fd = std::os::fd::AsFd::as_fd(&xwayland.event_loop).try_clone_to_owned();
    watch_fd(handle, &mut xwayland.outer_token, fd, move |state| {
        state.dispatch_xwayland(id);
        PostAction::Continue
    })
}

/// Replaces the source in `slot` by one calling `ready` while `fd` is
/// readable. False, logged, if it could not.
fn watch_fd(
    handle: &LoopHandle<'static, State>,
    slot: &mut Option<RegistrationToken>,
    fd: std::io::Result<OwnedFd>,
    mut ready: impl FnMut(&mut State) -> PostAction + 'static,
) -> bool {
    if let Some(token) = slot.take() {
        handle.remove(token);
    }
    let inserted = fd.map_err(|e| e.to_string()).and_then(|fd| {
        handle
            .insert_source(
                Generic::new(fd, Interest::READ, Mode::Level),
                move |_, _, state: &mut State| Ok(ready(state)),
            )
            .map_err(|e| e.to_string())
    });
    match inserted {
        Ok(token) => {
            *slot = Some(token);
            true
        }
        Err(err) => {
            tracing::error!("an X11 source is not watched: {err}");
            false
        }
    }
}

/// Ends a server's generation: its windows and window manager, its loop
/// and a pending backoff (the display stays).
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
