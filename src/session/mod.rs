//! Supervised persona sessions: the program a persona runs, started when the
//! persona is added (or with `personas msg session start NAME`), in its own
//! process group, with the persona's runtime directory and Wayland display.
//!
//! - Its stdout and stderr go to `$XDG_STATE_HOME/personas/<name>.log` (see
//!   [`log`]), together with the compositor's own lines about it (started,
//!   ended, could not start).
//! - When it ends on its own, config `restart` (see [`backoff::RestartPolicy`])
//!   decides whether it is started again, after an exponential backoff
//!   (1 s doubling to 60 s) that starts over once a run lasted 30 s. A program
//!   that cannot be started at all is retried on the same schedule.
//! - [`Sessions::stop`] sends SIGTERM to its process group and SIGKILL
//!   [`KILL_TIMEOUT`] later if the group is still there (a calloop timer; the
//!   compositor never blocks). [`Sessions::stop_all`], on compositor exit,
//!   waits for the groups (at most [`KILL_TIMEOUT`], then SIGKILL).
//!
//! - Unless its config says `isolation = "none"` (or the kernel refuses
//!   namespaces, which is logged loudly and shown by `list`), the program is
//!   started through [`sandbox`] in namespaces of its own.
//!
//! Every child is reaped by a waiter thread that reports its exit through a
//! calloop channel, so one persona's crashing session touches nothing else.

pub mod backoff;
pub mod log;
pub mod sandbox;

use std::collections::HashMap;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smithay::reexports::calloop::channel::{self, Sender};
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::LoopHandle;

use self::backoff::RestartPolicy;
use self::log::{LogFile, SharedLog, LOG_CAP};
use crate::config::{Config, ConfigSource, PersonaConfig};
use crate::ipc::protocol::SessionInfo;
use crate::persona::socket::SOCKET_NAME;
use crate::state::State;

/// How long a stopped session gets between SIGTERM and SIGKILL.
pub const KILL_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Its process (group leader) is alive.
    Running { pid: u32, started: Instant },
    /// SIGTERM sent on request; SIGKILL follows after [`KILL_TIMEOUT`].
    Stopping { pid: u32 },
    /// Ended; a restart is scheduled.
    Restarting,
    /// Could not be started; `retry` when another attempt is scheduled.
    Failed { retry: bool },
    /// Not running and nothing scheduled.
    Stopped,
}

struct Session {
    config: PersonaConfig,
    dir: PathBuf,
    phase: Phase,
    /// Automatic restarts (and retries that started it) so far.
    restarts: u32,
    /// Consecutive quick ends, for the backoff.
    failures: u32,
    /// How it last ended, or why it could not start.
    last: Option<String>,
    /// Bumped on every start and stop, so a stale timer does nothing.
    generation: u64,
    log: Option<SharedLog>,
    /// How its current (or last) run is isolated, as `list` shows it.
    isolation: Option<String>,
}

impl Session {
    fn new(config: &PersonaConfig, dir: &Path) -> Session {
        Session {
            config: config.clone(),
            dir: dir.to_path_buf(),
            phase: Phase::Stopped,
            restarts: 0,
            failures: 0,
            last: None,
            generation: 0,
            log: None,
            isolation: None,
        }
    }

    fn policy(&self) -> RestartPolicy {
        RestartPolicy::from_config(self.config.extra.restart.as_deref())
    }

    fn backoff(&self) -> backoff::Backoff {
        let extra = &self.config.extra;
        backoff::Backoff::from_config(extra.restart_delay_ms, extra.restart_max_delay_ms)
    }

    fn pid(&self) -> Option<u32> {
        match self.phase {
            Phase::Running { pid, .. } | Phase::Stopping { pid } => Some(pid),
            _ => None,
        }
    }

    fn note(&self, text: &str) {
        if let Some(log) = &self.log {
            if let Ok(mut log) = log.lock() {
                log.note(text);
            }
        }
    }
}

struct Exit {
    name: String,
    pid: u32,
    status: std::io::Result<ExitStatus>,
}

