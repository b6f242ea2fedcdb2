//! Namespaced launch: the device-namespace half of a persona. The supervisor
//! runs `personas sandbox … -- ARGV` (this module, in a fresh single-threaded
//! process) instead of the session's program. It
//!
//! 1. unshares mount, pid, ipc and uts namespaces (and the network one with
//!    `network = "none"`), plus a user namespace when not root, mapping the
//!    user to itself;
//! 2. forks the namespace's pid 1, a small reaper: it builds the persona's view
//!    of the file system (below), names the host after the persona, then
//!    enters one more user and mount namespace so that every mount it made is
//!    locked (a root session cannot unmount `/dev` to find the host's nodes
//!    beneath), forks the session's program and forwards SIGTERM, SIGINT and
//!    SIGHUP to every process of the namespace. When the program ends, it
//!    ends, and the kernel kills whatever the program left behind;
//! 3. waits for that pid 1 and ends the way the program ended (the same exit
//!    code, or the same signal), so the supervisor's restart policy and
//!    `personas msg list` see the program, not the launcher.
//!
//! The persona's view: `/dev` is a new tmpfs holding only the allowed nodes
//! (bind mounts of the host's) plus a private devpts, `/dev/tty`, `/dev/shm` and the usual
//! links; `/proc` shows the namespace's processes only; `/tmp` is private;
//! `/tmp/.X11-unix` holds only the persona's own X server's socket;
//! `XDG_RUNTIME_DIR` is a private tmpfs holding the persona's own `wayland-0`
//! and the listed shares only; `$HOME` is the persona's home; the
//! compositor's own files (config, logs, other personas' homes) are covered.
//! Sources are opened before anything is mounted and bound through
//! `/proc/self/fd`, so mount order never hides one.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::signal::{
    kill, sigaction, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal,
};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, getgid, getuid, ForkResult, Pid};

/// The name of the session's Wayland socket in its runtime directory.
const SOCKET_NAME: &str = crate::persona::socket::SOCKET_NAME;

/// Exit code of the launcher when the sandbox could not be built, or the
/// program could not be started (as a shell does).
pub const SETUP_FAILED: i32 = 127;

/// Device nodes a session may never have, whatever the config says: input
/// devices (keyloggers, injection), the DRM primary nodes (the display), VTs
/// and raw memory. The reason is shown in the config error.
const FORBIDDEN_DEVICES: &[(&str, &str)] = &[
    ("/dev/input", "input devices"),
    ("/dev/uinput", "input injection"),
    ("/dev/hidraw", "raw input devices"),
    ("/dev/dri/card", "the DRM primary node"),
    ("/dev/tty", "terminals and VTs"),
    ("/dev/console", "the console"),
    ("/dev/vcs", "VT contents"),
    ("/dev/mem", "raw memory"),
    ("/dev/kmem", "raw memory"),
    ("/dev/port", "raw I/O ports"),
    ("/dev/kmsg", "the kernel log"),
    (
        "/dev/pts",
        "the host's terminals (the session gets its own)",
    ),
    (
        "/dev/ptmx",
        "the host's terminals (the session gets its own)",
    ),
    (
        "/dev/shm",
        "the host's shared memory (the session gets its own)",
    ),
    ("/dev/mqueue", "the host's message queues"),
    ("/dev/fd", "a link the session gets anyway"),
    ("/dev/std", "a link the session gets anyway"),
    ("/dev/watchdog", "it reboots the machine"),
];

/// Default `devices` of a persona: the harmless nodes and the GPU render nodes
/// (rendering only, no display, no input). Sound devices only when listed: a
/// microphone is a sensor.
pub const DEFAULT_DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/dri/renderD*",
];

/// Why `path` may never be given to a session, if it may not.
pub fn forbidden_device(path: &str) -> Option<&'static str> {
    let path = path.trim_end_matches('/');
    if path == "/dev" || path == "/dev/dri" {
        return Some("the whole directory (it holds the DRM primary node or input devices)");
    }
    FORBIDDEN_DEVICES
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map(|(_, why)| *why)
}

