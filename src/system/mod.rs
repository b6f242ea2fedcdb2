//! The system display: a display of the compositor's own, for its trusted
//! helpers — the lock screen (ext-session-lock), the keyboard beside it,
//! and a persona bar or switcher (personas-control-v1). It is a hidden
//! persona: it has every persona's protocols, so those helpers are ordinary
//! clients, but it has no socket (its clients are handed a connection at
//! start, `helpers.rs`), it is in no persona list, and only the lock shows
//! it: while locked it is the persona on screen, and switching is refused.

pub mod helpers;
pub mod panels;
pub mod protocol;
pub mod sleep;

use std::time::Instant;

use smithay::reexports::wayland_server::Resource;

use smithay::wayland::session_lock::{LockSurface, SessionLockManagerState, SessionLocker};

use crate::config::{Color, Indicator, PersonaConfig};
use crate::handlers::control::{ControlState, PersonaSummary, Snapshot};
use crate::persona::switch::SwitchOrigin;
use crate::persona::{Persona, PersonaId};
use crate::state::{State, StateError};
use helpers::Role;
use protocol::personas_persona_v1::Session;

/// The system display's name in logs.
pub const NAME: &str = "system";

/// What only the system display has (on its `PersonaState`).
pub struct SystemDisplay {
    pub lock_state: SessionLockManagerState,
    /// The lock holding the session, while its client lives.
    pub lock: Option<smithay::reexports::wayland_protocols::ext::session_lock::v1::server::ext_session_lock_v1::ExtSessionLockV1>,
    /// A lock request the outer state has not answered yet.
    pub pending_lock: Option<SessionLocker>,
    /// Each lock surface and the output it covers.
    pub lock_surfaces: Vec<(LockSurface, smithay::output::Output)>,
    pub control: ControlState,
}

/// The session lock, while it holds.
#[derive(Debug, Clone, Copy)]
pub struct Locked {
    /// The persona shown again on unlock.
    pub previous: PersonaId,
}

impl State {
    /// Creates the system display (at start, after the personas).
    pub fn start_system_display(&mut self) -> Result<(), StateError> {
        let config = PersonaConfig {
            name: NAME.into(),
            color: Color {
                r: 0,
                g: 0,
                b: 0,
                a: 0xff,
            },
            session: None,
            env: Default::default(),
            keymap: self
                .config
                .personas
                .first()
                .map(|p| p.keymap.clone())
                .unwrap_or_default(),
            background_frames: Some(crate::config::BackgroundFrames::Paused),
            extra: crate::config::PersonaExtra {
                // The lock screen's on-screen keyboard types through it.
                privileged: vec!["virtual-keyboard".into()],
                ..Default::default()
            },
        };
        let mut global = self.config.clone();
        // The lock screen covers the whole output: no frame.
        global.indicator = Indicator::None;
        let id = self.personas.next_id();
        let mut persona = Persona::new(id, &config, &global, self.backend.output_spec())?;
        persona.state.set_outputs(
            &self.placed_outputs(&global),
            global.output_layout == crate::config::OutputLayout::Mirror,
        );
        let dh = persona.display.handle();
        let lock_state =
            SessionLockManagerState::new::<crate::persona::PersonaState, _>(&dh, |_| true);
        dh.create_global::<crate::persona::PersonaState, protocol::personas_control_v1::PersonasControlV1, ()>(
            crate::handlers::control::VERSION,
            (),
        );
        persona.state.system = Some(Box::new(SystemDisplay {
            lock_state,
            lock: None,
            pending_lock: None,
            lock_surfaces: Vec::new(),
            control: ControlState::default(),
        }));
        let tokens = self.watch_display(&mut persona)?;
        self.personas.push_system(persona);
        self.set_sources(id, tokens);
        for n in 0..self.config.helpers.len() {
            self.start_helper(Role::Helper(n));
        }
        if self.helpers.enabled {
            sleep::watch(&self.loop_handle);
        }
        Ok(())
    }

    /// Whether a lock screen holds the lock (its connection is open).
    pub fn lock_screen_alive(&self) -> bool {
        self.personas
            .system_id()
            .and_then(|id| self.personas.get(id))
            .and_then(|p| p.state.system.as_ref())
            .and_then(|s| s.lock.as_ref())
            .is_some_and(|l| l.is_alive())
    }

