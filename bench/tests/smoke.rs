//! The harness runs every scenario end to end at a tiny size, against the
//! debug personas built beside it and sway when it is installed (CI installs
//! it). No figure is checked: machines differ; the run must only complete,
//! and its report and plots must be written.

use std::process::Command;

#[test]
fn every_scenario_runs_and_the_report_is_written() {
    let bench = env!("CARGO_BIN_EXE_personas-bench");
    let dir = tempfile_dir();
    let report = dir.join("BENCHMARKS.md");
    std::fs::write(&report, "# Benchmarks\n\nhand-written text\n").unwrap();
    let with_sway = Command::new("sway").arg("--version").output().is_ok();
    let mut command = Command::new(bench);
    command
        .args(["run", "--smoke", "--report"])
        .arg(&report)
        .arg("--plots")
        .arg(dir.join("docs"));
    if !with_sway {
        eprintln!("sway is not installed: personas only");
        command.arg("--no-sway");
    }
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "personas-bench failed:\n{stderr}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.starts_with("# Benchmarks\n\nhand-written text\n"),
        "{text}"
    );
    for heading in [
        "### Switch latency (ms)",
        "### CPU with one animating client",
        "### Memory",
        "### Nothing changes",
        "### Scaling",
    ] {
        assert!(text.contains(heading), "{heading} missing:\n{text}");
    }
    // Every latency row measured its switches.
    let rows = text
        .lines()
        .filter(|l| l.contains("| frame callback |"))
        .collect::<Vec<_>>();
    assert_eq!(rows.len(), if with_sway { 8 } else { 6 }, "{text}");
    for row in rows {
        let n: usize = row.split('|').nth(4).unwrap().trim().parse().unwrap();
        assert!(n > 0, "{row}");
    }
    for plot in [
        "bench-switch-latency.svg",
        "bench-scaling.svg",
        "bench-memory.svg",
    ] {
        let svg = std::fs::read_to_string(dir.join("docs").join(plot)).unwrap();
        assert!(svg.contains("<svg"), "{plot}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("personas-bench-smoke.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