pub struct Sessions {
    enabled: bool,
    sessions: HashMap<String, Session>,
    sender: Option<Sender<Exit>>,
    handle: LoopHandle<'static, State>,
    shutting_down: bool,
    /// This program, run as `personas sandbox` for namespaced sessions.
    launcher: Option<PathBuf>,
    /// Whether the kernel lets the launcher build its namespaces: asked once,
    /// at the first namespaced start.
    namespaces: Option<Result<(), String>>,
    /// The compositor's own files, covered in every namespaced session.
    protected: Vec<PathBuf>,
    /// Every persona's home, so each session can have the others' covered.
    homes: HashMap<String, PathBuf>,
    /// Each persona's X server: its `DISPLAY` and the directory a
    /// namespaced session sees as `/tmp/.X11-unix` (`xwayland/`).
    x11: HashMap<String, (String, PathBuf)>,
}

/// How a session is started.
enum Isolation {
    Namespaces,
    /// Plain process; the reason when namespaces were wanted but unavailable.
    None(Option<String>),
}

impl Sessions {
    /// `enabled`: whether [`Sessions::launch`] starts sessions (a manual
    /// `session start` always does).
    pub fn new(handle: &LoopHandle<'static, State>, enabled: bool) -> Sessions {
        let (sender, receiver) = channel::channel::<Exit>();
        let inserted = handle.insert_source(receiver, |event, _, state: &mut State| {
            if let channel::Event::Msg(exit) = event {
                state.sessions.exited(exit);
            }
        });
        let sender = match inserted {
            Ok(_) => Some(sender),
            Err(err) => {
                tracing::warn!("session watcher not started: {err}");
                None
            }
        };
        Sessions {
            enabled,
            sessions: HashMap::new(),
            sender,
            handle: handle.clone(),
            shutting_down: false,
            launcher: std::env::current_exe().ok(),
            namespaces: None,
            protected: Vec::new(),
            homes: HashMap::new(),
            x11: HashMap::new(),
        }
    }

    /// Learns what namespaced sessions must not see (the config file, the
    /// logs, every persona's home); called at start and on every reload.
    pub fn configure(&mut self, config: &Config, source: &ConfigSource) {
        let mut protected = Vec::new();
        if let ConfigSource::File(path) = source {
            protected.push(path.clone());
        }
        protected.extend(crate::config::user_config_dir());
        protected.extend(log::log_dir());
        protected.extend(data_dir().map(|dir| dir.join("personas")));
        protected.sort();
        protected.dedup();
        self.protected = protected;
        self.homes = config
            .personas
            .iter()
            .filter_map(|p| Some((p.name.clone(), persona_home(p)?)))
            .collect();
    }

    /// The isolation a session of `config` gets, probing the kernel once.
    fn isolation(&mut self, config: &PersonaConfig) -> Isolation {
        if config.extra.isolation.as_deref() == Some("none") {
            return Isolation::None(None);
        }
        let launcher = self.launcher.clone();
        let probe = self.namespaces.get_or_insert_with(|| {
            let result = probe_namespaces(launcher.as_deref());
            if let Err(reason) = &result {
                tracing::error!(
                    "namespaced sessions are not possible here ({reason}); \
                     sessions run WITHOUT isolation"
                );
            }
            result
        });
        match probe {
            Ok(()) => Isolation::Namespaces,
            Err(reason) => Isolation::None(Some(reason.clone())),
        }
    }

    /// Whether `config`'s sessions run in their own namespaces (as far as
    /// known before the first start): only then is its X server its own.
    pub fn isolates(&self, config: &PersonaConfig) -> bool {
        config.extra.isolation.as_deref() != Some("none")
            && self.namespaces.as_ref().is_none_or(|probe| probe.is_ok())
            && self.launcher.is_some()
    }

    /// The persona's X server, for its sessions from now on.
    pub fn set_x11(&mut self, persona: &str, x11: Option<(String, PathBuf)>) {
        match x11 {
            Some(x11) => self.x11.insert(persona.to_string(), x11),
            None => self.x11.remove(persona),
        };
    }

    /// Starts the persona's configured session (if any) in its runtime
    /// directory `dir`; called when the persona is added.
    pub fn launch(&mut self, persona: &PersonaConfig, dir: &Path) {
        if !self.enabled || persona.session.is_none() {
            return;
        }
        let _ = self.start(persona, dir);
    }

