//! Locking before sleep: logind's `PrepareForSleep(true)` starts the lock
//! screen (when `lock` is configured), so the machine wakes up locked.
//! The signal is watched with `gdbus monitor` (libglib2.0-bin) on the system
//! bus, which any user may do for a broadcast signal; without gdbus or a
//! system bus this says so once and does nothing more.
//!
//! No delay inhibitor is taken: the lock starts as the signal arrives, and
//! the lock screen covers every persona from its first frame after resume
//! at the latest.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use smithay::reexports::calloop::channel;
use smithay::reexports::calloop::LoopHandle;

use crate::state::State;

const MEMBER: &str = "org.freedesktop.login1.Manager.PrepareForSleep (true,)";

/// Whether a line of `gdbus monitor` output is logind going to sleep.
pub fn is_going_to_sleep(line: &str) -> bool {
    line.starts_with("/org/freedesktop/login1: ") && line.trim_end().ends_with(MEMBER)
}

/// Starts watching; every `PrepareForSleep(true)` locks.
pub fn watch(handle: &LoopHandle<'static, State>) {
    let (sender, receiver) = channel::channel::<()>();
    if let Err(err) = handle.insert_source(receiver, |event, _, state: &mut State| {
        if let channel::Event::Msg(()) = event {
            if state.config.lock.is_some() {
                tracing::info!("the system goes to sleep: locking");
                state.lock_session();
            }
        }
    }) {
        tracing::warn!("sleep watcher not started: {err}");
        return;
    }
    let mut command = Command::new("gdbus");
    command
        .args([
            "monitor",
            "--system",
            "--dest",
            "org.freedesktop.login1",
            "--object-path",
            "/org/freedesktop/login1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // SAFETY: prctl(2) only, between fork and exec.
    unsafe {
        command.pre_exec(|| {
            // It goes with the compositor's watcher thread (which lives as
            // long as the compositor).
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let spawned = crate::session::spawn_thread("sleep-watch", move || {
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(err) => {
                tracing::warn!("no lock before sleep: cannot run gdbus (libglib2.0-bin): {err}");
                return;
            }
        };
        let Some(stdout) = child.stdout.take() else {
            return;
        };
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if is_going_to_sleep(&line) && sender.send(()).is_err() {
                break;
            }
        }
        let status = child.wait();
        tracing::info!(
            ?status,
            "no lock before sleep: gdbus monitor ended (no system bus?)"
        );
    });
    if let Err(err) = spawned {
        tracing::warn!("sleep watcher thread not started: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_going_to_sleep_locks() {
        assert!(is_going_to_sleep(
            "/org/freedesktop/login1: org.freedesktop.login1.Manager.PrepareForSleep (true,)"
        ));
        assert!(!is_going_to_sleep(
            "/org/freedesktop/login1: org.freedesktop.login1.Manager.PrepareForSleep (false,)"
        ));
        assert!(!is_going_to_sleep(
            "/org/freedesktop/login1: org.freedesktop.login1.Manager.PrepareForShutdown (true,)"
        ));
        assert!(!is_going_to_sleep(
            "The name org.freedesktop.login1 is owned by :1.1"
        ));
    }
}
