//! Xwayland per persona, end to end: the real binary, Debian's Xwayland and
//! real X clients. Each persona has its own X server; a namespaced session
//! reaches only its own (its private /tmp/.X11-unix, and the abstract name
//! libxcb tries first is held by the compositor, refused); a server that
//! dies comes back on the same display; X and Wayland clients of a persona
//! share its clipboard and no other persona's.

mod real;

use std::process::{Command, Stdio};
use std::time::Duration;

use real::{wait_for, xwayland_pid as server_pid, Compositor};
use serde_json::Value;

fn persona(c: &Compositor, name: &str) -> Value {
    let out = c.msg(&["--json", "list"]);
    assert!(out.status.success());
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    list["personas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no persona {name} in {list}"))
        .clone()
}

/// The persona's X display once its server is in `state`: its `DISPLAY`.
fn display_in(c: &Compositor, name: &str, state: &str) -> String {
    let mut last = Value::Null;
    wait_for(Duration::from_secs(20), "the X server's state", || {
        last = persona(c, name)["x11"].clone();
        last["state"] == state
    });
    last["display"].as_str().unwrap().to_string()
}

fn windows(c: &Compositor) -> Vec<Value> {
    let out = c.msg(&["--json", "windows"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    v["windows"].as_array().cloned().unwrap_or_default()
}

fn log_lines(c: &Compositor, name: &str, tag: &str) -> Vec<String> {
    c.log_text(name)
        .lines()
        .filter_map(|l| l.strip_prefix(tag)?.strip_prefix(' '))
        .map(str::to_string)
        .collect()
}

/// Connects to the abstract socket libxcb tries first for `display`.
fn abstract_connects(display: &str) -> bool {
    let script = "import socket,sys\n\
                  s=socket.socket(socket.AF_UNIX)\n\
                  s.connect('\\0/tmp/.X11-unix/X'+sys.argv[1])";
    Command::new("python3")
        .args(["-c", script, display.trim_start_matches(':')])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// Each session reports what it sees of X once the test names the other
/// persona's display in its `go` file.
const LOOK_AT_X: &str = r#"
echo "display $DISPLAY"
echo "sockets $(ls -A /tmp/.X11-unix | tr '\n' ' ')"
xmessage -title "secret-$(hostname)" "$(hostname)" &
while [ ! -e "$HOME/go" ]; do sleep 0.05; done
other=$(cat "$HOME/go")
xdpyinfo >/dev/null 2>&1 && echo "own reachable"
xdpyinfo -display "$other" >/dev/null 2>&1 && echo "other reachable"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect('\0/tmp/.X11-unix/X'+sys.argv[1])" "${other#:}" 2>/dev/null \
  && echo "other abstract reachable"
echo "windows $(xdotool search --name '^secret-' 2>/dev/null | wc -l)"
echo done
while [ ! -e "$HOME/again" ]; do sleep 0.05; done
xdpyinfo >/dev/null 2>&1 && echo "own reachable again"
echo done again
exec sleep 1000
"#;

#[test]
fn each_persona_has_an_x_server_no_other_persona_can_reach() {
    let c = Compositor::start(&format!(
        r#"
[[persona]]
name = "work"
session = ["sh", "-c", '''{LOOK_AT_X}''']
[[persona]]
name = "kids"
session = ["sh", "-c", '''{LOOK_AT_X}''']
"#
    ));
    // Their sessions' first X clients started both servers.
    let work = display_in(&c, "work", "running");
    let kids = display_in(&c, "kids", "running");
    assert_ne!(work, kids);
    for (name, display) in [("work", &work), ("kids", &kids)] {
        let info = persona(&c, name);
        assert_eq!(info["x11"]["isolated"], true, "{info}");
        wait_for(Duration::from_secs(10), "the session's report", || {
            !log_lines(&c, name, "sockets").is_empty()
        });
        assert_eq!(
            c.session(name)["isolation"],
            "namespaces",
            "sessions are not namespaced here"
        );
        // DISPLAY is the persona's, and its /tmp/.X11-unix holds only that.
        assert_eq!(
            log_lines(&c, name, "display"),
            std::slice::from_ref(display)
        );
        let socket = format!("X{} ", display.trim_start_matches(':'));
        assert_eq!(log_lines(&c, name, "sockets"), [socket]);
    }
    // Each persona's X window is its own window, and only there.
    wait_for(Duration::from_secs(20), "both X windows", || {
        windows(&c).iter().filter(|w| w["x11"] == true).count() == 2
    });
    for w in windows(&c) {
        let title = format!("secret-{}", w["persona"].as_str().unwrap());
        assert_eq!(w["title"], title.as_str(), "{w}");
        assert_eq!(w["x11"], true);
    }
    // From the host, where every socket is visible, both servers answer:
    // what the sessions cannot reach is there.
    for display in [&work, &kids] {
        let host = Command::new("xdpyinfo")
            .args(["-display", display])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(host.success(), "xdpyinfo -display {display} from the host");
        // The abstract name is held, never listening: refused.
        assert!(!abstract_connects(display));
    }
    let data = c.path("data/personas");
    std::fs::write(data.join("work/home/go"), &kids).unwrap();
    std::fs::write(data.join("kids/home/go"), &work).unwrap();
    for name in ["work", "kids"] {
        wait_for(Duration::from_secs(30), "the report", || {
            c.log_text(name).contains("\ndone\n")
        });
        let log = c.log_text(name);
        assert_eq!(log_lines(&c, name, "own"), ["reachable"], "{log}");
        assert!(log_lines(&c, name, "other").is_empty(), "{log}");
        // Its server shows only its own window.
        assert_eq!(log_lines(&c, name, "windows"), ["1"], "{log}");
    }

    // work's server dies: its window goes, and the next X client of the
    // session that was already running starts a new one on the same
    // display.
    let pid = server_pid(&work).expect("work's Xwayland runs");
    // SAFETY: a plain signal to a process this test's compositor started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_for(Duration::from_secs(10), "work's X window to go", || {
        !windows(&c)
            .iter()
            .any(|w| w["persona"] == "work" && w["x11"] == true)
    });
    assert_eq!(display_in(&c, "work", "idle"), work);
    assert_eq!(server_pid(&work), None);
    // kids' server did not notice.
    assert!(windows(&c)
        .iter()
        .any(|w| w["persona"] == "kids" && w["x11"] == true));
    std::fs::write(data.join("work/home/again"), "").unwrap();
    wait_for(Duration::from_secs(30), "the second report", || {
        c.log_text("work").contains("\ndone again\n")
    });
    assert_eq!(
        log_lines(&c, "work", "own reachable"),
        ["again"],
        "{}",
        c.log_text("work")
    );
    assert!(server_pid(&work).is_some_and(|p| p != pid));
}

#[test]
fn x11_and_wayland_clients_of_a_persona_share_its_clipboard_only() {
    let c = Compositor::start(
        r#"
[[persona]]
name = "apps"
isolation = "none"
[[persona]]
name = "other"
isolation = "none"
xwayland = false
"#,
    );
    // No X client yet: no server.
    let display = display_in(&c, "apps", "idle");
    // Without namespaces every program can reach the server: list says so.
    assert_eq!(persona(&c, "apps")["x11"]["isolated"], false);
    let text = String::from_utf8_lossy(&c.msg(&["list"]).stdout).into_owned();
    assert!(text.contains("NOT ISOLATED"), "{text}");
    assert!(persona(&c, "other")["x11"].is_null());

    let wayland = |persona: &str, program: &str, args: &[&str]| {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env("XDG_RUNTIME_DIR", c.path("runtime/personas").join(persona))
            .env("WAYLAND_DISPLAY", "wayland-0")
            .env_remove("DISPLAY");
        cmd
    };
    let x11 = |args: &[&str]| {
        let mut cmd = Command::new("xclip");
        cmd.args(args)
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY");
        cmd
    };
    let output = |mut cmd: Command| {
        let out = cmd.stderr(Stdio::null()).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Copied before any X client: the server started later learns both
    // the clipboard and the primary selection.
    for args in [&["early-clipboard"][..], &["--primary", "early-primary"]] {
        let status = wayland("apps", "wl-copy", args).status().unwrap();
        assert!(status.success(), "wl-copy {args:?}");
    }
    // X clients read the clipboard while one of theirs has the keyboard,
    // as a Wayland client does.
    let focused = Command::new("xmessage")
        .args(["-title", "focused", "x"])
        .env("DISPLAY", &display)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(
        Duration::from_secs(20),
        "the X window to have focus",
        || {
            windows(&c)
                .iter()
                .any(|w| w["title"] == "focused" && w["focused"] == true)
        },
    );

    for (selection, want) in [
        ("clipboard", "early-clipboard"),
        ("primary", "early-primary"),
    ] {
        let mut pasted = String::new();
        wait_for(
            Duration::from_secs(10),
            "X to paste what came before it",
            || {
                pasted = output(x11(&["-o", "-selection", selection]));
                pasted == want
            },
        );
    }

    // Wayland to X.
    let status = wayland("apps", "wl-copy", &["from-wayland"])
        .status()
        .unwrap();
    assert!(status.success());
    let mut pasted = String::new();
    wait_for(Duration::from_secs(10), "X to paste it", || {
        pasted = output(x11(&["-o", "-selection", "clipboard"]));
        pasted == "from-wayland"
    });

    // X to Wayland: xclip serves the selection until someone else takes it.
    let mut copy = x11(&["-i", "-selection", "clipboard"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut copy.stdin.take().unwrap(), b"from-x").unwrap();
    wait_for(Duration::from_secs(10), "Wayland to paste it", || {
        output(wayland("apps", "wl-paste", &["-n"])) == "from-x"
    });
    // The other persona's clipboard never saw either (it is on screen, so
    // its wl-paste has the focus a paste needs).
    assert!(c.msg(&["switch", "other"]).status.success());
    let other = output(wayland("other", "timeout", &["5", "wl-paste", "-n"]));
    assert!(
        !other.contains("from-x") && !other.contains("from-wayland"),
        "{other:?}"
    );
    for mut child in [copy, focused] {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// An X server that dies before it is ready is started again with a
/// growing backoff; the compositor does not spin on its closed pipe.
#[test]
fn an_x_server_that_dies_at_start_is_retried_with_backoff() {
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join("Xwayland");
    std::fs::write(&fake, "#!/bin/sh\necho started >> \"$0.starts\"\nexit 1\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let c = Compositor::start_with_env(
        r#"
[[persona]]
name = "work"
"#,
        &[("PATH", &path)],
    );
    let starts = || {
        std::fs::read_to_string(bin.path().join("Xwayland.starts"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    let cpu = || {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", c.child.id())).unwrap();
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split(' ').collect();
        // utime and stime, in clock ticks (fields 14 and 15 of stat).
        fields[12].parse::<u64>().unwrap() + fields[13].parse::<u64>().unwrap()
    };
    // Nothing starts a server but a client: one waits (refused in the end).
    let display = persona(&c, "work")["x11"]["display"]
        .as_str()
        .unwrap()
        .to_string();
    let mut client = Command::new("timeout")
        .args(["12", "xdpyinfo", "-display", &display])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(10), "a second start", || starts() >= 2);
    let (cpu_before, starts_before) = (cpu(), starts());
    std::thread::sleep(Duration::from_secs(4));
    // Restarts 1, 2, 4 s apart: a few more at most, not one per loop turn.
    let more = starts() - starts_before;
    assert!((1..=3).contains(&more), "{more} starts in 4 s");
    // A spinning loop would burn the whole 4 s (400 ticks at 100 Hz).
    let ticks = cpu() - cpu_before;
    assert!(ticks < 150, "{ticks} ticks of CPU in 4 s: spinning");
    let x11 = persona(&c, "work")["x11"].clone();
    assert_ne!(x11["state"], "running", "{x11}");
    let _ = client.kill();
    let _ = client.wait();
}