    /// `session start NAME`: starts the session now (the backoff starts over).
    /// An error when it is already running or has no `session` configured; a
    /// program that cannot start is reported here and retried as configured.
    pub fn start(&mut self, persona: &PersonaConfig, dir: &Path) -> Result<(), String> {
        let name = &persona.name;
        if persona.session.as_ref().is_none_or(|argv| argv.is_empty()) {
            return Err(format!("persona `{name}` has no `session` configured"));
        }
        if let Some(session) = self.sessions.get(name) {
            match session.phase {
                Phase::Running { pid, .. } => {
                    return Err(format!(
                        "the session of `{name}` is already running (pid {pid})"
                    ))
                }
                Phase::Stopping { pid } => {
                    return Err(format!(
                        "the session of `{name}` is still stopping (pid {pid}); try again"
                    ))
                }
                _ => {}
            }
        }
        let session = self
            .sessions
            .entry(name.clone())
            .or_insert_with(|| Session::new(persona, dir));
        session.config = persona.clone();
        session.dir = dir.to_path_buf();
        session.failures = 0;
        session.generation += 1;
        self.spawn(name)
    }

    /// Keeps a persona's changed config for its later restarts (on reload).
    pub fn update_config(&mut self, persona: &PersonaConfig) {
        if let Some(session) = self.sessions.get_mut(&persona.name) {
            session.config = persona.clone();
        }
    }

