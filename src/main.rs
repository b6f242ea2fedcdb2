//! `personas`: `msg` talks to a running compositor, `validate` checks a
//! config file, `completions` and `man` print what shells and man read, here; running the compositor (or a session's sandbox) is
//! `personas-compositor`'s, which this process becomes. Why two binaries:
//! `personas::cli`.

use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use clap::Parser;

use personas::cli::{completions, man_page, validate, Cli, Command, COMPOSITOR_BIN};
use personas::ipc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Msg(args)) => ipc::client::run(args),
        Some(Command::Validate { file }) => validate(file),
        Some(Command::Completions { shell }) => completions(shell),
        Some(Command::Man) => man_page().and_then(|page| {
            use std::io::Write;
            std::io::stdout().write_all(&page).map_err(Into::into)
        }),
        _ => exec_compositor(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("personas: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Becomes `personas-compositor` with the same arguments (same process, so
/// whoever started `personas` may signal or wait for it as before).
fn exec_compositor() -> anyhow::Result<()> {
    let me = std::env::current_exe()?;
    let compositor = me.with_file_name(COMPOSITOR_BIN);
    let err = std::process::Command::new(&compositor)
        .arg0("personas")
        .args(std::env::args_os().skip(1))
        .exec();
    anyhow::bail!(
        "cannot start {}: {err} (it is built and installed beside {})",
        compositor.display(),
        me.display()
    )
}
