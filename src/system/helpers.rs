//! The system display's clients: programs the compositor starts itself,
//! outside every persona, each handed its own connection through
//! `WAYLAND_SOCKET` (the system display has no socket anyone could find).
//! The lock screen and its keyboard are started on `lock` and come back if
//! they die while locked; `helpers` (a persona bar, a switcher) run for the
//! compositor's life, restarted with a growing delay.

use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use smithay::reexports::calloop::channel::{self, Sender};
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::LoopHandle;

use crate::state::State;

/// What a helper is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The `lock` command.
    Lock,
    /// The `lock_keyboard` command.
    LockKeyboard,
    /// `helpers[n]`.
    Helper(usize),
}

/// A run that lasted this long resets the restart delay.
const STABLE_AFTER: Duration = Duration::from_secs(10);

struct Running {
    role: Role,
    pid: u32,
    started: Instant,
    /// Its connection to the system display.
    client: smithay::reexports::wayland_server::backend::ClientId,
}

/// A helper that ended.
pub struct Exit {
    pid: u32,
    status: std::io::Result<ExitStatus>,
}

pub struct Helpers {
    running: Vec<Running>,
    /// Quick ends in a row, per role, for the restart delay.
    failures: HashMap<Role, u32>,
    /// Roles with a restart scheduled.
    pending: Vec<Role>,
    sender: Option<Sender<Exit>>,
    /// False in the test fixture: nothing is started.
    pub enabled: bool,
}

impl Helpers {
    pub fn new(handle: &LoopHandle<'static, State>, enabled: bool) -> Helpers {
        let (sender, receiver) = channel::channel::<Exit>();
        let inserted = handle.insert_source(receiver, |event, _, state: &mut State| {
            if let channel::Event::Msg(exit) = event {
                state.helper_exited(exit);
            }
        });
        if let Err(err) = &inserted {
            tracing::warn!("helper watcher not started: {err}");
        }
        Helpers {
            running: Vec::new(),
            failures: HashMap::new(),
            pending: Vec::new(),
            sender: inserted.ok().map(|_| sender),
            enabled,
        }
    }

    /// Whether a helper in `role` is running or about to be restarted.
    pub fn has(&self, role: Role) -> bool {
        self.running.iter().any(|r| r.role == role) || self.pending.contains(&role)
    }

    /// SIGTERM to the helpers in `role` (their process groups); their
    /// connections are closed at once, so their surfaces go now, not when
    /// the processes get round to exiting. Returns their process groups.
    fn stop(&mut self, role: Role, system: Option<&mut crate::persona::Persona>) -> Vec<u32> {
        self.pending.retain(|r| *r != role);
        let mut closed = Vec::new();
        let mut groups = Vec::new();
        // Gone from `running` now: their exits are nobody's business, and
        // a new one may start at once.
        self.running.retain(|helper| {
            if helper.role != role {
                return true;
            }
            crate::session::signal_group(helper.pid, libc::SIGTERM);
            closed.push(helper.client.clone());
            groups.push(helper.pid);
            false
        });
        if let Some(system) = system {
            system.state.forget_clients(&closed);
            let handle = system.display.handle();
            for client in closed {
                handle.backend_handle().kill_client(
                    client,
                    smithay::reexports::wayland_server::backend::DisconnectReason::ConnectionClosed,
                );
            }
        }
        groups
    }

    /// Forgets a restart scheduled for `role`.
    pub fn cancel(&mut self, role: Role) {
        self.pending.retain(|r| *r != role);
    }

    /// SIGTERM to every helper (at shutdown).
    pub fn stop_all(&mut self) {
        self.enabled = false;
        self.pending.clear();
        for helper in &self.running {
            crate::session::signal_group(helper.pid, libc::SIGTERM);
        }
    }

    fn failures(&mut self, role: Role) -> &mut u32 {
        self.failures.entry(role).or_default()
    }
}

