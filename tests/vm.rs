//! End to end on real DRM/KMS: boots Debian's kernel under QEMU (TCG, no KVM)
//! with two virtio GPUs, a keyboard and a tablet, runs the freshly built binary there
//! with `--backend tty`, and checks from outside, through QEMU's screen dumps
//! and injected input, what a user would see: the active persona's client on
//! screen, the hotkey switching, a tap reaching only the persona on screen.
//! It also reads the switch latencies the compositor measured on a real page
//! flip path. It runs twice: with pixman on dumb buffers, each GPU drawing its
//! own screen, and with GLES (Mesa's llvmpipe), the first GPU drawing both.
//!
//! Opt in with `PERSONAS_VM_TEST=1` (then anything missing is a failure);
//! without it the test says it was skipped. It needs `qemu-system-x86`,
//! `linux-image-amd64` and `busybox-static`. The guest runs the host's own
//! root read-only over 9p, so the binary and its libraries run unchanged.
//! About 30 s (pixman) and 70 s (GLES) here:
//!
//! ```sh
//! cargo build --examples && PERSONAS_VM_TEST=1 cargo test --test vm
//! ```
//!
//! - `PERSONAS_VM_BINARY`: the compositor to test (default: this build's).
//! - `PERSONAS_VM_CLIENT`: the test client (default:
//!   `target/<profile>/examples/solid_client` of this build).
//! - `PERSONAS_VM_BUSYBOX`: a static busybox (default `/bin/busybox`).
//! - `PERSONAS_VM_RUST_LOG`: `RUST_LOG` for the compositor (default `info`).
//! - `PERSONAS_VM_UDEV=0`: no udevd in the guest (by default the host's runs
//!   there, as on a real system; libinput cannot use a device udev has not
//!   seen, even one it opens by path).
//! - `PERSONAS_VM_KEEP=1`: keep the work directory (console log, compositor
//!   and session logs, screen dumps) even when the test passes; it is always
//!   kept when it fails.

#[path = "vm/initramfs.rs"]
mod initramfs;
#[path = "vm/qmp.rs"]
mod qmp;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use personas::ipc::protocol::{Latency, PersonaInfo, Reply, Stats};
use serde_json::json;

use initramfs::Kernel;
use qmp::Qmp;

/// The guest's init script (stage 1 under busybox, stage 2 in the chroot).
const INIT: &str = include_str!("vm/init.sh");

type Rgb = [u8; 3];

/// The clients' colors: far apart from each other, from the persona frame
/// colors and from black, so no other pixel can pass for them.
const WORK_COLOR: Rgb = [0x20, 0xc0, 0x40];
/// The personas' own colors (their frames), from the config below.
const WORK_FRAME: Rgb = [0x33, 0x66, 0xcc];
const PERSONAL_FRAME: Rgb = [0xcc, 0x66, 0x33];
const WORK_CLICKED: Rgb = [0xe0, 0xe0, 0x20];
const PERSONAL_COLOR: Rgb = [0x80, 0x40, 0xe0];
const PERSONAL_CLICKED: Rgb = [0x20, 0xd0, 0xd0];
/// What shows between the overview's thumbnails (`render::overview`).
const OVERVIEW_BACKGROUND: Rgb = [20, 20, 20];
/// Per channel; the path from an shm buffer to QEMU's dump is exact, so this
/// only forgives a dithering or rounding step somewhere.
const TOLERANCE: u8 = 6;

/// The page flip event the compositor drops (`PERSONAS_TEST_LOSE_PAGE_FLIP`),
/// among the first frames.
const LOST_FLIP: u32 = 3;

/// A TCG boot reaches init in a few seconds; a boot that hangs is retried.
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);
const BOOT_ATTEMPTS: u32 = 2;
/// Loading a debug binary over 9p and starting two sessions, emulated.
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// One switch or tap becoming visible, or one guest command.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// Hotkey switches timed at the end. Fewer with GLES: llvmpipe under TCG
/// takes about a second per frame.
fn switches(renderer: Renderer) -> usize {
    match renderer {
        Renderer::Pixman => 20,
        Renderer::Gles => 6,
    }
}
/// The mode the config picks for connector Virtual-1.
const SCREEN_SIZE: (usize, usize) = (1024, 768);

/// The virtio GPU's QEMU id. `input-send-event`'s `device` names a display
/// console, so the GPU: an input device's id is refused ("not bound to a
/// QemuConsole"). Naming it keeps the events on this display's console.
const GPU_ID: &str = "gpu0";
/// The second GPU's: its connector (Virtual-2) is drawn by pixman in one run and by the first GPU's GLES in the other.
const SECOND_GPU_ID: &str = "gpu1";
/// The tablet's absolute axes run from 0 to this.
const ABS_MAX: i64 = 0x7fff;

/// Writes to the real stderr: libtest captures `println!`/`eprintln!` of
/// passing tests, and these lines (skipped, latencies) are meant to be seen.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// What the compositor draws with in the guest.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Renderer {
    /// pixman on dumb buffers.
    Pixman,
    /// GLES on GBM buffers: Mesa's llvmpipe through kms_swrast, since the
    /// virtio GPU has no 3D here; with a crossfade on every switch.
    Gles,
}

/// pixman on dumb buffers: what runs where there is no GL.
#[test]
fn tty_backend_in_a_vm() {
    run_vm(Renderer::Pixman);
}

/// GLES on GBM buffers, the renderer of a machine with a GPU, and the
/// crossfade transition on every switch.
#[test]
fn tty_backend_in_a_vm_with_gles() {
    run_vm(Renderer::Gles);
}

/// One VM at a time: two emulated guests on two cores would starve each other.
static ONE_VM: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_vm(renderer: Renderer) {
    let _one = ONE_VM
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if std::env::var("PERSONAS_VM_TEST").as_deref() != Ok("1") {
        report(
            "vm test skipped: set PERSONAS_VM_TEST=1 to boot the tty backend under QEMU \
             (needs qemu-system-x86, linux-image-amd64, busybox-static)",
        );
        return;
    }
    let started = Instant::now();
    let setup = Setup::find().unwrap_or_else(|e| panic!("PERSONAS_VM_TEST=1, but {e}"));
    let work = Workdir::new(&setup, renderer).unwrap_or_else(|e| panic!("preparing the VM: {e}"));
    let result = work.boot(&setup).and_then(|mut vm| {
        scenario(&mut vm, renderer).map_err(|e| format!("{e}\n{}", vm.diagnostics()))
    });
    match result {
        Ok(()) => {
            report(&format!(
                "vm test ({renderer:?}) passed in {:.1} s",
                started.elapsed().as_secs_f64()
            ));
            work.finish(false);
        }
        Err(e) => {
            let kept = work.finish(true);
            panic!("{e}\n(work directory kept: {})", kept.display());
        }
    }
}