/// Checks one `devices` entry as written in the config.
pub fn check_device_pattern(pattern: &str) -> Result<(), String> {
    if !pattern.starts_with("/dev/") {
        return Err(format!("device `{pattern}` is not under /dev/"));
    }
    if pattern.split('/').any(|part| part == "..") {
        return Err(format!("device `{pattern}` must not contain `..`"));
    }
    if let Some(why) = forbidden_device(pattern) {
        return Err(format!("device `{pattern}` is never allowed ({why})"));
    }
    let (parent, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    if parent.contains(['*', '?', '[']) {
        return Err(format!(
            "device pattern `{pattern}`: wildcards only in the last part"
        ));
    }
    let literal = name.find(['*', '?', '[']).unwrap_or(name.len());
    if parent == "/dev" && literal < 2 {
        return Err(format!(
            "device pattern `{pattern}` is too broad: name the nodes, such as \"/dev/video*\""
        ));
    }
    glob::Pattern::new(pattern)
        .map(|_| ())
        .map_err(|err| format!("device pattern `{pattern}`: {err}"))
}

/// Checks one `share` entry: a name in the host's `XDG_RUNTIME_DIR`.
pub fn check_share(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(format!(
            "share `{name}` must be a single name in XDG_RUNTIME_DIR, such as \"pipewire-0\""
        ));
    }
    if name == "personas" {
        return Err("share `personas` would expose the compositor's control socket and every persona's socket".into());
    }
    Ok(())
}

/// The device nodes the patterns name on this machine. Forbidden matches
/// (also through a symlink) are left out; `warn` hears about them and about
/// patterns that match nothing.
pub fn expand_devices(patterns: &[String], mut warn: impl FnMut(String)) -> Vec<PathBuf> {
    let mut nodes = Vec::new();
    for pattern in patterns {
        let mut matched = false;
        for path in glob::glob(pattern).into_iter().flatten().flatten() {
            let resolved = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            let why = forbidden_device(&path.to_string_lossy())
                .or_else(|| forbidden_device(&resolved.to_string_lossy()))
                .or_else(|| match fs::metadata(&resolved) {
                    Ok(meta) if meta.file_type().is_block_device() => {
                        Some("a block device (a disk)")
                    }
                    Ok(meta) if meta.is_file() => Some("not a device"),
                    _ => None,
                });
            if let Some(why) = why {
                warn(format!(
                    "device {} (from `{pattern}`) left out: {why}",
                    path.display()
                ));
                continue;
            }
            matched = true;
            if !nodes.contains(&path) {
                nodes.push(path);
            }
        }
        if !matched {
            warn(format!("device pattern `{pattern}` matches nothing"));
        }
    }
    nodes
}

/// What the sandbox builds; the supervisor's side of the command line.
#[derive(clap::Args, Debug, Clone, Default, PartialEq)]
pub struct SandboxArgs {
    /// The persona: the host name in its namespace.
    #[arg(long)]
    pub name: String,
    /// The persona's Wayland socket, shown as `wayland-0` in the runtime dir.
    #[arg(long)]
    pub socket: Option<PathBuf>,
    /// Where the session finds its (private) XDG_RUNTIME_DIR.
    #[arg(long)]
    pub runtime_dir: Option<PathBuf>,
    /// The persona's home directory on the host.
    #[arg(long)]
    pub home: Option<PathBuf>,
    /// The persona's X11 socket directory, shown as `/tmp/.X11-unix`.
    #[arg(long)]
    pub x11_dir: Option<PathBuf>,
    /// Where the home appears (the user's real home, covered by it).
    #[arg(long)]
    pub home_target: Option<PathBuf>,
    /// A device node for the new /dev.
    #[arg(long = "device")]
    pub devices: Vec<PathBuf>,
    /// A host runtime-dir entry to bind into the private runtime dir.
    #[arg(long = "share")]
    pub shares: Vec<PathBuf>,
    /// A path to cover with an empty, read-only mount.
    #[arg(long = "hide")]
    pub hide: Vec<PathBuf>,
    /// A new network namespace with only loopback.
    #[arg(long)]
    pub no_network: bool,
    /// The program and its arguments; none builds the sandbox and exits 0
    /// (the supervisor's probe of what the kernel allows).
    #[arg(last = true)]
    pub argv: Vec<String>,
}

impl SandboxArgs {
    /// The command line that [`run`] parses back.
    pub fn to_args(&self) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> =
            vec!["sandbox".into(), "--name".into(), self.name.clone().into()];
        let mut path = |flag: &str, value: &Path| {
            args.push(flag.into());
            args.push(value.into());
        };
        for (flag, value) in [
            ("--socket", &self.socket),
            ("--runtime-dir", &self.runtime_dir),
            ("--home", &self.home),
            ("--home-target", &self.home_target),
            ("--x11-dir", &self.x11_dir),
        ] {
            if let Some(value) = value {
                path(flag, value);
            }
        }
        for (flag, values) in [
            ("--device", &self.devices),
            ("--share", &self.shares),
            ("--hide", &self.hide),
        ] {
            for value in values {
                path(flag, value);
            }
        }
        if self.no_network {
            args.push("--no-network".into());
        }
        args.push("--".into());
        args.extend(self.argv.iter().map(Into::into));
        args
    }
}

