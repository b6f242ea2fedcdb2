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
use crate::persona::PersonaId;
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
    /// The lock request being handled comes from the lock holding the
    /// session (set by the guard in `handlers/session_lock.rs`).
    pub from_holder: bool,
    /// Each lock surface and the output it covers.
    pub lock_surfaces: Vec<(LockSurface, smithay::output::Output)>,
    pub control: ControlState,
    pub lock_access: SharedLockAccess,
    /// The connections of the lock screens and lock keyboards started.
    pub lock_clients: Vec<smithay::reexports::wayland_server::backend::ClientId>,
    /// While locked (with helpers started by the compositor): only their
    /// layer surfaces show and take input, not a bar's.
    pub lock_clients_only: bool,
}

/// Who may see ext-session-lock on the system display: the lock screen
/// the compositor started last, and nobody else (in the test fixture, which
/// starts no helpers, any client that is not sandboxed).
#[derive(Debug, Default)]
pub struct LockAccess {
    pub anyone: bool,
    pub client: Option<smithay::reexports::wayland_server::backend::ClientId>,
}

pub type SharedLockAccess = std::sync::Arc<std::sync::Mutex<LockAccess>>;

/// The session lock, while it holds.
#[derive(Debug, Clone)]
pub struct Locked {
    /// The persona shown again on unlock.
    pub previous: PersonaId,
    /// The lock screen to start again if it dies (as configured when the
    /// lock began, whatever a reload did since).
    pub command: Option<Vec<String>>,
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
        let mut persona = self.new_display(&config, &global, id)?;
        let dh = persona.display.handle();
        let lock_access = SharedLockAccess::new(std::sync::Mutex::new(LockAccess {
            anyone: !self.helpers.enabled,
            client: None,
        }));
        let access = lock_access.clone();
        let lock_state =
            SessionLockManagerState::new::<crate::persona::PersonaState, _>(&dh, move |client| {
                let sandboxed = client
                    .get_data::<crate::persona::ClientState>()
                    .is_some_and(|data| data.security_context.is_some());
                let access = access.lock().unwrap_or_else(|e| e.into_inner());
                !sandboxed && (access.anyone || access.client.as_ref() == Some(&client.id()))
            });
        dh.create_global::<crate::persona::PersonaState, protocol::personas_control_v1::PersonasControlV1, ()>(
            crate::handlers::control::VERSION,
            (),
        );
        persona.state.system = Some(Box::new(SystemDisplay {
            lock_state,
            lock: None,
            pending_lock: None,
            from_holder: false,
            lock_surfaces: Vec::new(),
            control: ControlState::default(),
            lock_access,
            lock_clients: Vec::new(),
            lock_clients_only: false,
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
        if self.locked() {
            // A lock screen that went away (one that daemonized, then
            // died) comes back.
            if !self.lock_screen_alive() && !self.helpers.has(Role::Lock) {
                self.start_helper(Role::Lock);
            }
            return;
        }
        // A restart still waiting from an earlier lock gives way to this one.
        self.helpers.cancel(Role::Lock);
        if self.helpers.has(Role::Lock) {
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
        if !self.locked() {
            let previous = self.personas.active_id();
            self.lock = Some(Locked {
                previous,
                command: self.config.lock.clone(),
            });
            let only_lock_clients = self.helpers.enabled;
            let state = &mut self.personas.get_mut(system_id).expect("checked").state;
            if let Some(system) = state.system.as_mut() {
                system.lock_clients_only = only_lock_clients;
            }
            // A panel that had the keyboard or a touch has it no more; the
            // pointer is the lock's.
            state.layer_focus = None;
            if std::mem::take(&mut self.pointer_router.touch_on_panel) {
                state.cancel_touches();
            }
            self.pointer_router.on_panel = false;
            let origin = SwitchOrigin {
                requested: Instant::now(),
                input: None,
            };
            self.switch_to(system_id, origin);
            if !self.helpers.has(Role::LockKeyboard) {
                self.start_helper(Role::LockKeyboard);
            }
            tracing::info!("session locked");
            self.ipc_events
                .broadcast(&crate::ipc::protocol::Event::Locked { locked: true });
        }
        // Confirmed once a frame of the lock is on screen (`lock_shown`).
        self.confirm_lock = Some(locker);
        self.notice = None;
        self.personas.active_mut().state.needs_redraw = true;
        self.queue_redraw();
        self.mark_dirty(system_id);
    }

    /// A frame drawn while locked is on screen (or nothing is, the output
    /// being off): no persona shows, so the lock screen hears `locked`.
    pub(crate) fn lock_shown(&mut self) {
        if self.personas.system_id() != Some(self.personas.active_id()) {
            return;
        }
        if let Some(locker) = self.confirm_lock.take() {
            locker.lock();
            if let Some(id) = self.personas.system_id() {
                self.mark_dirty(id);
            }
        }
        if self.locked() {
            self.release_sleep();
        }
    }

    /// The lock screen unlocked: the persona shown before comes back.
    pub(crate) fn unlocked(&mut self) {
        let Some(locked) = self.lock.take() else {
            return;
        };
        self.stop_helpers(Role::LockKeyboard);
        self.helpers.cancel(Role::Lock);
        if let Some(system) = self
            .personas
            .system_id()
            .and_then(|id| self.personas.get_mut(id))
            .and_then(|p| p.state.system.as_mut())
        {
            system.lock_clients_only = false;
        }
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

    /// While locked, a lock screen that is gone without its process being
    /// ours to watch (one that daemonized) is started again (each loop turn).
    pub(crate) fn watch_lock(&mut self) {
        if self.locked()
            && self.helpers.enabled
            && !self.lock_screen_alive()
            && !self.helpers.has(Role::Lock)
        {
            self.restart_helper_later(Role::Lock);
        }
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
                let session = match self.sessions.state(&p.state.name) {
                    None => Session::None,
                    Some("running") => Session::Running,
                    Some("restarting") => Session::Restarting,
                    Some("failed") => Session::Failed,
                    Some(_) => Session::Stopped,
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
