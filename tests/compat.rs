//! The compatibility matrix: real clients from Debian in a persona of the
//! real binary (headless), each checked to map a window of the right size
//! with its own content, to take input, and to close cleanly. The results
//! are written to docs/compatibility.md (client, package version, result);
//! the test fails on any failed row. A client that is not installed is a
//! skip with its reason (scripts/deps.sh test installs them all).

mod real;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use real::Compositor;
use serde_json::Value;

const SIZE: (u32, u32) = (640, 400);

const CONFIG: &str = r##"
indicator = "none"
switch_notice = false
[[persona]]
name = "apps"
color = "#3366cc"
isolation = "none"
privileged = ["screencopy", "virtual-keyboard"]
[[persona]]
name = "other"
color = "#cc6633"
isolation = "none"
"##;

/// The "apps" persona's background where no window is: its color at a quarter.
const BACKGROUND: [u8; 3] = [0x0c, 0x19, 0x33];
/// What the typing rows type: the apps write it down when it arrives whole.
const TYPED: &str = "hi";

enum Outcome {
    Pass(String),
    /// Not installed here.
    Skip(String),
    Fail(String),
}

struct Harness {
    c: Compositor,
    clients: Vec<Child>,
}

impl Harness {
    fn msg_json(&self, args: &[&str]) -> Result<Value, String> {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = self.c.msg(&full);
        if !out.status.success() {
            return Err(format!(
                "msg {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("msg {args:?}: {e}"))
    }

    fn windows(&self, persona: &str) -> Vec<Value> {
        self.msg_json(&["windows"])
            .ok()
            .and_then(|v| v["windows"].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|w| w["persona"] == persona)
            .collect()
    }

    fn layers(&self, persona: &str) -> Vec<Value> {
        self.msg_json(&["windows"])
            .ok()
            .and_then(|v| v["layers"].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|w| w["persona"] == persona)
            .collect()
    }

    fn persona_dir(&self, persona: &str) -> PathBuf {
        self.c.path("runtime/personas").join(persona)
    }

    /// `program` as a client of `persona`, with that persona's environment only.
    fn client(&self, persona: &str, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env("XDG_RUNTIME_DIR", self.persona_dir(persona))
            .env("WAYLAND_DISPLAY", "wayland-0")
            .env("HOME", self.c.path("home"))
            .env_remove("DISPLAY")
            .env_remove("PERSONAS_SOCKET")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    fn spawn(&mut self, mut cmd: Command) -> Result<usize, String> {
        let child = cmd.spawn().map_err(|e| format!("could not start: {e}"))?;
        self.clients.push(child);
        Ok(self.clients.len() - 1)
    }

    /// Waits for client `i` to exit; its status must be success.
    fn exits_cleanly(&mut self, i: usize, what: &str) -> Result<(), String> {
        let start = Instant::now();
        loop {
            match self.clients[i].try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => return Err(format!("{what} exited with {status}")),
                Ok(None) if start.elapsed() > Duration::from_secs(20) => {
                    let _ = self.clients[i].kill();
                    return Err(format!("{what} did not exit within 20 s"));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    fn key(&self, name: &str) {
        let _ = self.c.msg(&["input", "key", name, "tap"]);
    }

    fn type_line(&self, text: &str) {
        for ch in text.chars() {
            self.key(&ch.to_string());
        }
        self.key("Return");
    }

    fn screenshot(&self) -> Result<(u32, u32, Vec<u8>), String> {
        let file = self.c.path("shot.png");
        let out = self.c.msg(&["screenshot", file.to_str().unwrap()]);
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let png = std::fs::read(&file).map_err(|e| e.to_string())?;
        personas::ipc::protocol::decode_png(&png).map_err(|e| e.to_string())
    }

    /// The persona's one window, once it has exactly one.
    fn one_window(&self, persona: &str) -> Result<Value, String> {
        let start = Instant::now();
        loop {
            let windows = self.windows(persona);
            if windows.len() == 1 {
                return Ok(windows[0].clone());
            }
            if start.elapsed() > Duration::from_secs(30) {
                return Err(format!("{} windows after 30 s, not one", windows.len()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn no_window(&self, persona: &str) -> Result<(), String> {
        let start = Instant::now();
        while !self.windows(persona).is_empty() {
            if start.elapsed() > Duration::from_secs(10) {
                return Err("its window stayed after it exited".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// The window is `size` and, at its middle, shows something of its own
    /// (not the persona's background), within 20 s.
    fn drawn(&self, window: &Value, size: (i64, i64)) -> Result<(), String> {
        let got = (
            window["width"].as_i64().unwrap_or(0),
            window["height"].as_i64().unwrap_or(0),
        );
        if got != size {
            return Err(format!(
                "window is {}x{}, expected {}x{}",
                got.0, got.1, size.0, size.1
            ));
        }
        let (x, y) = (
            (window["x"].as_i64().unwrap_or(0) + got.0 / 2) as u32,
            (window["y"].as_i64().unwrap_or(0) + got.1 / 2) as u32,
        );
        let start = Instant::now();
        loop {
            let shot = self.screenshot()?;
            let i = ((y * shot.0 + x) * 4) as usize;
            let px = &shot.2[i..i + 3];
            if px != BACKGROUND {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(20) {
                return Err(format!("nothing drawn at ({x},{y})"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types `TYPED` and Enter until the app writes it to `path`: keys
    /// typed before an app (or the one nested inside it) has focus are
    /// lost, and the apps ignore lines that are not `TYPED`.
    fn type_until_written(&self, path: &Path) -> Result<(), String> {
        let start = Instant::now();
        loop {
            self.type_line(TYPED);
            let typed = Instant::now();
            while typed.elapsed() < Duration::from_secs(3) {
                if std::fs::read_to_string(path).unwrap_or_default() == TYPED {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if start.elapsed() > Duration::from_secs(30) {
                let got = std::fs::read_to_string(path).unwrap_or_default();
                return Err(format!("typed {TYPED:?} for 30 s, the app wrote {got:?}"));
            }
        }
    }

    fn wait_file(&self, path: &Path, want: &str) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let got = std::fs::read_to_string(path).unwrap_or_default();
            if got == want {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(20) {
                return Err(format!("typed {want:?}, the app wrote {got:?}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        for child in &mut self.clients {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn version(package: &str) -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", package])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_else(|| "not installed".into())
}

/// A terminal running `script` as its shell: the line `TYPED` makes it
/// write the line to `out` and exit, which closes the terminal; other
/// lines (a partly lost first try) are ignored.
fn line_script(h: &Harness, name: &str, out: &Path) -> PathBuf {
    let script = h.c.path(&format!("{name}.sh"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nwhile read -r line; do\n  [ \"$line\" = {TYPED} ] && printf %s \"$line\" > {} && exit 0\ndone\n",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

fn typed_app(h: &mut Harness, name: &str, cmd: Command, out: &Path) -> Result<String, String> {
    let i = h.spawn(cmd)?;
    let window = h.one_window("apps")?;
    h.drawn(&window, (SIZE.0 as i64, SIZE.1 as i64))?;
    h.type_until_written(out)?;
    h.exits_cleanly(i, name)?;
    h.no_window("apps")?;
    Ok(format!(
        "maps {}x{}, typed text arrives, exits 0",
        SIZE.0, SIZE.1
    ))
}

fn foot(h: &mut Harness) -> Result<String, String> {
    let out = h.c.path("foot.out");
    let script = line_script(h, "foot", &out);
    let cmd = h.client("apps", "foot", &[script.to_str().unwrap()]);
    typed_app(h, "foot", cmd, &out)
}

fn weston_terminal(h: &mut Harness) -> Result<String, String> {
    let out = h.c.path("weston-terminal.out");
    let script = line_script(h, "weston-terminal", &out);
    let shell = format!("--shell={}", script.display());
    let cmd = h.client("apps", "weston-terminal", &[&shell]);
    typed_app(h, "weston-terminal", cmd, &out)
}

/// xterm through the persona's own Xwayland (`DISPLAY` from `list`).
fn xterm(h: &mut Harness) -> Result<String, String> {
    let list = h.msg_json(&["list"])?;
    let display = list["personas"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "apps"))
        .and_then(|p| p["x11"]["display"].as_str())
        .ok_or("the persona has no X server")?
        .to_string();
    let out = h.c.path("xterm.out");
    let script = line_script(h, "xterm", &out);
    let mut cmd = h.client("apps", "xterm", &["-e", script.to_str().unwrap()]);
    cmd.env("DISPLAY", &display);
    let detail = typed_app(h, "xterm", cmd, &out)?;
    Ok(format!(
        "{detail} (X11, through the persona's own Xwayland)"
    ))
}

/// weston-simple-shm draws a fixed 250x250 and reads no input: SIGINT is
/// how it is closed.
fn simple_shm(h: &mut Harness) -> Result<String, String> {
    let i = h.spawn(h.client("apps", "weston-simple-shm", &[]))?;
    let window = h.one_window("apps")?;
    h.drawn(&window, (250, 250))?;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(h.clients[i].id() as libc::pid_t, libc::SIGINT) };
    h.exits_cleanly(i, "weston-simple-shm")?;
    h.no_window("apps")?;
    Ok(
        "maps 250x250 (its fixed size, centered); it reads no input; SIGINT closes it, exit 0"
            .into(),
    )
}

/// weston-simple-egl on Mesa's software rasterizer takes the size it is
/// given and quits on Escape.
fn simple_egl(h: &mut Harness) -> Result<String, String> {
    let mut cmd = h.client("apps", "weston-simple-egl", &[]);
    cmd.env("LIBGL_ALWAYS_SOFTWARE", "1");
    let i = h.spawn(cmd)?;
    let window = h.one_window("apps")?;
    h.drawn(&window, (SIZE.0 as i64, SIZE.1 as i64))?;
    h.key("Escape");
    h.exits_cleanly(i, "weston-simple-egl")?;
    h.no_window("apps")?;
    Ok(format!(
        "maps {}x{} with EGL (llvmpipe), Escape quits it, exit 0",
        SIZE.0, SIZE.1
    ))
}

fn gtk4(h: &mut Harness) -> Result<String, String> {
    let out = h.c.path("gtk4.out");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat/gtk4_entry.py");
    let mut cmd = h.client(
        "apps",
        "/usr/bin/python3",
        &[script, out.to_str().unwrap(), TYPED],
    );
    cmd.env("GDK_BACKEND", "wayland");
    typed_app(h, "GTK 4 app", cmd, &out)
}

fn qt6(h: &mut Harness) -> Result<String, String> {
    let out = h.c.path("qt6.out");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat/qt6_entry.py");
    let mut cmd = h.client(
        "apps",
        "/usr/bin/python3",
        &[script, out.to_str().unwrap(), TYPED],
    );
    cmd.env("QT_QPA_PLATFORM", "wayland");
    typed_app(h, "Qt 6 app", cmd, &out)
}

/// Runs `cmd` to its end (at most 20 s), its stdout collected.
fn run(mut cmd: Command) -> Result<(std::process::ExitStatus, String), String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let mut out = String::new();
            if let Some(mut stdout) = child.stdout.take() {
                use std::io::Read;
                let _ = stdout.read_to_string(&mut out);
            }
            return Ok((status, out));
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return Err("did not finish within 20 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn clipboard(h: &mut Harness) -> Result<String, String> {
    let (status, _) = run(h.client("apps", "wl-copy", &["compat-clipboard"]))?;
    if !status.success() {
        return Err(format!("wl-copy: {status}"));
    }
    // wl-paste reads the selection through a surface that needs the
    // keyboard: each runs in the persona on screen.
    let paste = |persona: &str| -> Result<String, String> {
        h.msg_json(&["switch", persona])?;
        run(h.client(persona, "wl-paste", &["--no-newline"])).map(|(_, out)| out)
    };
    let got = paste("apps")?;
    if got != "compat-clipboard" {
        return Err(format!("wl-paste got {got:?}, not what wl-copy set"));
    }
    let other = paste("other")?;
    h.msg_json(&["switch", "apps"])?;
    if other == "compat-clipboard" {
        return Err("the other persona's wl-paste got it too".into());
    }
    let (clear, _) = run(h.client("apps", "wl-copy", &["--clear"]))?;
    if !clear.success() {
        return Err("wl-copy --clear failed".into());
    }
    Ok("wl-paste gets what wl-copy set; the other persona's does not".into())
}

fn grim(h: &mut Harness) -> Result<String, String> {
    let file = h.c.path("grim.png");
    let (status, _) = run(h.client("apps", "grim", &[file.to_str().unwrap()]))?;
    if !status.success() {
        return Err(format!("grim: {status}"));
    }
    let png = std::fs::read(&file).map_err(|e| e.to_string())?;
    let (w, h2, _) = personas::ipc::protocol::decode_png(&png).map_err(|e| e.to_string())?;
    if (w, h2) != SIZE {
        return Err(format!("grim's image is {w}x{h2}"));
    }
    Ok(format!(
        "captures the persona's {w}x{h2} output (screencopy granted)"
    ))
}

/// Taps the point at fractions (`fx`, `fy`) of a layer surface's rectangle.
fn tap(h: &Harness, layer: &Value, fx: f64, fy: f64) {
    let at = |key: &str, size: &str, f: f64| {
        layer[key].as_f64().unwrap_or(0.0) + layer[size].as_f64().unwrap_or(0.0) * f
    };
    let (x, y) = (
        at("x", "width", fx).to_string(),
        at("y", "height", fy).to_string(),
    );
    let _ = h.c.msg(&["input", "touch", "down", "0", &x, &y]);
    let _ = h.c.msg(&["input", "touch", "up", "0", &x, &y]);
}

/// wvkbd (virtual-keyboard, granted) as a bottom panel, typing into foot by
/// taps on its keys. The taps are at wvkbd 0.12's mobintl layout, as
/// fractions of the keyboard: h, i and Enter.
fn wvkbd(h: &mut Harness) -> Result<String, String> {
    let out = h.c.path("wvkbd.out");
    let script = line_script(h, "wvkbd", &out);
    let term = h.spawn(h.client("apps", "foot", &[script.to_str().unwrap()]))?;
    h.one_window("apps")?;
    let k = h.spawn(h.client("apps", "wvkbd-mobintl", &[]))?;
    let start = Instant::now();
    // Listed once it has a role; drawn (a size) a moment later.
    let layer = loop {
        let drawn = h.layers("apps").into_iter().find(|l| {
            l["width"].as_i64().unwrap_or(0) > 0 && l["height"].as_i64().unwrap_or(0) > 0
        });
        if let Some(layer) = drawn {
            break layer;
        }
        if start.elapsed() > Duration::from_secs(20) {
            return Err(format!(
                "no drawn layer surface within 20 s: {:?}",
                h.layers("apps")
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (y, width, height) = (
        layer["y"].as_i64().unwrap_or(-1),
        layer["width"].as_i64().unwrap_or(0),
        layer["height"].as_i64().unwrap_or(0),
    );
    if width != SIZE.0 as i64 || y + height != SIZE.1 as i64 || height <= 0 {
        return Err(format!("its layer surface is {width}x{height} at y {y}"));
    }
    // foot keeps the keyboard: the panel takes none. foot is as tall as
    // it last drew, so it is looked at until it has drawn for the panel.
    let start = Instant::now();
    loop {
        let window = h.one_window("apps")?;
        if window["height"].as_i64() == Some(SIZE.1 as i64 - height) {
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            return Err(format!(
                "foot is {} tall beside a {height} keyboard",
                window["height"]
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    for (fx, fy) in [(0.619, 0.583), (0.7625, 0.417), (0.898, 0.917)] {
        tap(h, &layer, fx, fy);
    }
    h.wait_file(&out, TYPED)?;
    h.exits_cleanly(term, "foot")?;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(h.clients[k].id() as libc::pid_t, libc::SIGTERM) };
    let _ = h.clients[k].wait();
    let start = Instant::now();
    while !h.layers("apps").is_empty() {
        if start.elapsed() > Duration::from_secs(10) {
            return Err("its panel stayed after it exited".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(format!(
        "maps a {width}x{height} bottom panel (layer-shell, exclusive zone: foot gets the rest); taps on h, i, Enter type into foot"
    ))
}

fn nested_weston(h: &mut Harness) -> Result<String, String> {
    let weston = h.client(
        "apps",
        "weston",
        &[
            "--backend=wayland-backend.so",
            "--socket=nested-0",
            "--idle-time=0",
            "--fullscreen",
        ],
    );
    let w = h.spawn(weston)?;
    let window = h.one_window("apps")?;
    h.drawn(&window, (SIZE.0 as i64, SIZE.1 as i64))?;
    // A terminal inside the nested weston: what is typed reaches it
    // through personas and weston.
    let socket = h.persona_dir("apps").join("nested-0");
    real::wait_for(
        Duration::from_secs(20),
        "the nested weston's socket",
        || socket.exists(),
    );
    let out = h.c.path("nested.out");
    let script = line_script(h, "nested", &out);
    let shell = format!("--shell={}", script.display());
    let mut term = h.client("apps", "weston-terminal", &[&shell]);
    term.env("WAYLAND_DISPLAY", "nested-0");
    let t = h.spawn(term)?;
    h.type_until_written(&out)?;
    h.exits_cleanly(t, "weston-terminal inside the nested weston")?;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(h.clients[w].id() as libc::pid_t, libc::SIGTERM) };
    h.exits_cleanly(w, "nested weston")?;
    h.no_window("apps")?;
    Ok("one fullscreen window; a terminal inside it gets what is typed; SIGTERM closes it".into())
}

/// cage (a kiosk compositor) as a persona's desktop, foot inside it. cage
/// refuses to run as root, so as root (CI) it runs as `nobody`, with the
/// persona's socket opened up to it for the test.
fn nested_cage(h: &mut Harness) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let home = h.c.path("cage-home");
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    let out = home.join("cage.out");
    let script = line_script(h, "cage", &out);
    let moved = home.join("cage.sh");
    std::fs::rename(&script, &moved).map_err(|e| e.to_string())?;
    let socket = h.persona_dir("apps").join("wayland-0");
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, PermissionsExt::from_mode(mode)).map_err(|e| e.to_string())
    };
    let mut cmd = if root {
        let nobody = Command::new("id")
            .args(["-u", "nobody"])
            .output()
            .map_err(|e| e.to_string())?;
        let uid: u32 = String::from_utf8_lossy(&nobody.stdout)
            .trim()
            .parse()
            .map_err(|_| "no user nobody")?;
        let path = std::ffi::CString::new(home.to_str().unwrap()).unwrap();
        // SAFETY: chown of a path we created, NUL-terminated.
        if unsafe { libc::chown(path.as_ptr(), uid, u32::MAX) } != 0 {
            return Err("cannot give nobody its home".into());
        }
        mode(&home, 0o700)?;
        for dir in [
            h.c.path(""),
            h.c.path("runtime"),
            h.c.path("runtime/personas"),
            h.persona_dir("apps"),
        ] {
            mode(&dir, 0o755)?;
        }
        mode(&socket, 0o777)?;
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "cage",
        ]);
        cmd
    } else {
        Command::new("cage")
    };
    // cage's own messages, for a failure to show.
    let log_path = h.c.path("cage.log");
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    cmd.args(["--", "foot", moved.to_str().unwrap()])
        .env("XDG_RUNTIME_DIR", &home)
        .env("HOME", &home)
        .env("WAYLAND_DISPLAY", &socket)
        .env("WLR_RENDERER", "pixman")
        .env_remove("DISPLAY")
        .env_remove("PERSONAS_SOCKET")
        .stdout(Stdio::null())
        .stderr(log);
    let i = h.spawn(cmd)?;
    let window = h.one_window("apps").map_err(|why| {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        let status = h.clients[i].try_wait().ok().flatten();
        format!(
            "{why}; cage {}; its last messages: {}",
            status.map_or("still running".to_string(), |s| format!("exited with {s}")),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        )
    })?;
    h.drawn(&window, (SIZE.0 as i64, SIZE.1 as i64))?;
    h.type_until_written(&out)?;
    h.exits_cleanly(i, "cage")?;
    h.no_window("apps")?;
    Ok("one fullscreen window; foot inside it gets what is typed; cage exits with its app".into())
}

struct Row {
    client: &'static str,
    package: &'static str,
    program: &'static str,
    run: fn(&mut Harness) -> Result<String, String>,
}

#[test]
fn compatibility_matrix() {
    let rows: Vec<Row> = vec![
        Row {
            client: "foot",
            package: "foot",
            program: "foot",
            run: foot,
        },
        Row {
            client: "weston-terminal",
            package: "weston",
            program: "weston-terminal",
            run: weston_terminal,
        },
        Row {
            client: "weston-simple-shm",
            package: "weston",
            program: "weston-simple-shm",
            run: simple_shm,
        },
        Row {
            client: "weston-simple-egl (llvmpipe)",
            package: "weston",
            program: "weston-simple-egl",
            run: simple_egl,
        },
        Row {
            client: "GTK 4 (python3-gi)",
            package: "gir1.2-gtk-4.0",
            program: "/usr/bin/python3",
            run: gtk4,
        },
        Row {
            client: "Qt 6 (PyQt6)",
            package: "python3-pyqt6",
            program: "/usr/bin/python3",
            run: qt6,
        },
        Row {
            client: "xterm (Xwayland)",
            package: "xterm",
            program: "xterm",
            run: xterm,
        },
        Row {
            client: "wl-copy / wl-paste",
            package: "wl-clipboard",
            program: "wl-copy",
            run: clipboard,
        },
        Row {
            client: "grim",
            package: "grim",
            program: "grim",
            run: grim,
        },
        Row {
            client: "wvkbd (on-screen keyboard)",
            package: "wvkbd",
            program: "wvkbd-mobintl",
            run: wvkbd,
        },
        Row {
            client: "nested weston",
            package: "weston",
            program: "weston",
            run: nested_weston,
        },
        Row {
            client: "nested cage",
            package: "cage",
            program: "cage",
            run: nested_cage,
        },
    ];
    let mut harness = Harness {
        c: Compositor::start_full(CONFIG, SIZE, &[], &["--test-input"]),
        clients: Vec::new(),
    };
    let mut results = Vec::new();
    for row in &rows {
        let outcome = if !installed(row.program) {
            Outcome::Skip(format!(
                "{} is not installed (scripts/deps.sh test installs {})",
                row.program, row.package
            ))
        } else {
            match (row.run)(&mut harness) {
                Ok(detail) => Outcome::Pass(detail),
                Err(why) => Outcome::Fail(why),
            }
        };
        // Whatever a failed row left behind goes before the next.
        for child in &mut harness.clients {
            let _ = child.kill();
            let _ = child.wait();
        }
        harness.clients.clear();
        let _ = harness.no_window("apps");
        results.push((row.client, row.package, outcome));
    }

    let mut table = String::from(
        "# Compatibility\n\n\
         Real clients from Debian in a persona of the real binary on the headless\n\
         backend: each must map a window of the right size with its own content,\n\
         take input and close cleanly. Generated by `cargo test --test compat`\n\
         (tests/compat.rs); do not edit by hand.\n\n\
         | client | package | version | result | checked |\n\
         |---|---|---|---|---|\n",
    );
    let mut failed = Vec::new();
    for (client, package, outcome) in &results {
        let (result, detail) = match outcome {
            Outcome::Pass(d) => ("pass", d.clone()),
            Outcome::Skip(d) => ("skip", d.clone()),
            Outcome::Fail(d) => {
                failed.push(format!("{client}: {d}"));
                ("FAIL", d.clone())
            }
        };
        println!("{client:<28} {result:<8} {detail}");
        table.push_str(&format!(
            "| {client} | {package} | {} | {result} | {detail} |\n",
            version(package)
        ));
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/compatibility.md");
    std::fs::write(path, table).expect("write docs/compatibility.md");
    assert!(failed.is_empty(), "failed rows:\n{}", failed.join("\n"));
}
