//! Xwayland per persona: each persona that enables it (`xwayland`, on by
//! default) has an X display of its own for its life (number, lock file,
//! socket), whose server starts when the first X client connects and again
//! on the next connection after it exits (with a backoff when it keeps
//! dying). An idle persona costs no X server.
//!
//! smithay's X11 window manager wants a `LoopHandle<PersonaState>`, so every
//! server runs with a small event loop of its own (the server's readiness
//! and the window manager's X connection) whose fd sits in the compositor's
//! loop; the X11 handlers then see only their persona, as the Wayland ones
//! do.
//!
//! Who can reach the server: the compositor binds `/tmp/.X11-unix/Xn`
//! itself (never an abstract socket) and hands it to each server. A
//! namespaced session has a private `/tmp`; its `/tmp/.X11-unix` is a
//! directory of the persona's own holding a hard link to that socket only.
//! libxcb tries the abstract name `@/tmp/.X11-unix/Xn` first, and abstract
//! names are shared by everyone in a network namespace: the compositor
//! binds that name and never listens, so the attempt is refused, libxcb
//! falls back to the path, and no other program can take the name to pose
//! as the persona's X server. A session with `isolation = "none"` sees the
//! host's `/tmp`, so every persona's X server: `list` and the docs say so.

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

/// A persona's X display: its number, lock file, listening socket and the
/// abstract name it holds. It outlives the servers: Xwayland starts when a
/// client first connects, and again on the next connection after it exits.
pub struct X11Display {
    pub number: u32,
    /// `/tmp/.X11-unix/Xn`, listening, handed to each server; closed (and
    /// the file gone) while X11 is turned off.
    pub listener: Option<std::os::unix::net::UnixListener>,
    /// The abstract name `@/tmp/.X11-unix/Xn`, bound and never listening.
    _guard: OwnedFd,
    /// The directory namespaced sessions see as `/tmp/.X11-unix`.
    pub private_dir: PathBuf,
}

impl X11Display {
    /// Takes the first free display number: its lock file (taking over
    /// one whose server is gone), its abstract name and its socket.
    fn claim() -> Result<X11Display, XwaylandError> {
        ensure_socket_dir().map_err(XwaylandError::SocketDir)?;
        for number in DISPLAYS {
            let Ok(guard) = bind_abstract(number) else {
                continue;
            };
            if !lock(number) {
                continue;
            }
            let mut display = X11Display {
                number,
                listener: None,
                _guard: guard,
                private_dir: PathBuf::new(),
            };
            if let Err(err) = display.listen() {
                tracing::debug!(number, "X socket not bound: {err}");
                continue;
            }
            display.private_dir = private_dir(number)?;
            display.link()?;
            return Ok(display);
        }
        Err(XwaylandError::NoDisplay {
            first: DISPLAYS.start,
            last: DISPLAYS.end - 1,
        })
    }
}

impl X11Display {
    fn socket_path(&self) -> PathBuf {
        Path::new(SOCKET_DIR).join(format!("X{}", self.number))
    }

    /// Binds the display's socket (again, after [`X11Display::close`]).
    pub fn listen(&mut self) -> std::io::Result<()> {
        let path = self.socket_path();
        let _ = std::fs::remove_file(&path);
        self.listener = Some(std::os::unix::net::UnixListener::bind(&path)?);
        Ok(())
    }

    /// Closes the socket: clients get refused rather than wait for a
    /// server that will not come.
    pub fn close(&mut self) {
        if self.listener.take().is_some() {
            let _ = std::fs::remove_file(self.socket_path());
        }
    }

    /// The hard link namespaced sessions connect through (the socket
    /// itself bound into the sandbox would be a dead one once rebound).
    pub fn link(&self) -> Result<(), XwaylandError> {
        let link = self.private_dir.join(format!("X{}", self.number));
        let _ = std::fs::remove_file(&link);
        std::fs::hard_link(self.socket_path(), &link)
            .map_err(|source| XwaylandError::PrivateDir { path: link, source })
    }
}

impl Drop for X11Display {
    fn drop(&mut self) {
        self.close();
        let _ = std::fs::remove_file(lock_path(self.number));
        if !self.private_dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.private_dir);
        }
    }
}

