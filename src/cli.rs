//! The command line, shared by the two binaries. `personas` is a small front
//! end: `msg` and `validate` run in it, without the compositor's libraries
//! (libinput, GBM, glib through libwacom…), whose loading would make a
//! `personas msg switch` cost 5 ms of process start instead of 1; anything
//! else it hands to `personas-compositor` beside it, which parses the same
//! command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::backend::BackendKind;
use crate::config::{self, ConfigSource};

/// The compositor's binary, installed beside `personas`.
pub const COMPOSITOR_BIN: &str = "personas-compositor";

#[derive(Parser, Debug)]
#[command(
    name = "personas",
    version,
    about = "Run several isolated personas on one screen"
)]
pub struct Cli {
    /// Which backend to drive: tty on a VT, winit inside a desktop, headless otherwise.
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendKind,
    /// Config file (else $PERSONAS_CONFIG, $XDG_CONFIG_HOME/personas/config.toml,
    /// /etc/personas/config.toml, then the embedded default).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Accept injected input on the control socket (headless only; for tests).
    #[arg(long)]
    pub test_input: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Talk to the running compositor.
    Msg(crate::ipc::client::MsgArgs),
    /// Check a config file; errors are printed as file:line:col: message.
    Validate { file: Option<PathBuf> },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from this command line.
    Man,
    /// The namespaced launcher of a persona's session (run by the compositor).
    #[command(hide = true)]
    Sandbox(crate::session::sandbox::SandboxArgs),
}

/// `personas completions SHELL`: the script on stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    use clap::CommandFactory;
    use std::io::Write;
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "personas", &mut script);
    // An error (a closed pipe), not a panic, if nobody reads it all.
    std::io::stdout().write_all(&script)?;
    Ok(())
}

/// The man page, as `personas man` prints it and `assets/personas.1` keeps it.
pub fn man_page() -> anyhow::Result<Vec<u8>> {
    use clap::CommandFactory;
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    Ok(page)
}

/// `personas validate [FILE]`.
pub fn validate(file: Option<PathBuf>) -> anyhow::Result<()> {
    let source = match file {
        Some(path) => ConfigSource::File(path),
        None => config::locate(None)?,
    };
    match config::load(&source) {
        Ok(config) => {
            let name = match &source {
                ConfigSource::File(p) => p.display().to_string(),
                ConfigSource::Embedded => "the embedded default".into(),
            };
            println!(
                "{name}: ok ({} personas, {} bindings)",
                config.personas.len(),
                config.bindings.len()
            );
            Ok(())
        }
        Err(err) => {
            eprintln!("{err}");
            anyhow::bail!("invalid config")
        }
    }
}