/// Starts `argv` with `client` as its Wayland connection.
fn spawn(argv: &[String], client: UnixStream) -> std::io::Result<std::process::Child> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty command"))?;
    let fd = client.as_raw_fd();
    let mut command = Command::new(program);
    command
        .args(args)
        .env("WAYLAND_SOCKET", fd.to_string())
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("PERSONAS_SOCKET")
        .stdin(Stdio::null())
        // Its own process group, so stopping it reaches its children too.
        .process_group(0);
    // SAFETY: only async-signal-safe prctl(2) and fcntl(2) calls between fork and exec;
    // the descriptor is open for the child's whole life in the parent.
    unsafe {
        command.pre_exec(move || {
            // It goes with the compositor, however that ends (SIGKILL: a
            // client whose display is gone may well spin rather than exit
            // on SIGTERM; wvkbd does).
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn();
    // The child has its copy; ours goes.
    drop(client);
    child
}

impl State {
    /// Stops the helpers in `role`: SIGTERM, and SIGKILL for what is
    /// still there after [`crate::session::KILL_TIMEOUT`].
    pub fn stop_helpers(&mut self, role: Role) {
        let system = self.personas.system_id();
        let system = system.and_then(|id| self.personas.get_mut(id));
        let groups = self.helpers.stop(role, system);
        if groups.is_empty() {
            return;
        }
        let timer = Timer::from_duration(crate::session::KILL_TIMEOUT);
        let inserted = self.loop_handle.insert_source(timer, move |_, _, _| {
            for &pgid in &groups {
                if crate::session::group_alive(pgid) {
                    tracing::warn!(pgid, "helper still there after SIGTERM: SIGKILL");
                    crate::session::signal_group(pgid, libc::SIGKILL);
                }
            }
            TimeoutAction::Drop
        });
        if let Err(err) = inserted {
            tracing::error!("helper kill timer not armed: {err}");
        }
    }

    /// Starts the helper for `role` now, connected to the system display.
    pub fn start_helper(&mut self, role: Role) {
        if !self.helpers.enabled {
            return;
        }
        let argv = match role {
            Role::Lock => match &self.lock {
                Some(locked) => locked.command.clone(),
                None => self.config.lock.clone(),
            },
            Role::LockKeyboard => self.config.lock_keyboard.clone(),
            Role::Helper(n) => self.config.helpers.get(n).cloned(),
        };
        let Some(argv) = argv else {
            return;
        };
        let Some(system) = self.personas.system_id() else {
            return;
        };
        let (server, client) = match UnixStream::pair() {
            Ok(pair) => pair,
            Err(err) => {
                tracing::warn!(?role, "no connection for a helper: {err}");
                return;
            }
        };
        let inserted = self
            .personas
            .get_mut(system)
            .map(|p| p.insert_client(server));
        let connection = match inserted {
            Some(Ok(connection)) => connection.id(),
            Some(Err(err)) => {
                tracing::warn!(?role, "helper not connected: {err}");
                return;
            }
            None => return,
        };
        let state = self.personas.get_mut(system).map(|p| &mut p.state);
        if let Some((dh, system)) =
            state.and_then(|s| Some((&s.display_handle, s.system.as_mut()?)))
        {
            if matches!(role, Role::Lock | Role::LockKeyboard) {
                // (Those gone are forgotten.)
                system
                    .lock_clients
                    .retain(|c| dh.backend_handle().get_client_data(c.clone()).is_ok());
                system.lock_clients.push(connection.clone());
            }
            if role == Role::Lock {
                // The one client that may see ext-session-lock from now on.
                let mut access = system.lock_access.lock().unwrap_or_else(|e| e.into_inner());
                access.client = Some(connection.clone());
            }
        }
        match spawn(&argv, client) {
            Ok(mut child) => {
                let pid = child.id();
                tracing::info!(?role, pid, ?argv, "helper started on the system display");
                self.helpers.running.push(Running {
                    role,
                    pid,
                    started: Instant::now(),
                    client: connection,
                });
                if let Some(sender) = self.helpers.sender.clone() {
                    let waiter = crate::session::spawn_thread("helper-wait", move || {
                        let status = child.wait();
                        let _ = sender.send(Exit { pid, status });
                    });
                    if let Err(err) = waiter {
                        tracing::error!(pid, "helper waiter not started: {err}");
                    }
                }
            }
            Err(err) => {
                tracing::warn!(?role, ?argv, "cannot start helper: {err}");
                self.restart_helper_later(role);
            }
        }
    }

    fn helper_exited(&mut self, exit: Exit) {
        let Some(i) = self.helpers.running.iter().position(|r| r.pid == exit.pid) else {
            return;
        };
        let helper = self.helpers.running.remove(i);
        let status = match &exit.status {
            Ok(status) => crate::session::describe(*status),
            Err(err) => format!("unknown ({err})"),
        };
        // A lock screen that daemonized: its child holds the lock.
        let held = helper.role == Role::Lock && self.lock_screen_alive();
        let wanted = self.helper_wanted(helper.role) && !held;
        if !wanted || !self.helpers.enabled {
            tracing::info!(role = ?helper.role, pid = exit.pid, %status, "helper ended");
            return;
        }
        if helper.started.elapsed() >= STABLE_AFTER {
            *self.helpers.failures(helper.role) = 0;
        }
        tracing::warn!(role = ?helper.role, pid = exit.pid, %status, "helper ended while still needed: starting it again");
        self.restart_helper_later(helper.role);
    }

    /// Whether a helper for `role` should run: the lock screen while locked
    /// by nobody (it died; looked at after the restart delay, by when its
    /// connection is closed too), its keyboard while locked, the others
    /// always.
    fn helper_wanted(&self, role: Role) -> bool {
        match role {
            Role::Lock | Role::LockKeyboard => self.locked(),
            Role::Helper(n) => n < self.config.helpers.len(),
        }
    }

    /// Starts `role` again after the backoff delay.
    pub(crate) fn restart_helper_later(&mut self, role: Role) {
        if self.helpers.pending.contains(&role) {
            return;
        }
        let failures = self.helpers.failures(role);
        let delay = crate::session::backoff::delay(*failures);
        *failures += 1;
        self.helpers.pending.push(role);
        let timer = Timer::from_duration(delay);
        let inserted = self
            .loop_handle
            .insert_source(timer, move |_, _, state: &mut State| {
                if state.helpers.pending.contains(&role) {
                    state.helpers.pending.retain(|r| *r != role);
                    let held = role == Role::Lock && state.lock_screen_alive();
                    if state.helper_wanted(role) && !held {
                        state.start_helper(role);
                    }
                }
                TimeoutAction::Drop
            });
        if let Err(err) = inserted {
            tracing::error!(?role, "helper restart not scheduled: {err}");
        }
    }
}
