//! Xwayland per persona: each persona that enables it (`xwayland`, on by
//! default) has an X server of its own on a display number of its own,
//! started with the persona and started again when it exits.
//!
//! smithay's X11 window manager wants a `LoopHandle<PersonaState>`, so every
//! persona with Xwayland has a small event loop of its own (the X server's
//! readiness and the window manager's X connection) whose fd sits in the
//! compositor's loop; the X11 handlers then see only their persona, as the
//! Wayland ones do.
//!
//! Who can reach the server: smithay opens `/tmp/.X11-unix/Xn` (never the
//! abstract socket here). A namespaced session has a private `/tmp`; its
//! `/tmp/.X11-unix` is a directory of the persona's own holding a hard link
//! to its server's socket only (re-linked when the server restarts). libxcb
//! tries the abstract name `@/tmp/.X11-unix/Xn` first, and abstract names
//! are shared by everyone in a network namespace: the compositor binds that
//! name itself and never listens, so the attempt is refused, libxcb falls
//! back to the path, and no other program can take the name to pose as the
//! persona's X server. A session with `isolation = "none"` sees the host's
//! `/tmp`, so every persona's X server: `list` and the docs say so.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use smithay::reexports::calloop::{EventLoop, RegistrationToken};
use smithay::reexports::rustix;
use smithay::reexports::wayland_server::DisplayHandle;
use smithay::xwayland::{X11Wm, XWayland, XWaylandEvent};

use crate::persona::{PersonaEvent, PersonaState};

/// Where every X server's socket is (X11's convention).
pub const SOCKET_DIR: &str = "/tmp/.X11-unix";

/// Display numbers tried for a new server.
const DISPLAYS: std::ops::Range<u32> = 0..64;

#[derive(Debug, thiserror::Error)]
pub enum XwaylandError {
    #[error("Xwayland is not installed (install the `xwayland` package)")]
    NotInstalled,
    #[error("{SOCKET_DIR} is missing and cannot be created: {0}")]
    SocketDir(std::io::Error),
    #[error("no free X display number in {first}..{last}")]
    NoDisplay { first: u32, last: u32 },
    #[error("cannot start Xwayland: {0}")]
    Spawn(std::io::Error),
    #[error("its event loop: {0}")]
    EventLoop(String),
    #[error("the persona's X11 directory {path}: {source}")]
    PrivateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A persona's X server and the loop its window manager runs in.
pub struct Xwayland {
    /// The persona's own loop (its fd is in the compositor's).
    pub event_loop: EventLoop<'static, PersonaState>,
    /// The display number (`DISPLAY=:n`), the same across restarts.
    pub display: u32,
    /// The abstract name `@/tmp/.X11-unix/Xn`, bound and never listening.
    guard: Option<OwnedFd>,
    /// The directory namespaced sessions see as `/tmp/.X11-unix`.
    pub private_dir: PathBuf,
    /// The running server's source in `event_loop`.
    server: Option<RegistrationToken>,
    /// `event_loop`'s own source in the compositor's loop.
    pub outer_token: Option<RegistrationToken>,
    /// Restarts after quick exits, for the backoff.
    pub failures: u32,
    /// It exited and a new one is scheduled.
    pub restart_pending: bool,
    /// The timer of that restart, in the compositor's loop.
    pub restart_timer: Option<RegistrationToken>,
    /// Turned off by a reload: no server, but the display number (and the
    /// abstract name) stay the persona's, since its running sessions
    /// still have that `DISPLAY`.
    pub off: bool,
    pub started: std::time::Instant,
}

impl Xwayland {
    /// Starts a persona's X server. The socket listens at once, so sessions
    /// started right after can connect before the server is ready.
    pub fn start(dh: &DisplayHandle, persona: &str) -> Result<Xwayland, XwaylandError> {
        if crate::session::find_program("Xwayland", None).is_err() {
            return Err(XwaylandError::NotInstalled);
        }
        ensure_socket_dir().map_err(XwaylandError::SocketDir)?;
        let event_loop =
            EventLoop::try_new().map_err(|e| XwaylandError::EventLoop(e.to_string()))?;
        let mut xwayland = Xwayland {
            event_loop,
            display: 0,
            guard: None,
            private_dir: PathBuf::new(),
            server: None,
            outer_token: None,
            failures: 0,
            restart_pending: false,
            restart_timer: None,
            off: false,
            started: std::time::Instant::now(),
        };
        let mut last_error = None;
        for display in DISPLAYS {
            // A display in use has its lock file, which smithay checks
            // (and takes over when its server is gone).
            let Ok(guard) = bind_abstract(display) else {
                continue;
            };
            xwayland.display = display;
            xwayland.guard = Some(guard);
            // Named by the display, which is this compositor's while it
            // holds the number (another instance may have a persona of
            // the same name).
            xwayland.private_dir = private_dir(display)?;
            match xwayland.spawn(dh, persona) {
                Ok(()) => return Ok(xwayland),
                // Another server took the number meanwhile.
                Err(err) => {
                    let _ = std::fs::remove_dir_all(&xwayland.private_dir);
                    last_error = Some(err);
                }
            }
        }
        Err(last_error.unwrap_or(XwaylandError::NoDisplay {
            first: DISPLAYS.start,
            last: DISPLAYS.end - 1,
        }))
    }