    /// Starts the session's program; on failure, records it and schedules a
    /// retry when the policy allows.
    fn spawn(&mut self, name: &str) -> Result<(), String> {
        let Some(config) = self.sessions.get(name).map(|s| s.config.clone()) else {
            return Err(format!("no session for `{name}`"));
        };
        let isolation = self.isolation(&config);
        let launcher = self.launcher.clone();
        let other_homes: Vec<PathBuf> = self
            .homes
            .iter()
            .filter(|(persona, _)| *persona != name)
            .map(|(_, home)| home.clone())
            .collect();
        let protected = self.protected.clone();
        let x11 = self.x11.get(name).cloned();
        let Some(session) = self.sessions.get_mut(name) else {
            return Err(format!("no session for `{name}`"));
        };
        let argv = session.config.session.clone().unwrap_or_default();
        let Some((program, args)) = argv.split_first() else {
            session.phase = Phase::Stopped;
            return Err(format!("persona `{name}` has no `session` configured"));
        };
        if session.log.is_none() {
            session.log = open_log(name);
        }
        let prepared = match find_program(program, session.config.env.get("PATH")) {
            Err(err) => Err(format!("cannot start {program:?}: {err}")),
            Ok(()) => match (&isolation, &launcher) {
                (Isolation::Namespaces, Some(launcher)) => {
                    let sandbox = Sandboxed {
                        launcher,
                        protected: &protected,
                        other_homes: &other_homes,
                        x11_dir: x11.as_ref().map(|(_, dir)| dir.as_path()),
                    };
                    sandbox.command(session, &argv)
                }
                (Isolation::Namespaces, None) => {
                    Err("cannot find this program to launch the sandbox".into())
                }
                (Isolation::None(_), _) => {
                    let mut command = Command::new(program);
                    command.args(args).env("XDG_RUNTIME_DIR", &session.dir);
                    Ok(command)
                }
            },
        };
        session.isolation = Some(match &isolation {
            Isolation::Namespaces => "namespaces".into(),
            Isolation::None(None) => "none".into(),
            Isolation::None(Some(reason)) => format!("none (namespaces unavailable: {reason})"),
        });
        let mut command = match prepared {
            Ok(command) => command,
            Err(text) => return Err(self.failed_to_start(name, &argv, text)),
        };
        command
            .env("WAYLAND_DISPLAY", SOCKET_NAME)
            .env_remove("WAYLAND_SOCKET")
            .env_remove("DISPLAY")
            .env_remove("XAUTHORITY")
            .env_remove("PERSONAS_SOCKET")
            .envs(x11.as_ref().map(|(display, _)| ("DISPLAY", display)))
            .envs(&session.config.env)
            .stdin(Stdio::null());
        // Its own session, so stopping it reaches its children too (the
        // group's id is its pid), and without the compositor's controlling
        // terminal: a namespaced session's /dev/tty can then only be a
        // terminal of its own (a VT login's must never be reachable).
        // SAFETY: setsid is async-signal-safe; nothing else runs here.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let reader = match &session.log {
            Some(_) => match output_pipe(&mut command) {
                Ok(reader) => Some(reader),
                Err(err) => {
                    tracing::warn!(persona = %name, "no pipe for the session log: {err}");
                    command.stdout(Stdio::null()).stderr(Stdio::null());
                    None
                }
            },
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::null());
                None
            }
        };
        let spawned = command.spawn();
        // The pipe's write ends now belong to the child only.
        drop(command);
        match spawned {
            Ok(mut child) => {
                let pid = child.id();
                if let (Some(reader), Some(log)) = (reader, &session.log) {
                    log::copy_to_log(reader, log.clone());
                }
                tracing::info!(persona = %name, pid, ?argv, "session started");
                session.note(&format!("session started: pid {pid}, {argv:?}"));
                session.phase = Phase::Running {
                    pid,
                    started: Instant::now(),
                };
                if let Some(sender) = self.sender.clone() {
                    let name = name.to_string();
                    let waiter = spawn_thread("session-wait", move || {
                        let status = child.wait();
                        let _ = sender.send(Exit { name, pid, status });
                    });
                    if let Err(err) = waiter {
                        tracing::error!(pid, "session waiter not started: {err}");
                    }
                }
                Ok(())
            }
            Err(err) => {
                let text = format!("cannot start {program:?}: {err}");
                Err(self.failed_to_start(name, &argv, text))
            }
        }
    }

    /// Records a start that failed and schedules a retry when the policy
    /// allows; returns `text`.
    fn failed_to_start(&mut self, name: &str, argv: &[String], text: String) -> String {
        tracing::error!(persona = %name, ?argv, "session failed to start: {text}");
        let Some(session) = self.sessions.get_mut(name) else {
            return text;
        };
        session.note(&format!("session failed to start: {text}"));
        session.last = Some(text.clone());
        let retry = session.policy() != RestartPolicy::Never && !self.shutting_down;
        session.phase = Phase::Failed { retry };
        if retry {
            self.schedule_restart(name, Duration::ZERO);
        }
        text
    }

    /// Schedules the next start after the backoff for a run of `ran_for`.
    fn schedule_restart(&mut self, name: &str, ran_for: Duration) {
        let Some(session) = self.sessions.get_mut(name) else {
            return;
        };
        session.failures = backoff::failures_before(session.failures, ran_for);
        let delay = session.backoff().delay(session.failures);
        session.failures = session.failures.saturating_add(1);
        session.note(&format!("next start in {} s", delay.as_secs_f64()));
        tracing::info!(persona = %name, ?delay, "session restart scheduled");
        let generation = session.generation;
        let owned = name.to_string();
        let inserted = self.handle.insert_source(
            Timer::from_duration(delay),
            move |_, _, state: &mut State| {
                state.sessions.restart_due(&owned, generation);
                TimeoutAction::Drop
            },
        );
        if let Err(err) = inserted {
            tracing::error!(persona = %name, "session restart not scheduled: {err}");
        }
    }

    fn restart_due(&mut self, name: &str, generation: u64) {
        let Some(session) = self.sessions.get_mut(name) else {
            return;
        };
        let due = matches!(
            session.phase,
            Phase::Restarting | Phase::Failed { retry: true }
        );
        if session.generation != generation || !due || self.shutting_down {
            return;
        }
        session.restarts = session.restarts.saturating_add(1);
        let _ = self.spawn(name);
    }

    fn exited(&mut self, exit: Exit) {
        let text = match &exit.status {
            Ok(status) => describe(*status),
            Err(err) => err.to_string(),
        };
        let success = matches!(&exit.status, Ok(status) if status.success());
        if success {
            tracing::info!(persona = %exit.name, pid = exit.pid, "session exited: {text}");
        } else {
            tracing::warn!(persona = %exit.name, pid = exit.pid, "session ended: {text}");
        }
        let shutting_down = self.shutting_down;
        let Some(session) = self.sessions.get_mut(&exit.name) else {
            return;
        };
        // Only this persona's current session counts.
        if session.pid() != Some(exit.pid) {
            return;
        }
        session.note(&format!("session ended: {text}"));
        session.last = Some(text);
        match session.phase {
            Phase::Running { started, .. }
                if !shutting_down && session.policy().restarts(success) =>
            {
                session.phase = Phase::Restarting;
                let ran_for = started.elapsed();
                self.schedule_restart(&exit.name, ran_for);
            }
            _ => session.phase = Phase::Stopped,
        }
    }

    /// The state of `name`'s session, as `list` names it.
    pub fn state(&self, name: &str) -> Option<&'static str> {
        Some(match self.sessions.get(name)?.phase {
            Phase::Running { .. } => "running",
            Phase::Stopping { .. } => "stopping",
            Phase::Restarting => "restarting",
            Phase::Failed { .. } => "failed",
            Phase::Stopped => "stopped",
        })
    }

    pub fn info(&self, name: &str) -> Option<SessionInfo> {
        let state = self.state(name)?;
        let session = self.sessions.get(name)?;
        Some(SessionInfo {
            state: state.into(),
            pid: session.pid(),
            exit: session.last.clone(),
            restarts: session.restarts,
            isolation: session.isolation.clone(),
        })
    }

    /// `session stop NAME` (and a removed persona): SIGTERM to the session's
    /// process group, SIGKILL after [`KILL_TIMEOUT`]; a scheduled restart is
    /// cancelled. Stopping a session that is not running is not an error.
    pub fn stop(&mut self, name: &str) {
        let Some(session) = self.sessions.get_mut(name) else {
            return;
        };
        session.generation += 1;
        match session.phase {
            Phase::Running { pid, .. } => {
                tracing::info!(persona = %name, pid, "stopping session");
                session.note(&format!("stopping session: SIGTERM to process group {pid}"));
                signal_group(pid, libc::SIGTERM);
                session.phase = Phase::Stopping { pid };
                let owned = name.to_string();
                let inserted = self.handle.insert_source(
                    Timer::from_duration(KILL_TIMEOUT),
                    move |_, _, state: &mut State| {
                        state.sessions.kill_timeout(&owned, pid);
                        TimeoutAction::Drop
                    },
                );
                if let Err(err) = inserted {
                    tracing::error!(persona = %name, "no SIGKILL timer, killing now: {err}");
                    signal_group(pid, libc::SIGKILL);
                }
            }
            Phase::Stopping { .. } | Phase::Stopped => {}
            Phase::Restarting | Phase::Failed { .. } => {
                session.note("session stopped; no restart");
                session.phase = Phase::Stopped;
            }
        }
    }

    /// [`KILL_TIMEOUT`] after SIGTERM: whatever is left of the group gets SIGKILL.
    fn kill_timeout(&mut self, name: &str, pid: u32) {
        if signal_group(pid, libc::SIGKILL) {
            tracing::warn!(persona = %name, pid, "session still there {KILL_TIMEOUT:?} after SIGTERM: SIGKILL");
            if let Some(session) = self.sessions.get(name) {
                session.note(&format!(
                    "still there {} s after SIGTERM: SIGKILL to process group {pid}",
                    KILL_TIMEOUT.as_secs()
                ));
            }
        }
    }

    /// On compositor exit: stops every session and waits (at most
    /// [`KILL_TIMEOUT`], then SIGKILL) until their process groups are gone.
    pub fn stop_all(&mut self) {
        self.shutting_down = true;
        let mut groups = Vec::new();
        for (name, session) in &mut self.sessions {
            session.generation += 1;
            if let Some(pid) = session.pid() {
                if matches!(session.phase, Phase::Running { .. }) {
                    tracing::info!(persona = %name, pid, "stopping session");
                    session.note("compositor exiting: SIGTERM to the session");
                    signal_group(pid, libc::SIGTERM);
                }
                groups.push(pid);
            }
            session.phase = Phase::Stopped;
        }
        if groups.is_empty() {
            return;
        }
        if !wait_for_groups(&mut groups, KILL_TIMEOUT) {
            for &pid in &groups {
                tracing::warn!(pid, "session still there after SIGTERM: SIGKILL");
                signal_group(pid, libc::SIGKILL);
            }
            wait_for_groups(&mut groups, Duration::from_secs(1));
        }
    }
}

