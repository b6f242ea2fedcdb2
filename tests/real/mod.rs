//! The real `personas` binary on the headless backend in its own temporary
//! directories (runtime, state, data, home), driven with `personas msg`:
//! shared by the session and namespace tests.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_personas");

/// A running compositor with its own runtime and state directories; stopped
/// (SIGTERM, then SIGKILL) on drop.
pub struct Compositor {
    pub child: Child,
    pub dir: tempfile::TempDir,
}

impl Compositor {
    /// `personas` is the `[[persona]]` part of the config; `@DIR@` in it is
    /// replaced by the test's temporary directory.
    pub fn start(personas: &str) -> Compositor {
        Compositor::start_with_env(personas, &[])
    }

    /// [`Compositor::start`] with extra environment variables.
    pub fn start_with_env(personas: &str, env: &[(&str, &str)]) -> Compositor {
        Compositor::start_full(personas, (320, 200), env, &[])
    }

    /// [`Compositor::start`] with the output's size, extra environment
    /// variables and extra arguments (`--test-input`).
    pub fn start_full(
        personas: &str,
        size: (u32, u32),
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Compositor {
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path().join("runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        // The user's home, which a namespaced session sees its own home over.
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        // Host entries of the runtime dir a persona may `share`.
        std::fs::write(runtime.join("pipewire-0"), "a shared host socket").unwrap();
        std::fs::write(runtime.join("bus"), "a host socket not shared").unwrap();
        let config_path = dir.path().join("config.toml");
        // The headless table last, so `personas` may begin with top-level keys.
        let config = format!(
            "{}\n[headless]\nsize = \"{}x{}\"\n",
            personas.replace("@DIR@", &dir.path().display().to_string()),
            size.0,
            size.1,
        );
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(BIN)
            .args(["--backend", "headless", "--config"])
            .arg(&config_path)
            .args(args)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("HOME", dir.path().join("home"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("PERSONAS_SOCKET")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DISPLAY")
            .env("RUST_LOG", "info,smithay=warn")
            .envs(env.iter().copied())
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

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn log(&self, persona: &str) -> PathBuf {
        self.path("state/personas").join(format!("{persona}.log"))
    }

    pub fn log_text(&self, persona: &str) -> String {
        std::fs::read_to_string(self.log(persona)).unwrap_or_default()
    }

    pub fn msg(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("msg")
            .args(args)
            .env("XDG_RUNTIME_DIR", self.path("runtime"))
            .env_remove("PERSONAS_SOCKET")
            .output()
            .unwrap()
    }

    pub fn session(&self, persona: &str) -> Value {
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
    pub fn wait_state(&self, persona: &str, state: &str, limit: Duration) -> Value {
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

    pub fn pid(&self, persona: &str) -> u32 {
        let info = self.wait_state(persona, "running", Duration::from_secs(10));
        info["pid"].as_u64().expect("a running session has a pid") as u32
    }

    /// SIGTERM to the compositor; waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
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

pub fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
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
pub fn group_alive(pgid: u32) -> bool {
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

pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The process of the X server for `display` (`:n`), if one runs.
pub fn xwayland_pid(display: &str) -> Option<i32> {
    let needle = format!("Xwayland {display} ");
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline
                .starts_with(&needle)
                .then(|| entry.file_name().to_str()?.parse().ok())
                .flatten()
        })
}
