//! When the user counts as idle, for ext-idle-notify: since the last input
//! or switch, and only for the persona on screen (see `handlers::idle`).
//! One timer, armed for the earliest deadline of the active persona's
//! notifications; input only pushes deadlines later, so it re-arms only
//! when something was resumed or nothing is armed.

use std::time::Instant;

use smithay::reexports::calloop::timer::{TimeoutAction, Timer};

use super::State;

/// How often idleness is looked at again while an inhibitor holds it back.
const INHIBITOR_RECHECK: std::time::Duration = std::time::Duration::from_millis(500);

/// What the output shows: the compositor's idle actions (`[idle]`) dim it
/// and turn it off; `personas msg output NAME off|on` too. Input wakes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    On,
    Dimmed,
    Off,
}

impl State {
    /// Input arrived: the user is here.
    pub fn note_activity(&mut self) {
        self.idle_since = Instant::now();
        let resumed = self.personas.active_mut().state.resume_idle();
        // A closed lid keeps the panel off whatever an external keyboard
        // does (unless another output shows: a docked laptop).
        let woke = self.power != Power::On && !self.lid_keeps_off();
        if woke {
            self.set_power(Power::On);
        }
        if resumed || woke || self.idle_timer.is_none() {
            self.check_idle();
        }
    }

    /// A lid or tablet-mode switch. A closed lid takes the built-in panel
    /// out of the layout where another output shows (a docked laptop: its
    /// windows move there), else turns the display off until it opens
    /// (which counts as the user coming back); tablet mode is told to
    /// `subscribe`rs, for on-screen keyboards.
    pub fn on_hardware_switch(&mut self, switch: crate::input::HardwareSwitch, on: bool) {
        use crate::input::HardwareSwitch;
        use crate::ipc::protocol::Event;
        match switch {
            HardwareSwitch::Lid => {
                if self.lid_closed == on {
                    return;
                }
                self.lid_closed = on;
                tracing::info!(closed = on, "lid");
                let config = self.config.clone();
                if self.backend.set_lid(on, &config) {
                    self.output_spec_changed();
                    // A frame the panel under the lid waited for is never shown.
                    self.forget_gone_flights();
                    self.redraw_now();
                }
                if self.lid_keeps_off() {
                    self.set_power(Power::Off);
                    self.lid_off = true;
                } else if !on {
                    self.lid_off = false;
                    self.note_activity();
                }
                self.ipc_events.broadcast(&Event::Lid { closed: on });
            }
            HardwareSwitch::TabletMode => {
                tracing::info!(on, "tablet mode");
                self.ipc_events.broadcast(&Event::TabletMode { on });
            }
        }
    }

    /// Whether a closed lid leaves nothing to see, so the display stays off.
    pub fn lid_keeps_off(&self) -> bool {
        self.lid_closed && self.backend.lid_blanks()
    }

    /// Outputs came or went (a monitor plugged in or out) with the lid
    /// closed: the display goes off when only the built-in panel is left,
    /// and back on when a monitor comes after the lid turned it off. Nothing
    /// else wakes it: a monitor that drops off the bus once it sleeps would
    /// otherwise wake it again and again.
    pub fn outputs_replugged(&mut self) {
        if !self.lid_closed {
            return;
        }
        if self.lid_keeps_off() {
            if self.power != Power::Off {
                self.set_power(Power::Off);
                self.lid_off = true;
            }
        } else if std::mem::take(&mut self.lid_off) {
            self.note_activity();
        }
    }

    /// Turns the output on, dims it or turns it off; what it shows next is
    /// drawn whole.
    pub fn set_power(&mut self, power: Power) {
        if self.power == power {
            return;
        }
        tracing::info!(from = ?self.power, to = ?power, "output power");
        self.power = power;
        self.backend.reset_damage();
        self.personas.active_mut().state.needs_redraw = true;
        self.queue_redraw();
    }

    /// A switch: the old persona's idle notifications are resumed (its
    /// clients must not stay "idle" in the background), and the new one's
    /// idle time starts now.
    pub fn idle_switched(&mut self, old: crate::persona::PersonaId) {
        if let Some(persona) = self.personas.get_mut(old) {
            persona.state.resume_idle();
            self.mark_dirty(old);
        }
        self.idle_since = Instant::now();
        self.check_idle();
    }

    /// Sends `idled` where a deadline passed; arms the timer for the next.
    pub fn check_idle(&mut self) {
        let now = Instant::now();
        let persona = &mut self.personas.active_mut().state;
        // An inhibitor's client may die without destroying it.
        persona
            .idle_inhibitors
            .retain(smithay::reexports::wayland_server::Resource::is_alive);
        let inhibited = persona.idle_inhibited();
        if inhibited != self.idle_was_inhibited {
            self.idle_was_inhibited = inhibited;
            if inhibited {
                // Held back from now on: what is idle is no longer.
                for n in persona.idle.iter_mut().filter(|n| n.idle && !n.input_only) {
                    n.resource.resumed();
                    n.idle = false;
                }
            } else {
                // As when input arrives: the timeouts start again.
                self.idle_since = now;
            }
        }
        let since = self.idle_since;
        let mut next: Option<Instant> = None;
        for n in persona.idle.iter_mut() {
            if n.idle || (inhibited && !n.input_only) {
                continue;
            }
            let due = since + n.timeout;
            if due <= now {
                n.resource.idled();
                n.idle = true;
            } else {
                next = Some(next.map_or(due, |d| d.min(due)));
            }
        }
        let id = persona.id;
        self.mark_dirty(id);
        // The compositor's own idle actions, held back like the rest.
        if !inhibited {
            let idle = self.config.idle;
            let mut action =
                |after: Option<std::time::Duration>, power: Power, this: &mut State| {
                    let Some(after) = after else { return };
                    let due = since + after;
                    if due <= now {
                        if this.power == Power::On || power == Power::Off {
                            this.set_power(power);
                        }
                    } else {
                        next = Some(next.map_or(due, |d| d.min(due)));
                    }
                };
            action(idle.dim_after, Power::Dimmed, self);
            action(idle.off_after, Power::Off, self);
            if let Some(after) = idle.lock_after.filter(|_| !self.locked()) {
                let due = since + after;
                if due <= now {
                    tracing::info!("idle: locking");
                    self.lock_session();
                } else {
                    next = Some(next.map_or(due, |d| d.min(due)));
                }
            }
        }
        // An inhibitor can stop counting without a word (its window unmapped,
        // its client gone): look again now and then while one holds.
        let held_back = self
            .personas
            .active()
            .state
            .idle
            .iter()
            .any(|n| !n.input_only)
            || self.config.idle.dim_after.is_some()
            || self.config.idle.off_after.is_some()
            || self.config.idle.lock_after.is_some();
        if inhibited && held_back {
            let again = now + INHIBITOR_RECHECK;
            next = Some(next.map_or(again, |d| d.min(again)));
        }
        if let Some(token) = self.idle_timer.take() {
            self.loop_handle.remove(token);
        }
        if let Some(deadline) = next {
            let inserted = self.loop_handle.insert_source(
                Timer::from_deadline(deadline),
                |_, _, state: &mut State| {
                    state.idle_timer = None;
                    state.check_idle();
                    TimeoutAction::Drop
                },
            );
            match inserted {
                Ok(token) => self.idle_timer = Some(token),
                Err(err) => tracing::error!("idle timer not armed: {err}"),
            }
        }
    }
}
