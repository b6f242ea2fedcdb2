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
//! Every child is reaped by a waiter thread that reports its exit through a
//! calloop channel, so one persona's crashing session touches nothing else.

pub mod backoff;
pub mod log;

use std::collections::HashMap;
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
use crate::config::PersonaConfig;
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
        }
    }

    fn policy(&self) -> RestartPolicy {
        RestartPolicy::from_config(self.config.extra.restart.as_deref())
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
        }
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
        let mut command = Command::new(program);
        command
            .args(args)
            .env("XDG_RUNTIME_DIR", &session.dir)
            .env("WAYLAND_DISPLAY", SOCKET_NAME)
            .env_remove("WAYLAND_SOCKET")
            .env_remove("DISPLAY")
            .env_remove("PERSONAS_SOCKET")
            .envs(&session.config.env)
            .stdin(Stdio::null())
            // Its own process group, so stopping it reaches its children too.
            .process_group(0);
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
                tracing::error!(persona = %name, ?argv, "session failed to start: {err}");
                session.note(&format!("session failed to start: {text}"));
                session.last = Some(text.clone());
                let retry = session.policy() != RestartPolicy::Never && !self.shutting_down;
                session.phase = Phase::Failed { retry };
                if retry {
                    self.schedule_restart(name, Duration::ZERO);
                }
                Err(text)
            }
        }
    }

    /// Schedules the next start after the backoff for a run of `ran_for`.
    fn schedule_restart(&mut self, name: &str, ran_for: Duration) {
        let Some(session) = self.sessions.get_mut(name) else {
            return;
        };
        session.failures = backoff::failures_before(session.failures, ran_for);
        let delay = backoff::delay(session.failures);
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

    pub fn info(&self, name: &str) -> Option<SessionInfo> {
        let session = self.sessions.get(name)?;
        let state = match session.phase {
            Phase::Running { .. } => "running",
            Phase::Stopping { .. } => "stopping",
            Phase::Restarting => "restarting",
            Phase::Failed { .. } => "failed",
            Phase::Stopped => "stopped",
        };
        Some(SessionInfo {
            state: state.into(),
            pid: session.pid(),
            exit: session.last.clone(),
            restarts: session.restarts,
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
fn signal_group(pgid: u32, signal: libc::c_int) -> bool {
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
fn describe(status: ExitStatus) -> String {
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
