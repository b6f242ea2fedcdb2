//! Backends, as a plain enum: where frames go and where input comes from.
//! Only headless exists so far; `auto` falls back to it (with a warning) where
//! tty or winit would be the right choice.

pub mod headless;

use crate::persona::OutputSpec;

/// What `--backend` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    Auto,
    Tty,
    Winit,
    Headless,
}

impl BackendKind {
    /// tty on a VT, winit inside a desktop, headless otherwise.
    pub fn resolve_auto() -> BackendKind {
        if std::env::var_os("WAYLAND_DISPLAY").is_some() || std::env::var_os("DISPLAY").is_some() {
            BackendKind::Winit
        } else if on_vt() {
            BackendKind::Tty
        } else {
            BackendKind::Headless
        }
    }
}

/// Whether stdin is a Linux virtual terminal (`/dev/ttyN`).
fn on_vt() -> bool {
    let Ok(link) = std::fs::read_link("/proc/self/fd/0") else {
        return false;
    };
    let name = link.to_string_lossy();
    name.strip_prefix("/dev/tty")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

pub enum Backend {
    Headless(headless::HeadlessBackend),
}

impl Backend {
    pub fn output_spec(&self) -> &OutputSpec {
        match self {
            Backend::Headless(b) => &b.spec,
        }
    }

    pub fn headless(&mut self) -> &mut headless::HeadlessBackend {
        match self {
            Backend::Headless(b) => b,
        }
    }
}
