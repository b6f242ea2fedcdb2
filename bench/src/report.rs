//! The Markdown tables of a run, spliced into `BENCHMARKS.md` between two
//! markers so the hand-written sections around them stay.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::compositor::Method;
use crate::measure::Summary;
use crate::scenarios::{Results, Setup};
use crate::RunArgs;

pub const BEGIN: &str = "<!-- personas-bench: begin (generated; edits here are overwritten) -->";
pub const END: &str = "<!-- personas-bench: end -->";

pub fn markdown(args: &RunArgs, r: &Results) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "## personas against sway (personas-bench)\n");
    let command = args.command_line.clone().unwrap_or_else(|| {
        let mut words: Vec<String> = std::env::args().collect();
        if let Some(first) = words.first_mut() {
            *first = "target/release/personas-bench".into();
        }
        words.join(" ")
    });
    let _ = writeln!(
        w,
        "Command: `cargo build --release --workspace && {command}`\n"
    );
    let _ = writeln!(w, "{}\n", machine(r));
    let _ = writeln!(
        w,
        "Both compositors headless with pixman at {}x{}, 60 Hz; the same test client \
         (`personas-bench client`: full-size solid-color shm buffers, a new one on every \
         frame callback) full screen in each of two personas or workspaces. \
         A switch's latency is from the request until the newly shown client has read its \
         first frame callback (and, where sent, the presentation timestamp of its first \
         new frame); random pauses of 50–150 ms between switches. \
         \"personas (like sway)\" is `indicator = \"none\"`, `background_frames = \"paused\"` \
         and `switch_notice = false`: sway draws no decoration, sends a hidden workspace's \
         client no frames and shows no notice. \"personas (defaults)\" is the embedded \
         configuration. sway runs as `nobody` (it refuses root); its headless backend sends \
         no presentation feedback.\n",
        r.size.0, r.size.1
    );

    let _ = writeln!(w, "### Switch latency (ms)\n");
    let _ = writeln!(
        w,
        "| compositor | switched by | to | n | min | median | p90 | p99 | max |"
    );
    let _ = writeln!(w, "|---|---|---|---:|---:|---:|---:|---:|---:|");
    for row in &r.latency {
        let mut line = |to: &str, samples: &[f64]| {
            let s = Summary::of(samples);
            let _ = writeln!(
                w,
                "| {} | {} | {to} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                row.setup.label(),
                row.method.label(),
                s.count,
                s.min,
                s.median,
                s.p90,
                s.p99,
                s.max
            );
        };
        line("frame callback", &row.frame);
        if !row.presented.is_empty() || row.unpresented > 0 {
            let to = match row.unpresented {
                0 => "presented".to_owned(),
                k => format!("presented ({k} never)"),
            };
            line(&to, &row.presented);
        }
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "![switch latency](docs/bench-switch-latency.svg)\n");
    targets(w, r);

    let _ = writeln!(
        w,
        "### The switch as personas sees it (`personas msg stats`, ms)\n"
    );
    let _ = writeln!(
        w,
        "The compositor's own figures for the same runs (DESIGN.md §3): from the request \
         (or, for the binding, the key event's timestamp) to the frame rendered and presented.\n"
    );
    let _ = writeln!(w, "| run | latency | count | median | worst |");
    let _ = writeln!(w, "|---|---|---:|---:|---:|");
    for row in r.latency.iter().filter(|r| r.stats.is_some()) {
        let stats = row.stats.as_ref().expect("filtered");
        for name in [
            "switch_request_to_render_ms",
            "switch_input_to_render_ms",
            "switch_to_present_ms",
        ] {
            let l = &stats[name];
            if l["count"].as_u64().unwrap_or(0) == 0 {
                continue;
            }
            let _ = writeln!(
                w,
                "| {} by {} | `{name}` | {} | {:.2} | {:.2} |",
                row.setup.label(),
                row.method.label(),
                l["count"],
                l["median"].as_f64().unwrap_or(f64::NAN),
                l["worst"].as_f64().unwrap_or(f64::NAN)
            );
        }
    }
    let _ = writeln!(w);

    let _ = writeln!(
        w,
        "### CPU with one animating client shown and one in the background\n"
    );
    let _ = writeln!(
        w,
        "| compositor | seconds | shown client's frames | background client's frames | \
         compositor CPU per frame (ms) | compositor CPU (% of a core) | compositor + clients (%) |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|---:|");
    for c in &r.cpu {
        let _ = writeln!(
            w,
            "| {} | {:.1} | {} | {} | {:.3} | {:.1} | {:.1} |",
            c.setup.label(),
            c.seconds,
            c.shown_frames,
            c.background_frames,
            c.per_frame_ms,
            c.compositor_pct,
            c.total_pct
        );
    }
    let _ = writeln!(w);

    let _ = writeln!(w, "### Memory (RSS of the compositor, KiB)\n");
    let _ = writeln!(
        w,
        "| compositor | personas / workspaces | RSS | anonymous |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|");
    for m in &r.memory {
        for (n, rss, anon) in &m.empty {
            let _ = writeln!(w, "| {} | {n} | {rss} | {anon} |", m.setup.label());
        }
    }
    let _ = writeln!(w);
    for m in &r.memory {
        if let (Some(first), Some(last)) = (m.empty.first(), m.empty.last()) {
            if last.0 > first.0 {
                let per = (last.1 as f64 - first.1 as f64) / (last.0 - first.0) as f64;
                let _ = writeln!(
                    w,
                    "- {}: {:.0} KiB per extra empty persona ({} → {}).",
                    m.setup.label(),
                    per,
                    first.0,
                    last.0
                );
            }
        }
        let (n, rss, anon) = m.windows;
        let _ = writeln!(
            w,
            "- {}: {n} still full-size windows add {:.0} KiB each ({:.0} KiB anonymous; the \
             rest is the clients' shm the compositor has touched).",
            m.setup.label(),
            rss as f64 / n as f64,
            anon as f64 / n as f64
        );
    }
    let _ = writeln!(w, "\n![memory](docs/bench-memory.svg)\n");

    let _ = writeln!(w, "### Nothing changes: two still clients\n");
    let _ = writeln!(
        w,
        "| compositor | seconds | frames rendered | compositor CPU (ms) |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|");
    for i in &r.idle {
        let renders = i.renders.map_or("not reported".into(), |n| n.to_string());
        let _ = writeln!(
            w,
            "| {} | {:.1} | {renders} | {:.1} |",
            i.setup.label(),
            i.seconds,
            i.cpu_ms
        );
    }
    let _ = writeln!(w);

    let _ = writeln!(
        w,
        "### Scaling: personas (like sway), switched by the control socket (ms)\n"
    );
    let _ = writeln!(
        w,
        "Still full-size windows spread over every persona, below the two animating clients. \
         The last column is personas' own figure (`stats`) for the same switches: from the \
         request to the frame rendered, without the client's wake-up.\n"
    );
    let _ = writeln!(
        w,
        "| personas | background windows | n | median | p90 | p99 | max | \
         compositor's request → render, median |"
    );
    let _ = writeln!(w, "|---:|---:|---:|---:|---:|---:|---:|---:|");
    for p in &r.scaling {
        let s = p.latency;
        let render = p.render_median.map_or("–".into(), |m| format!("{m:.3}"));
        let _ = writeln!(
            w,
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {render} |",
            p.personas, p.windows, s.count, s.median, s.p90, s.p99, s.max
        );
    }
    let _ = writeln!(w, "\n![scaling](docs/bench-scaling.svg)");
    md
}