    /// Spawns the server on this display number and links its socket for
    /// namespaced sessions.
    pub fn spawn(&mut self, dh: &DisplayHandle, persona: &str) -> Result<(), XwaylandError> {
        self.stop();
        let (server, client) = XWayland::spawn(
            dh,
            self.display,
            std::iter::empty::<(String, String)>(),
            false,
            Stdio::null(),
            Stdio::null(),
            |_| {},
        )
        .map_err(XwaylandError::Spawn)?;
        let handle = self.event_loop.handle();
        let wm_handle = handle.clone();
        let name = persona.to_string();
        let token = handle
            .insert_source(server, move |event, _, state: &mut PersonaState| match event {
                XWaylandEvent::Ready { x11_socket, .. } => {
                    match X11Wm::start_wm(wm_handle.clone(), x11_socket, client.clone()) {
                        Ok(wm) => {
                            tracing::info!(persona = %name, "Xwayland ready");
                            state.xwm = Some(wm);
                            state.xwayland_client = Some(client.clone());
                            state.x11_loop = Some(wm_handle.clone());
                            state.offer_selection_to_x11();
                        }
                        Err(err) => {
                            tracing::warn!(persona = %name, "the X11 window manager did not start: {err}");
                            state.events.push(PersonaEvent::XwaylandExited);
                        }
                    }
                }
                XWaylandEvent::Error => {
                    tracing::warn!(persona = %name, "Xwayland exited while starting");
                    state.events.push(PersonaEvent::XwaylandExited);
                }
            })
            .map_err(|e| XwaylandError::EventLoop(e.to_string()))?;
        self.server = Some(token);
        self.started = std::time::Instant::now();
        self.link_socket();
        tracing::info!(persona, display = self.display, "Xwayland started");
        Ok(())
    }

    /// Ends this server's generation: the server, and the loop its window
    /// manager ran in (the caller dropped the window manager first). A
    /// restart starts in a fresh loop, so nothing of the old server's (a
    /// selection transfer in flight) runs against the new one.
    pub fn retire(&mut self) {
        self.stop();
        match EventLoop::try_new() {
            Ok(fresh) => self.event_loop = fresh,
            Err(err) => tracing::warn!("Xwayland's loop not renewed: {err}"),
        }
    }

    /// Ends the server (its socket and lock go with it).
    pub fn stop(&mut self) {
        if let Some(token) = self.server.take() {
            let handle = self.event_loop.handle();
            // A ready server's source disabled itself; enabled again it can
            // be unregistered without calloop warning that it was not.
            let _ = handle.enable(&token);
            handle.remove(token);
        }
    }

    /// Runs whatever the X server and window manager sent.
    pub fn dispatch(&mut self, state: &mut PersonaState) {
        if let Err(err) = self.event_loop.dispatch(Some(Duration::ZERO), state) {
            tracing::warn!(persona = %state.name, "Xwayland's loop failed: {err}");
        }
        state.pair_x11_windows();
    }

    /// `DISPLAY` for the persona's session.
    pub fn display_name(&self) -> String {
        format!(":{}", self.display)
    }

    /// The hard link namespaced sessions connect through, replaced for
    /// every new server (a bind mount of the socket itself would keep
    /// pointing at a dead one after a restart).
    fn link_socket(&self) {
        let name = format!("X{}", self.display);
        let link = self.private_dir.join(&name);
        let _ = std::fs::remove_file(&link);
        let socket = Path::new(SOCKET_DIR).join(&name);
        if let Err(err) = std::fs::hard_link(&socket, &link) {
            tracing::warn!(
                "namespaced sessions cannot reach X display :{} ({} to {}: {err})",
                self.display,
                socket.display(),
                link.display()
            );
        }
    }
}

impl Drop for Xwayland {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.private_dir);
    }
}

/// `/tmp/.X11-unix`, sticky and writable by all, as X servers expect it.
fn ensure_socket_dir() -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = Path::new(SOCKET_DIR);
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o1777))
}

/// Binds the abstract socket name libxcb tries before the path, without
/// listening: connecting to it is refused, and nobody else can bind it.
fn bind_abstract(display: u32) -> std::io::Result<OwnedFd> {
    let fd = rustix::net::socket_with(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::STREAM,
        rustix::net::SocketFlags::CLOEXEC,
        None,
    )?;
    let name = format!("{SOCKET_DIR}/X{display}");
    let addr = rustix::net::SocketAddrUnix::new_abstract_name(name.as_bytes())?;
    rustix::net::bind(&fd, &addr)?;
    Ok(fd)
}

/// `/tmp/.personas-x11-UID/N` for display N: on the file system of the X
/// sockets, so a hard link to one can live there. Refused if someone else
/// made the parent (it is in the world-writable /tmp).
fn private_dir(display: u32) -> Result<PathBuf, XwaylandError> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let uid = rustix::process::getuid().as_raw();
    let parent = PathBuf::from(format!("/tmp/.personas-x11-{uid}"));
    let error = |path: &Path, source: std::io::Error| XwaylandError::PrivateDir {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&parent) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(error(&parent, err)),
    }
    let meta = std::fs::symlink_metadata(&parent).map_err(|e| error(&parent, e))?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
        return Err(error(
            &parent,
            std::io::Error::other("not a private directory of this user"),
        ));
    }
    let dir = parent.join(display.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .mode(0o755)
        .create(&dir)
        .map_err(|e| error(&dir, e))?;
    Ok(dir)
}