/// The launcher's main: never returns. Errors go to stderr (the persona's
/// log) and end it with [`SETUP_FAILED`].
pub fn run(args: SandboxArgs) -> ! {
    match launch(&args) {
        Ok(never) => match never {},
        Err(err) => {
            eprintln!("personas sandbox ({}): {err}", args.name);
            std::process::exit(SETUP_FAILED);
        }
    }
}

enum Never {}

/// Sources opened before any mount, bound later through `/proc/self/fd`.
struct Sources {
    socket: Option<File>,
    home: Option<File>,
    x11_dir: Option<File>,
    /// `/dev/tty`: each process's own controlling terminal (a pty of the
    /// namespace's devpts here), which terminals such as xterm open.
    tty: Option<File>,
    devices: Vec<(PathBuf, File)>,
    shares: Vec<(PathBuf, File)>,
    null: File,
}

fn open_path(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open(path)
        .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))
}

fn context<T>(what: &str, result: nix::Result<T>) -> io::Result<T> {
    result.map_err(|err| io::Error::other(format!("{what}: {err}")))
}

/// Opens what can be opened of `paths`; the rest is left out with a line in
/// the log.
fn open_each(paths: &[PathBuf], what: &str) -> Vec<(PathBuf, File)> {
    paths
        .iter()
        .filter_map(|path| match open_path(path) {
            Ok(file) => Some((path.clone(), file)),
            Err(err) => {
                eprintln!("personas sandbox: {what} left out: {err}");
                None
            }
        })
        .collect()
}

/// Opens every source in the namespace's own mounts (a bind mount's source
/// must be in the caller's mount namespace), before anything is mounted.
fn open_sources(args: &SandboxArgs) -> io::Result<Sources> {
    Ok(Sources {
        socket: args.socket.as_deref().map(open_path).transpose()?,
        home: args.home.as_deref().map(open_path).transpose()?,
        x11_dir: args.x11_dir.as_deref().map(open_path).transpose()?,
        tty: open_path(Path::new("/dev/tty")).ok(),
        devices: open_each(&args.devices, "device"),
        shares: open_each(&args.shares, "share"),
        null: open_path(Path::new("/dev/null"))?,
    })
}

fn launch(args: &SandboxArgs) -> io::Result<Never> {
    let (uid, gid) = (getuid(), getgid());
    let mut flags = CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWIPC
        | CloneFlags::CLONE_NEWUTS;
    if args.no_network {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    let unprivileged = !uid.is_root();
    if unprivileged {
        flags |= CloneFlags::CLONE_NEWUSER;
    }
    context("unshare (are user namespaces allowed?)", unshare(flags))?;
    if unprivileged {
        map_self(uid.as_raw(), gid.as_raw())?;
    }

    let (status_read, status_write) = context("pipe", nix::unistd::pipe())?;
    let forwarded = forwarded_signals();
    // Blocked before the fork so no signal slips between fork and sigwait.
    block(&forwarded)?;
    // SAFETY: this process is single-threaded (the launcher's main thread),
    // so the child may do anything.
    match context("fork", unsafe { fork() })? {
        ForkResult::Child => {
            drop(status_read);
            let code = match init(args, uid.as_raw(), gid.as_raw(), status_write) {
                Ok(never) => match never {},
                Err(err) => {
                    eprintln!("personas sandbox ({}): {err}", args.name);
                    SETUP_FAILED
                }
            };
            std::process::exit(code);
        }
        ForkResult::Parent { child } => {
            drop(status_write);
            outer_wait(child, &forwarded, status_read)
        }
    }
}

fn forwarded_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGCHLD,
    ] {
        set.add(signal);
    }
    set
}

extern "C" fn ignore(_: libc::c_int) {}

/// Blocks `set` (taken with sigwait) after giving each signal a handler: the
/// pid 1 of a namespace only receives signals it handles.
fn block(set: &SigSet) -> io::Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(ignore),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in set.iter() {
        // SAFETY: installs a handler that does nothing.
        context("sigaction", unsafe { sigaction(signal, &action) })?;
    }
    context(
        "sigprocmask",
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(set), None),
    )
}

