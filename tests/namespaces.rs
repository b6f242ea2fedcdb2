//! Namespaced sessions (`isolation = "namespaces"`, the default), end to end:
//! the real binary starts sessions that look around and report to their log;
//! each test checks that the persona's own things are there and that nothing
//! of the compositor or another persona is. CI runs as root, where every
//! namespace is available; where the kernel refuses one these tests fail
//! (they check `list` says "namespaces") rather than pass on a weaker mode.

mod real;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use real::{wait_for, Compositor, BIN};

/// The lines of `persona`'s log that start with `tag `, without the tag.
fn reported(c: &Compositor, persona: &str, tag: &str) -> Vec<String> {
    c.log_text(persona)
        .lines()
        .filter_map(|line| line.strip_prefix(tag)?.strip_prefix(' '))
        .map(str::to_string)
        .collect()
}

fn one(c: &Compositor, persona: &str, tag: &str) -> String {
    let lines = reported(c, persona, tag);
    assert_eq!(
        lines.len(),
        1,
        "`{tag}` in {persona}'s log:\n{}",
        c.log_text(persona)
    );
    lines[0].clone()
}

fn assert_namespaced(c: &Compositor, persona: &str) {
    let info = c.session(persona);
    assert_eq!(
        info["isolation"], "namespaces",
        "{persona}'s session is not namespaced on this machine: {info}"
    );
}

/// Every process on the host whose command line holds `needle`.
fn host_processes(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(needle))
        .collect()
}

const LOOK_AROUND: &str = r#"
while [ ! -e "$HOME/go" ]; do sleep 0.05; done
echo "host $(hostname)"
echo "dev $(ls -A /dev | sort | tr '\n' ' ')"
echo "run $(ls -A "$XDG_RUNTIME_DIR" | sort | tr '\n' ' ')"
echo "runmode $(stat -c %a "$XDG_RUNTIME_DIR")"
for f in "$XDG_RUNTIME_DIR/personas/control.sock" "$HOST_DIR/runtime/personas/control.sock" \
         "$HOST_DIR/runtime/personas/kids/wayland-0" "$HOST_DIR/runtime/bus" "$HOST_DIR/config.toml" \
         "$HOST_DIR/state/personas/kids.log" "$HOST_DIR/data/personas/kids/home/kids-file"; do
  test -e "$f" && echo "visible $f"
done
"$PERSONAS_BIN" msg list >/dev/null 2>&1 && echo "control reachable"
PERSONAS_SOCKET="$HOST_DIR/runtime/personas/control.sock" "$PERSONAS_BIN" msg list >/dev/null 2>&1 \
  && echo "control reachable by path"
echo "kids-procs $(for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c '^sleep 100[1]')"
echo "pid1 $(tr '\0\n' '  ' < /proc/1/cmdline | head -c 300)"
echo work-secret > "$HOME/work-file"
echo "home $HOME $(ls -A "$HOME" | sort | tr '\n' ' ')"
umount /dev 2>/dev/null && echo "unmounted /dev"
umount -l /dev 2>/dev/null && echo "unmounted /dev lazily"
echo "info $(wayland-info 2>&1 | grep -c "'wl_output'") $(wayland-info 2>&1 | grep -c "'wl_seat'")"
echo done
exec sleep 1000
"#;

