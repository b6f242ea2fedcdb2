//! The two compositors under test, started headless with pixman at the same
//! size, and the test clients in their personas or workspaces. Each is
//! driven the same two ways: over a persistent control connection, and
//! through its command-line tool (one process per request, start included).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// A personas or sway instance; `space` is a persona (p0, p1, …) or a
/// workspace (1, 2, …), counted from 0 either way.
pub enum Compositor {
    Personas(Personas),
    Sway(Sway),
}

pub struct Personas {
    bin: PathBuf,
    runtime: PathBuf,
    child: Child,
    control: Option<BufReader<UnixStream>>,
}

pub struct Sway {
    runtime: PathBuf,
    child: Child,
    wayland: String,
    ipc: PathBuf,
    control: Option<UnixStream>,
}

/// How a switch is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// One connection kept open for every request.
    Persistent,
    /// `personas msg switch` / `swaymsg workspace`: a process per request.
    Cli,
    /// The switch key binding, injected through the headless backend's
    /// test input (personas only).
    Key,
}

impl Method {
    pub fn label(self) -> &'static str {
        match self {
            Method::Persistent => "control socket",
            Method::Cli => "command-line tool",
            Method::Key => "key binding",
        }
    }
}

/// The persona settings of a like-for-like comparison with sway: no
/// decoration, no frames for hidden clients, no notice on a switch.
pub const LIKE_SWAY: &str =
    "indicator = \"none\"\nbackground_frames = \"paused\"\nswitch_notice = false\n";

impl Compositor {
    /// personas on its headless backend with `personas` personas and
    /// `extra` top-level settings.
    pub fn personas(
        bin: &Path,
        work: &Path,
        size: (u32, u32),
        personas: usize,
        extra: &str,
    ) -> Result<Compositor> {
        let runtime = fresh_runtime(work, "personas")?;
        let mut config = format!("{extra}\n[headless]\nsize = \"{}x{}\"\n", size.0, size.1);
        // No X servers, as sway runs with `xwayland disable`.
        for i in 0..personas {
            config.push_str(&format!(
                "\n[[persona]]\nname = \"p{i}\"\nxwayland = false\n"
            ));
        }
        let config_path = work.join("personas.toml");
        std::fs::write(&config_path, config)?;
        let log = std::fs::File::create(work.join("personas.log"))?;
        let child = Command::new(bin)
            .args(["--backend", "headless", "--test-input", "--config"])
            .arg(&config_path)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut personas = Personas {
            bin: bin.to_owned(),
            runtime,
            child,
            control: None,
        };
        let socket = personas.runtime.join("personas/control.sock");
        let stream = wait_for(Duration::from_secs(20), || {
            UnixStream::connect(&socket).ok()
        })
        .with_context(|| {
            format!(
                "personas did not start; see {}",
                work.join("personas.log").display()
            )
        })?;
        personas.control = Some(BufReader::new(stream));
        Ok(Compositor::Personas(personas))
    }