/// Maps the user (and group) to itself in the user namespace just entered.
fn map_self(uid: u32, gid: u32) -> io::Result<()> {
    let write = |file: &str, text: String| {
        fs::write(file, text).map_err(|err| io::Error::new(err.kind(), format!("{file}: {err}")))
    };
    write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))?;
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))
}

/// The launcher outside the namespace: forwards signals to its pid 1 and
/// ends as the program ended.
fn outer_wait(child: Pid, forwarded: &SigSet, status: OwnedFd) -> ! {
    loop {
        match forwarded.wait() {
            Ok(Signal::SIGCHLD) => match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(_, code)) => end_as(read_status(status), code),
                Ok(WaitStatus::Signaled(_, signal, _)) => {
                    end_as(Some(WaitStatus::Signaled(child, signal, false)), 128)
                }
                _ => {}
            },
            Ok(signal) => {
                let _ = kill(child, signal);
            }
            Err(_) => {}
        }
    }
}

/// The program's end as pid 1 reported it: `[0, code]` or `[1, signal]`.
fn read_status(status: OwnedFd) -> Option<WaitStatus> {
    let mut buf = [0u8; 2];
    File::from(status).read_exact(&mut buf).ok()?;
    match buf {
        [0, code] => Some(WaitStatus::Exited(Pid::from_raw(0), i32::from(code))),
        [1, signal] => Signal::try_from(i32::from(signal))
            .ok()
            .map(|signal| WaitStatus::Signaled(Pid::from_raw(0), signal, false)),
        _ => None,
    }
}

/// Exits with the program's code, or dies of the program's signal (without a
/// core dump of the launcher); `fallback` when pid 1 told nothing.
fn end_as(status: Option<WaitStatus>, fallback: i32) -> ! {
    match status {
        Some(WaitStatus::Exited(_, code)) => std::process::exit(code),
        Some(WaitStatus::Signaled(_, signal, _)) => {
            let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
            // SAFETY: restoring the default action of a signal.
            let _ = unsafe { nix::sys::signal::signal(signal, SigHandler::SigDfl) };
            let mut set = SigSet::empty();
            set.add(signal);
            let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None);
            let _ = nix::sys::signal::raise(signal);
            std::process::exit(128 + signal as i32)
        }
        _ => std::process::exit(fallback),
    }
}

/// pid 1 of the persona's namespace.
fn init(args: &SandboxArgs, uid: u32, gid: u32, status: OwnedFd) -> io::Result<Never> {
    // Dies with the launcher (SIGKILLed by the supervisor), taking the
    // namespace with it.
    context(
        "prctl",
        nix::sys::prctl::set_pdeathsig(Some(Signal::SIGKILL)),
    )?;
    let sources = open_sources(args)?;
    build_view(args, &sources, uid, gid)?;
    drop(sources);
    context("sethostname", nix::unistd::sethostname(&args.name))?;
    if args.no_network {
        loopback_up()?;
    }
    // Mounts made above become locked in a namespace owned by a new user
    // namespace: nobody inside can unmount them to see what they cover.
    let (inner_uid, inner_gid) = (getuid().as_raw(), getgid().as_raw());
    context(
        "unshare (locking the mounts)",
        unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS),
    )?;
    map_self(inner_uid, inner_gid)?;

    let Some((program, _)) = args.argv.split_first() else {
        // The probe: everything above worked.
        std::process::exit(0);
    };
    let argv: Vec<CString> = args
        .argv
        .iter()
        .map(|arg| CString::new(arg.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|_| io::Error::other("an argument holds a NUL byte"))?;
    let forwarded = forwarded_signals();
    // SAFETY: still single-threaded.
    let session = match context("fork", unsafe { fork() })? {
        ForkResult::Child => {
            let _ = nix::sys::signal::sigprocmask(
                SigmaskHow::SIG_SETMASK,
                Some(&SigSet::empty()),
                None,
            );
            if let Ok(home) = std::env::var("HOME") {
                let _ = std::env::set_current_dir(home);
            }
            let err = nix::unistd::execvp(&argv[0], &argv).unwrap_err();
            eprintln!("cannot start {program:?}: {}", io::Error::from(err));
            std::process::exit(SETUP_FAILED);
        }
        ForkResult::Parent { child } => child,
    };
    let mut status = File::from(status);
    loop {
        match forwarded.wait() {
            Ok(Signal::SIGCHLD) => loop {
                match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::Exited(pid, code)) if pid == session => {
                        let _ = status.write_all(&[0, code as u8]);
                        std::process::exit(code);
                    }
                    Ok(WaitStatus::Signaled(pid, signal, _)) if pid == session => {
                        let _ = status.write_all(&[1, signal as i32 as u8]);
                        std::process::exit(128 + signal as i32);
                    }
                    Ok(WaitStatus::StillAlive) | Err(_) => break,
                    Ok(_) => {}
                }
            },
            // kill(-1) from pid 1 reaches every other process of the namespace.
            Ok(signal) => {
                let _ = kill(Pid::from_raw(-1), signal);
            }
            Err(_) => {}
        }
    }
}

