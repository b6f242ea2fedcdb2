//! `personas-compositor`: the compositor itself, and the sandbox launcher of
//! persona sessions. Started through `personas` (see `personas::cli`), with
//! the same command line.

use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Parser;
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::{EventLoop, Interest, Mode, PostAction};

use personas::backend::tty::TtyBackend;
use personas::backend::winit::WinitBackend;
use personas::backend::{Backend, BackendKind};
use personas::cli::{validate, Cli, Command};
use personas::config::{self, Config, ConfigSource};
use personas::ipc;
use personas::state::{Options, State};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Msg(args)) => ipc::client::run(args),
        Some(Command::Validate { file }) => validate(file),
        Some(Command::Sandbox(args)) => personas::session::sandbox::run(args),
        // The front end answers these itself; run directly, say the same.
        Some(Command::Completions { shell }) => personas::cli::completions(shell),
        Some(Command::Man) => personas::cli::man_page().and_then(|page| {
            use std::io::Write;
            std::io::stdout().write_all(&page).map_err(Into::into)
        }),
        None => run(cli.backend, cli.config, cli.test_input),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("personas: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(backend: BackendKind, config_path: Option<PathBuf>, test_input: bool) -> anyhow::Result<()> {
    init_logging();

    if test_input && backend != BackendKind::Headless {
        bail!("--test-input is only accepted with --backend headless");
    }
    let source = config::locate(config_path.as_deref())?;
    let config: Config = config::load(&source)?;
    let backend = match backend {
        BackendKind::Auto => BackendKind::resolve_auto(),
        other => other,
    };
    if test_input {
        tracing::warn!("--test-input: the control socket accepts injected input");
    }
    let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .context("XDG_RUNTIME_DIR is not set; personas puts its sockets there")?;
    let control_path = ipc::protocol::default_socket_path()?;

    let mut event_loop: EventLoop<'static, State> = EventLoop::try_new()?;
    // Before anything starts threads or sessions: they inherit the blocked mask.
    install_signal_handler(&event_loop)?;
    let chosen = match backend {
        BackendKind::Tty => Some(Backend::Tty(
            TtyBackend::new(&config, &event_loop.handle()).context(
                "the tty backend could not start (--backend headless runs without a display)",
            )?,
        )),
        BackendKind::Winit => Some(Backend::Winit(
            WinitBackend::new(&config, &event_loop.handle()).context(
                "the winit backend could not start (--backend headless runs without a display)",
            )?,
        )),
        _ => None,
    };
    let mut state = State::new(
        Options {
            config,
            config_source: source.clone(),
            runtime_dir: Some(runtime_dir.clone()),
            test_input,
            launch_sessions: true,
            backend: chosen,
        },
        event_loop.handle(),
    )?;
    let server = ipc::server::ControlServer::bind(&control_path)?;
    state.ipc_events = server.insert(&event_loop.handle(), |state: &mut State, request| {
        state.handle_request(request)
    })?;

    match &source {
        ConfigSource::File(p) => println!("personas: config {}", p.display()),
        ConfigSource::Embedded => println!("personas: using the embedded default config"),
    }
    let spec = state.backend.output_spec();
    println!(
        "personas: {} output {} {}x{}",
        match state.backend {
            Backend::Headless(_) => "headless",
            Backend::Tty(_) => "tty",
            Backend::Winit(_) => "winit",
        },
        spec.name,
        spec.size.w,
        spec.size.h
    );
    for info in state.persona_infos() {
        println!(
            "personas: persona {:<12} WAYLAND_DISPLAY={} (connect with: XDG_RUNTIME_DIR={} WAYLAND_DISPLAY=wayland-0 foot)",
            info.name,
            info.socket,
            runtime_dir.join("personas").join(&info.name).display(),
        );
    }
    println!(
        "personas: control socket {} (try: personas msg list)",
        control_path.display()
    );

    while state.running {
        state.refresh_and_flush();
        event_loop.dispatch(None, &mut state)?;
    }
    state.shutdown();
    // Persona sockets are removed as personas drop; the control socket here.
    drop(state);
    let _ = std::fs::remove_file(&control_path);
    tracing::info!("personas exited cleanly");
    Ok(())
}

/// Logs to stderr as `RUST_LOG` says (default `info,smithay=warn`). Built
/// with `--features profile-with-tracy`, the frame and switch spans (trace
/// level, so free otherwise) also go to a Tracy profiler that connects.
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,smithay=warn"));
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter);
    let registry = tracing_subscriber::registry().with(logs);
    #[cfg(feature = "profile-with-tracy")]
    let registry = registry.with(
        tracing_tracy::TracyLayer::default().with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_target("personas", tracing::Level::TRACE)
                .with_target("personas_compositor", tracing::Level::TRACE),
        ),
    );
    registry.init();
}

/// SIGINT/SIGTERM end the loop cleanly (sockets removed) through a signalfd.
fn install_signal_handler(event_loop: &EventLoop<'static, State>) -> anyhow::Result<()> {
    // SAFETY: plain libc calls on a local sigset; the fd returned is owned below.
    let fd = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGHUP);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            bail!("blocking signals failed");
        }
        let fd = libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC);
        if fd < 0 {
            bail!("signalfd failed: {}", std::io::Error::last_os_error());
        }
        OwnedFd::from_raw_fd(fd)
    };
    event_loop
        .handle()
        .insert_source(
            Generic::new(fd, Interest::READ, Mode::Level),
            |_, fd, state: &mut State| {
                let mut info = [0u8; std::mem::size_of::<libc::signalfd_siginfo>()];
                // SAFETY: reading into a buffer of the right size from our signalfd.
                let n = unsafe {
                    libc::read(
                        std::os::fd::AsRawFd::as_raw_fd(&std::os::fd::AsFd::as_fd(fd)),
                        info.as_mut_ptr().cast(),
                        info.len(),
                    )
                };
                if n > 0 {
                    tracing::info!("signal received, exiting");
                    state.running = false;
                }
                Ok(PostAction::Continue)
            },
        )
        .map_err(|e| anyhow::anyhow!("signal source: {e}"))?;
    Ok(())
}