    /// sway 1.7 headless with pixman, `workspaces` workspaces ready for the
    /// clients with app id `bench-K`. sway refuses root: run as `nobody`.
    pub fn sway(work: &Path, size: (u32, u32), workspaces: usize) -> Result<Compositor> {
        let runtime = fresh_runtime(work, "sway")?;
        let mut config = format!(
            "output HEADLESS-1 mode {}x{}@60Hz\ndefault_border none\nxwayland disable\n",
            size.0, size.1
        );
        for k in 0..workspaces {
            config.push_str(&format!(
                "assign [app_id=\"bench-{k}\"] workspace {}\n",
                k + 1
            ));
        }
        let config_path = work.join("sway.config");
        std::fs::write(&config_path, config)?;
        std::fs::set_permissions(&config_path, std::fs::Permissions::from_mode(0o644))?;
        let log = std::fs::File::create(work.join("sway.log"))?;
        let root = unsafe { libc::geteuid() } == 0;
        let mut command = if root {
            chown_nobody(&runtime)?;
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "sway",
            ]);
            c
        } else {
            Command::new("sway")
        };
        let child = command
            .arg("-c")
            .arg(&config_path)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("WLR_BACKENDS", "headless")
            .env("WLR_RENDERER", "pixman")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting sway (Debian package sway)")?;
        let find = |wanted: &dyn Fn(&str) -> bool| {
            std::fs::read_dir(&runtime).ok()?.find_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                wanted(&name).then_some(name)
            })
        };
        let ipc = wait_for(Duration::from_secs(20), || {
            find(&|n| n.starts_with("sway-ipc.") && n.ends_with(".sock"))
        })
        .with_context(|| {
            format!(
                "sway did not start; see {}",
                work.join("sway.log").display()
            )
        })?;
        let wayland = wait_for(Duration::from_secs(5), || {
            find(&|n| n.starts_with("wayland-") && !n.ends_with(".lock"))
        })
        .context("sway made no wayland socket")?;
        let ipc = runtime.join(ipc);
        let control = wait_for(Duration::from_secs(5), || UnixStream::connect(&ipc).ok())
            .context("sway's IPC socket refuses connections")?;
        Ok(Compositor::Sway(Sway {
            runtime,
            child,
            wayland,
            ipc,
            control: Some(control),
        }))
    }

    pub fn pid(&self) -> u32 {
        match self {
            Compositor::Personas(p) => p.child.id(),
            Compositor::Sway(s) => s.child.id(),
        }
    }

    /// Whether clients get presentation feedback (sway's headless backend sends none).
    pub fn presents(&self) -> bool {
        matches!(self, Compositor::Personas(_))
    }

    /// Starts a test client in `space`.
    pub fn client(&self, bench: &Path, space: usize, args: &[&str]) -> Result<Client> {
        let mut command = Command::new(bench);
        command
            .arg("client")
            .args(["--app-id", &format!("bench-{space}")])
            .args(args)
            .env_clear();
        match self {
            Compositor::Personas(p) => {
                command
                    .env(
                        "XDG_RUNTIME_DIR",
                        p.runtime.join(format!("personas/p{space}")),
                    )
                    .env("WAYLAND_DISPLAY", "wayland-0");
            }
            Compositor::Sway(s) => {
                command
                    .env("XDG_RUNTIME_DIR", &s.runtime)
                    .env("WAYLAND_DISPLAY", &s.wayland)
                    .arg("--fullscreen");
            }
        }
        Client::spawn(command)
    }

    /// Shows `space`, the way `method` says.
    pub fn switch(&mut self, space: usize, method: Method) -> Result<()> {
        match (self, method) {
            (Compositor::Personas(p), Method::Persistent) => {
                p.request(&format!(r#"{{"request":"switch","name":"p{space}"}}"#))?;
            }
            (Compositor::Personas(p), Method::Cli) => {
                let status = Command::new(&p.bin)
                    .args(["msg", "switch", &format!("p{space}")])
                    .env("XDG_RUNTIME_DIR", &p.runtime)
                    // Not the personas this may run inside.
                    .env_remove("PERSONAS_SOCKET")
                    .stdout(Stdio::null())
                    .status()?;
                if !status.success() {
                    bail!("personas msg switch failed: {status}");
                }
            }
            (Compositor::Personas(p), Method::Key) => {
                // Super+Ctrl+Right is `next`; with the modifiers already
                // down, the Right press is the binding.
                p.request(&key("Right", "tap"))?;
            }
            (Compositor::Sway(s), Method::Persistent) => {
                s.run_command(&format!("workspace {}", space + 1))?;
            }
            (Compositor::Sway(s), Method::Cli) => {
                let status = Command::new("swaymsg")
                    .args(["workspace", &(space + 1).to_string()])
                    .env("SWAYSOCK", &s.ipc)
                    .stdout(Stdio::null())
                    .status()?;
                if !status.success() {
                    bail!("swaymsg failed: {status}");
                }
            }
            (Compositor::Sway(_), Method::Key) => bail!("sway headless takes no injected keys"),
        }
        Ok(())
    }

    /// Holds (or lets go of) the switch binding's modifiers, for [`Method::Key`].
    pub fn hold_modifiers(&mut self, down: bool) -> Result<()> {
        if let Compositor::Personas(p) = self {
            let state = if down { "press" } else { "release" };
            p.request(&key("Super_L", state))?;
            p.request(&key("Control_L", state))?;
        }
        Ok(())
    }

    /// personas' `stats` reply.
    pub fn stats(&mut self) -> Result<serde_json::Value> {
        match self {
            Compositor::Personas(p) => {
                let reply = p.request(r#"{"request":"stats"}"#)?;
                Ok(reply["stats"].clone())
            }
            Compositor::Sway(_) => bail!("sway has no stats"),
        }
    }
}

fn key(name: &str, state: &str) -> String {
    format!(r#"{{"request":"input","event":{{"kind":"key","key":"{name}","state":"{state}"}}}}"#)
}

impl Personas {
    fn request(&mut self, line: &str) -> Result<serde_json::Value> {
        let control = self.control.as_mut().context("no control connection")?;
        control
            .get_mut()
            .write_all(format!("{line}\n").as_bytes())?;
        let mut reply = String::new();
        control.read_line(&mut reply)?;
        let reply: serde_json::Value =
            serde_json::from_str(&reply).with_context(|| format!("reply to {line}: {reply:?}"))?;
        if reply["reply"] == "error" {
            bail!("{line}: {}", reply["message"]);
        }
        Ok(reply)
    }
}

impl Sway {
    /// i3 IPC RUN_COMMAND: magic, length, type, payload; the reply alike.
    fn run_command(&mut self, command: &str) -> Result<()> {
        let control = self.control.as_mut().context("no IPC connection")?;
        let mut message = b"i3-ipc".to_vec();
        message.extend((command.len() as u32).to_ne_bytes());
        message.extend(0u32.to_ne_bytes());
        message.extend(command.as_bytes());
        control.write_all(&message)?;
        let mut header = [0u8; 14];
        control.read_exact(&mut header)?;
        let len = u32::from_ne_bytes(header[6..10].try_into().expect("4 bytes")) as usize;
        let mut payload = vec![0u8; len];
        control.read_exact(&mut payload)?;
        let reply: serde_json::Value = serde_json::from_slice(&payload)?;
        if reply[0]["success"] != true {
            bail!("sway: {command}: {reply}");
        }
        Ok(())
    }
}

impl Drop for Compositor {
    fn drop(&mut self) {
        let child = match self {
            Compositor::Personas(p) => {
                p.control = None;
                &mut p.child
            }
            Compositor::Sway(s) => {
                s.control = None;
                &mut s.child
            }
        };
        // SAFETY: a plain kill(2) of our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// One line a test client printed.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    Ready,
    /// Received at.
    Frame(u64),
    /// Shown at (the feedback's timestamp).
    Presented(u64),
}

type Log = Arc<(Mutex<Vec<Event>>, Condvar)>;

/// A test client process and what it has printed so far.
pub struct Client {
    child: Child,
    log: Log,
}

impl Client {
    fn spawn(mut command: Command) -> Result<Client> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting a test client")?;
        let stdout = child.stdout.take().expect("piped");
        let log: Log = Arc::default();
        let writer = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut words = line.split_whitespace();
                let kind = words.next().unwrap_or_default();
                let mut number = || {
                    words
                        .next()
                        .and_then(|w| w.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                let event = match kind {
                    "ready" => Event::Ready,
                    "frame" => Event::Frame(number()),
                    "presented" => {
                        let _received = number();
                        Event::Presented(number())
                    }
                    _ => continue,
                };
                let (events, changed) = &*writer;
                events.lock().expect("log").push(event);
                changed.notify_all();
            }
        });
        Ok(Client { child, log })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The first event `pick` accepts, waiting up to `timeout` for it.
    pub fn wait<T>(&self, timeout: Duration, pick: impl Fn(&Event) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let (events, changed) = &*self.log;
        let mut seen = events.lock().expect("log");
        let mut from = 0;
        loop {
            if let Some(found) = seen[from..].iter().find_map(&pick) {
                return Some(found);
            }
            from = seen.len();
            let left = deadline.checked_duration_since(Instant::now())?;
            seen = changed.wait_timeout(seen, left).expect("log").0;
        }
    }

    pub fn wait_ready(&self) -> Result<()> {
        self.wait(Duration::from_secs(20), |e| {
            matches!(e, Event::Ready).then_some(())
        })
        .context("a test client never showed its windows")
    }

    /// The first frame callback after `t0`, in ns.
    pub fn frame_after(&self, t0: u64, timeout: Duration) -> Option<u64> {
        self.wait(timeout, |e| match *e {
            Event::Frame(t) if t > t0 => Some(t),
            _ => None,
        })
    }

    /// The first presentation (its timestamp) after `t0`, in ns.
    pub fn presented_after(&self, t0: u64, timeout: Duration) -> Option<u64> {
        self.wait(timeout, |e| match *e {
            Event::Presented(shown) if shown > t0 => Some(shown),
            _ => None,
        })
    }

    /// Frame callbacks so far.
    pub fn frames(&self) -> usize {
        let events = self.log.0.lock().expect("log");
        events
            .iter()
            .filter(|e| matches!(e, Event::Frame(_)))
            .count()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fresh_runtime(work: &Path, name: &str) -> Result<PathBuf> {
    let dir = work.join(format!("{name}-rt"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

fn chown_nobody(dir: &Path) -> Result<()> {
    let status = Command::new("chown")
        .arg("nobody:nogroup")
        .arg(dir)
        .status()?;
    if !status.success() {
        bail!("chown nobody {}", dir.display());
    }
    Ok(())
}

/// Polls `probe` until it gives something or `timeout` passes.
fn wait_for<T>(timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = probe() {
            return Some(found);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
