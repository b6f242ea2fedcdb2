//! What is measured, each on a freshly started compositor: switch latency
//! by every method, CPU per frame, memory, renders while idle, and how the
//! switch scales with personas and background windows.

use std::path::Path;
use std::thread::sleep;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::compositor::{Client, Compositor, Method, LIKE_SWAY};
use crate::measure::{cpu_ns, now_ns, rss_kib, Summary};
use crate::RunArgs;

/// Which personas settings a row ran with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// `indicator = "none"`, `background_frames = "paused"`, no notice.
    LikeSway,
    /// The embedded defaults.
    Defaults,
    Sway,
}

impl Setup {
    pub fn label(self) -> &'static str {
        match self {
            Setup::LikeSway => "personas (like sway)",
            Setup::Defaults => "personas (defaults)",
            Setup::Sway => "sway 1.7",
        }
    }

    fn extra(self) -> &'static str {
        match self {
            Setup::LikeSway => LIKE_SWAY,
            _ => "",
        }
    }
}

pub struct LatencyRow {
    pub setup: Setup,
    pub method: Method,
    /// Switch request → first frame callback of the shown client, ms.
    pub frame: Vec<f64>,
    /// Switch request → presentation timestamp of its first new frame, ms.
    pub presented: Vec<f64>,
    /// Switches whose new frame was not presented within 2 s (not in `presented`).
    pub unpresented: usize,
    /// personas' own `stats` after the run.
    pub stats: Option<serde_json::Value>,
}

pub struct CpuRow {
    pub setup: Setup,
    pub seconds: f64,
    pub shown_frames: usize,
    pub background_frames: usize,
    /// Compositor CPU per frame of the shown client, ms.
    pub per_frame_ms: f64,
    /// Compositor CPU, percent of one core.
    pub compositor_pct: f64,
    /// Compositor and both clients, percent of one core.
    pub total_pct: f64,
}

pub struct MemoryRow {
    pub setup: Setup,
    /// (personas or workspaces, RSS KiB, anonymous KiB), no clients.
    pub empty: Vec<(usize, u64, u64)>,
    /// Windows opened, and the RSS and anonymous growth they caused, KiB.
    pub windows: (usize, i64, i64),
}

pub struct IdleRow {
    pub setup: Setup,
    pub seconds: f64,
    /// Frames rendered meanwhile (personas' stats; sway does not say).
    pub renders: Option<u64>,
    pub cpu_ms: f64,
}

pub struct ScalingPoint {
    pub personas: usize,
    pub windows: usize,
    pub latency: Summary,
    /// personas' own request → frame rendered median (`stats`), ms: the
    /// compositor's part, without the client's wake-up.
    pub render_median: Option<f64>,
}

pub struct Results {
    pub size: (u32, u32),
    pub latency: Vec<LatencyRow>,
    pub cpu: Vec<CpuRow>,
    pub memory: Vec<MemoryRow>,
    pub idle: Vec<IdleRow>,
    pub scaling: Vec<ScalingPoint>,
    pub sway_version: Option<String>,
}

struct Ctx<'a> {
    args: &'a RunArgs,
    bench: &'a Path,
    personas: &'a Path,
    work: tempdir::Dir,
    size: (u32, u32),
    rng: fastrand::Rng,
}

