//! End-to-end: the real binary on the headless backend, real Debian clients on
//! persona sockets, controlled with `personas msg`. The clients come from the
//! packages `scripts/deps.sh test` installs; a missing one fails the test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_personas");

const CONFIG: &str = r##"
[headless]
size = "640x400"
[keys]
"Super+Ctrl+Right" = "next"
[[persona]]
name = "work"
color = "#3366cc"
[[persona]]
name = "personal"
color = "#cc6633"
session = ["sh", "-c", "echo \"session-env $WAYLAND_DISPLAY $XDG_RUNTIME_DIR $PERSONA_MARK\""]
env = { PERSONA_MARK = "from-config" }
"##;

/// A running compositor in its own runtime directory; killed on drop.
struct Compositor {
    child: Child,
    dir: tempfile::TempDir,
    clients: Vec<Child>,
}

impl Compositor {
    fn start(config: &str, extra_args: &[&str]) -> Compositor {
        Compositor::start_env(config, extra_args, &[])
    }

    fn start_env(config: &str, extra_args: &[&str], env: &[(&str, &str)]) -> Compositor {
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path().join("runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(BIN)
            .args(["--backend", "headless", "--config"])
            .arg(&config_path)
            .args(extra_args)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env_remove("PERSONAS_SOCKET")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DISPLAY")
            .env("RUST_LOG", "info,smithay=warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start personas");
        let c = Compositor {
            child,
            dir,
            clients: Vec::new(),
        };
        c.wait_for(|| c.control_socket().exists() && c.msg(&["active"]).status.success());
        c
    }

    fn runtime(&self) -> PathBuf {
        self.dir.path().join("runtime")
    }

    fn control_socket(&self) -> PathBuf {
        self.runtime().join("personas/control.sock")
    }

    fn persona_dir(&self, name: &str) -> PathBuf {
        self.runtime().join("personas").join(name)
    }

    fn msg(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("msg")
            .args(args)
            .env("XDG_RUNTIME_DIR", self.runtime())
            .env_remove("PERSONAS_SOCKET")
            .output()
            .unwrap()
    }

    fn msg_json(&self, args: &[&str]) -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = self.msg(&full);
        assert!(
            out.status.success(),
            "msg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "msg {args:?}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// A Wayland client of `persona`, with that persona's environment only.
    fn client(&self, persona: &str, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env("XDG_RUNTIME_DIR", self.persona_dir(persona))
            .env("WAYLAND_DISPLAY", "wayland-0")
            .env_remove("DISPLAY")
            .env_remove("PERSONAS_SOCKET");
        cmd
    }

    fn spawn_client(&mut self, persona: &str, program: &str, args: &[&str]) {
        let child = self
            .client(persona, program, args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{program} could not start ({e}); run scripts/deps.sh test")
            });
        self.clients.push(child);
    }

    fn windows(&self, persona: &str) -> u64 {
        let list = self.msg_json(&["list"]);
        list["personas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == persona)
            .unwrap()["windows"]
            .as_u64()
            .unwrap()
    }

    fn screenshot(&self, persona: Option<&str>) -> (u32, u32, Vec<u8>) {
        let file = self.dir.path().join("shot.png");
        let mut args = vec!["screenshot", file.to_str().unwrap()];
        if let Some(p) = persona {
            args.extend(["--persona", p]);
        }
        let out = self.msg(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        personas::ipc::protocol::decode_png(&std::fs::read(&file).unwrap()).unwrap()
    }

    /// Polls `cond` (each poll is a real request/response) for up to 30 s: the
    /// clients are separate processes on a possibly loaded machine.
    fn wait_for(&self, mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if cond() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("condition not reached within 30 s");
    }
}

impl Drop for Compositor {
    fn drop(&mut self) {
        for c in &mut self.clients {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_dim(px: &[u8], color: [u8; 3]) -> bool {
    (0..3).all(|i| (px[i] as i32 - (color[i] as i32 / 4)).abs() <= 1)
}

fn pixel(shot: &(u32, u32, Vec<u8>), x: u32, y: u32) -> [u8; 4] {
    let i = ((y * shot.0 + x) * 4) as usize;
    [shot.2[i], shot.2[i + 1], shot.2[i + 2], shot.2[i + 3]]
}

#[test]
fn real_clients_in_two_personas() {
    let mut c = Compositor::start(CONFIG, &["--test-input"]);
    let list = c.msg_json(&["list"]);
    let personas = list["personas"].as_array().unwrap();
    assert_eq!(personas.len(), 2);
    assert_eq!(personas[0]["name"], "work");
    assert_eq!(personas[0]["active"], true);
    let mode = std::fs::metadata(c.persona_dir("work")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o700
    );

    // The session got its display, its (private) runtime dir and its env.
    let log = c.dir.path().join("state/personas/personal.log");
    let line = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("session-env "))
            .map(str::to_string)
    };
    c.wait_for(|| line().is_some());
    assert_eq!(
        line().unwrap(),
        format!(
            "session-env wayland-0 {} from-config",
            c.dir.path().join("runtime").display()
        )
    );

    // wayland-info: one seat, only this persona's output.
    let info = c
        .client("work", "wayland-info", &[])
        .output()
        .expect("wayland-info");
    assert!(info.status.success());
    let info = String::from_utf8_lossy(&info.stdout);
    assert_eq!(info.matches("interface: 'wl_seat'").count(), 1, "{info}");
    assert_eq!(info.matches("interface: 'wl_output'").count(), 1, "{info}");
    assert!(info.contains("HEADLESS-1"), "{info}");
    assert!(info.contains("xdg_wm_base"));

    // weston-simple-shm in work, foot in personal.
    c.spawn_client("work", "weston-simple-shm", &[]);
    c.wait_for(|| c.windows("work") == 1);
    c.spawn_client("personal", "foot", &[]);
    c.wait_for(|| c.windows("personal") == 1);

    let work_shot = c.screenshot(None);
    assert_eq!((work_shot.0, work_shot.1), (640, 400));
    // weston-simple-shm draws a fixed 250x250 pattern: centered on the output.
    c.wait_for(|| !is_dim(&pixel(&c.screenshot(None), 320, 200), [0x33, 0x66, 0xcc]));
    assert!(is_dim(
        &pixel(&c.screenshot(None), 100, 100),
        [0x33, 0x66, 0xcc]
    ));

    // foot's buffered content is there while personal is in the background.
    let personal_bg = c.screenshot(Some("personal"));
    assert!(!is_dim(&pixel(&personal_bg, 320, 200), [0xcc, 0x66, 0x33]));

    // Switch with the binding through injected input.
    super_ctrl(&c, "Right");
    assert_eq!(c.msg_json(&["active"])["name"], "personal");
    let shot = c.screenshot(None);
    assert_eq!(pixel(&shot, 320, 200), pixel(&personal_bg, 320, 200));

    let out = c.msg_json(&["switch", "work"]);
    assert_eq!(out["to"], "work");
    let stats = c.msg_json(&["stats"]);
    assert_eq!(stats["stats"]["switches"], 2);
    assert_eq!(stats["stats"]["switch_input_to_render_ms"]["count"], 1);
    assert!(stats["stats"]["switch_request_to_render_ms"]["median"].is_number());
}

#[test]
fn clipboard_stays_in_its_persona() {
    let c = Compositor::start(CONFIG, &[]);
    let copy = c
        .client("work", "wl-copy", &["hello from work"])
        .status()
        .expect("wl-copy");
    assert!(copy.success());
    let paste = c.client("work", "wl-paste", &["-n"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&paste.stdout), "hello from work");

    c.msg_json(&["switch", "personal"]);
    let paste = c.client("personal", "wl-paste", &["-n"]).output().unwrap();
    assert!(!paste.status.success(), "nothing to paste in personal");
    assert!(
        paste.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&paste.stdout)
    );
    // The clipboard works in personal too: it is just its own.
    let copy = c
        .client("personal", "wl-copy", &["personal text"])
        .status()
        .unwrap();
    assert!(copy.success());
    let paste = c.client("personal", "wl-paste", &["-n"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&paste.stdout), "personal text");

    c.msg_json(&["switch", "work"]);
    let paste = c.client("work", "wl-paste", &["-n"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&paste.stdout), "hello from work");
}

#[test]
fn a_second_instance_refuses_live_sockets_and_exit_cleans_up() {
    let mut c = Compositor::start(CONFIG, &[]);
    let second = Command::new(BIN)
        .args(["--backend", "headless"])
        .env("XDG_RUNTIME_DIR", c.runtime())
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("another personas instance"));
    // SIGTERM: a clean exit removes every socket.
    unsafe {
        libc::kill(c.child.id() as i32, libc::SIGTERM);
    }
    let status = c.child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!c.control_socket().exists());
    assert!(!c.persona_dir("work").join("wayland-0").exists());
}

#[test]
fn reload_adds_and_removes_personas_and_refuses_bad_files() {
    let c = Compositor::start(CONFIG, &[]);
    let config_path = c.dir.path().join("config.toml");
    std::fs::write(
        &config_path,
        "[[persona]]\nname = \"work\"\ncolor = \"#zzzzzz\"\n",
    )
    .unwrap();
    let out = c.msg(&["reload"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml:3:"), "{err}");
    assert_eq!(
        c.msg_json(&["list"])["personas"].as_array().unwrap().len(),
        2
    );

    c.msg_json(&["switch", "personal"]);
    let new = CONFIG.replace("name = \"personal\"", "name = \"kids\"");
    std::fs::write(&config_path, new).unwrap();
    let reply = c.msg_json(&["reload"]);
    assert_eq!(reply["added"], serde_json::json!(["kids"]));
    assert_eq!(reply["removed"], serde_json::json!(["personal"]));
    assert_eq!(c.msg_json(&["active"])["name"], "work");
    assert!(c.persona_dir("kids").join("wayland-0").exists());
    assert!(!c.persona_dir("personal").exists());
}

#[test]
fn validate_reports_positions_and_garbage_requests_get_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[persona]]\nname = \"work\"\n[keys]\n\"Super+Nope\" = \"next\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("validate")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:4:", bad.display())), "{err}");

    let good = dir.path().join("good.toml");
    std::fs::write(&good, CONFIG).unwrap();
    let out = Command::new(BIN)
        .arg("validate")
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let c = Compositor::start(CONFIG, &[]);
    let reply = raw_request(
        &c.control_socket(),
        b"this is not json\n{\"request\":\"active\"}\n",
    );
    let lines: Vec<Value> = reply
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["reply"], "error");
    assert_eq!(lines[1]["name"], "work");
    // Injected input is refused without --test-input.
    let out = c.msg(&["input", "key", "a", "tap"]);
    assert!(!out.status.success());
}