fn lock_path(number: u32) -> PathBuf {
    PathBuf::from(format!("/tmp/.X{number}-lock"))
}

/// Creates the display's lock file, as X servers do (our pid, right
/// aligned in 10 columns); one left by a process that is gone is taken over.
fn lock(number: u32) -> bool {
    use std::io::Write;
    let path = lock_path(number);
    for _ in 0..2 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                return writeln!(file, "{:>10}", std::process::id()).is_ok();
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| text.trim().parse::<i32>().ok());
                let gone = holder.is_some_and(|pid| {
                    // SAFETY: signal 0 only checks that the process exists.
                    let alive = unsafe { libc::kill(pid, 0) } == 0;
                    !alive && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
                });
                if !gone || std::fs::remove_file(&path).is_err() {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    false
}

/// A persona's X display and, while one runs, its server and the loop its
/// window manager runs in.
pub struct Xwayland {
    /// The persona's own loop (its fd is in the compositor's), fresh for
    /// every server.
    pub event_loop: EventLoop<'static, PersonaState>,
    pub display: X11Display,
    /// The running server's source in `event_loop`.
    server: Option<RegistrationToken>,
    /// `event_loop`'s own source in the compositor's loop.
    pub outer_token: Option<RegistrationToken>,
    /// The listening socket's source in the compositor's loop: a client
    /// connecting while no server runs starts one.
    pub listen_token: Option<RegistrationToken>,
    /// Quick exits in a row, for the backoff.
    pub failures: u32,
    /// It exited soon after starting: the next start waits for a timer.
    pub restart_pending: bool,
    /// That timer, in the compositor's loop.
    pub restart_timer: Option<RegistrationToken>,
    /// Turned off by a reload: no server starts, but the display stays the
    /// persona's, since its running sessions still have that `DISPLAY`.
    pub off: bool,
    pub started: std::time::Instant,
}

impl Xwayland {
    /// Claims a persona's X display. No server runs until a client
    /// connects; the socket listens at once, so a client never misses it.
    pub fn new() -> Result<Xwayland, XwaylandError> {
        if crate::session::find_program("Xwayland", None).is_err() {
            return Err(XwaylandError::NotInstalled);
        }
        let event_loop =
            EventLoop::try_new().map_err(|e| XwaylandError::EventLoop(e.to_string()))?;
        Ok(Xwayland {
            event_loop,
            display: X11Display::claim()?,
            server: None,
            outer_token: None,
            listen_token: None,
            failures: 0,
            restart_pending: false,
            restart_timer: None,
            off: false,
            started: std::time::Instant::now(),
        })
    }

    pub fn running(&self) -> bool {
        self.server.is_some()
    }

    /// Spawns a server on the display's socket (it accepts the waiting
    /// client).
    pub fn spawn(&mut self, dh: &DisplayHandle, persona: &str) -> Result<(), XwaylandError> {
        self.stop();
        let listener = self
            .display
            .listener
            .as_ref()
            .ok_or_else(|| XwaylandError::Spawn(std::io::Error::other("X11 is turned off")))?
            .try_clone()
            .map_err(XwaylandError::Spawn)?;
        let (server, client) = XWayland::spawn_with_listeners(
            dh,
            self.display.number,
            vec![OwnedFd::from(listener)],
            std::iter::empty::<(String, String)>(),
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
        tracing::info!(persona, display = self.display.number, "Xwayland started");
        Ok(())
    }

    /// Ends this server's generation: the server, and the loop its window
    /// manager ran in (the caller dropped the window manager first). The
    /// next server starts in a fresh loop, so nothing of the old one's (a
    /// selection transfer in flight) runs against it.
    pub fn retire(&mut self) {
        self.stop();
        match EventLoop::try_new() {
            Ok(fresh) => self.event_loop = fresh,
            Err(err) => tracing::warn!("Xwayland's loop not renewed: {err}"),
        }
    }

    /// Ends the server (the display stays).
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
        format!(":{}", self.display.number)
    }

    /// What its sessions get: `DISPLAY`, and the directory a namespaced
    /// one sees as `/tmp/.X11-unix`.
    pub fn session_x11(&self) -> (String, PathBuf) {
        (self.display_name(), self.display.private_dir.clone())
    }
}

impl Drop for Xwayland {
    fn drop(&mut self) {
        self.stop();
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
