//! `personas-bench`: personas and sway 1.7 side by side, headless with
//! pixman, the same test client and the same method for both. Writes its
//! tables into `BENCHMARKS.md` and its plots under `docs/`.
//!
//! `cargo build --release --workspace && target/release/personas-bench run`
//! measures; `--smoke` runs every scenario at a tiny size (CI does, with no
//! thresholds: it proves the harness works, not how fast anything is).

mod client;
mod compositor;
mod measure;
mod plot;
mod report;
mod scenarios;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure, and write the report.
    Run(RunArgs),
    /// The test client (started by `run` in each persona or workspace).
    Client(client::ClientArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Every scenario, tiny: a few switches at 320x200, short CPU windows.
    #[arg(long)]
    pub smoke: bool,
    /// Switches per latency row.
    #[arg(long, default_value_t = 200)]
    pub switches: usize,
    /// Switches per point of the scaling curves.
    #[arg(long, default_value_t = 100)]
    pub scaling_switches: usize,
    /// Seconds of each CPU measurement.
    #[arg(long, default_value_t = 10)]
    pub cpu_seconds: u64,
    /// The personas binary (default: beside this one).
    #[arg(long)]
    pub personas: Option<PathBuf>,
    /// Leave sway out (when it is not installed).
    #[arg(long)]
    pub no_sway: bool,
    /// The Markdown file whose generated section is replaced.
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub report: PathBuf,
    /// Where the plots go.
    #[arg(long, default_value = "docs")]
    pub plots: PathBuf,
    /// Run only these parts (latency, cpu, memory, idle, scaling); the
    /// report then holds only them. For profiling one part.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// The command line to print in the report (how this run was started).
    #[arg(long)]
    pub command_line: Option<String>,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Client(args) => client::run(args),
        Command::Run(mut args) => {
            if args.smoke {
                args.switches = args.switches.min(6);
                args.scaling_switches = args.scaling_switches.min(4);
                args.cpu_seconds = args.cpu_seconds.min(1);
            }
            let bench = std::env::current_exe().context("where am I")?;
            let personas = match &args.personas {
                Some(p) => p.clone(),
                None => bench.with_file_name("personas"),
            };
            anyhow::ensure!(
                personas.exists(),
                "{} not found: build it (cargo build --release --workspace) or pass --personas",
                personas.display()
            );
            let results = scenarios::run_all(&args, &bench, &personas)?;
            let markdown = report::markdown(&args, &results);
            report::splice(&args.report, &markdown)?;
            std::fs::create_dir_all(&args.plots)?;
            plot::all(&args.plots, &results)?;
            println!("{markdown}");
            Ok(())
        }
    }
}