#[test]
fn a_namespaced_session_sees_only_its_own_world() {
    let c = Compositor::start(&format!(
        r#"
[[persona]]
name = "work"
share = ["pipewire-0", "missing-0"]
env = {{ HOST_DIR = "@DIR@", PERSONAS_BIN = "{BIN}" }}
session = ["sh", "-c", '''{LOOK_AROUND}''']
[[persona]]
name = "kids"
session = ["sh", "-c", "echo kids-secret > \"$HOME/kids-file\"; echo kids-up; exec sleep 1001"]
"#
    ));
    wait_for(Duration::from_secs(10), "the kids' session", || {
        c.log_text("kids").contains("kids-up")
    });
    assert_namespaced(&c, "work");
    assert_namespaced(&c, "kids");
    // The go file is created on the host in work's home; work sees it there.
    let data = c.path("data/personas");
    std::fs::write(data.join("work/home/go"), "").unwrap();
    wait_for(Duration::from_secs(20), "work's report", || {
        c.log_text("work").contains("\ndone\n")
    });
    let log = c.log_text("work");

    assert_eq!(one(&c, "work", "host"), "work");
    let mut expected: Vec<String> = [
        "fd", "ptmx", "pts", "shm", "stderr", "stdin", "stdout", "tty",
    ]
    .iter()
    .chain(&["null", "zero", "full", "random", "urandom"])
    .filter(|name| !name.contains('/'))
    .map(|name| name.to_string())
    .collect();
    if Path::new("/dev/dri").exists() {
        expected.push("dri".into());
    }
    expected.sort();
    assert_eq!(
        one(&c, "work", "dev"),
        format!("{} ", expected.join(" ")),
        "{log}"
    );
    // Its runtime dir: its own socket and the one share that exists.
    assert_eq!(one(&c, "work", "run"), "pipewire-0 wayland-0 ", "{log}");
    assert!(log.contains("share `missing-0` left out"), "{log}");
    assert_eq!(one(&c, "work", "runmode"), "700");
    assert!(reported(&c, "work", "visible").is_empty(), "{log}");
    assert!(reported(&c, "work", "control").is_empty(), "{log}");
    // Processes: its own pid 1 is the launcher; the kids' sleep is invisible,
    // though it runs on the host.
    assert_eq!(one(&c, "work", "kids-procs"), "0", "{log}");
    assert!(!host_processes("sleep 1001").is_empty());
    assert!(
        one(&c, "work", "pid1").contains(" sandbox --name work "),
        "{log}"
    );
    // Its home is its own, over the user's home.
    let real_home = c.path("home");
    assert_eq!(
        one(&c, "work", "home"),
        format!("{} go work-file ", real_home.display())
    );
    assert_eq!(
        std::fs::read_to_string(data.join("work/home/work-file")).unwrap(),
        "work-secret\n"
    );
    assert!(!real_home.join("work-file").exists());
    assert!(data.join("kids/home/kids-file").exists());
    assert!(reported(&c, "work", "unmounted").is_empty(), "{log}");
    // A real client through the private runtime dir: one output, one seat.
    assert_eq!(one(&c, "work", "info"), "1 1", "{log}");
}

#[test]
fn stopping_a_namespaced_session_ends_its_whole_tree() {
    // The first child leaves the process group (setsid), which a plain
    // session's stop would miss; the namespace's pid 1 takes it along.
    let c = Compositor::start(
        r#"
[[persona]]
name = "work"
session = ["sh", "-c", "setsid sleep 1002 & echo up; exec sleep 1003"]
"#,
    );
    wait_for(Duration::from_secs(10), "the session", || {
        c.log_text("work").contains("up")
    });
    assert_namespaced(&c, "work");
    wait_for(Duration::from_secs(5), "both sleeps", || {
        !host_processes("sleep 1002").is_empty() && !host_processes("sleep 1003").is_empty()
    });
    assert!(c.msg(&["session", "stop", "work"]).status.success());
    wait_for(Duration::from_secs(5), "no sleep left", || {
        host_processes("sleep 1002").is_empty() && host_processes("sleep 1003").is_empty()
    });
    let info = c.wait_state("work", "stopped", Duration::from_secs(5));
    // The launcher ends as the program did: killed by SIGTERM.
    assert_eq!(info["exit"], "signal 15 (SIGTERM)", "{info}");
}

#[test]
fn network_none_leaves_only_loopback() {
    let script = r#"echo "net $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\n' ' ')"; exec sleep 1000"#;
    let c = Compositor::start(&format!(
        r#"
[[persona]]
name = "online"
session = ["sh", "-c", '''{script}''']
[[persona]]
name = "offline"
network = "none"
session = ["sh", "-c", '''{script}''']
"#
    ));
    for persona in ["online", "offline"] {
        wait_for(Duration::from_secs(10), "the report", || {
            !reported(&c, persona, "net").is_empty()
        });
        assert_namespaced(&c, persona);
    }
    let host = std::fs::read_to_string("/proc/net/dev").unwrap();
    let mut host: Vec<&str> = host
        .lines()
        .skip(2)
        .filter_map(|l| Some(l.split_once(':')?.0.trim()))
        .collect();
    host.sort();
    assert!(
        host.len() >= 2,
        "the host has only {host:?}: nothing to tell the two modes apart"
    );
    assert_eq!(one(&c, "online", "net"), format!("{} ", host.join(" ")));
    assert_eq!(one(&c, "offline", "net"), "lo ");
}

