//! Supervised persona sessions, end to end: the real binary on the headless
//! backend, sessions that crash, ignore SIGTERM or do not exist, controlled
//! with `personas msg session start|stop` and watched through `list`, the
//! session log and /proc.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_personas");

/// A running compositor with its own runtime and state directories; stopped
/// (SIGTERM, then SIGKILL) on drop.
struct Compositor {
    child: Child,
    dir: tempfile::TempDir,
}

impl Compositor {
    /// `personas` is the `[[persona]]` part of the config; `@DIR@` in it is
    /// replaced by the test's temporary directory.
    fn start(personas: &str) -> Compositor {
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path().join("runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        let config_path = dir.path().join("config.toml");
        let config = format!(
            "[headless]\nsize = \"320x200\"\n{}",
            personas.replace("@DIR@", &dir.path().display().to_string())
        );
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(BIN)
            .args(["--backend", "headless", "--config"])
            .arg(&config_path)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env_remove("PERSONAS_SOCKET")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DISPLAY")
            .env("RUST_LOG", "info,smithay=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start personas");
        let c = Compositor { child, dir };
        let socket = c.dir.path().join("runtime/personas/control.sock");
        wait_for(Duration::from_secs(20), "the control socket", || {
            socket.exists() && c.msg(&["active"]).status.success()
        });
        c
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn log(&self, persona: &str) -> PathBuf {
        self.path("state/personas").join(format!("{persona}.log"))
    }

    fn log_text(&self, persona: &str) -> String {
        std::fs::read_to_string(self.log(persona)).unwrap_or_default()
    }

    fn msg(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("msg")
            .args(args)
            .env("XDG_RUNTIME_DIR", self.path("runtime"))
            .env_remove("PERSONAS_SOCKET")
            .output()
            .unwrap()
    }

    fn session(&self, persona: &str) -> Value {
        let out = self.msg(&["--json", "list"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let list: Value = serde_json::from_slice(&out.stdout).unwrap();
        list["personas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == persona)
            .unwrap_or_else(|| panic!("no persona {persona} in {list}"))["session"]
            .clone()
    }

    /// Waits until the session's state is `state`; returns its info.
    fn wait_state(&self, persona: &str, state: &str, limit: Duration) -> Value {
        let mut last = Value::Null;
        let start = Instant::now();
        while start.elapsed() < limit {
            last = self.session(persona);
            if last["state"] == state {
                return last;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("session of {persona} not {state} within {limit:?}: {last}");
    }

    fn pid(&self, persona: &str) -> u32 {
        let info = self.wait_state(persona, "running", Duration::from_secs(10));
        info["pid"].as_u64().expect("a running session has a pid") as u32
    }

    /// SIGTERM to the compositor; waits for it to exit.
    fn terminate(&mut self) -> std::process::ExitStatus {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > Duration::from_secs(15) {
                let _ = self.child.kill();
                panic!("personas did not exit within 15 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Compositor {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            // SAFETY: signalling our own child; it stops its sessions.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(8) {
                if self.child.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out after {limit:?} waiting for {what}");
}

/// Whether any process (not a zombie) is in process group `pgid`.
fn group_alive(pgid: u32) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields.get(2).and_then(|f| f.parse::<u32>().ok()) == Some(pgid)
            && !matches!(fields.first(), Some(&"Z") | Some(&"X"))
    })
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Marks written by a session, one `date +%s.%N` per start.
fn marks(path: &Path) -> Vec<f64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().parse::<f64>().expect("a timestamp"))
        .collect()
}

#[test]
fn a_crashing_session_is_restarted_with_growing_delays() {
    let c = Compositor::start(
        r#"
[[persona]]
name = "work"
session = ["sh", "-c", "date +%s.%N >> \"$MARK\"; echo crashing; exit 3"]
env = { MARK = "@DIR@/marks" }
"#,
    );
    let mark = c.path("marks");
    // Started, then restarted after about 1 s, 2 s and 4 s.
    wait_for(Duration::from_secs(15), "three restarts", || {
        marks(&mark).len() >= 4
    });
    let times = marks(&mark);
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[0] >= 0.9 && gaps[0] < 1.9, "{gaps:?}");
    assert!(gaps[1] >= 1.9 && gaps[1] < 3.0, "{gaps:?}");
    assert!(gaps[2] >= 3.9 && gaps[2] < 5.5, "{gaps:?}");
    let info = c.session("work");
    assert!(info["restarts"].as_u64().unwrap() >= 3, "{info}");
    assert!(
        info["state"] == "restarting" || info["state"] == "running",
        "{info}"
    );
    // `restarting` is what list shows between a crash and the next start.
    let info = c.wait_state("work", "restarting", Duration::from_secs(3));
    assert_eq!(info["exit"], "exit status 3", "{info}");
    assert_eq!(info["pid"], Value::Null);
    let text = String::from_utf8_lossy(&c.msg(&["list"]).stdout).into_owned();
    assert!(text.contains("restarting (exit status 3, "), "{text}");
    let log = c.log_text("work");
    assert!(log.matches("crashing").count() >= 4, "{log}");
    assert!(log.contains("session ended: exit status 3"), "{log}");
}

#[test]
fn restart_never_stays_stopped() {
    let c = Compositor::start(
        r#"
[[persona]]
name = "work"
restart = "never"
session = ["sh", "-c", "date +%s.%N >> \"$MARK\"; exit 1"]
env = { MARK = "@DIR@/marks" }
"#,
    );
    let info = c.wait_state("work", "stopped", Duration::from_secs(10));
    assert_eq!(info["exit"], "exit status 1");
    std::thread::sleep(Duration::from_millis(2500));
    let info = c.session("work");
    assert_eq!(info["state"], "stopped", "{info}");
    assert_eq!(info["restarts"], 0, "{info}");
    assert_eq!(marks(&c.path("marks")).len(), 1);
}

#[test]
fn session_stop_kills_a_session_that_ignores_sigterm_and_start_starts_it_again() {
    let c = Compositor::start(
        r#"
[[persona]]
name = "work"
[[persona]]
name = "stubborn"
session = ["sh", "-c", "trap '' TERM; echo ready; sleep 1000; echo never"]
"#,
    );
    let pid = c.pid("stubborn");
    wait_for(Duration::from_secs(5), "the session's output", || {
        c.log_text("stubborn").contains("ready")
    });
    let out = c.msg(&["session", "stop", "stubborn"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stopped_at = Instant::now();
    assert_eq!(c.session("stubborn")["state"], "stopping");
    // It ignores SIGTERM: still there a second later.
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        group_alive(pid),
        "a session ignoring SIGTERM is still there"
    );
    let info = c.wait_state("stubborn", "stopped", Duration::from_secs(8));
    let took = stopped_at.elapsed();
    assert!(
        took >= Duration::from_millis(2500),
        "SIGKILL came after {took:?}"
    );
    assert_eq!(info["exit"], "signal 9 (SIGKILL)", "{info}");
    assert_eq!(info["pid"], Value::Null);
    wait_for(Duration::from_secs(3), "the process group to go", || {
        !group_alive(pid)
    });
    assert!(c.log_text("stubborn").contains("SIGKILL"));
    // Stopped on request: no restart.
    std::thread::sleep(Duration::from_millis(1500));
    let info = c.session("stubborn");
    assert_eq!(info["state"], "stopped", "{info}");
    assert_eq!(info["restarts"], 0);

    let out = c.msg(&["session", "start", "stubborn"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = c.pid("stubborn");
    assert_ne!(again, pid);
    assert!(group_alive(again));
    // Already running; unknown persona; a persona without a session.
    let out = c.msg(&["session", "start", "stubborn"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already running"));
    let out = c.msg(&["session", "stop", "nobody"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no persona named `nobody`"));
    let out = c.msg(&["session", "start", "work"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no `session` configured"));
    assert_eq!(c.session("work"), Value::Null);
}

#[test]
fn a_missing_program_fails_with_backoff() {
    let c = Compositor::start(
        r#"
[[persona]]
name = "work"
session = ["/nonexistent/personas-test-session", "--flag"]
"#,
    );
    let info = c.wait_state("work", "failed", Duration::from_secs(10));
    let exit = info["exit"].as_str().unwrap();
    assert!(
        exit.contains("/nonexistent/personas-test-session"),
        "{info}"
    );
    assert!(exit.contains("No such file or directory"), "{info}");
    // Attempts at about 0 s, 1 s and 3 s: retried, but no busy loop.
    std::thread::sleep(Duration::from_millis(3500));
    let log = c.log_text("work");
    let attempts = log.matches("session failed to start").count();
    assert!((2..=4).contains(&attempts), "{attempts} attempts:\n{log}");
    assert!(log.contains("No such file or directory"), "{log}");
    let info = c.session("work");
    assert_eq!(info["state"], "failed", "{info}");
    assert!(info["restarts"].as_u64().unwrap() <= 3, "{info}");
    // Stopping it ends the retries.
    assert!(c.msg(&["session", "stop", "work"]).status.success());
    assert_eq!(c.session("work")["state"], "stopped");
    let out = c.msg(&["session", "start", "work"]);
    assert!(!out.status.success(), "a start that fails is an error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("No such file"));
}

#[test]
fn the_session_log_is_private_and_holds_its_output() {
    let c = Compositor::start(
        r#"
[[persona]]
name = "work"
restart = "never"
session = ["sh", "-c", "echo to-stdout; echo to-stderr >&2"]
"#,
    );
    c.wait_state("work", "stopped", Duration::from_secs(10));
    let log = c.log("work");
    wait_for(Duration::from_secs(5), "the output in the log", || {
        let text = c.log_text("work");
        text.contains("to-stdout") && text.contains("to-stderr")
    });
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(log.parent().unwrap()), 0o700);
    let text = c.log_text("work");
    assert!(text.contains("session started: pid "), "{text}");
    assert!(text.contains("session ended: exit status 0"), "{text}");
}

#[test]
fn compositor_exit_leaves_no_session_behind() {
    let mut c = Compositor::start(
        r#"
[[persona]]
name = "work"
session = ["sh", "-c", "sleep 1000 & sleep 1000"]
[[persona]]
name = "stubborn"
session = ["sh", "-c", "trap '' TERM; sleep 1000 & sleep 1000"]
"#,
    );
    let pids = [c.pid("work"), c.pid("stubborn")];
    for pid in pids {
        assert!(group_alive(pid));
    }
    let start = Instant::now();
    let status = c.terminate();
    assert!(status.success(), "{status:?}");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    for pid in pids {
        wait_for(Duration::from_secs(2), "no session process left", || {
            !group_alive(pid)
        });
    }
}
