//! Starting, serving and restarting each persona's Xwayland (`xwayland/`).

use std::time::Duration;

use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{Interest, Mode, PostAction};

use super::State;
use crate::persona::{Persona, PersonaId};
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
        if want && persona.xwayland.is_none() {
            self.start_xwayland(&mut persona);
        } else if !want {
            self.stop_xwayland(&mut persona);
        }
        self.personas.put_back(persona);
    }

    /// Ends the persona's X server and forgets its windows.
    pub(super) fn stop_xwayland(&mut self, persona: &mut Persona) {
        let Some(xwayland) = persona.xwayland.take() else {
            return;
        };
        if let Some(token) = xwayland.outer_token {
            self.loop_handle.remove(token);
        }
        drop(xwayland);
        persona.state.forget_x11_windows();
        self.sessions.set_x11(&persona.state.name, None);
        tracing::info!(persona = %persona.state.name, "Xwayland stopped");
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
        let fd = match std::os::fd::AsFd::as_fd(&xwayland.event_loop).try_clone_to_owned() {
            Ok(fd) => fd,
            Err(err) => {
                tracing::error!(persona = %name, "no X11 in this persona: {err}");
                return;
            }
        };
        let id = persona.state.id;
        let inserted = self.loop_handle.insert_source(
            Generic::new(fd, Interest::READ, Mode::Level),
            move |_, _, state: &mut State| {
                state.dispatch_xwayland(id);
                Ok(PostAction::Continue)
            },
        );
        match inserted {
            Ok(token) => xwayland.outer_token = Some(token),
            Err(err) => {
                tracing::error!(persona = %name, "no X11 in this persona: {err}");
                return;
            }
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
        persona.state.forget_x11_windows();
        let Some(xwayland) = persona.xwayland.as_mut() else {
            return;
        };
        if xwayland.restart_pending {
            return;
        }
        xwayland.restart_pending = true;
        xwayland.stop();
        if xwayland.started.elapsed() >= STABLE_AFTER {
            xwayland.failures = 0;
        }
        let delay = restart_delay(xwayland.failures);
        xwayland.failures = xwayland.failures.saturating_add(1);
        tracing::info!(persona = %persona.state.name, ?delay, "Xwayland restart scheduled");
        self.mark_dirty(id);
        let inserted = self.loop_handle.insert_source(
            Timer::from_duration(delay),
            move |_, _, state: &mut State| {
                state.restart_xwayland(id);
                TimeoutAction::Drop
            },
        );
        if let Err(err) = inserted {
            tracing::error!("Xwayland restart not scheduled: {err}");
        }
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
        xwayland.restart_pending = false;
        if let Err(err) = xwayland.spawn(&dh, &name) {
            tracing::error!(persona = %name, "Xwayland not restarted: {err}");
            persona
                .state
                .events
                .push(crate::persona::PersonaEvent::XwaylandExited);
            self.mark_dirty(id);
        }
    }
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