/// Spawns a helper thread with every signal blocked, so that a signal meant
/// for the compositor (SIGTERM, which the main thread takes through a
/// signalfd) is never delivered to this thread and its default action taken.
pub(crate) fn spawn_thread(
    name: &str,
    f: impl FnOnce() + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    // SAFETY: plain sigset manipulation on locals; the old mask is restored.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let spawned = std::thread::Builder::new().name(name.into()).spawn(f);
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        spawned
    }
}

/// Sends `signal` to the process group `pgid`; true when it reached a process.
pub(crate) fn signal_group(pgid: u32, signal: libc::c_int) -> bool {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return false;
    };
    if pgid <= 1 {
        return false;
    }
    // SAFETY: kill(2) on a process group we created; at worst it is gone.
    unsafe { libc::kill(-pgid, signal) == 0 }
}

/// Waits (polling) until none of `groups` has a process left, at most `limit`;
/// keeps in `groups` those still there. True when all are gone.
fn wait_for_groups(groups: &mut Vec<u32>, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        groups.retain(|&pgid| group_alive(pgid));
        if groups.is_empty() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the process group `pgid` has a process that is not a zombie (an
/// exited member its parent has not reaped yet holds no resources).
pub fn group_alive(pgid: u32) -> bool {
    if !signal_group(pgid, 0) {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.flatten().any(|entry| {
        let Some(stat) = std::fs::read_to_string(entry.path().join("stat")).ok() else {
            return false;
        };
        // `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("Z");
        let pgrp = fields.nth(1).and_then(|f| f.parse::<u32>().ok());
        pgrp == Some(pgid) && !matches!(state, "Z" | "X")
    })
}

/// Connects the command's stdout and stderr to one new pipe; returns its read end.
fn output_pipe(command: &mut Command) -> std::io::Result<std::io::PipeReader> {
    let (reader, writer) = std::io::pipe()?;
    let stderr = writer.try_clone()?;
    command.stdout(writer).stderr(stderr);
    Ok(reader)
}

fn open_log(name: &str) -> Option<SharedLog> {
    let Some(dir) = log::log_dir() else {
        tracing::warn!(persona = %name, "no session log: neither XDG_STATE_HOME nor HOME is set");
        return None;
    };
    match LogFile::open(&dir, name, LOG_CAP) {
        Ok(log) => {
            tracing::info!(persona = %name, log = %log.path().display(), "session log");
            Some(Arc::new(Mutex::new(log)))
        }
        Err(err) => {
            tracing::warn!(persona = %name, dir = %dir.display(), "no session log: {err}");
            None
        }
    }
}

/// `exit status 3`, `signal 9 (SIGKILL)`.
pub(crate) fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("signal {signal} ({})", signal_name(signal)),
        _ => status.to_string(),
    }
}

fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

/// What a namespaced session's launcher needs besides the session.
struct Sandboxed<'a> {
    launcher: &'a Path,
    protected: &'a [PathBuf],
    other_homes: &'a [PathBuf],
    x11_dir: Option<&'a Path>,
}