fn raw_request(socket: &Path, bytes: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(socket).unwrap();
    s.write_all(bytes).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut out = String::new();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn subscribe_streams_switches_windows_and_reloads() {
    let mut c = Compositor::start(CONFIG, &[]);
    // A raw subscriber on the control socket: the reply confirms the
    // subscription before anything else happens.
    let next = subscriber(&c);
    let first = next();
    assert_eq!(first["reply"], "subscribed", "{first}");

    c.msg_json(&["switch", "personal"]);
    c.spawn_client("personal", "weston-simple-shm", &[]);
    c.wait_for(|| c.windows("personal") == 1);
    c.msg_json(&["reload"]);
    let _ = c.clients[0].kill();
    let _ = c.clients[0].wait();

    let mut seen = Vec::new();
    while seen.len() < 4 {
        let event = next();
        if event.get("event").is_some() {
            seen.push(event);
        }
    }
    let kinds: Vec<&str> = seen.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "switched",
            "window-opened",
            "config-reloaded",
            "window-closed"
        ],
        "{seen:?}"
    );
    assert_eq!(seen[0]["from"], "work");
    assert_eq!(seen[0]["to"], "personal");
    assert_eq!(seen[1]["persona"], "personal");
}

/// A raw `subscribe` connection read on a thread (so a missing event fails
/// the test instead of hanging it); the returned `next` fails after 30 s.
fn subscriber(c: &Compositor) -> impl Fn() -> Value {
    use std::io::{BufRead, BufReader};
    let mut sock = std::os::unix::net::UnixStream::connect(c.control_socket()).unwrap();
    std::io::Write::write_all(&mut sock, b"{\"request\":\"subscribe\"}\n").unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(sock).lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        }
    });
    move || {
        rx.recv_timeout(Duration::from_secs(30))
            .expect("an event within 30 s")
    }
}