mod tempdir {
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};

    /// A work directory, removed at the end; others may pass through it
    /// (sway runs as `nobody`).
    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> std::io::Result<Dir> {
            let path = std::env::temp_dir().join(format!("personas-bench.{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir(&path)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o711))?;
            Ok(Dir(path))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn run_all(args: &RunArgs, bench: &Path, personas: &Path) -> Result<Results> {
    let mut ctx = Ctx {
        args,
        bench,
        personas,
        work: tempdir::Dir::new()?,
        size: if args.smoke { (320, 200) } else { (1920, 1080) },
        rng: fastrand::Rng::with_seed(7956),
    };
    let sway_version = if args.no_sway {
        None
    } else {
        let out = std::process::Command::new("sway")
            .arg("--version")
            .output()
            .context("sway not found: install Debian's sway, or pass --no-sway")?;
        Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let with_sway = sway_version.is_some();
    let mut results = Results {
        size: ctx.size,
        latency: Vec::new(),
        cpu: Vec::new(),
        memory: Vec::new(),
        idle: Vec::new(),
        scaling: Vec::new(),
        sway_version,
    };

    let wanted = |part: &str| args.only.is_empty() || args.only.iter().any(|o| o == part);
    let mut rows = vec![
        (Setup::LikeSway, Method::Persistent),
        (Setup::LikeSway, Method::Cli),
        (Setup::LikeSway, Method::Key),
        (Setup::Defaults, Method::Persistent),
        (Setup::Defaults, Method::Cli),
        (Setup::Defaults, Method::Key),
    ];
    if with_sway {
        rows.push((Setup::Sway, Method::Persistent));
        rows.push((Setup::Sway, Method::Cli));
    }
    if !wanted("latency") {
        rows.clear();
    }
    for (setup, method) in rows {
        eprintln!("latency: {} by {}", setup.label(), method.label());
        let row = ctx
            .latency(setup, method)
            .with_context(|| format!("{} by {}", setup.label(), method.label()))?;
        results.latency.push(row);
    }
    let setups: &[Setup] = if with_sway {
        &[Setup::LikeSway, Setup::Defaults, Setup::Sway]
    } else {
        &[Setup::LikeSway, Setup::Defaults]
    };
    for &setup in setups.iter().filter(|_| wanted("cpu")) {
        eprintln!("cpu: {}", setup.label());
        results.cpu.push(ctx.cpu(setup)?);
    }
    for &setup in setups.iter().filter(|s| **s != Setup::LikeSway) {
        if wanted("memory") {
            eprintln!("memory: {}", setup.label());
            results.memory.push(ctx.memory(setup)?);
        }
        if wanted("idle") {
            eprintln!("idle: {}", setup.label());
            results.idle.push(ctx.idle(setup)?);
        }
    }
    let (counts, windows): (&[usize], &[usize]) = if !wanted("scaling") {
        (&[], &[])
    } else if args.smoke {
        (&[2, 8], &[0, 4])
    } else {
        (&[2, 8, 32], &[0, 20, 100])
    };
    for &personas in counts {
        for &w in windows {
            eprintln!("scaling: {personas} personas, {w} background windows");
            let (latency, render_median) = ctx.scaling(personas, w)?;
            results.scaling.push(ScalingPoint {
                personas,
                windows: w,
                latency: Summary::of(&latency),
                render_median,
            });
        }
    }
    Ok(results)
}

impl Ctx<'_> {
    fn start(&self, setup: Setup, spaces: usize) -> Result<Compositor> {
        match setup {
            Setup::Sway => Compositor::sway(self.work.path(), self.size, spaces),
            _ => Compositor::personas(
                self.personas,
                self.work.path(),
                self.size,
                spaces,
                setup.extra(),
            ),
        }
    }

    /// An animating full-size client in spaces 0 (shown) and 1.
    fn pair(&self, comp: &Compositor) -> Result<[Client; 2]> {
        let a = comp.client(self.bench, 0, &["--color", "c03030"])?;
        a.wait_ready()?;
        let b = comp.client(self.bench, 1, &["--color", "3030c0"])?;
        b.wait_ready()?;
        a.frame_after(now_ns(), Duration::from_secs(10))
            .context("the shown client gets no frames")?;
        Ok([a, b])
    }

    /// Alternates between spaces 1 and 0 `n` times, random pauses between;
    /// the first frame callback (and presentation) of the newly shown client.
    fn switches(
        &mut self,
        comp: &mut Compositor,
        clients: &[Client; 2],
        method: Method,
        n: usize,
    ) -> Result<(Vec<f64>, Vec<f64>, usize)> {
        let ms = |from: u64, to: u64| (to.saturating_sub(from)) as f64 / 1e6;
        let mut frame = Vec::with_capacity(n);
        let mut presented = Vec::with_capacity(n);
        let mut unpresented = 0;
        if method == Method::Key {
            comp.hold_modifiers(true)?;
        }
        let mut shown = 0;
        for i in 0..n {
            sleep(Duration::from_millis(self.rng.u64(50..=150)));
            let target = 1 - shown;
            let t0 = now_ns();
            comp.switch(target, method)?;
            let t = clients[target]
                .frame_after(t0, Duration::from_secs(10))
                .with_context(|| format!("switch {i}: the shown client got no frame"))?;
            frame.push(ms(t0, t));
            if comp.presents() {
                match clients[target].presented_after(t0, Duration::from_secs(2)) {
                    Some(p) => presented.push(ms(t0, p)),
                    None => unpresented += 1,
                }
            }
            shown = target;
        }
        if method == Method::Key {
            comp.hold_modifiers(false)?;
        }
        if shown != 0 {
            comp.switch(0, Method::Persistent)?;
        }
        Ok((frame, presented, unpresented))
    }

    fn latency(&mut self, setup: Setup, method: Method) -> Result<LatencyRow> {
        let mut comp = self.start(setup, 2)?;
        let clients = self.pair(&comp)?;
        let (frame, presented, unpresented) =
            self.switches(&mut comp, &clients, method, self.args.switches)?;
        let stats = comp.stats().ok();
        Ok(LatencyRow {
            setup,
            method,
            frame,
            presented,
            unpresented,
            stats,
        })
    }

    fn cpu(&mut self, setup: Setup) -> Result<CpuRow> {
        let comp = self.start(setup, 2)?;
        let clients = self.pair(&comp)?;
        sleep(Duration::from_secs(1));
        let total = |comp: &Compositor| {
            cpu_ns(comp.pid()) + clients.iter().map(|c| cpu_ns(c.pid())).sum::<u64>()
        };
        let (c0, t0) = (cpu_ns(comp.pid()), total(&comp));
        let (a0, b0) = (clients[0].frames(), clients[1].frames());
        let start = now_ns();
        sleep(Duration::from_secs(self.args.cpu_seconds));
        let (c1, t1) = (cpu_ns(comp.pid()), total(&comp));
        let (a1, b1) = (clients[0].frames(), clients[1].frames());
        let seconds = (now_ns() - start) as f64 / 1e9;
        let shown_frames = a1 - a0;
        let compositor_ms = (c1 - c0) as f64 / 1e6;
        Ok(CpuRow {
            setup,
            seconds,
            shown_frames,
            background_frames: b1 - b0,
            per_frame_ms: compositor_ms / shown_frames.max(1) as f64,
            compositor_pct: compositor_ms / 10.0 / seconds,
            total_pct: (t1 - t0) as f64 / 1e7 / seconds,
        })
    }

    fn memory(&mut self, setup: Setup) -> Result<MemoryRow> {
        let counts: &[usize] = match setup {
            Setup::Sway => &[1],
            _ if self.args.smoke => &[2, 4],
            _ => &[2, 4, 8, 16, 32],
        };
        let mut empty = Vec::new();
        for &n in counts {
            let comp = self.start(setup, n)?;
            sleep(Duration::from_millis(1500));
            let (rss, anon) = rss_kib(comp.pid());
            empty.push((n, rss, anon));
        }
        let windows = if self.args.smoke { 4 } else { 20 };
        let comp = self.start(setup, 2)?;
        sleep(Duration::from_millis(1500));
        let (rss0, anon0) = rss_kib(comp.pid());
        let count = windows.to_string();
        let filler = comp.client(self.bench, 0, &["--still", "--windows", &count])?;
        filler.wait_ready()?;
        sleep(Duration::from_millis(1500));
        let (rss1, anon1) = rss_kib(comp.pid());
        drop(filler);
        Ok(MemoryRow {
            setup,
            empty,
            windows: (
                windows,
                rss1 as i64 - rss0 as i64,
                anon1 as i64 - anon0 as i64,
            ),
        })
    }

    fn idle(&mut self, setup: Setup) -> Result<IdleRow> {
        let mut comp = self.start(setup, 2)?;
        let a = comp.client(self.bench, 0, &["--still"])?;
        let b = comp.client(self.bench, 1, &["--still"])?;
        a.wait_ready()?;
        b.wait_ready()?;
        // Past the start-up notice and any first frames.
        sleep(Duration::from_secs(2));
        let renders = |comp: &mut Compositor| {
            comp.stats()
                .ok()
                .and_then(|s| s["frames_rendered"].as_u64())
        };
        let (r0, c0, t0) = (renders(&mut comp), cpu_ns(comp.pid()), now_ns());
        sleep(Duration::from_secs(if self.args.smoke { 1 } else { 5 }));
        let (r1, c1, t1) = (renders(&mut comp), cpu_ns(comp.pid()), now_ns());
        Ok(IdleRow {
            setup,
            seconds: (t1 - t0) as f64 / 1e9,
            renders: r0.zip(r1).map(|(a, b)| b - a),
            cpu_ms: (c1 - c0) as f64 / 1e6,
        })
    }

    fn scaling(&mut self, personas: usize, windows: usize) -> Result<(Vec<f64>, Option<f64>)> {
        let mut comp = self.start(Setup::LikeSway, personas)?;
        // Still windows, spread over every persona and below the animating
        // clients in the two that are switched between.
        let mut fillers = Vec::new();
        for p in 0..personas {
            let share = windows / personas + usize::from(p < windows % personas);
            if share > 0 {
                let count = share.to_string();
                fillers.push(comp.client(self.bench, p, &["--still", "--windows", &count])?);
            }
        }
        for filler in &fillers {
            filler.wait_ready()?;
        }
        let clients = self.pair(&comp)?;
        let n = self.args.scaling_switches;
        let latency = self.switches(&mut comp, &clients, Method::Persistent, n)?.0;
        let stats = comp.stats()?;
        let render = stats["switch_request_to_render_ms"]["median"].as_f64();
        Ok((latency, render))
    }
}