/// The targets against this run's figures.
fn targets(w: &mut String, r: &Results) {
    let find = |setup: Setup, method: Method| {
        r.latency
            .iter()
            .find(|l| l.setup == setup && l.method == method)
            .map(|l| Summary::of(&l.frame))
    };
    let ours = find(Setup::LikeSway, Method::Cli);
    let sway = find(Setup::Sway, Method::Cli);
    if let (Some(ours), Some(sway)) = (ours, sway) {
        let _ = writeln!(
            w,
            "Through the command-line tools (process start included): personas p50 {:.2} ms \
             (target ≤ 3 ms), p99 {:.2} ms against sway's {:.2} ms, {:.1} times lower \
             (target ≥ 3).\n",
            ours.median,
            ours.p99,
            sway.p99,
            sway.p99 / ours.p99
        );
    }
}

fn machine(r: &Results) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let date = std::process::Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let rev = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    format!(
        "Run {date} at personas {rev}, release build, on {cores} cores ({model}), \
         {mem_gib:.0} GiB, Linux {}; {}.",
        kernel.trim(),
        r.sway_version.as_deref().unwrap_or("sway not measured")
    )
}

/// Replaces the generated section of `path` (or appends one).
pub fn splice(path: &Path, generated: &str) -> Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{BEGIN}\n{generated}\n{END}");
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if e > b => {
            format!("{}{block}{}", &old[..b], &old[e + END.len()..])
        }
        _ => format!("{}\n{block}\n", old.trim_end()),
    };
    std::fs::write(path, new).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_replaces_only_the_generated_block() {
        let dir = std::env::temp_dir().join(format!("bench-splice-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("B.md");
        std::fs::write(&path, "# Bench\n\nhand written\n").unwrap();
        splice(&path, "first").unwrap();
        let once = std::fs::read_to_string(&path).unwrap();
        assert!(once.starts_with("# Bench\n\nhand written\n"));
        assert!(once.contains("first"));
        std::fs::write(&path, format!("{once}\n## after\n")).unwrap();
        splice(&path, "second").unwrap();
        let twice = std::fs::read_to_string(&path).unwrap();
        assert!(!twice.contains("first") && twice.contains("second"));
        assert!(twice.contains("hand written") && twice.ends_with("## after\n"));
        assert_eq!(twice.matches(BEGIN).count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
