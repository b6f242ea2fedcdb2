//! The winit backend end to end: personas in a window of an X server (Xvfb),
//! drawn with GLES on Mesa's llvmpipe, picked by `--backend auto` because
//! `DISPLAY` is set. The window's pixels are read from the X server (`xwd`),
//! and keys typed into the window (`xdotool`) must switch personas.
//! Needs Debian's `xvfb`, `x11-apps` and `xdotool` (scripts/deps.sh).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WORK: [u8; 3] = [0x20, 0xc0, 0x40];
const PERSONAL: [u8; 3] = [0x80, 0x40, 0xe0];
/// personal's color, from the config below: its badge.
const PERSONAL_BADGE: [u8; 3] = [0xcc, 0x66, 0x33];

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn solid_client() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples/solid_client")
}

/// A free X display number: no socket in /tmp/.X11-unix, no lock file
/// (a stale one makes Xvfb refuse the number).
fn free_display() -> u32 {
    (90..200)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("a free X display")
}

/// The pixel at (x, y) of the X screen, read with `xwd` (ZPixmap, 32 bits
/// per pixel, as Xvfb at depth 24 gives).
fn x_pixel(display: &str, x: usize, y: usize) -> [u8; 3] {
    let out = Command::new("xwd")
        .args(["-root", "-silent", "-display", display])
        .output()
        .expect("xwd (Debian's x11-apps) runs");
    assert!(out.status.success(), "xwd: {out:?}");
    let d = out.stdout;
    let be = |at: usize| u32::from_be_bytes(d[at..at + 4].try_into().unwrap()) as usize;
    let (header, bits_per_pixel, bytes_per_line, ncolors) = (be(0), be(44), be(48), be(76));
    let byte_order_msb = be(28) == 1;
    assert_eq!(bits_per_pixel, 32, "xwd of a depth-24 screen");
    let at = header + ncolors * 12 + y * bytes_per_line + x * 4;
    let px = &d[at..at + 4];
    if byte_order_msb {
        [px[1], px[2], px[3]]
    } else {
        [px[2], px[1], px[0]]
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_window_in_a_desktop_shows_the_active_persona_and_takes_keys() {
    let client = solid_client();
    assert!(
        client.exists(),
        "{} is missing: build it with `cargo build --examples`",
        client.display()
    );
    let n = free_display();
    let display = format!(":{n}");
    let _xvfb = Kill(
        Command::new("Xvfb")
            .args([&display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (Debian's xvfb) starts"),
    );
    wait_for("Xvfb's socket", || {
        Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
    });

    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let session = |color: [u8; 3]| {
        format!(
            "[\"{}\", \"{:02x}{:02x}{:02x}\", \"ffffff\"]",
            client.display(),
            color[0],
            color[1],
            color[2]
        )
    };
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "indicator = \"badge\"\nswitch_notice = false\ntransition = \"slide\"\n[keys]\n\"Super+Ctrl+Right\" = \"next\"\n\
             [[persona]]\nname = \"work\"\ncolor = \"#3366cc\"\nisolation = \"none\"\nsession = {}\n\
             [[persona]]\nname = \"personal\"\ncolor = \"#cc6633\"\nisolation = \"none\"\nsession = {}\n",
            session(WORK),
            session(PERSONAL)
        ),
    )
    .unwrap();
    let control = runtime.join("control.sock");
    let log = std::fs::File::create(dir.path().join("personas.log")).unwrap();
    let _personas = Kill(
        Command::new(env!("CARGO_BIN_EXE_personas"))
            .args(["--backend", "auto", "--config"])
            .arg(&config)
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("PERSONAS_SOCKET", &control)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let msg = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_personas"))
            .arg("msg")
            .args(args)
            .env("PERSONAS_SOCKET", &control)
            .output()
            .unwrap()
    };
    let log_text = || std::fs::read_to_string(dir.path().join("personas.log")).unwrap_or_default();
    wait_for("the compositor answering", || {
        msg(&["list"]).status.success()
    });
    assert!(
        log_text().contains("winit output WINIT-1"),
        "{}",
        log_text()
    );

    // The window sits at the screen's top left (no window manager).
    let (x, y) = (200, 150);
    wait_for("work's client in the window", || {
        x_pixel(&display, x, y) == WORK
    });

    // A key typed into the window (focused first: there is no window
    // manager to give it focus): the binding switches.
    let xdotool = |args: &[&str]| {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &display)
            .output()
            .expect("xdotool (Debian's xdotool) runs");
        assert!(out.status.success(), "xdotool {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let window = xdotool(&["search", "--name", "^personas$"]);
    let window = window
        .lines()
        .next()
        .expect("the personas window")
        .to_string();
    xdotool(&["windowfocus", "--sync", &window]);
    let frames = || -> u64 {
        let stats = msg(&["stats", "--json"]);
        let text = String::from_utf8_lossy(&stats.stdout).to_string();
        let value: serde_json::Value = serde_json::from_str(&text).expect("stats as JSON");
        value["stats"]["frames_rendered"]
            .as_u64()
            .unwrap_or_else(|| panic!("frames_rendered in {text}"))
    };
    let before = frames();
    xdotool(&["key", "--clearmodifiers", "super+ctrl+Right"]);
    // The slide ends on the new persona alone.
    wait_for("personal's client after the hotkey", || {
        x_pixel(&display, x, y) == PERSONAL
    });
    let active = msg(&["active"]);
    assert_eq!(String::from_utf8_lossy(&active.stdout).trim(), "personal");
    // It took a frame per refresh for 150 ms (about 9 at 60 Hz, fewer when
    // llvmpipe is slow on a loaded machine; at least the first step, one in
    // between and the last), where a switch without a transition draws one.
    let drawn = frames() - before;
    assert!(drawn >= 2, "a slide of {drawn} frames");

    // Screenshots are drawn with the window's GLES and read back from it:
    // the persona on screen, and the one behind it.
    for (persona, color) in [("personal", PERSONAL), ("work", WORK)] {
        let file = dir.path().join(format!("{persona}.png"));
        let out = msg(&["screenshot", "--persona", persona, file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "screenshot --persona {persona}: {out:?}"
        );
        let decoder = png::Decoder::new(std::fs::File::open(&file).unwrap());
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgba);
        // Top left and bottom right both the persona's color (the readback's
        // orientation and byte order are tests/gles.rs's).
        for (px, py) in [
            (10usize, 10usize),
            (info.width as usize - 10, info.height as usize - 10),
        ] {
            let i = py * info.line_size + px * 4;
            assert_eq!(
                [buf[i], buf[i + 1], buf[i + 2]],
                color,
                "{persona}'s screenshot at ({px},{py})"
            );
        }
    }

    // Turned at run time (a rotation daemon): the window keeps its size and
    // the picture turns in it. The badge, at the upright top right, shows at
    // the window's top left, where a 90° turn puts it; GL's flipped rows are
    // still undone.
    let outputs = msg(&["outputs", "--json"]);
    let value: serde_json::Value = serde_json::from_slice(&outputs.stdout).unwrap();
    let width = value["outputs"][0]["width"].as_u64().unwrap() as usize;
    let badge_at = |x: usize, y: usize| x_pixel(&display, x, y) == PERSONAL_BADGE;
    wait_for("the badge at the top right", || badge_at(width - 8, 8));
    assert!(!badge_at(8, 8), "no badge at the top left before turning");
    let out = msg(&["output", "WINIT-1", "transform", "90"]);
    assert!(out.status.success(), "output WINIT-1 transform 90: {out:?}");
    wait_for("the badge at the top left after turning 90", || {
        badge_at(8, 8)
    });
    // The client draws for its turned size after its configure; until then
    // the persona's dimmed background shows where its old buffer ends.
    wait_for("personal's client, not the badge, at the top right", || {
        x_pixel(&display, width - 8, 8) == PERSONAL
    });
    let outputs = msg(&["outputs", "--json"]);
    let value: serde_json::Value = serde_json::from_slice(&outputs.stdout).unwrap();
    assert_eq!(value["outputs"][0]["transform"], "90");
    assert_eq!(
        value["outputs"][0]["width"].as_u64().unwrap() as usize,
        width
    );

    assert!(
        log_text().contains("no linux-dmabuf"),
        "llvmpipe has no render node, so no linux-dmabuf offer and a note saying so:\n{}",
        log_text()
    );
}