fn bind(source: &File, target: &Path, recursive: bool) -> io::Result<()> {
    let from = format!("/proc/self/fd/{}", source.as_raw_fd());
    let mut flags = MsFlags::MS_BIND;
    if recursive {
        flags |= MsFlags::MS_REC;
    }
    context(
        &format!("bind {}", target.display()),
        mount(
            Some(from.as_str()),
            target,
            None::<&str>,
            flags,
            None::<&str>,
        ),
    )
}

fn tmpfs(target: &Path, flags: MsFlags, options: &str) -> io::Result<()> {
    context(
        &format!("tmpfs on {}", target.display()),
        mount(Some("tmpfs"), target, Some("tmpfs"), flags, Some(options)),
    )
}

/// Creates an empty mount point for `source` at `target`: a directory for a
/// directory, a file for anything else.
fn mount_point(source: &File, target: &Path) -> io::Result<bool> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)?;
    }
    let is_dir = source.metadata()?.is_dir();
    if is_dir {
        fs::create_dir_all(target)?;
    } else {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(target)?;
    }
    Ok(is_dir)
}

fn build_view(args: &SandboxArgs, sources: &Sources, uid: u32, gid: u32) -> io::Result<()> {
    let quiet = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    // Nothing done here propagates back to the host.
    context(
        "making / private",
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&str>,
        ),
    )?;
    tmpfs(Path::new("/tmp"), quiet, "mode=1777")?;
    if let Some(x11) = &sources.x11_dir {
        // Only the persona's own X server's socket (`xwayland/`).
        let target = Path::new(crate::xwayland::SOCKET_DIR);
        fs::create_dir_all(target)?;
        bind(x11, target, false)?;
    }

    let dev = Path::new("/dev");
    tmpfs(dev, MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC, "mode=0755")?;
    for (path, source) in &sources.devices {
        let is_dir = mount_point(source, path)?;
        bind(source, path, is_dir)?;
    }
    fs::create_dir_all("/dev/pts")?;
    context(
        "devpts",
        mount(
            Some("devpts"),
            "/dev/pts",
            Some("devpts"),
            MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
            Some("newinstance,ptmxmode=0666,mode=0620"),
        ),
    )?;
    std::os::unix::fs::symlink("pts/ptmx", "/dev/ptmx")?;
    if let Some(tty) = &sources.tty {
        let target = Path::new("/dev/tty");
        mount_point(tty, target)?;
        bind(tty, target, false)?;
    }
    fs::create_dir_all("/dev/shm")?;
    tmpfs(Path::new("/dev/shm"), quiet, "mode=1777")?;
    for (link, target) in [
        ("/dev/fd", "/proc/self/fd"),
        ("/dev/stdin", "/proc/self/fd/0"),
        ("/dev/stdout", "/proc/self/fd/1"),
        ("/dev/stderr", "/proc/self/fd/2"),
    ] {
        std::os::unix::fs::symlink(target, link)?;
    }

    context(
        "proc",
        mount(
            Some("proc"),
            "/proc",
            Some("proc"),
            quiet | MsFlags::MS_NOEXEC,
            None::<&str>,
        ),
    )?;

    if let Some(runtime) = &args.runtime_dir {
        fs::create_dir_all(runtime)?;
        tmpfs(runtime, quiet, &format!("mode=0700,uid={uid},gid={gid}"))?;
        if let Some(socket) = &sources.socket {
            let target = runtime.join(SOCKET_NAME);
            mount_point(socket, &target)?;
            bind(socket, &target, false)?;
        }
        for (path, source) in &sources.shares {
            let Some(name) = path.file_name() else {
                continue;
            };
            let target = runtime.join(name);
            let is_dir = mount_point(source, &target)?;
            bind(source, &target, is_dir)?;
        }
    }

    if let (Some(home), Some(target)) = (&sources.home, &args.home_target) {
        // Missing only when it was under the (now private) /tmp.
        fs::create_dir_all(target)?;
        bind(home, target, true)?;
    }

    for path in &args.hide {
        let Ok(meta) = fs::symlink_metadata(path) else {
            continue;
        };
        if meta.is_dir() {
            tmpfs(path, quiet | MsFlags::MS_RDONLY, "mode=0000")?;
        } else if meta.is_file() {
            bind(&sources.null, path, false)?;
            context(
                &format!("read-only {}", path.display()),
                mount(
                    None::<&str>,
                    path,
                    None::<&str>,
                    MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
                    None::<&str>,
                ),
            )?;
        }
    }
    Ok(())
}