#[test]
fn the_lid_turns_the_panel_off_and_tablet_mode_is_announced() {
    let c = Compositor::start(CONFIG, &["--test-input"]);
    let next = subscriber(&c);
    assert_eq!(next()["reply"], "subscribed");
    let lit = |c: &Compositor| pixel(&c.screenshot(None), 10, 10) != [0, 0, 0, 255];
    assert!(lit(&c), "the panel is on to begin with");

    let out = c.msg(&["input", "switch", "lid", "on"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(next(), serde_json::json!({"event": "lid", "closed": true}));
    assert!(!lit(&c), "a closed lid turns the panel off");
    // An external keyboard does not wake a panel under a closed lid.
    let out = c.msg(&["input", "key", "a", "tap"]);
    assert!(out.status.success(), "{out:?}");
    assert!(!lit(&c), "still off while the lid is closed");
    c.msg(&["input", "switch", "lid", "off"]);
    assert_eq!(next(), serde_json::json!({"event": "lid", "closed": false}));
    c.wait_for(|| lit(&c));

    c.msg(&["input", "switch", "tablet-mode", "on"]);
    assert_eq!(
        next(),
        serde_json::json!({"event": "tablet-mode", "on": true})
    );
    c.msg(&["input", "switch", "tablet-mode", "off"]);
    assert_eq!(
        next(),
        serde_json::json!({"event": "tablet-mode", "on": false})
    );
    // A bad switch name is refused by the CLI with the choices.
    let out = c.msg(&["input", "switch", "hinge", "on"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("lid"),
        "{out:?}"
    );

    // Brightness: out of range is the CLI's error; no backlight (as on this
    // machine) is the compositor's, naming what is missing.
    let out = c.msg(&["output", "HEADLESS-1", "brightness", "101"]);
    assert!(!out.status.success());
    if !std::path::Path::new("/sys/class/backlight")
        .read_dir()
        .is_ok_and(|mut d| d.next().is_some())
    {
        let out = c.msg(&["output", "HEADLESS-1", "brightness", "50"]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no backlight device"), "{err}");
    }
}

#[test]
fn a_crashing_session_is_logged_and_its_persona_stays() {
    let config = CONFIG.replace(
        "session = [\"sh\", \"-c\", \"echo \\\"session-env $WAYLAND_DISPLAY $XDG_RUNTIME_DIR $PERSONA_MARK\\\"\"]",
        "session = [\"sh\", \"-c\", \"kill -SEGV $$\"]",
    );
    assert_ne!(config, CONFIG);
    let c = Compositor::start(&config, &[]);
    let session = |c: &Compositor| c.msg_json(&["list"])["personas"][1]["session"].clone();
    c.wait_for(|| session(&c)["state"] == "restarting");
    assert!(
        session(&c)["exit"].as_str().unwrap().contains("SIGSEGV"),
        "{}",
        session(&c)
    );
    // The persona is still there and still serves clients.
    let info = c.client("personal", "wayland-info", &[]).output().unwrap();
    assert!(info.status.success());
    assert_eq!(
        c.msg_json(&["list"])["personas"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn a_reload_that_cannot_be_carried_out_changes_nothing() {
    let c = Compositor::start(CONFIG, &[]);
    // Another process serves the socket a new persona would need.
    let blocker_dir = c.persona_dir("zzz");
    std::fs::create_dir_all(&blocker_dir).unwrap();
    let _blocker = std::os::unix::net::UnixListener::bind(blocker_dir.join("wayland-0")).unwrap();
    let new = format!(
        "{}\n[[persona]]\nname = \"kids\"\n[[persona]]\nname = \"zzz\"\n",
        CONFIG.replace("#3366cc", "#00ff00")
    );
    std::fs::write(c.dir.path().join("config.toml"), new).unwrap();
    let out = c.msg(&["reload"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another personas instance"), "{err}");
    let list = c.msg_json(&["list"]);
    let personas = list["personas"].as_array().unwrap();
    assert_eq!(personas.len(), 2, "{list}");
    assert_eq!(personas[0]["color"], "#3366cc", "no setting applied");
    assert!(!c.persona_dir("kids").exists(), "no persona half-started");
}

#[test]
fn grim_captures_only_its_own_persona() {
    let config = CONFIG.replace(
        "color = \"#3366cc\"",
        "color = \"#3366cc\"\nprivileged = [\"screencopy\"]",
    );
    let mut c = Compositor::start(&config, &[]);
    c.spawn_client("personal", "weston-simple-shm", &[]);
    c.wait_for(|| c.windows("personal") == 1);
    let grim = |c: &Compositor, persona: &str, file: &str| {
        let path = c.dir.path().join(file);
        let out = c
            .client(persona, "grim", &[path.to_str().unwrap()])
            .output()
            .expect("grim; run scripts/deps.sh test");
        (out, path)
    };
    let check = |c: &Compositor, what: &str| {
        let (out, path) = grim(c, "work", &format!("{what}.png"));
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (w, h, rgba) =
            personas::ipc::protocol::decode_png(&std::fs::read(&path).unwrap()).unwrap();
        // The persona's own output: inside the 4 px frame, which it does not
        // show; only work's empty background, nothing of personal's window.
        assert_eq!((w, h), (632, 392), "{what}");
        let wrong = rgba
            .chunks_exact(4)
            .position(|px| !is_dim(px, [0x33, 0x66, 0xcc]));
        assert_eq!(wrong, None, "{what}: a pixel that is not work's background");
    };
    check(&c, "work-on-screen");
    c.msg_json(&["switch", "personal"]);
    check(&c, "work-in-background");
    // On screen now is personal's window, which grim in work never saw.
    let shot = c.screenshot(None);
    assert!(!is_dim(&pixel(&shot, 320, 200), [0x33, 0x66, 0xcc]));
    // Personal was not granted capture.
    let (out, _) = grim(&c, "personal", "personal.png");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("screencopy"), "{err}");
}

/// Presses the chord Super+Ctrl+`key` through the injected input.
fn super_ctrl(c: &Compositor, key: &str) {
    for (key, state) in [
        ("Super_L", "press"),
        ("Control_L", "press"),
        (key, "tap"),
        ("Control_L", "release"),
        ("Super_L", "release"),
    ] {
        let out = c.msg(&["input", "key", key, state]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn wl_copy_stays_in_its_persona_until_the_transfer_bindings_carry_it_once() {
    let config = CONFIG.replace(
        "\"Super+Ctrl+Right\" = \"next\"",
        "\"Super+Ctrl+Right\" = \"next\"\n\"Super+Ctrl+c\" = \"transfer-copy\"\n\"Super+Ctrl+v\" = \"transfer-paste\"",
    );
    let c = Compositor::start(&config, &["--test-input"]);
    let paste = |persona: &str| {
        let out = c.client(persona, "wl-paste", &["-n"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let copy = |persona: &str, text: &str| {
        let status = c.client(persona, "wl-copy", &[text]).status().unwrap();
        assert!(status.success());
    };
    copy("work", "from work");
    assert_eq!(paste("work"), "from work");
    c.msg_json(&["switch", "personal"]);
    assert_eq!(
        paste("personal"),
        "",
        "another persona's clipboard is empty"
    );

    // Copy to the transfer buffer in work, paste it in personal: once.
    c.msg_json(&["switch", "work"]);
    super_ctrl(&c, "c");
    c.msg_json(&["switch", "personal"]);
    super_ctrl(&c, "v");
    c.wait_for(|| paste("personal") == "from work");
    // The buffer is empty now: a second paste (in work, over its newer
    // clipboard) brings nothing.
    c.msg_json(&["switch", "work"]);
    copy("work", "newer work text");
    super_ctrl(&c, "v");
    assert_eq!(paste("work"), "newer work text");
    // (wl-paste waits for keyboard focus, which only the persona on screen has.)
    c.msg_json(&["switch", "personal"]);
    assert_eq!(paste("personal"), "from work");
}

/// Two outputs side by side: `outputs` lists them, a real client sees a
/// wl_output for each, opens on the one the pointer is on, and
/// `screenshot --output` shows each output's part.
#[test]
fn two_outputs_side_by_side() {
    let config = CONFIG
        .replace(
            "size = \"640x400\"",
            "size = \"640x400\"\nextra_outputs = [\"400x300\"]",
        )
        .replace(
            "color = \"#3366cc\"",
            "color = \"#3366cc\"\nprivileged = [\"screencopy\"]",
        );
    let mut c = Compositor::start(&config, &["--test-input"]);
    let outputs = c.msg_json(&["outputs"]);
    let listed: Vec<(String, i64, i64, i64, i64)> = outputs["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                o["width"].as_i64().unwrap(),
                o["height"].as_i64().unwrap(),
                o["x"].as_i64().unwrap(),
                o["y"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("HEADLESS-1".to_string(), 640, 400, 0, 0),
            ("HEADLESS-2".to_string(), 400, 300, 640, 0)
        ]
    );
    let text = String::from_utf8_lossy(&c.msg(&["outputs"]).stdout).to_string();
    assert!(
        text.contains("HEADLESS-2   400x300 @ 60.000 Hz  scale 1  transform normal  at 640,0"),
        "{text}"
    );

    let info = c.client("work", "wayland-info", &[]).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert_eq!(info.matches("interface: 'wl_output'").count(), 2, "{info}");
    assert!(info.contains("HEADLESS-2"), "{info}");

    // The pointer onto HEADLESS-2 (global coordinates), then a window.
    let moved = c.msg(&["input", "pointer", "move", "840", "150"]);
    assert!(moved.status.success(), "{moved:?}");
    c.spawn_client("work", "weston-simple-shm", &[]);
    c.wait_for(|| c.windows("work") == 1);
    let shot = |c: &Compositor, output: &str| {
        let file = c.dir.path().join("out.png");
        let out = c.msg(&["screenshot", file.to_str().unwrap(), "--output", output]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        personas::ipc::protocol::decode_png(&std::fs::read(&file).unwrap()).unwrap()
    };
    // weston-simple-shm's fixed 250x250, centered on HEADLESS-2.
    c.wait_for(|| {
        !is_dim(
            &pixel(&shot(&c, "HEADLESS-2"), 200, 150),
            [0x33, 0x66, 0xcc],
        )
    });
    let other = shot(&c, "HEADLESS-2");
    assert_eq!((other.0, other.1), (400, 300));
    assert!(is_dim(&pixel(&other, 10, 10), [0x33, 0x66, 0xcc]));
    // Nothing of it on the primary.
    assert!(is_dim(
        &pixel(&shot(&c, "HEADLESS-1"), 320, 200),
        [0x33, 0x66, 0xcc]
    ));

    // grim in work sees both outputs, each with its own part: the window is
    // in the one of HEADLESS-2 (inside its frame: 392x292), not in the other.
    for (output, size, window) in [
        ("HEADLESS-2", (392, 292), true),
        ("HEADLESS-1", (632, 392), false),
    ] {
        let path = c.dir.path().join(format!("{output}.png"));
        let out = c
            .client("work", "grim", &["-o", output, path.to_str().unwrap()])
            .output()
            .expect("grim");
        assert!(
            out.status.success(),
            "{output}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let image = personas::ipc::protocol::decode_png(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!((image.0, image.1), size, "{output}");
        let (cx, cy) = (size.0 / 2, size.1 / 2);
        assert_eq!(
            !is_dim(&pixel(&image, cx, cy), [0x33, 0x66, 0xcc]),
            window,
            "grim -o {output}: the window's middle"
        );
    }

    let bad = c.msg(&["screenshot", "/dev/null", "--output", "HDMI-A-9"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("no output named `HDMI-A-9` (outputs: HEADLESS-1, HEADLESS-2)"),
        "{err}"
    );
}

/// The `swaylock` processes the compositor started (its children).
fn swaylocks(c: &Compositor) -> Vec<u32> {
    let parent = c.child.id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let (comm, rest) = stat.split_once(") ")?;
            let ppid = rest.split_whitespace().nth(1)?;
            (comm.ends_with("(swaylock") && ppid == parent).then_some(pid)
        })
        .collect()
}

#[test]
fn swaylock_covers_every_persona_refuses_switches_and_comes_back_if_killed() {
    let config = format!(
        "lock = [\"swaylock\", \"-c\", \"aa3311\", \"-u\"]\n\
         lock_keyboard = [\"wvkbd-mobintl\", \"-L\", \"100\"]\n{CONFIG}"
    );
    let c = Compositor::start(&config, &["--test-input"]);
    let next = subscriber(&c);
    assert_eq!(next()["reply"], "subscribed");
    let locked = |c: &Compositor| pixel(&c.screenshot(None), 320, 20)[..3] == [0xaa, 0x33, 0x11];
    // The on-screen keyboard, over the lock screen's bottom.
    let keyboard = |c: &Compositor| pixel(&c.screenshot(None), 5, 395)[..3] != [0xaa, 0x33, 0x11];
    assert!(!locked(&c));

    let out = c.msg(&["lock"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    c.wait_for(|| locked(&c));
    assert_eq!(
        next(),
        serde_json::json!({"event": "locked", "locked": true})
    );
    c.wait_for(|| keyboard(&c));
    let first = swaylocks(&c);
    assert_eq!(first.len(), 1, "one lock screen: {first:?}");

    // No way to another persona: the binding, the control socket.
    super_ctrl(&c, "Right");
    let out = c.msg(&["switch", "personal"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("locked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(locked(&c));
    assert_eq!(c.msg_json(&["active"])["name"], "work");

    // A lock screen that dies is started again; the session stays locked.
    Command::new("kill")
        .args(["-KILL", &first[0].to_string()])
        .status()
        .unwrap();
    c.wait_for(|| {
        let now = swaylocks(&c);
        now.len() == 1 && now != first
    });
    c.wait_for(|| locked(&c));
    assert!(keyboard(&c), "the keyboard stayed");
    assert!(!c.msg(&["next"]).status.success(), "still locked");
}

#[test]
fn a_helper_on_the_system_display_is_a_panel_over_every_persona() {
    // wvkbd stands in for a persona bar: a bottom panel with an exclusive
    // zone, started by the compositor with its own connection.
    let config = format!("helpers = [[\"wvkbd-mobintl\", \"-L\", \"100\"]]\n{CONFIG}");
    let mut c = Compositor::start(&config, &["--test-input"]);
    c.spawn_client("work", "weston-simple-shm", &[]);
    c.wait_for(|| c.windows("work") == 1);
    let work = |c: &Compositor| pixel(&c.screenshot(None), 5, 200);
    let bottom = |c: &Compositor| pixel(&c.screenshot(None), 5, 395);
    // Drawn at the bottom of the output, over the persona's background.
    c.wait_for(|| bottom(&c) != work(&c));
    let work_shot = c.screenshot(None);
    // Listed as the system display's, and the persona's window moves up
    // out of its way (weston-simple-shm keeps its own size: it is centred
    // in what the panel leaves, or at its top if it does not fit).
    c.wait_for(|| {
        let windows = c.msg_json(&["windows"]);
        let Some(panel) = windows["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["persona"] == "system")
            .cloned()
        else {
            return false;
        };
        let list = windows["windows"].as_array().unwrap();
        let Some(w) = list.iter().find(|w| w["persona"] == "work") else {
            return false;
        };
        let (y, h) = (w["y"].as_i64().unwrap(), w["height"].as_i64().unwrap());
        let left = 400 - panel["height"].as_i64().unwrap();
        y + h / 2 < 200 - 20 && (h > left || y + h <= left)
    });
    // And over the other persona too.
    assert_eq!(c.msg_json(&["switch", "personal"])["to"], "personal");
    assert_ne!(work(&c), pixel(&work_shot, 5, 200), "the other persona");
    c.wait_for(|| bottom(&c) != work(&c));
}

/// A system bus of the test's own with a stand-in for logind: it hands out
/// inhibitors (one end of a pipe each, whose closing it sees), says
/// `PrepareForSleep` when told, and answers `status`; both killed on drop.
struct FakeLogind {
    bus: Child,
    logind: Child,
    commands: std::process::ChildStdin,
    answers: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    address: String,
}

const FAKE_LOGIND: &str = r#"
import os, select, sys
from gi.repository import Gio, GLib
XML = """<node><interface name="org.freedesktop.login1.Manager">
<method name="Inhibit"><arg type="s" direction="in"/><arg type="s" direction="in"/>
<arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="h" direction="out"/></method>
</interface></node>"""
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
inhibitors = []
def call(conn, sender, path, iface, method, params, invocation):
    what, who, why, mode = params.unpack()
    r, w = os.pipe()
    inhibitors.append((what, mode, r))
    fds = Gio.UnixFDList.new()
    fds.append(w)
    os.close(w)
    invocation.return_value_with_unix_fd_list(GLib.Variant("(h)", (0,)), fds)
info = Gio.DBusNodeInfo.new_for_xml(XML)
bus.register_object("/org/freedesktop/login1", info.interfaces[0], call, None, None)
bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
              "RequestName", GLib.Variant("(su)", ("org.freedesktop.login1", 0)),
              None, 0, -1, None)
def command(channel, condition):
    line = sys.stdin.readline().strip()
    if line in ("sleep", "wake"):
        bus.emit_signal(None, "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                        "PrepareForSleep", GLib.Variant("(b)", (line == "sleep",)))
        bus.flush_sync(None)
        print("said", line, flush=True)
    elif line == "status":
        # An inhibitor is let go when the pipe has no writer left.
        held = released = 0
        for what, mode, r in inhibitors:
            poll = select.poll()
            poll.register(r, select.POLLIN)
            if poll.poll(0):
                released += 1
            elif what == "sleep" and mode == "delay":
                held += 1
        print(f"held {held} released {released}", flush=True)
    else:
        loop.quit()
        return False
    return True
GLib.io_add_watch(GLib.IOChannel.unix_new(0), GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP, command)
print("ready", flush=True)
loop = GLib.MainLoop()
loop.run()
"#;

impl FakeLogind {
    fn start(dir: &Path) -> FakeLogind {
        let socket = dir.join("system_bus_socket");
        let address = format!("unix:path={}", socket.display());
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--address", &address])
            .stdout(Stdio::null())
            .spawn()
            .expect("dbus-daemon (run scripts/deps.sh test)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "dbus-daemon did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let (logind, commands, answers) = FakeLogind::spawn(&address);
        let mut fake = FakeLogind {
            bus,
            logind,
            commands,
            answers,
            address,
        };
        assert_eq!(fake.answer(), "ready");
        fake
    }

    #[allow(clippy::type_complexity)]
    fn spawn(
        address: &str,
    ) -> (
        Child,
        std::process::ChildStdin,
        std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    ) {
        use std::io::BufRead;
        let mut logind = Command::new("/usr/bin/python3")
            .args(["-c", FAKE_LOGIND])
            .env("DBUS_SYSTEM_BUS_ADDRESS", address)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with gi (run scripts/deps.sh test)");
        let commands = logind.stdin.take().unwrap();
        let answers = std::io::BufReader::new(logind.stdout.take().unwrap()).lines();
        (logind, commands, answers)
    }

    /// logind restarts: a new one owns the name (with no inhibitors).
    fn restart(&mut self) {
        let _ = self.logind.kill();
        let _ = self.logind.wait();
        (self.logind, self.commands, self.answers) = FakeLogind::spawn(&self.address);
        assert_eq!(self.answer(), "ready");
    }

    fn answer(&mut self) -> String {
        self.answers
            .next()
            .expect("the fake logind ended")
            .expect("reading the fake logind")
    }

    fn tell(&mut self, command: &str) -> String {
        use std::io::Write;
        writeln!(self.commands, "{command}").unwrap();
        self.answer()
    }

    /// (delay inhibitors for sleep held, inhibitors let go)
    fn inhibitors(&mut self) -> (u32, u32) {
        let status = self.tell("status");
        let words: Vec<&str> = status.split_whitespace().collect();
        match words[..] {
            ["held", held, "released", released] => {
                (held.parse().unwrap(), released.parse().unwrap())
            }
            _ => panic!("fake logind said {status:?}"),
        }
    }
}

impl FakeLogind {
    /// The fake, and a compositor on its bus that took its inhibitor.
    fn with_compositor(dir: &Path, config: &str) -> (FakeLogind, Compositor) {
        let mut logind = FakeLogind::start(dir);
        let address = logind.address.clone();
        let c = Compositor::start_env(
            config,
            &["--test-input"],
            &[("DBUS_SYSTEM_BUS_ADDRESS", address.as_str())],
        );
        c.wait_for(|| logind.inhibitors() == (1, 0));
        (logind, c)
    }
}

impl Drop for FakeLogind {
    fn drop(&mut self) {
        for child in [&mut self.logind, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A delay inhibitor keeps the machine awake until the lock is on screen:
/// held while the lock screen has not locked yet, let go once it has, and
/// taken again after waking.
#[test]
fn going_to_sleep_locks_first() {
    let dir = tempfile::tempdir().unwrap();
    let (started, go) = (dir.path().join("started"), dir.path().join("go"));
    // The lock screen locks only once the test says so.
    let lock = format!(
        "touch {s}; while [ ! -e {g} ]; do sleep 0.05; done; exec swaylock -c aa3311 -u",
        s = started.display(),
        g = go.display()
    );
    let config = format!(
        "lock = [\"sh\", \"-c\", {}]\n{CONFIG}",
        serde_json::to_string(&lock).unwrap()
    );
    let (mut logind, c) = FakeLogind::with_compositor(dir.path(), &config);
    // Anyone on the bus may send the signal: only logind's counts.
    let spoofed = Command::new("dbus-send")
        .arg(format!("--bus={}", logind.address))
        .args([
            "--type=signal",
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager.PrepareForSleep",
            "boolean:true",
        ])
        .status()
        .expect("dbus-send (run scripts/deps.sh test)");
    assert!(spoofed.success());
    // Heard, it would start the lock within milliseconds.
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        assert!(!started.exists(), "a signal not from logind locked");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(logind.inhibitors(), (1, 0));
    assert_eq!(logind.tell("sleep"), "said sleep");
    c.wait_for(|| started.exists());
    assert_eq!(
        logind.inhibitors(),
        (1, 0),
        "sleep must wait while the lock screen has not locked"
    );
    std::fs::write(&go, "").unwrap();
    let locked = |c: &Compositor| pixel(&c.screenshot(None), 320, 200)[..3] == [0xaa, 0x33, 0x11];
    c.wait_for(|| logind.inhibitors() == (0, 1));
    // The lock's surface may not be drawn yet, but no persona shows: the
    // screen is the lock's or black (the frame and the inside of an empty
    // persona are neither).
    let shot = c.screenshot(None);
    for (x, y) in [(5, 5), (320, 200)] {
        let shown = &pixel(&shot, x, y)[..3];
        assert!(
            shown == [0xaa, 0x33, 0x11] || shown == [0, 0, 0],
            "sleep went on while ({x},{y}) showed {shown:?}, not the lock"
        );
    }
    c.wait_for(|| locked(&c));
    assert!(!c.msg(&["switch", "personal"]).status.success());
    // Awake again: the next sleep waits too.
    assert_eq!(logind.tell("wake"), "said wake");
    c.wait_for(|| logind.inhibitors() == (1, 1));
}

/// logind restarted (a new owner of its name, which knows no inhibitor):
/// a new inhibitor is taken from it, and its signal is heard.
#[test]
fn sleep_follows_logind_when_it_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let lock = format!("touch {}; exec sleep 600", started.display());
    let config = format!(
        "lock = [\"sh\", \"-c\", {}]\n{CONFIG}",
        serde_json::to_string(&lock).unwrap()
    );
    let (mut logind, c) = FakeLogind::with_compositor(dir.path(), &config);
    logind.restart();
    c.wait_for(|| logind.inhibitors() == (1, 0));
    assert_eq!(logind.tell("sleep"), "said sleep");
    c.wait_for(|| started.exists());
}

/// A lock screen that never locks does not keep the machine awake.
#[test]
fn a_lock_that_never_locks_does_not_hold_sleep_back() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!("lock = [\"sleep\", \"600\"]\n{CONFIG}");
    let (mut logind, c) = FakeLogind::with_compositor(dir.path(), &config);
    assert_eq!(logind.tell("sleep"), "said sleep");
    // Let go after `system::sleep::LOCK_BEFORE_SLEEP`.
    c.wait_for(|| logind.inhibitors() == (0, 1));
}

#[test]
fn a_bar_is_hidden_while_locked() {
    let config = format!(
        "helpers = [[\"wvkbd-mobintl\", \"-L\", \"100\"]]\n\
         lock = [\"swaylock\", \"-c\", \"aa3311\", \"-u\"]\n{CONFIG}"
    );
    let c = Compositor::start(&config, &["--test-input"]);
    let lock_color =
        |c: &Compositor, y| pixel(&c.screenshot(None), 5, y)[..3] == [0xaa, 0x33, 0x11];
    // The bar (wvkbd standing in for one) shows at the bottom.
    c.wait_for(|| pixel(&c.screenshot(None), 5, 395) != pixel(&c.screenshot(None), 5, 20));
    let out = c.msg(&["lock"]);
    assert!(out.status.success());
    // Locked: the lock screen everywhere, the bar nowhere.
    c.wait_for(|| lock_color(&c, 20));
    c.wait_for(|| lock_color(&c, 395));
}