#[test]
fn device_patterns_that_match_nothing_or_are_forbidden_are_reported() {
    let c = Compositor::start(
        r#"
[[persona]]
name = "work"
devices = ["/dev/null", "/dev/personas-no-such-*"]
session = ["sh", "-c", "echo \"dev $(ls -A /dev | sort | tr '\\n' ' ')\"; exec sleep 1000"]
"#,
    );
    wait_for(Duration::from_secs(10), "the report", || {
        !reported(&c, "work", "dev").is_empty()
    });
    assert_namespaced(&c, "work");
    assert_eq!(
        one(&c, "work", "dev"),
        "fd null ptmx pts shm stderr stdin stdout tty "
    );
    assert!(c
        .log_text("work")
        .contains("device pattern `/dev/personas-no-such-*` matches nothing"));
    // A forbidden node is a config error, with its position.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[[persona]]\nname = \"work\"\ndevices = [\"/dev/input/event0\"]\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":3:11: device `/dev/input/event0` is never allowed (input devices)"),
        "{err}"
    );
}

/// The launcher as an ordinary user (nobody): a user namespace maps it to
/// itself, and the session runs with no capability, unable to undo a mount.
#[test]
fn the_launcher_works_for_an_unprivileged_user() {
    let dir = tempfile::tempdir().unwrap();
    // Somewhere nobody can reach: a copy of the launcher (the compositor's
    // binary, which runs each session through itself) and its directories.
    let root = dir.path();
    std::fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let launcher = root.join("personas-compositor");
    std::fs::copy(env!("CARGO_BIN_EXE_personas-compositor"), &launcher).unwrap();
    for sub in ["home", "runtime"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    let script = "id -u; hostname; ls -A /dev | sort | tr '\\n' ' '; echo; \
                  grep CapEff /proc/self/status; umount /dev 2>/dev/null && echo unmounted; \
                  ls -A \"$XDG_RUNTIME_DIR\" | wc -l; exit 7";
    let mut command = if nix_is_root() {
        let chown = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(root.join("home"))
            .arg(root.join("runtime"))
            .status()
            .unwrap();
        assert!(chown.success());
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&launcher);
        c
    } else {
        Command::new(&launcher)
    };
    let out = command
        .args([
            "sandbox",
            "--name",
            "kids",
            "--device",
            "/dev/null",
            "--runtime-dir",
        ])
        .arg(root.join("runtime"))
        .arg("--home")
        .arg(root.join("home"))
        .args(["--", "sh", "-c", script])
        .env("XDG_RUNTIME_DIR", root.join("runtime"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{text}\n{err}");
    let lines: Vec<&str> = text.lines().collect();
    assert_ne!(lines[0], "0", "runs as the user, not root");
    assert_eq!(lines[1], "kids");
    assert_eq!(lines[2], "fd null ptmx pts shm stderr stdin stdout tty ");
    assert_eq!(lines[3], "CapEff:\t0000000000000000");
    assert_eq!(lines[4], "0", "an empty runtime dir");
}

fn nix_is_root() -> bool {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() == 0 }
}

#[test]
fn without_namespaces_a_session_runs_plain_and_list_says_so() {
    let c = Compositor::start_with_env(
        r#"
[[persona]]
name = "work"
session = ["sh", "-c", "echo \"host-runtime $XDG_RUNTIME_DIR\"; exec sleep 1000"]
"#,
        &[("PERSONAS_NO_NAMESPACES", "1")],
    );
    wait_for(Duration::from_secs(10), "the report", || {
        !reported(&c, "work", "host-runtime").is_empty()
    });
    let info = c.session("work");
    assert_eq!(
        info["isolation"],
        "none (namespaces unavailable: turned off by PERSONAS_NO_NAMESPACES=1)"
    );
    // A plain session: the persona's own directory in the host's runtime dir.
    assert_eq!(
        one(&c, "work", "host-runtime"),
        c.path("runtime/personas/work").display().to_string()
    );
    let text = String::from_utf8_lossy(&c.msg(&["list"]).stdout).into_owned();
    assert!(
        text.contains("isolation none (namespaces unavailable"),
        "{text}"
    );
}