impl Sandboxed<'_> {
    /// `personas sandbox … -- ARGV` for the session, with its home created
    /// and its devices and shares looked up (what is missing is noted in its
    /// log).
    fn command(&self, session: &Session, argv: &[String]) -> Result<Command, String> {
        let config = &session.config;
        let runtime_root = session
            .dir
            .parent()
            .and_then(Path::parent)
            .ok_or("the persona's runtime directory has no parent")?;
        let home = persona_home(config)
            .ok_or("no home for the persona: set `home`, or HOME or XDG_DATA_HOME")?;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&home)
            .map_err(|err| format!("cannot create its home {}: {err}", home.display()))?;
        let real_home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .filter(|path| path.is_absolute() && path.is_dir() && *path != home);

        let warn = |text: String| {
            tracing::warn!(persona = %config.name, "{text}");
            session.note(&text);
        };
        let devices = if config.extra.devices.is_empty() {
            let defaults: Vec<String> = sandbox::DEFAULT_DEVICES
                .iter()
                .map(|d| d.to_string())
                .collect();
            sandbox::expand_devices(&defaults, |_| {})
        } else {
            sandbox::expand_devices(&config.extra.devices, warn)
        };
        let mut shares = Vec::new();
        for name in &config.extra.share {
            let path = runtime_root.join(name);
            if path.exists() {
                shares.push(path);
            } else {
                warn(format!(
                    "share `{name}` left out: {} does not exist",
                    path.display()
                ));
            }
        }
        let args = sandbox::SandboxArgs {
            name: config.name.clone(),
            socket: Some(session.dir.join(SOCKET_NAME)),
            runtime_dir: Some(runtime_root.to_path_buf()),
            home: Some(home.clone()),
            home_target: real_home.clone(),
            devices,
            shares,
            hide: self
                .protected
                .iter()
                .chain(self.other_homes)
                .cloned()
                .collect(),
            no_network: config.extra.network.as_deref() == Some("none"),
            x11_dir: self.x11_dir.map(Path::to_path_buf),
            argv: argv.to_vec(),
        };
        let mut command = Command::new(self.launcher);
        command
            .args(args.to_args())
            .env("XDG_RUNTIME_DIR", runtime_root)
            .env("HOME", real_home.unwrap_or(home));
        Ok(command)
    }
}