    /// Whether the session is locked.
    pub fn locked(&self) -> bool {
        self.lock.is_some()
    }

    /// The `lock` action (and idle): starts the lock screen, which locks.
    pub fn lock_session(&mut self) {
        if self.locked() || self.helpers.has(Role::Lock) {
            return;
        }
        if self.config.lock.is_none() {
            tracing::warn!("lock: no `lock` command in the config, nothing to lock with");
            return;
        }
        tracing::info!("starting the lock screen");
        self.start_helper(Role::Lock);
    }

    /// A client of the system display asked to lock (ext-session-lock).
    pub(crate) fn lock_requested(&mut self) {
        let Some(system_id) = self.personas.system_id() else {
            return;
        };
        let Some(system) = self
            .personas
            .get_mut(system_id)
            .and_then(|p| p.state.system.as_mut())
        else {
            return;
        };
        let Some(locker) = system.pending_lock.take() else {
            return;
        };
        if system.lock.as_ref().is_some_and(|l| l.is_alive()) {
            // Another lock screen holds it: this one gets `finished`.
            tracing::warn!("a second lock screen was refused");
            drop(locker);
            return;
        }
        system.lock = Some(locker.ext_session_lock().clone());
        if !self.locked() {
            let previous = self.personas.active_id();
            self.lock = Some(Locked { previous });
            // Its panels are under the lock now; the pointer is the lock's.
            self.pointer_router.on_panel = false;
            self.pointer_router.touch_on_panel = false;
            let origin = SwitchOrigin {
                requested: Instant::now(),
                input: None,
            };
            self.switch_to(system_id, origin);
            self.start_helper(Role::LockKeyboard);
            tracing::info!("session locked");
            self.ipc_events
                .broadcast(&crate::ipc::protocol::Event::Locked { locked: true });
        }
        // No persona is on screen any more (the switch drew the frame).
        locker.lock();
        self.mark_dirty(system_id);
    }

    /// The lock screen unlocked: the persona shown before comes back.
    pub(crate) fn unlocked(&mut self) {
        let Some(locked) = self.lock.take() else {
            return;
        };
        self.stop_helpers(Role::LockKeyboard);
        let target = if self.personas.ids().contains(&locked.previous) {
            locked.previous
        } else {
            self.personas.ids()[0]
        };
        let origin = SwitchOrigin {
            requested: Instant::now(),
            input: None,
        };
        self.switch_to(target, origin);
        tracing::info!("session unlocked");
        self.ipc_events
            .broadcast(&crate::ipc::protocol::Event::Locked { locked: false });
    }

    /// Tells personas-control listeners what changed (each loop turn).
    pub(crate) fn sync_control(&mut self) {
        let Some(system_id) = self.personas.system_id() else {
            return;
        };
        let listening = self
            .personas
            .get(system_id)
            .and_then(|p| p.state.system.as_ref())
            .is_some_and(|s| s.control.listening());
        if !listening {
            return;
        }
        let snapshot = self.control_snapshot();
        let Some(persona) = self.personas.get_mut(system_id) else {
            return;
        };
        let dh = persona.state.display_handle.clone();
        let Some(system) = persona.state.system.as_mut() else {
            return;
        };
        if system.control.update(&dh, snapshot) {
            self.mark_dirty(system_id);
        }
    }

    fn control_snapshot(&self) -> Snapshot {
        let personas = self
            .personas
            .iter()
            .map(|p| {
                let color = p.state.color;
                let session = match self.sessions.info(&p.state.name) {
                    None => Session::None,
                    Some(info) => match info.state.as_str() {
                        "running" => Session::Running,
                        "restarting" => Session::Restarting,
                        "failed" => Session::Failed,
                        _ => Session::Stopped,
                    },
                };
                PersonaSummary {
                    id: p.state.id,
                    name: p.state.name.clone(),
                    rgb: (u32::from(color.r) << 16)
                        | (u32::from(color.g) << 8)
                        | u32::from(color.b),
                    session,
                    attention: p.state.attention,
                    windows: u32::try_from(p.state.window_count()).unwrap_or(u32::MAX),
                }
            })
            .collect();
        Snapshot {
            personas,
            active: (!self.locked()).then(|| self.personas.active_id()),
            locked: self.locked(),
        }
    }
}