/// The checks, once the guest runs.
fn scenario(vm: &mut Vm, renderer: Renderer) -> Result<(), String> {
    report(&format!("guest facts:\n{}", vm.read_share("guest-facts")));
    vm.wait_for_compositor()?;
    let drawing = match renderer {
        Renderer::Pixman => "drawing with pixman",
        Renderer::Gles => "drawing with GLES",
    };
    let dump = |name: &str| match renderer {
        Renderer::Pixman => name.to_string(),
        Renderer::Gles => format!("gles-{name}"),
    };
    let log = vm.read_share("compositor.log");
    if !log.contains(drawing) {
        return Err(format!("the compositor is not {drawing}:\n{log}"));
    }
    vm.wait_for_color(WORK_COLOR, "work's client on screen at start")?;
    report(&format!(
        "both clients mapped, work's on screen: {:.1} s after QEMU started",
        vm.started.elapsed().as_secs_f64()
    ));
    // QEMU's virtio GPU prefers 1280x800; this size comes from the config.
    let screen = vm.screendump()?;
    if (screen.width, screen.height) != SCREEN_SIZE {
        return Err(format!(
            "the screen is {}x{}, the config asks Virtual-1 for {}x{}",
            screen.width, screen.height, SCREEN_SIZE.0, SCREEN_SIZE.1
        ));
    }

    vm.keep_dump(&dump("work"))?;
    gpu_buffers_used(vm)?;
    // The lost flip may come later than the first frames when the machine
    // is slow; the watchdog then takes it as shown.
    let asked = Instant::now();
    loop {
        let log = vm.read_share("compositor.log");
        let lost = log.find("lost on purpose");
        if lost.is_some_and(|at| log[at..].contains("taking it as shown")) {
            break;
        }
        if asked.elapsed() > STEP_TIMEOUT {
            return Err(format!(
                "page flip {LOST_FLIP} was to be lost and the watchdog to take it as shown:\n{log}"
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    if renderer == Renderer::Gles {
        // Reported, not required (it is 0 here): the frame indicator
        // keeps the window from covering the screen, virtio-gpu has no
        // overlay plane, and Mesa's kms_swrast offers only the implicit
        // modifier, whose buffers are never given to KMS (their layout is
        // unknown; weston refuses them too). Without the frame the import
        // is tried and refused for that reason.
        let scanned = vm.stats()?.frames_scanned_out;
        report(&format!(
            "frames scanned out directly with work on screen: {scanned}"
        ));
    }
    second_gpu_shows(vm, WORK_FRAME, "work")?;
    if renderer == Renderer::Gles {
        // Both GPUs have GLES (kms_swrast): the primary's draws for both,
        // smithay's MultiRenderer copying each frame to the second.
        let log = vm.read_share("compositor.log");
        if !log.contains("drawn by another GPU's GLES") {
            return Err(format!(
                "Virtual-2 is not drawn by the primary GPU's GLES:\n{log}"
            ));
        }
    }

    vm.switch_hotkey()?;
    vm.wait_for_color(PERSONAL_COLOR, "personal's client after Super+Ctrl+Right")?;
    vm.expect_active("personal")?;
    vm.keep_dump(&dump("personal"))?;
    background_screenshot_shows_gpu_buffer(vm)?;
    second_gpu_shows(vm, PERSONAL_FRAME, "personal")?;

    vm.tap_center()?;
    vm.wait_for_color(
        PERSONAL_CLICKED,
        "personal's client in its clicked color after a tablet tap",
    )?;
    let personal_log = vm.session_log("personal");
    if !personal_log.contains("pressed") {
        return Err(format!(
            "personal's client changed color but its log shows no press:\n{personal_log}"
        ));
    }
    // BTN_RIGHT: `[input.mouse] left_handed = true` was applied by libinput.
    if !personal_log.contains("pointer button 0x111 pressed") {
        return Err(format!(
            "the tap's left button was not swapped by left_handed = true:\n{personal_log}"
        ));
    }

    // The tap must not have reached the persona in the background.
    vm.switch_hotkey()?;
    vm.wait_for_color(WORK_COLOR, "work's client, untouched, after switching back")?;
    let work_log = vm.session_log("work");
    if work_log.contains("pressed") || work_log.contains("touch down") {
        return Err(format!(
            "work's client got input meant for personal:\n{work_log}"
        ));
    }

    // The overview: its background in the corners, where the frame
    // indicator was; Escape closes it on the persona it opened on.
    vm.send_keys(&["meta_l", "ctrl", "o"])?;
    vm.wait_for_at(
        Screen::corners,
        OVERVIEW_BACKGROUND,
        "the overview's background",
    )?;
    vm.keep_dump(&dump("overview"))?;
    vm.send_keys(&["esc"])?;
    vm.wait_for_color(WORK_COLOR, "work again after Escape closed the overview")?;
    vm.expect_active("work")?;

    // A VT switch: Ctrl+Alt+F2 gives the display to the text console (the
    // session pauses), Ctrl+Alt+F1 takes it back, everything as it was.
    vm.send_keys(&["ctrl", "alt", "f2"])?;
    vm.wait_until_gone(WORK_COLOR, "the console after Ctrl+Alt+F2")?;
    vm.send_keys(&["ctrl", "alt", "f1"])?;
    vm.wait_for_color(WORK_COLOR, "work again after Ctrl+Alt+F1")?;
    vm.expect_active("work")?;
    let log = vm.read_share("compositor.log");
    if !log.contains("session paused") || !log.contains("session active again") {
        return Err(format!(
            "the VT switch did not pause and resume the session:\n{log}"
        ));
    }

    // Power: `off` turns the CRTC off (DPMS), `on` shows everything again;
    // with a second output, only Virtual-1 goes dark.
    vm.msg("output Virtual-1 off")?;
    vm.wait_until_gone(WORK_COLOR, "nothing after `output Virtual-1 off`")?;
    if !vm
        .read_share("compositor.log")
        .contains("output off (DPMS)")
    {
        return Err("`output off` did not turn the output off by DPMS".into());
    }
    // Another output shows: it alone goes dark; the second GPU's stays.
    second_gpu_shows(vm, WORK_FRAME, "work")?;
    // The overview shows where something is on, not on the dark primary.
    vm.send_keys(&["meta_l", "ctrl", "o"])?;
    overview_on_second_gpu(vm)?;
    vm.send_keys(&["esc"])?;
    second_gpu_shows(vm, WORK_FRAME, "work")?;
    vm.msg("output Virtual-1 on")?;
    vm.wait_for_color(WORK_COLOR, "work again after `output Virtual-1 on`")?;

    second_gpu_unplugged_and_back(vm)?;

    let mut seen = Vec::new();
    let switches = switches(renderer);
    for i in 0..switches {
        let (want, what) = if i % 2 == 0 {
            (PERSONAL_CLICKED, "personal (clicked) after a hotkey switch")
        } else {
            (WORK_COLOR, "work after a hotkey switch")
        };
        let sent = Instant::now();
        vm.switch_hotkey()?;
        vm.wait_for_color(want, &format!("switch {}: {what}", i + 1))?;
        seen.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    vm.expect_active("work")?;

    let stats = vm.stats()?;
    seen.sort_by(f64::total_cmp);
    report(&format!(
        "{switches} hotkey switches seen in screen dumps (QMP send-key → dump shows the \
         color, polling): median {:.0} ms, worst {:.0} ms",
        seen[seen.len() / 2],
        seen[seen.len() - 1]
    ));
    report(&format!(
        "compositor stats: {} switches, {} frames rendered, uptime {:.1} s",
        stats.switches, stats.frames_rendered, stats.uptime_s
    ));
    for (name, latency) in stats.latencies() {
        report(&format!("  {name}: {}", describe(latency)));
    }
    let expected = switches as u64 + 2;
    if stats.switches < expected {
        return Err(format!(
            "the compositor counted {} switches, expected at least {expected}",
            stats.switches
        ));
    }
    for (name, latency) in [
        ("input-to-render", &stats.switch_input_to_render_ms),
        ("switch-to-present (page flip)", &stats.switch_to_present_ms),
    ] {
        if latency.count < expected {
            return Err(format!(
                "only {} switches have a {name} latency, expected {expected}",
                latency.count
            ));
        }
    }
    badge_on_a_plane(vm)
}

/// With `indicator = "badge"` (after a reload), the badge goes on a cursor
/// plane where the pointer is not (Virtual-2; Virtual-1 once the pointer
/// hides), so it forces no compositing: the kernel took the atomic commit
/// with it there.
fn badge_on_a_plane(vm: &mut Vm) -> Result<(), String> {
    let before = vm.stats()?.frames_badge_on_plane;
    if before != 0 {
        return Err(format!(
            "{before} frames had a badge on a plane while the indicator was the frame"
        ));
    }
    let path = vm.share.join("config.toml");
    let config = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let badge = config.replace("indicator = \"frame\"", "indicator = \"badge\"");
    std::fs::write(&path, badge).map_err(|e| e.to_string())?;
    vm.msg("reload")?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let on_plane = vm.stats()?.frames_badge_on_plane;
        if on_plane > 0 {
            report(&format!("frames with the badge on a plane: {on_plane}"));
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no frame had the badge on a plane of its own:\n{}",
                vm.read_share("compositor.log")
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// work's color on screen came from a dmabuf: the compositor offered
/// linux-dmabuf from the GPU, the client found XRGB8888 (LINEAR or implicit) in the
/// feedback's format table, and its buffer was imported (`created`, not
/// `failed`) and drawn. Whether explicit sync was offered is reported.
fn gpu_buffers_used(vm: &mut Vm) -> Result<(), String> {
    let log = vm.read_share("compositor.log");
    let offered = log
        .lines()
        .find(|l| l.contains("linux-dmabuf offered"))
        .ok_or_else(|| format!("the compositor offered no linux-dmabuf:\n{log}"))?;
    report(&format!("compositor: {}", offered.trim()));
    if let Some(syncobj) = log.lines().find(|l| l.contains("drm-syncobj")) {
        report(&format!("compositor: {}", syncobj.trim()));
    }
    let work = vm.session_log("work");
    for want in [
        "dmabuf feedback: main device",
        "dmabuf buffer created",
        "(dmabuf)",
    ] {
        if !work.contains(want) {
            return Err(format!(
                "work's client did not draw through linux-dmabuf (no {want:?} in its log):\n{work}"
            ));
        }
    }
    if let Some(line) = work.lines().find(|l| l.contains("dmabuf feedback")) {
        report(&format!("work's client: {}", line.trim()));
    }
    Ok(())
}

/// `screenshot --persona work` while personal is on screen: work is drawn
/// anew by the renderer that draws the screen (GLES reads back what it
/// imported; pixman maps the linear buffer), dmabuf and all.
fn background_screenshot_shows_gpu_buffer(vm: &mut Vm) -> Result<(), String> {
    let path = vm.share.join("work-screenshot.png");
    let script = format!(
        "{} msg screenshot {} --persona work",
        sh_quote(&vm.binary.to_string_lossy()),
        sh_quote(&path.to_string_lossy())
    );
    let (rc, out) = vm.run(&script)?;
    if rc != 0 {
        return Err(format!(
            "`personas msg screenshot --persona work` failed ({rc}): {out}"
        ));
    }
    let shot = load_png(&path)?;
    for (x, y) in shot.probes() {
        let got = shot.pixel(x, y);
        if !close(got, WORK_COLOR) {
            return Err(format!(
                "`screenshot --persona work` shows {got:?} at ({x},{y}), not work's dmabuf client {WORK_COLOR:?}"
            ));
        }
    }
    Ok(())
}

/// The overview on the second GPU's output (Virtual-1 is off): its
/// background in the corner, work's thumbnail (its client's color) in the
/// first cell.
fn overview_on_second_gpu(vm: &mut Vm) -> Result<(), String> {
    wait_for_second_gpu(vm, |screen| {
        // Thumbnails of the primary's picture, on Virtual-2's grid.
        let cells = personas::render::overview::layout(
            2,
            (screen.width as i32, screen.height as i32).into(),
            (SCREEN_SIZE.0 as i32, SCREEN_SIZE.1 as i32).into(),
        );
        let cell = cells[0].cell;
        let (x, y) = (cell.loc.x + cell.size.w / 2, cell.loc.y + cell.size.h / 2);
        let corner = screen.pixel(1, 1);
        let thumbnail = screen.pixel(x as usize, y as usize);
        if close(corner, OVERVIEW_BACKGROUND) && close(thumbnail, WORK_COLOR) {
            return Ok(());
        }
        Err(format!(
            "with Virtual-1 off, Virtual-2 shows {corner:?} at its corner and {thumbnail:?} \
             at ({x},{y}), expected the overview's background {OVERVIEW_BACKGROUND:?} and \
             work's thumbnail {WORK_COLOR:?}"
        ))
    })
}

/// Dumps the second GPU's screen until `check` passes it; after
/// `STEP_TIMEOUT`, `check`'s last complaint.
fn wait_for_second_gpu(
    vm: &mut Vm,
    check: impl Fn(&Screen) -> Result<(), String>,
) -> Result<(), String> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let screen = vm.screendump_of(SECOND_GPU_ID)?;
        match check(&screen) {
            Ok(()) => return Ok(()),
            Err(why) if Instant::now() > deadline => return Err(why),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// The second GPU's output sits right of the first and shows `persona`
/// (which has no window there): its frame and its dimmed color inside.
fn second_gpu_shows(vm: &mut Vm, frame: Rgb, persona: &str) -> Result<(), String> {
    let Reply::Outputs { outputs } = vm.msg("outputs")? else {
        return Err("`outputs` gave another reply".into());
    };
    // The kernel numbers the second GPU's connector on (Virtual-2).
    let listed: Vec<(String, i32, i32)> =
        outputs.iter().map(|o| (o.name.clone(), o.x, o.y)).collect();
    let want = [
        ("Virtual-1".to_string(), 0, 0),
        ("Virtual-2".to_string(), SCREEN_SIZE.0 as i32, 0),
    ];
    if listed != want {
        return Err(format!("outputs {listed:?}, expected {want:?}"));
    }
    let inside = frame.map(|c| (c as f32 * 0.25).round() as u8);
    wait_for_second_gpu(vm, |screen| {
        let (w, h) = (screen.width, screen.height);
        let corner = screen.pixel(1, 1);
        let middle = screen.pixel(w / 2, h / 2);
        if close(corner, frame) && close(middle, inside) {
            return Ok(());
        }
        Err(format!(
            "the second GPU's {w}x{h} screen shows {corner:?} at its corner and {middle:?} \
             in the middle, expected {persona}'s frame {frame:?} and {inside:?}"
        ))
    })
}

/// The second GPU unplugged, as an external GPU or a USB display adapter
/// is: its output goes while Virtual-1 goes on showing work; plugged in
/// again, the output comes back under its old name (the compositor closed
/// the old device, so the kernel freed its names) and shows work again.
/// The switches timed afterwards run with the GPU plugged in anew.
///
/// QEMU refuses to hot-unplug a display device, so the guest's kernel
/// removes the PCI device and finds it again by a rescan: the same driver
/// unplug and probe, and the same udev events, as a GPU unplugged and
/// plugged in.
fn second_gpu_unplugged_and_back(vm: &mut Vm) -> Result<(), String> {
    // Unplugged at rest: a frame being copied into the GPU's buffers as the
    // kernel takes their memory away faults (in Mesa's software GL too),
    // which no check can close entirely; the compositor looks before each
    // frame (`unplugged`) and udev tells it soon after.
    vm.wait_until_idle()?;
    vm.run_ok("echo 1 > \"$(readlink -f /sys/class/drm/card1/device)/remove\"")?;
    vm.wait_for_outputs(&[("Virtual-1", 0, 0)], "the second GPU was unplugged")?;
    if !vm.read_share("compositor.log").contains("GPU removed") {
        return Err("Virtual-2 went, but the compositor did not see its GPU go".into());
    }
    vm.wait_for_color(WORK_COLOR, "work on Virtual-1 after the second GPU went")?;
    another_seats_gpu_left_alone(vm)?;
    vm.run_ok("echo 1 > /sys/bus/pci/rescan")?;
    let width = SCREEN_SIZE.0 as i32;
    vm.wait_for_outputs(
        &[("Virtual-1", 0, 0), ("Virtual-2", width, 0)],
        "the second GPU was plugged in again",
    )?;
    let log = vm.read_share("compositor.log");
    if !log.contains("GPU plugged in") {
        return Err(format!(
            "Virtual-2 is back, but not from a GPU plugged in:\n{log}"
        ));
    }
    // Both GPUs draw the same formats here, so the offer stays (how it
    // follows GPUs that differ is `tests/dmabuf.rs`'s); work's dmabuf
    // client goes on showing, in the switches that follow.
    second_gpu_shows(vm, WORK_FRAME, "work")?;
    report(&format!(
        "second GPU unplugged and plugged in again: Virtual-2 gone and back ({:.1} s into the run)",
        vm.started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// On a multi-seat machine udev gives a GPU to another seat (`ID_SEAT`):
/// plugged in there, it is not ours, as at start. Plugged in with a udev
/// rule saying seat1, it must stay without an output; the rule gone, it is
/// unplugged again for the caller to plug in.
fn another_seats_gpu_left_alone(vm: &mut Vm) -> Result<(), String> {
    const RULE: &str = "/run/udev/rules.d/71-personas-test-seat1.rules";
    vm.run_ok(&format!(
        "mkdir -p /run/udev/rules.d && \
         echo 'SUBSYSTEM==\"drm\", KERNEL==\"card[1-9]*\", ENV{{ID_SEAT}}=\"seat1\"' > {RULE} && \
         udevadm control --reload && echo 1 > /sys/bus/pci/rescan && udevadm settle --timeout=60"
    ))?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    while !vm
        .read_share("compositor.log")
        .contains("a new GPU belongs to another seat")
    {
        if Instant::now() > deadline {
            return Err(format!(
                "a GPU plugged in on seat1 was not seen as another seat's:\n{}",
                vm.read_share("compositor.log")
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let Reply::Outputs { outputs } = vm.msg("outputs")? else {
        return Err("`outputs` gave another reply".into());
    };
    let names: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
    if names != ["Virtual-1"] {
        return Err(format!("seat1's GPU became outputs of seat0: {names:?}"));
    }
    vm.run_ok(&format!(
        "rm {RULE} && udevadm control --reload && \
         echo 1 > \"$(readlink -f /sys/class/drm/card1/device)/remove\" && udevadm settle --timeout=60"
    ))
}

fn describe(latency: &Latency) -> String {
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    format!(
        "count {}, median {}, worst {}, last {}",
        latency.count,
        ms(latency.median),
        ms(latency.worst),
        ms(latency.last)
    )
}

/// Everything the test needs from the host, found before anything starts.
struct Setup {
    qemu: PathBuf,
    kernel: Kernel,
    busybox: PathBuf,
    binary: PathBuf,
    client: PathBuf,
}

impl Setup {
    fn find() -> Result<Setup, String> {
        let mut missing = Vec::new();
        let qemu = find_in_path("qemu-system-x86_64");
        if qemu.is_none() {
            missing.push("qemu-system-x86_64 is not in PATH (install qemu-system-x86)".into());
        }
        let kernel = initramfs::find_kernel().map_err(|e| missing.push(e)).ok();
        let busybox = PathBuf::from(
            std::env::var("PERSONAS_VM_BUSYBOX").unwrap_or_else(|_| "/bin/busybox".into()),
        );
        if !busybox.exists() {
            missing.push(format!(
                "{} does not exist (install busybox-static)",
                busybox.display()
            ));
        }
        let binary = std::env::var_os("PERSONAS_VM_BINARY")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_personas")));
        let client = std::env::var_os("PERSONAS_VM_CLIENT")
            .map(PathBuf::from)
            .unwrap_or_else(default_client);
        for (path, hint) in [
            (&binary, "the compositor"),
            (
                &client,
                "the test client: `cargo build --examples`; plain `cargo test` builds it too",
            ),
        ] {
            if !path.is_file() {
                missing.push(format!("{} ({hint}) does not exist", path.display()));
            }
        }
        match (qemu, kernel, missing.is_empty()) {
            (Some(qemu), Some(kernel), true) => Ok(Setup {
                qemu,
                kernel,
                busybox,
                binary: absolute(&binary),
                client: absolute(&client),
            }),
            _ => Err(missing.join("; ")),
        }
    }
}

/// `target/<profile>/examples/solid_client`, next to this test's own
/// `target/<profile>/deps/vm-…`.
fn default_client() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    profile_dir.join("examples/solid_client")
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// Quotes a word for the guest's `sh`.
fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

fn config(client: &Path, renderer: Renderer) -> String {
    let session = |flags: &str, color: Rgb, clicked: Rgb| {
        format!(
            "[{}, {flags}\"{}\", \"{}\"]",
            serde_json::to_string(&client.to_string_lossy()).unwrap(),
            hex(color),
            hex(clicked)
        )
    };
    format!(
        r##"# Written by tests/vm.rs.
# The switch notice would cover the middle of the screen, where the test looks.
switch_notice = false
indicator = "frame"
{renderer}

[outputs."Virtual-1"]
mode = "{width}x{height}"

# The pointer hides when unused (the probes never see it either way).
[input]
hide_cursor_after_ms = 500

# Device settings reach libinput: the tablet's left button becomes the right.
[input.mouse]
left_handed = true

[keys]
"Super+Ctrl+Right" = "next"
"Super+Ctrl+1" = {{ switch = "work" }}
"Super+Ctrl+2" = {{ switch = "personal" }}
"Super+Ctrl+o" = "overview"

[[persona]]
name = "work"
color = "#3366cc"
isolation = "none"
restart = "never"
session = {work}

[[persona]]
name = "personal"
color = "#cc6633"
isolation = "none"
restart = "never"
session = {personal}
"##,
        // work's client draws into GPU buffers (linux-dmabuf), personal's into shm.
        work = session("\"--dmabuf\", ", WORK_COLOR, WORK_CLICKED),
        personal = session("", PERSONAL_COLOR, PERSONAL_CLICKED),
        width = SCREEN_SIZE.0,
        height = SCREEN_SIZE.1,
        renderer = match renderer {
            Renderer::Pixman => "renderer = \"pixman\"",
            Renderer::Gles => "renderer = \"gles\"\ntransition = \"crossfade\"",
        },
    )
}

fn hex(color: Rgb) -> String {
    format!("{:02x}{:02x}{:02x}", color[0], color[1], color[2])
}

/// The per-test directory: the initramfs, QEMU's logs and sockets, and the
/// share the guest sees at the same path (config, commands, logs).
struct Workdir {
    dir: tempfile::TempDir,
    share: PathBuf,
    initramfs: PathBuf,
}

/// Files the guest writes into the share; cleared before a boot is retried.
const GUEST_FILES: &[&str] = &[
    "guest-facts",
    "guest-ready",
    "compositor.log",
    "compositor.exit",
];

impl Workdir {
    fn new(setup: &Setup, renderer: Renderer) -> Result<Workdir, String> {
        let dir = tempfile::Builder::new()
            .prefix("personas-vm.")
            .tempdir()
            .map_err(|e| format!("creating a temp dir: {e}"))?;
        let share = absolute(dir.path()).join("share");
        std::fs::create_dir(&share).map_err(|e| e.to_string())?;
        let write = |name: &str, text: &str| {
            std::fs::write(share.join(name), text).map_err(|e| format!("writing {name}: {e}"))
        };
        let config_path = share.join("config.toml");
        write("config.toml", &config(&setup.client, renderer))?;
        // Host directories hidden in the guest by its tmpfs /tmp and /run.
        let mut keep: Vec<PathBuf> = Vec::new();
        for file in [&setup.binary, &setup.client] {
            let parent = file.parent().unwrap().to_path_buf();
            if (parent.starts_with("/tmp") || parent.starts_with("/run"))
                && !keep.iter().any(|k| parent.starts_with(k))
            {
                keep.retain(|k| !k.starts_with(&parent));
                keep.push(parent);
            }
        }
        let keep: Vec<String> = keep
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        for path in keep.iter().chain([&share.to_string_lossy().into_owned()]) {
            if path.chars().any(|c| c.is_whitespace() || c == '\'') {
                return Err(format!(
                    "the VM test cannot share a path with blanks: {path}"
                ));
            }
        }
        write(
            "vm.env",
            &format!(
                "VM_SHARE={}\nVM_KEEP={}\nVM_UDEV={}\n",
                sh_quote(&share.to_string_lossy()),
                sh_quote(&keep.join(" ")),
                if std::env::var("PERSONAS_VM_UDEV").as_deref() == Ok("0") {
                    0
                } else {
                    1
                }
            ),
        )?;
        let rust_log = std::env::var("PERSONAS_VM_RUST_LOG").unwrap_or_else(|_| "info".into());
        write(
            "start.sh",
            &format!(
                // One page flip is lost on purpose, as a broken driver
                // would: the watchdog must get the screen going again.
                "ulimit -c unlimited\nexec env RUST_LOG={} RUST_BACKTRACE=1 NO_COLOR=1 PERSONAS_TEST_LOSE_PAGE_FLIP={LOST_FLIP} \
                 {} --backend tty --config {}\n",
                sh_quote(&rust_log),
                sh_quote(&setup.binary.to_string_lossy()),
                sh_quote(&config_path.to_string_lossy()),
            ),
        )?;
        let initramfs = dir.path().join("initramfs.cpio");
        initramfs::build(&setup.kernel, &setup.busybox, INIT, &initramfs)?;
        Ok(Workdir {
            dir,
            share,
            initramfs,
        })
    }

    /// Boots the guest until its command loop answers, retrying a boot that
    /// hangs or dies (TCG on a loaded machine); later steps are not retried.
    fn boot(&self, setup: &Setup) -> Result<Vm, String> {
        let mut last_error = String::new();
        for attempt in 1..=BOOT_ATTEMPTS {
            for name in GUEST_FILES {
                let _ = std::fs::remove_file(self.share.join(name));
            }
            let _ = std::fs::remove_dir_all(self.share.join("state"));
            let mut vm = Vm::start(self, setup)?;
            match vm.wait_for_file("guest-ready", BOOT_TIMEOUT) {
                Ok(()) => return Ok(vm),
                Err(e) => {
                    last_error = format!("boot attempt {attempt}: {e}\n{}", vm.diagnostics());
                    report(&format!(
                        "vm boot attempt {attempt} of {BOOT_ATTEMPTS} failed: {e}"
                    ));
                }
            }
        }
        Err(last_error)
    }

    /// Removes the directory, unless it is kept (on failure, or when asked);
    /// returns where it is.
    fn finish(self, failed: bool) -> PathBuf {
        if failed || std::env::var("PERSONAS_VM_KEEP").as_deref() == Ok("1") {
            let path = self.dir.keep();
            report(&format!("vm work directory kept: {}", path.display()));
            path
        } else {
            self.dir.path().to_path_buf()
        }
    }
}

/// A running guest; QEMU is killed when this is dropped.
struct Vm {
    qemu: Child,
    started: Instant,
    qmp: Qmp,
    dir: PathBuf,
    share: PathBuf,
    binary: PathBuf,
    next_command: u32,
    screens: u32,
}

impl Drop for Vm {
    fn drop(&mut self) {
        let _ = self.qemu.kill();
        let _ = self.qemu.wait();
    }
}

/// A decoded screen dump, RGB.
struct Screen {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Screen {
    fn pixel(&self, x: usize, y: usize) -> Rgb {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Near the middle and four points halfway to the corners: all inside a
    /// full-size client, none on the frame indicator. The pointer starts in
    /// the middle (and the tap lands there) with its image drawn down and to
    /// the right of it, so the first point sits just up and left of it.
    fn probes(&self) -> [(usize, usize); 5] {
        let (w, h) = (self.width, self.height);
        [
            (w / 2 - 24, h / 2 - 24),
            (w / 4, h / 4),
            (3 * w / 4, h / 4),
            (w / 4, 3 * h / 4),
            (3 * w / 4, 3 * h / 4),
        ]
    }
}

impl Screen {
    /// Just inside each corner and the top edge: the frame indicator, or the
    /// overview's background.
    fn corners(&self) -> [(usize, usize); 5] {
        let (w, h) = (self.width, self.height);
        [(2, 2), (w - 3, 2), (2, h - 3), (w - 3, h - 3), (w / 2, 2)]
    }
}

/// A PNG (QEMU's screen dump, `personas msg screenshot`), as RGB.
fn load_png(path: &Path) -> Result<Screen, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader = png::Decoder::new(file)
        .read_info()
        .map_err(|e| format!("decoding {}: {e}", path.display()))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("decoding {}: {e}", path.display()))?;
    let channels = match (info.color_type, info.bit_depth) {
        (png::ColorType::Rgb, png::BitDepth::Eight) => 3,
        (png::ColorType::Rgba, png::BitDepth::Eight) => 4,
        other => return Err(format!("unexpected PNG format {other:?}")),
    };
    let (width, height) = (info.width as usize, info.height as usize);
    let mut rgb = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        let row = &buf[y * info.line_size..][..width * channels];
        for px in row.chunks_exact(channels) {
            rgb.extend_from_slice(&px[..3]);
        }
    }
    Ok(Screen { width, height, rgb })
}

fn close(a: Rgb, b: Rgb) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= TOLERANCE)
}

impl Vm {
    fn start(work: &Workdir, setup: &Setup) -> Result<Vm, String> {
        let dir = work.dir.path().to_path_buf();
        let qmp_path = dir.join("qmp.sock");
        let _ = std::fs::remove_file(&qmp_path);
        let started = Instant::now();
        let qemu_log = std::fs::File::create(dir.join("qemu.log")).map_err(|e| e.to_string())?;
        let fsdev = |id: &str, path: &Path, readonly: bool| {
            format!(
                "local,id={id},path={},security_model=none,multidevs=remap{}",
                path.display(),
                if readonly { ",readonly=on" } else { "" }
            )
        };
        let mut command = Command::new(&setup.qemu);
        command
            .args(["-nodefaults", "-no-user-config", "-machine", "q35"])
            .args(["-accel", "tcg", "-m", "1536", "-smp", "2"])
            .arg("-kernel")
            .arg(&setup.kernel.image)
            .arg("-initrd")
            .arg(&work.initramfs)
            .args(["-append", "console=ttyS0 panic=-1 loglevel=6"])
            .args(["-display", "none", "-no-reboot"])
            .args(["-device", &format!("virtio-gpu-pci,id={GPU_ID}")])
            // The second GPU after the first, so it is card1 in the guest.
            .args(["-device", &format!("virtio-gpu-pci,id={SECOND_GPU_ID}")])
            .args(["-device", "virtio-keyboard-pci,id=keyboard0"])
            .args(["-device", "virtio-tablet-pci,id=tablet0"])
            .args(["-fsdev", &fsdev("hostroot", Path::new("/"), true)])
            .args(["-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot"])
            .args(["-fsdev", &fsdev("share", &work.share, false)])
            .args(["-device", "virtio-9p-pci,fsdev=share,mount_tag=share"])
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", qmp_path.display()))
            .arg("-serial")
            .arg(format!("file:{}", dir.join("console.log").display()))
            .stdin(Stdio::null())
            .stdout(qemu_log.try_clone().map_err(|e| e.to_string())?)
            .stderr(qemu_log);
        let mut qemu = command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", setup.qemu.display()))?;
        let qmp = match Qmp::connect(&qmp_path, Duration::from_secs(20)) {
            Ok(qmp) => qmp,
            Err(e) => {
                let _ = qemu.kill();
                let _ = qemu.wait();
                let log = std::fs::read_to_string(dir.join("qemu.log")).unwrap_or_default();
                return Err(format!("{e}\nqemu said:\n{log}"));
            }
        };
        Ok(Vm {
            qemu,
            started,
            qmp,
            dir,
            share: work.share.clone(),
            binary: setup.binary.clone(),
            next_command: 0,
            screens: 0,
        })
    }

    fn read_share(&self, name: &str) -> String {
        std::fs::read_to_string(self.share.join(name)).unwrap_or_default()
    }

    /// Fails at once when QEMU is gone (a guest panic powers it off).
    fn check_alive(&mut self) -> Result<(), String> {
        match self.qemu.try_wait() {
            Ok(Some(status)) => Err(format!("QEMU exited ({status})")),
            _ => Ok(()),
        }
    }

    fn wait_for_file(&mut self, name: &str, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        while !self.share.join(name).exists() {
            self.check_alive()?;
            if start.elapsed() > timeout {
                return Err(format!(
                    "the guest did not write {name} within {} s",
                    timeout.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Runs a shell script in the guest (in the chroot, with the compositor's
    /// environment) and returns its exit status and output.
    fn run(&mut self, script: &str) -> Result<(i32, String), String> {
        self.next_command += 1;
        let base = self.share.join(format!("cmd-{}", self.next_command));
        let tmp = base.with_extension("tmp");
        std::fs::write(&tmp, script).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, base.with_extension("sh")).map_err(|e| e.to_string())?;
        let done = base.with_extension("done");
        let start = Instant::now();
        while !done.exists() {
            self.check_alive()?;
            if start.elapsed() > STEP_TIMEOUT {
                return Err(format!(
                    "the guest did not finish `{}` within {} s",
                    script.trim(),
                    STEP_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = std::fs::read_to_string(base.with_extension("out")).unwrap_or_default();
        let rc = std::fs::read_to_string(base.with_extension("rc"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(-1);
        Ok((rc, out))
    }

    /// `personas msg --json ARGS` in the guest, parsed.
    fn msg(&mut self, args: &str) -> Result<Reply, String> {
        let script = format!(
            "{} msg --json {args}",
            sh_quote(&self.binary.to_string_lossy())
        );
        let (rc, out) = self.run(&script)?;
        if rc != 0 {
            return Err(format!("`personas msg {args}` failed ({rc}): {out}"));
        }
        serde_json::from_str(out.trim())
            .map_err(|e| format!("`personas msg {args}` printed {out:?}: {e}"))
    }

    fn list(&mut self) -> Result<Vec<PersonaInfo>, String> {
        match self.msg("list")? {
            Reply::Personas { personas } => Ok(personas),
            other => Err(format!("`personas msg list` replied {other:?}")),
        }
    }

    fn stats(&mut self) -> Result<Stats, String> {
        match self.msg("stats")? {
            Reply::Stats { stats } => Ok(stats),
            other => Err(format!("`personas msg stats` replied {other:?}")),
        }
    }

    fn expect_active(&mut self, name: &str) -> Result<(), String> {
        match self.msg("active")? {
            Reply::Active { name: active } if active == name => Ok(()),
            other => Err(format!(
                "expected {name} to be active, `msg active` says {other:?}"
            )),
        }
    }

    /// Waits until the control socket answers and both sessions' windows
    /// are mapped; fails at once if the compositor exits.
    fn wait_for_compositor(&mut self) -> Result<(), String> {
        let start = Instant::now();
        let mut last = String::from("no answer yet");
        loop {
            if self.share.join("compositor.exit").exists() {
                return Err(format!(
                    "the compositor exited (status {}) before both clients were mapped",
                    self.read_share("compositor.exit").trim()
                ));
            }
            if self.guest_path_exists("$XDG_RUNTIME_DIR/personas/control.sock")? {
                match self.list() {
                    Ok(personas) => {
                        if personas.len() == 2 && personas.iter().all(|p| p.windows >= 1) {
                            return Ok(());
                        }
                        last = format!("{personas:?}");
                    }
                    Err(e) => last = e,
                }
            }
            if start.elapsed() > READY_TIMEOUT {
                return Err(format!(
                    "the compositor did not map both clients within {} s; last `msg list`: {last}",
                    READY_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Polls `msg outputs` until the outputs are `want` (name, x, y).
    fn wait_for_outputs(&mut self, want: &[(&str, i32, i32)], what: &str) -> Result<(), String> {
        // A hot-plug goes through the guest's ACPI and PCI rescans, emulated.
        let deadline = Instant::now() + 2 * STEP_TIMEOUT;
        loop {
            let Reply::Outputs { outputs } = self.msg("outputs")? else {
                return Err("`outputs` gave another reply".into());
            };
            let listed: Vec<(String, i32, i32)> =
                outputs.iter().map(|o| (o.name.clone(), o.x, o.y)).collect();
            if listed
                .iter()
                .map(|(n, x, y)| (n.as_str(), *x, *y))
                .eq(want.iter().copied())
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{what}: the outputs are {listed:?}, expected {want:?}\ncompositor log:\n{}",
                    self.read_share("compositor.log")
                ));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Waits until the compositor draws nothing for a second.
    fn wait_until_idle(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        let mut last = self.stats()?.frames_rendered;
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let now = self.stats()?.frames_rendered;
            if now == last {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the compositor never stopped drawing ({now} frames rendered)"
                ));
            }
            last = now;
        }
    }

    /// Runs `script` in the guest; its failure is the test's.
    fn run_ok(&mut self, script: &str) -> Result<(), String> {
        match self.run(script)? {
            (0, _) => Ok(()),
            (rc, out) => Err(format!("`{script}` failed in the guest ({rc}): {out}")),
        }
    }

    fn guest_path_exists(&mut self, path: &str) -> Result<bool, String> {
        Ok(self.run(&format!("test -e \"{path}\""))?.0 == 0)
    }

    fn session_log(&self, persona: &str) -> String {
        self.read_share(&format!("state/personas/{persona}.log"))
    }

    fn screendump(&mut self) -> Result<Screen, String> {
        self.screendump_of(GPU_ID)
    }

    /// What the display of the GPU with QEMU id `device` shows.
    fn screendump_of(&mut self, device: &str) -> Result<Screen, String> {
        self.screens += 1;
        // Only the latest dump is kept, for a failure's post-mortem.
        let path = self.dir.join("screen.png");
        self.qmp.execute(
            "screendump",
            json!({ "filename": path.to_string_lossy(), "format": "png", "device": device }),
        )?;
        load_png(&path).map_err(|e| format!("screendump: {e}"))
    }

    /// Polls screen dumps until every probe point shows `want`; returns how
    /// long that took.
    fn wait_for_color(&mut self, want: Rgb, what: &str) -> Result<Duration, String> {
        self.wait_for_at(Screen::probes, want, what)
    }

    /// Polls screen dumps until no probe shows `gone` any more.
    fn wait_until_gone(&mut self, gone: Rgb, what: &str) -> Result<(), String> {
        let start = Instant::now();
        loop {
            self.check_alive()?;
            let screen = self.screendump()?;
            if screen
                .probes()
                .iter()
                .all(|&(x, y)| !close(screen.pixel(x, y), gone))
            {
                return Ok(());
            }
            if start.elapsed() > STEP_TIMEOUT {
                return Err(format!(
                    "{what}: #{} still on screen after {} s",
                    hex(gone),
                    STEP_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls screen dumps until every point `points` picks shows `want`.
    fn wait_for_at(
        &mut self,
        points: fn(&Screen) -> [(usize, usize); 5],
        want: Rgb,
        what: &str,
    ) -> Result<Duration, String> {
        let start = Instant::now();
        loop {
            self.check_alive()?;
            let screen = self.screendump()?;
            let seen: Vec<((usize, usize), Rgb)> = points(&screen)
                .iter()
                .map(|&(x, y)| ((x, y), screen.pixel(x, y)))
                .collect();
            if seen.iter().all(|&(_, px)| close(px, want)) {
                return Ok(start.elapsed());
            }
            if start.elapsed() > STEP_TIMEOUT {
                let seen: Vec<String> = seen
                    .iter()
                    .map(|((x, y), px)| format!("({x},{y}) #{}", hex(*px)))
                    .collect();
                return Err(format!(
                    "{what}: expected #{} on a {}x{} screen within {} s, the last dump shows {}",
                    hex(want),
                    screen.width,
                    screen.height,
                    STEP_TIMEOUT.as_secs(),
                    seen.join(", ")
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Super+Ctrl+Right through QEMU's keyboard: pressed in order, released
    /// in reverse after QEMU's default hold time.
    fn switch_hotkey(&mut self) -> Result<(), String> {
        self.send_keys(&["meta_l", "ctrl", "right"])
    }

    /// A chord of QEMU qcodes.
    fn send_keys(&mut self, qcodes: &[&str]) -> Result<(), String> {
        let keys: Vec<_> = qcodes
            .iter()
            .map(|k| json!({ "type": "qcode", "data": k }))
            .collect();
        self.qmp.execute("send-key", json!({ "keys": keys }))?;
        Ok(())
    }

    /// Copies the latest screen dump to `$PERSONAS_VM_SCREENDUMPS/vm-NAME.png`
    /// (for the README's pictures), when that variable is set.
    fn keep_dump(&self, name: &str) -> Result<(), String> {
        let Some(dir) = std::env::var_os("PERSONAS_VM_SCREENDUMPS") else {
            return Ok(());
        };
        let to = Path::new(&dir).join(format!("vm-{name}.png"));
        std::fs::copy(self.dir.join("screen.png"), &to)
            .map(|_| ())
            .map_err(|e| format!("keeping the dump as {}: {e}", to.display()))
    }

    /// A left click with the virtual tablet in the middle of the screen.
    fn tap_center(&mut self) -> Result<(), String> {
        let abs = |axis: &str, value: i64| json!({ "type": "abs", "data": { "axis": axis, "value": value } });
        let btn = |down: bool| json!({ "type": "btn", "data": { "down": down, "button": "left" } });
        for events in [
            vec![abs("x", ABS_MAX / 2), abs("y", ABS_MAX / 2)],
            vec![btn(true)],
            vec![btn(false)],
        ] {
            self.qmp.execute(
                "input-send-event",
                json!({ "device": GPU_ID, "events": events }),
            )?;
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// What to attach to a failure: the guest's console, the compositor's
    /// log and both sessions' logs (their tails).
    fn diagnostics(&self) -> String {
        let tail = |text: String, lines: usize| {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        };
        let mut out = String::new();
        let console = std::fs::read_to_string(self.dir.join("console.log")).unwrap_or_default();
        out += &format!("--- guest console (tail) ---\n{}\n", tail(console, 80));
        let qemu = std::fs::read_to_string(self.dir.join("qemu.log")).unwrap_or_default();
        if !qemu.trim().is_empty() {
            out += &format!("--- qemu ---\n{}\n", tail(qemu, 20));
        }
        out += &format!(
            "--- compositor log (tail) ---\n{}\n",
            tail(self.read_share("compositor.log"), 150)
        );
        for persona in ["work", "personal"] {
            out += &format!(
                "--- session log {persona} (tail) ---\n{}\n",
                tail(self.session_log(persona), 30)
            );
        }
        let cores = std::fs::read_dir(&self.share)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("core."));
        for core in cores {
            out += &format!(
                "--- the compositor crashed: {} (keep it with PERSONAS_VM_KEEP=1, then                  gdb {} CORE) ---\n",
                core.path().display(),
                self.binary.display()
            );
        }
        out
    }
}