/// Runs the launcher's probe: builds a sandbox around nothing.
/// `PERSONAS_NO_NAMESPACES=1` makes it fail, as on a kernel that refuses
/// them (for machines where the probe itself misbehaves, and for tests).
fn probe_namespaces(launcher: Option<&Path>) -> Result<(), String> {
    if std::env::var_os("PERSONAS_NO_NAMESPACES").is_some_and(|v| v == "1") {
        return Err("turned off by PERSONAS_NO_NAMESPACES=1".into());
    }
    let launcher = launcher.ok_or("cannot find this program")?;
    let args = sandbox::SandboxArgs {
        name: "probe".into(),
        no_network: true,
        ..Default::default()
    };
    let output = Command::new(launcher)
        .args(args.to_args())
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run {}: {err}", launcher.display()))?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let reason = text.lines().last().unwrap_or("").trim();
    Err(if reason.is_empty() {
        describe(output.status)
    } else {
        reason.to_string()
    })
}

/// `$XDG_DATA_HOME`, or `~/.local/share`.
fn data_dir() -> Option<PathBuf> {
    log::xdg_dir("XDG_DATA_HOME", ".local/share")
}

/// A persona's home directory: config `home` (`~/` is the user's home), or
/// `$XDG_DATA_HOME/personas/<name>/home`.
pub fn persona_home(config: &PersonaConfig) -> Option<PathBuf> {
    match config.extra.home.as_deref() {
        Some(path) => match path.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(rest)),
            None => Some(PathBuf::from(path)),
        },
        None => data_dir().map(|dir| dir.join("personas").join(&config.name).join("home")),
    }
}

/// Whether `program` can be run, looked up in `path` (or the compositor's
/// PATH) as exec would; the same error exec would give otherwise. Checked
/// before a launch so a sandboxed session that cannot start fails as a
/// plain one does.
pub fn find_program(program: &str, path: Option<&String>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let runnable = |candidate: &Path| -> std::io::Result<()> {
        let meta = std::fs::metadata(candidate)?;
        if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
            Ok(())
        } else {
            Err(std::io::Error::from_raw_os_error(libc::EACCES))
        }
    };
    if program.contains('/') {
        return runnable(Path::new(program));
    }
    let search = path
        .cloned()
        .or_else(|| std::env::var("PATH").ok())
        .unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    let mut last = std::io::Error::from_raw_os_error(libc::ENOENT);
    for dir in search.split(':').filter(|d| !d.is_empty()) {
        match runnable(&Path::new(dir).join(program)) {
            Ok(()) => return Ok(()),
            Err(err) if err.raw_os_error() == Some(libc::EACCES) => last = err,
            Err(_) => {}
        }
    }
    Err(last)
}

/// Runs a command outside every persona (the `spawn` action).
pub fn spawn_outside(argv: &[String]) {
    let Some((program, args)) = argv.split_first() else {
        return;
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .stdin(Stdio::null());
    match command.spawn() {
        // Reap it in the background so it leaves no zombie.
        Ok(mut child) => {
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
        Err(err) => tracing::warn!(?argv, "spawn failed: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_descriptions() {
        assert_eq!(describe(ExitStatus::from_raw(3 << 8)), "exit status 3");
        assert_eq!(describe(ExitStatus::from_raw(9)), "signal 9 (SIGKILL)");
        assert_eq!(describe(ExitStatus::from_raw(11)), "signal 11 (SIGSEGV)");
    }
}