/// Brings `lo` up in a new network namespace (it starts down).
fn loopback_up() -> io::Result<()> {
    // SAFETY: plain socket ioctls on a zeroed, NUL-terminated ifreq.
    unsafe {
        let sock = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if sock < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut request: libc::ifreq = std::mem::zeroed();
        for (dst, src) in request.ifr_name.iter_mut().zip(b"lo\0") {
            *dst = *src as libc::c_char;
        }
        let mut result = libc::ioctl(sock, libc::SIOCGIFFLAGS as _, &mut request);
        if result == 0 {
            request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            result = libc::ioctl(sock, libc::SIOCSIFFLAGS as _, &request);
        }
        let err = io::Error::last_os_error();
        libc::close(sock);
        if result != 0 {
            return Err(io::Error::other(format!("bringing up lo: {err}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_devices_are_refused_in_any_spelling() {
        for bad in [
            "/dev/input/event0",
            "/dev/input/*",
            "/dev/dri/card0",
            "/dev/dri/card*",
            "/dev/dri",
            "/dev/dri/",
            "/dev/tty1",
            "/dev/uinput",
            "/dev/hidraw0",
            "/dev/mem",
        ] {
            assert!(check_device_pattern(bad).is_err(), "{bad}");
        }
        for bad in [
            "/etc/passwd",
            "dev/null",
            "/dev/../etc/shadow",
            "/dev/[x",
            "/dev/*",
            "/dev/?*",
            "/dev/v*",
            "/dev/*/renderD128",
            "/dev/pts/0",
            "/dev/shm",
        ] {
            assert!(check_device_pattern(bad).is_err(), "{bad}");
        }
        for good in DEFAULT_DEVICES
            .iter()
            .chain(&["/dev/snd/*", "/dev/video*", "/dev/sd?"])
        {
            assert_eq!(check_device_pattern(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn expansion_warns_about_empty_patterns_and_leaves_out_forbidden_links() {
        let dir = tempfile::tempdir().unwrap();
        let mut warnings = Vec::new();
        let nodes = expand_devices(
            &[
                "/dev/null".into(),
                "/dev/personas-no-such-node*".into(),
                "/dev/null".into(),
            ],
            |w| warnings.push(w),
        );
        assert_eq!(nodes, vec![PathBuf::from("/dev/null")]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("matches nothing"), "{warnings:?}");
        drop(dir);
    }

    #[test]
    fn shares_are_single_names_and_never_the_compositor_directory() {
        assert!(check_share("pipewire-0").is_ok());
        assert!(check_share("bus").is_ok());
        for bad in ["", "..", "a/b", "personas", "/run/user/0/bus"] {
            assert!(check_share(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_command_line_round_trips() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(subcommand)]
            command: Sub,
        }
        #[derive(clap::Subcommand)]
        enum Sub {
            Sandbox(SandboxArgs),
        }
        let args = SandboxArgs {
            name: "work".into(),
            socket: Some("/run/user/1/personas/work/wayland-0".into()),
            runtime_dir: Some("/run/user/1".into()),
            home: Some("/h/work".into()),
            home_target: Some("/home/u".into()),
            x11_dir: Some("/tmp/.personas-x11-1/work".into()),
            devices: vec!["/dev/null".into(), "/dev/zero".into()],
            shares: vec!["/run/user/1/pipewire-0".into()],
            hide: vec!["/home/u/.config/personas".into()],
            no_network: true,
            argv: vec!["sh".into(), "-c".into(), "--name x".into()],
        };
        let mut line = vec![std::ffi::OsString::from("personas")];
        line.extend(args.to_args());
        let Sub::Sandbox(parsed) = Cli::try_parse_from(line).unwrap().command;
        assert_eq!(parsed, args);
    }
}
