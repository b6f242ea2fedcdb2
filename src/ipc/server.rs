//! The listening side of the control socket, driven by the compositor's calloop
//! event loop.
//!
//! ```text
//! let server = ControlServer::bind(&default_socket_path()?)?;   // socket 0600
//! let events = server.insert(&event_loop.handle(), |state: &mut State, req| state.handle_ipc(req))?;
//! ...
//! events.broadcast(&Event::Switched { from, to });             // to every subscriber
//! ...
//! events.cleanup();                                              // on clean exit
//! ```
//!
//! Protocol handling (see `protocol` for the message types):
//! * one JSON [`Request`] per line, one JSON [`Reply`] per line, in order;
//!   several requests may be pipelined on one connection;
//! * empty (whitespace-only) lines are ignored; a trailing `\r` is accepted;
//! * a line that is not a valid request gets
//!   `Error { message: "invalid request: <serde message>" }` and the
//!   connection stays usable;
//! * a line longer than [`MAX_REQUEST_LEN`] gets
//!   `Error { message: "request too long" }` and the connection is closed
//!   once that reply is written;
//! * `Subscribe` is handled here (the handler never sees it): the connection
//!   gets `Reply::Subscribed` and from then on every broadcast [`Event`], one
//!   per line, interleaved with replies to any further requests;
//! * EOF from the client: the remaining requests are answered (a final line
//!   without `\n` counts), then the connection is closed once its output is
//!   written. A *subscribed* connection that half-closes (`shutdown(SHUT_WR)`,
//!   as `nc -N` does) keeps receiving events until the peer goes away.
//!
//! Nothing here blocks: sockets are non-blocking and output is buffered per
//! connection. A connection with more than [`OUTPUT_BACKPRESSURE`] bytes of
//! unsent output stops being read until the client catches up; a subscriber
//! whose unsent output exceeds [`SUBSCRIBER_OUTPUT_CAP`] after a broadcast is
//! disconnected.
//!
//! Socket file lifetime: [`ControlServer::bind`] creates it; it is removed
//! when the [`ControlServer`] is dropped without being inserted, when the
//! listener source is dropped (the event loop is dropped), or explicitly with
//! [`EventSink::cleanup`] — whichever comes first. The file is only removed
//! while it is still the socket this server bound (same device and inode).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use smithay::reexports::calloop::{
    self, generic::Generic, EventSource, Interest, LoopHandle, Mode, Poll, PostAction, Readiness,
    RegistrationToken, Token, TokenFactory,
};
use tracing::{debug, info, warn};

use super::protocol::{Event, Reply, Request, MAX_REQUEST_LEN};

/// A subscriber whose unsent output exceeds this many bytes after a broadcast
/// is disconnected.
pub const SUBSCRIBER_OUTPUT_CAP: usize = 1024 * 1024;

/// A connection with at least this many bytes of unsent output is not read
/// (its requests are not processed) until the client has read some of it.
pub const OUTPUT_BACKPRESSURE: usize = 1024 * 1024;

const READ_CHUNK: usize = 16 * 1024;
const READS_PER_WAKEUP: usize = 4;
const ACCEPTS_PER_WAKEUP: usize = 32;
/// Output buffers that grew beyond this (a screenshot) are shrunk once empty.
const OUT_SHRINK_ABOVE: usize = 256 * 1024;
/// Sent data is compacted away once this much accumulated at the front.
const OUT_COMPACT_AT: usize = 64 * 1024;

/// Errors of [`ControlServer::bind`] and [`ControlServer::insert`].
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Another process is listening on the socket.
    #[error("control socket {} is in use (is another personas instance running?)", .0.display())]
    InUse(PathBuf),
    /// Something that is not a socket exists at the path; it is left alone.
    #[error("{} exists and is not a socket; refusing to replace it", .0.display())]
    NotASocket(PathBuf),
    /// A filesystem or socket operation failed.
    #[error("{what} {}: {source}", .path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The listener could not be registered with the event loop.
    #[error("cannot register the control socket with the event loop: {0}")]
    EventLoop(#[source] calloop::Error),
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> ServerError + 'a {
    move |source| ServerError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// The socket file this server created; removes it (once) when dropped or
/// asked to, provided it is still the same inode.
#[derive(Debug)]
struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
    removed: Cell<bool>,
}

impl SocketFile {
    fn remove(&self) {
        if self.removed.replace(true) {
            return;
        }
        match fs::symlink_metadata(&self.path) {
            Ok(md) if md.dev() == self.dev && md.ino() == self.ino => {
                match fs::remove_file(&self.path) {
                    Ok(()) => debug!(path = %self.path.display(), "removed control socket"),
                    Err(e) => {
                        warn!(path = %self.path.display(), "cannot remove control socket: {e}")
                    }
                }
            }
            Ok(_) => debug!(
                path = %self.path.display(),
                "control socket was replaced by someone else; leaving it"
            ),
            Err(_) => {}
        }
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        self.remove();
    }
}

/// A bound control socket, not yet serving. See the module documentation.
#[derive(Debug)]
pub struct ControlServer {
    listener: UnixListener,
    socket: SocketFile,
}

impl ControlServer {
    /// Binds the control socket at `path`.
    ///
    /// The parent directory is created with mode 0700 if missing (an existing
    /// one is left as it is). The socket is bound under a temporary name,
    /// chmod-ed to 0600 and renamed into place, so it is never reachable with
    /// looser permissions. An existing socket file nobody listens on (connect
    /// is refused) is replaced; a live one is [`ServerError::InUse`]; a
    /// non-socket file is [`ServerError::NotASocket`].
    pub fn bind(path: &Path) -> Result<ControlServer, ServerError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(io_err("cannot create directory", dir))?;
            }
        }

        match fs::symlink_metadata(path) {
            Ok(md) if !md.file_type().is_socket() => {
                return Err(ServerError::NotASocket(path.to_path_buf()))
            }
            Ok(_) => match UnixStream::connect(path) {
                Ok(_) => return Err(ServerError::InUse(path.to_path_buf())),
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    info!(path = %path.display(), "replacing stale control socket")
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("cannot probe existing socket", path)(e)),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("cannot inspect", path)(e)),
        }

        static BIND_SEQ: AtomicU32 = AtomicU32::new(0);
        let tmp = path.with_file_name(format!(
            ".{}-{}.sock.tmp",
            std::process::id(),
            BIND_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_file(&tmp);
        let (listener, bound_at) = match UnixListener::bind(&tmp) {
            Ok(l) => (l, tmp.as_path()),
            // The temporary name does not fit in sun_path: bind in place.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                let _ = fs::remove_file(path);
                let l = UnixListener::bind(path).map_err(io_err("cannot bind", path))?;
                (l, path)
            }
            Err(e) => return Err(io_err("cannot bind", &tmp)(e)),
        };
        let finish = || -> Result<fs::Metadata, ServerError> {
            fs::set_permissions(bound_at, fs::Permissions::from_mode(0o600))
                .map_err(io_err("cannot chmod", bound_at))?;
            if bound_at != path {
                fs::rename(bound_at, path).map_err(io_err("cannot move socket to", path))?;
            }
            listener
                .set_nonblocking(true)
                .map_err(io_err("cannot configure", path))?;
            fs::symlink_metadata(path).map_err(io_err("cannot inspect", path))
        };
        let md = match finish() {
            Ok(md) => md,
            Err(e) => {
                let _ = fs::remove_file(bound_at);
                return Err(e);
            }
        };
        info!(path = %path.display(), "control socket bound");
        Ok(ControlServer {
            listener,
            socket: SocketFile {
                path: path.to_path_buf(),
                dev: md.dev(),
                ino: md.ino(),
                removed: Cell::new(false),
            },
        })
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.socket.path
    }

    /// Inserts the listener into the event loop; every accepted connection
    /// becomes its own event source. `handler` is called with the loop's
    /// state for each request except `Subscribe` (handled here) and returns
    /// the reply. Returns the [`EventSink`] used to broadcast events.
    ///
    /// The server holds only a weak reference to the loop: dropping the event
    /// loop drops the listener and all connections and removes the socket.
    pub fn insert<D: 'static>(
        self,
        handle: &LoopHandle<'static, D>,
        handler: impl FnMut(&mut D, Request) -> Reply + 'static,
    ) -> Result<EventSink, ServerError> {
        let ControlServer { listener, socket } = self;
        let weak = handle.downgrade();
        let ops: LoopOps = Box::new(move |op, token| {
            if let Some(handle) = weak.upgrade() {
                match op {
                    LoopOp::Update => {
                        if let Err(e) = handle.update(&token) {
                            debug!("cannot update control connection registration: {e}");
                        }
                    }
                    LoopOp::Remove => handle.remove(token),
                }
            }
        });
        let shared = Rc::new(Shared {
            socket: Some(socket),
            subscribers: RefCell::new(Vec::new()),
            ops: Some(ops),
            next_id: Cell::new(1),
        });
        let handler: Handler<D> = Rc::new(RefCell::new(handler));
        let guard = ListenerGuard(shared.clone());
        let weak = handle.downgrade();
        handle
            .insert_source(
                Generic::new(listener, Interest::READ, Mode::Level),
                move |_, listener, _| {
                    let shared = guard.shared();
                    let Some(handle) = weak.upgrade() else {
                        return Ok(PostAction::Remove);
                    };
                    for _ in 0..ACCEPTS_PER_WAKEUP {
                        match listener.accept() {
                            Ok((stream, _)) => accept(&handle, stream, shared, &handler),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                            Err(e) => {
                                warn!("control socket accept failed: {e}");
                                break;
                            }
                        }
                    }
                    Ok(PostAction::Continue)
                },
            )
            .map_err(|e| ServerError::EventLoop(e.error))?;
        Ok(EventSink { shared })
    }
}

type Handler<D> = Rc<RefCell<dyn FnMut(&mut D, Request) -> Reply>>;

#[derive(Clone, Copy)]
enum LoopOp {
    Update,
    Remove,
}

type LoopOps = Box<dyn Fn(LoopOp, RegistrationToken)>;

/// State shared by the listener, the connections and the [`EventSink`]s.
struct Shared {
    socket: Option<SocketFile>,
    subscribers: RefCell<Vec<Rc<Conn>>>,
    /// Registration changes requested from outside a connection's callback
    /// (broadcasts). `None` for a detached sink.
    ops: Option<LoopOps>,
    next_id: Cell<u64>,
}

impl Shared {
    fn loop_op(&self, op: LoopOp, conn: &Conn) {
        if let (Some(ops), Some(token)) = (&self.ops, conn.token.get()) {
            ops(op, token);
        }
    }
}

/// Owned by the listener's callback: removes the socket file when the
/// listener source is dropped.
struct ListenerGuard(Rc<Shared>);

impl ListenerGuard {
    fn shared(&self) -> &Rc<Shared> {
        &self.0
    }
}

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        if let Some(socket) = &self.0.socket {
            socket.remove();
        }
    }
}

/// Cheap clonable handle the compositor keeps to broadcast [`Event`]s to
/// subscribed connections.
#[derive(Clone)]
pub struct EventSink {
    shared: Rc<Shared>,
}

impl EventSink {
    /// A sink without a server: broadcasts go nowhere.
    pub fn detached() -> EventSink {
        EventSink {
            shared: Rc::new(Shared {
                socket: None,
                subscribers: RefCell::new(Vec::new()),
                ops: None,
                next_id: Cell::new(1),
            }),
        }
    }

    /// Sends `event` to every subscriber. Never blocks: output a subscriber
    /// cannot take now is buffered, and a subscriber with more than
    /// [`SUBSCRIBER_OUTPUT_CAP`] bytes pending is disconnected.
    pub fn broadcast(&self, event: &Event) {
        let subscribers: Vec<Rc<Conn>> = {
            let mut subs = self.shared.subscribers.borrow_mut();
            subs.retain(|c| !c.is_dead());
            if subs.is_empty() {
                return;
            }
            subs.clone()
        };
        let mut line = match serde_json::to_vec(event) {
            Ok(line) => line,
            Err(e) => {
                warn!("cannot serialise event {event:?}: {e}");
                return;
            }
        };
        line.push(b'\n');
        for conn in subscribers {
            match conn.queue_event(&line) {
                Queued::Sent => {}
                Queued::Pending => {
                    if !conn.registered_writable.get() {
                        self.shared.loop_op(LoopOp::Update, &conn);
                    }
                }
                Queued::Overflow => {
                    warn!(
                        conn = conn.id,
                        "control subscriber is not reading its events; disconnecting it"
                    );
                    conn.close();
                    self.shared.loop_op(LoopOp::Remove, &conn);
                }
                Queued::Failed(e) => {
                    debug!(conn = conn.id, "control subscriber went away: {e}");
                    conn.close();
                    self.shared.loop_op(LoopOp::Remove, &conn);
                }
            }
        }
        self.shared
            .subscribers
            .borrow_mut()
            .retain(|c| !c.is_dead());
    }

    /// Number of connected subscribers.
    pub fn subscriber_count(&self) -> usize {
        self.shared
            .subscribers
            .borrow()
            .iter()
            .filter(|c| !c.is_dead())
            .count()
    }

    /// The control socket path (`None` for a detached sink).
    pub fn socket_path(&self) -> Option<&Path> {
        self.shared.socket.as_ref().map(|s| s.path.as_path())
    }

    /// Removes the socket file now (if it is still the one this server
    /// bound), so that no new client can connect. Call it on clean exit;
    /// connections already open keep working. Idempotent; also happens
    /// automatically when the event loop (the listener source) is dropped.
    pub fn cleanup(&self) {
        if let Some(socket) = &self.shared.socket {
            socket.remove();
        }
    }
}

impl fmt::Debug for EventSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSink")
            .field("socket", &self.socket_path())
            .field("subscribers", &self.subscriber_count())
            .finish()
    }
}

/// Unsent output of one connection.
#[derive(Default)]
struct OutBuf {
    buf: Vec<u8>,
    pos: usize,
}

impl OutBuf {
    fn len(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if self.buf.capacity() > OUT_SHRINK_ABOVE {
                self.buf.shrink_to(OUT_COMPACT_AT);
            }
        } else if self.pos >= OUT_COMPACT_AT && self.pos * 2 >= self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }
}

enum NextLine {
    Line(Vec<u8>),
    TooLong,
    None,
}

#[derive(Default)]
struct ConnState {
    /// Received bytes; `inbuf[start..]` is not yet processed, and
    /// `inbuf[start..scanned]` is known to contain no newline.
    inbuf: Vec<u8>,
    start: usize,
    scanned: usize,
    out: OutBuf,
    read_eof: bool,
    too_long: bool,
    subscribed: bool,
    dead: bool,
}

impl ConnState {
    fn next_line(&mut self) -> NextLine {
        let from = self.scanned.max(self.start);
        if let Some(i) = self.inbuf[from..].iter().position(|&b| b == b'\n') {
            let end = from + i;
            if end - self.start > MAX_REQUEST_LEN {
                return NextLine::TooLong;
            }
            let line = self.inbuf[self.start..end].to_vec();
            self.start = end + 1;
            self.scanned = self.start;
            return NextLine::Line(line);
        }
        self.scanned = self.inbuf.len();
        let pending = self.inbuf.len() - self.start;
        if pending > MAX_REQUEST_LEN {
            NextLine::TooLong
        } else if self.read_eof && pending > 0 {
            let line = self.inbuf[self.start..].to_vec();
            self.start = self.inbuf.len();
            self.scanned = self.start;
            NextLine::Line(line)
        } else {
            NextLine::None
        }
    }

    fn compact_input(&mut self) {
        if self.start > 0 {
            self.inbuf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
    }

    fn wants_read(&self) -> bool {
        !self.dead && !self.read_eof && !self.too_long && self.out.len() < OUTPUT_BACKPRESSURE
    }

    /// Closed once the output is flushed: after an oversize request, or at
    /// EOF unless subscribed.
    fn close_when_flushed(&self) -> bool {
        self.too_long || (self.read_eof && !self.subscribed)
    }

    fn push_reply(&mut self, reply: &Reply) {
        if self.dead {
            return;
        }
        match serde_json::to_vec(reply) {
            Ok(bytes) => self.out.push(&bytes),
            Err(e) => {
                warn!("cannot serialise reply {reply:?}: {e}");
                let fallback = Reply::error(format!("cannot serialise reply: {e}"));
                self.out
                    .push(&serde_json::to_vec(&fallback).unwrap_or_default());
            }
        }
        self.out.push(b"\n");
    }
}

enum Queued {
    Sent,
    Pending,
    Overflow,
    Failed(io::Error),
}

/// One client connection.
struct Conn {
    id: u64,
    stream: UnixStream,
    token: Cell<Option<RegistrationToken>>,
    /// Whether the current registration includes write interest.
    registered_writable: Cell<bool>,
    st: RefCell<ConnState>,
}

impl Conn {
    fn is_dead(&self) -> bool {
        self.st.borrow().dead
    }

    /// Marks the connection closed and shuts the socket down (the peer sees
    /// EOF). The event source is removed by its own callback, or by the
    /// caller via [`Shared::loop_op`] when closing from outside it.
    fn close(&self) {
        {
            let mut st = self.st.borrow_mut();
            if st.dead {
                return;
            }
            st.dead = true;
            st.inbuf = Vec::new();
            st.out = OutBuf::default();
        }
        let _ = self.stream.shutdown(Shutdown::Both);
        debug!(conn = self.id, "control connection closed");
    }

    fn desired_interest(&self) -> Interest {
        let st = self.st.borrow();
        Interest {
            readable: st.wants_read(),
            writable: !st.dead && !st.out.is_empty(),
        }
    }

    /// Writes as much pending output as the socket takes now.
    fn flush(&self) -> io::Result<()> {
        let mut st = self.st.borrow_mut();
        while !st.out.is_empty() {
            let buf = st.out.pending();
            // SAFETY: buf is a valid slice; the fd is open for self's lifetime.
            let n = unsafe {
                libc::send(
                    self.stream.as_raw_fd(),
                    buf.as_ptr().cast(),
                    buf.len(),
                    libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::WouldBlock => break,
                    io::ErrorKind::Interrupted => continue,
                    _ => return Err(e),
                }
            }
            if n == 0 {
                break;
            }
            st.out.consume(n as usize);
        }
        Ok(())
    }

    /// Reads what is available (bounded per wakeup) into the input buffer.
    fn read_available(&self) -> io::Result<()> {
        let mut st = self.st.borrow_mut();
        let mut chunk = [0u8; READ_CHUNK];
        let mut reads = 0;
        while reads < READS_PER_WAKEUP && st.inbuf.len() - st.start <= MAX_REQUEST_LEN {
            match (&self.stream).read(&mut chunk) {
                Ok(0) => {
                    st.read_eof = true;
                    break;
                }
                Ok(n) => {
                    st.inbuf.extend_from_slice(&chunk[..n]);
                    reads += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn queue_event(&self, line: &[u8]) -> Queued {
        {
            let mut st = self.st.borrow_mut();
            if st.dead {
                return Queued::Sent;
            }
            st.out.push(line);
        }
        if let Err(e) = self.flush() {
            return Queued::Failed(e);
        }
        let pending = self.st.borrow().out.len();
        if pending == 0 {
            Queued::Sent
        } else if pending > SUBSCRIBER_OUTPUT_CAP {
            Queued::Overflow
        } else {
            Queued::Pending
        }
    }

    /// True when the peer has fully closed the connection (used once reading
    /// has stopped, when EOF can no longer be seen by reading).
    fn peer_hung_up(&self) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.stream.as_raw_fd(),
            events: 0,
            revents: 0,
        };
        // SAFETY: one valid pollfd, zero timeout.
        let r = unsafe { libc::poll(&mut pfd, 1, 0) };
        r > 0 && (pfd.revents & (libc::POLLHUP | libc::POLLERR)) != 0
    }
}

/// Lets the connection's event source borrow the socket's fd.
struct ConnFd(Rc<Conn>);

impl AsFd for ConnFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.stream.as_fd()
    }
}

/// Event source of one connection: a level-triggered [`Generic`] whose
/// interest follows the connection's state (read while it accepts requests,
/// write while output is pending).
struct ConnSource {
    generic: Generic<ConnFd>,
    conn: Rc<Conn>,
}

impl ConnSource {
    fn refresh_interest(&mut self) -> bool {
        let want = self.conn.desired_interest();
        let have = self.generic.interest;
        self.generic.interest = want;
        self.conn.registered_writable.set(want.writable);
        want.readable != have.readable || want.writable != have.writable
    }
}

/// The source is dropped when removed from the loop or with the loop itself;
/// either way the connection is over.
impl Drop for ConnSource {
    fn drop(&mut self) {
        self.conn.close();
    }
}

impl EventSource for ConnSource {
    type Event = Readiness;
    type Metadata = ();
    type Ret = ();
    type Error = io::Error;

    fn process_events<F>(
        &mut self,
        readiness: Readiness,
        token: Token,
        mut callback: F,
    ) -> Result<PostAction, io::Error>
    where
        F: FnMut(Readiness, &mut ()),
    {
        self.generic
            .process_events(readiness, token, |readiness, _| {
                callback(readiness, &mut ());
                Ok(PostAction::Continue)
            })?;
        if self.conn.is_dead() {
            return Ok(PostAction::Remove);
        }
        let want = self.conn.desired_interest();
        let have = self.generic.interest;
        if want.readable != have.readable || want.writable != have.writable {
            Ok(PostAction::Reregister)
        } else {
            Ok(PostAction::Continue)
        }
    }

    fn register(
        &mut self,
        poll: &mut Poll,
        token_factory: &mut TokenFactory,
    ) -> calloop::Result<()> {
        self.refresh_interest();
        self.generic.register(poll, token_factory)
    }

    fn reregister(
        &mut self,
        poll: &mut Poll,
        token_factory: &mut TokenFactory,
    ) -> calloop::Result<()> {
        self.refresh_interest();
        self.generic.reregister(poll, token_factory)
    }

    fn unregister(&mut self, poll: &mut Poll) -> calloop::Result<()> {
        self.generic.unregister(poll)
    }
}

fn accept<D: 'static>(
    handle: &LoopHandle<'static, D>,
    stream: UnixStream,
    shared: &Rc<Shared>,
    handler: &Handler<D>,
) {
    if let Err(e) = stream.set_nonblocking(true) {
        warn!("cannot make control connection non-blocking: {e}");
        return;
    }
    let id = shared.next_id.get();
    shared.next_id.set(id.wrapping_add(1));
    let conn = Rc::new(Conn {
        id,
        stream,
        token: Cell::new(None),
        registered_writable: Cell::new(false),
        st: RefCell::new(ConnState::default()),
    });
    let source = ConnSource {
        generic: Generic::new(ConnFd(conn.clone()), Interest::READ, Mode::Level),
        conn: conn.clone(),
    };
    let (c, h, s) = (conn.clone(), handler.clone(), shared.clone());
    match handle.insert_source(source, move |readiness, _, data| {
        connection_ready(&c, readiness, data, &h, &s)
    }) {
        Ok(token) => {
            conn.token.set(Some(token));
            debug!(conn = id, "control connection accepted");
        }
        Err(e) => warn!("cannot register control connection: {}", e.error),
    }
}

fn connection_ready<D>(
    conn: &Rc<Conn>,
    readiness: Readiness,
    data: &mut D,
    handler: &Handler<D>,
    shared: &Rc<Shared>,
) {
    if conn.is_dead() {
        return;
    }
    if let Err(e) = conn.flush() {
        debug!(conn = conn.id, "control connection write failed: {e}");
        conn.close();
        return;
    }
    let wants_read = conn.st.borrow().wants_read();
    if wants_read && (readiness.readable || readiness.error) {
        if let Err(e) = conn.read_available() {
            debug!(conn = conn.id, "control connection read failed: {e}");
            conn.close();
            return;
        }
    }
    process_lines(conn, data, handler, shared);
    if let Err(e) = conn.flush() {
        debug!(conn = conn.id, "control connection write failed: {e}");
        conn.close();
        return;
    }
    let (flushed, close_when_flushed, idle_subscriber) = {
        let st = conn.st.borrow();
        (
            st.out.is_empty(),
            st.close_when_flushed(),
            st.read_eof && st.subscribed,
        )
    };
    if flushed && (close_when_flushed || (idle_subscriber && conn.peer_hung_up())) {
        conn.close();
    }
}

fn process_lines<D>(conn: &Rc<Conn>, data: &mut D, handler: &Handler<D>, shared: &Rc<Shared>) {
    loop {
        let next = {
            let mut st = conn.st.borrow_mut();
            if st.dead || st.too_long || st.out.len() >= OUTPUT_BACKPRESSURE {
                break;
            }
            st.next_line()
        };
        match next {
            NextLine::None => break,
            NextLine::TooLong => {
                let mut st = conn.st.borrow_mut();
                debug!(conn = conn.id, "control request too long");
                st.push_reply(&Reply::error("request too long"));
                st.too_long = true;
                st.inbuf = Vec::new();
                st.start = 0;
                st.scanned = 0;
                break;
            }
            NextLine::Line(line) => {
                if let Some(reply) = handle_line(conn, &line, data, handler, shared) {
                    conn.st.borrow_mut().push_reply(&reply);
                }
            }
        }
    }
    conn.st.borrow_mut().compact_input();
}

fn handle_line<D>(
    conn: &Rc<Conn>,
    line: &[u8],
    data: &mut D,
    handler: &Handler<D>,
    shared: &Rc<Shared>,
) -> Option<Reply> {
    let request = match super::protocol::parse_request(line)? {
        Ok(request) => request,
        Err(e) => {
            debug!(conn = conn.id, "invalid control request: {e}");
            return Some(Reply::error(format!("invalid request: {e}")));
        }
    };
    debug!(conn = conn.id, ?request, "control request");
    if request == Request::Subscribe {
        let newly = !std::mem::replace(&mut conn.st.borrow_mut().subscribed, true);
        if newly {
            shared.subscribers.borrow_mut().push(conn.clone());
        }
        return Some(Reply::Subscribed);
    }
    let reply = match handler.try_borrow_mut() {
        Ok(mut handler) => (*handler)(data, request),
        Err(_) => Reply::error("control server busy (re-entrant request)"),
    };
    Some(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::client;
    use crate::ipc::protocol::Stats;
    use smithay::reexports::calloop::EventLoop;
    use std::io::Write;
    use std::thread;
    use std::time::Duration;

    const PUMP_ITERATIONS: usize = 2000;
    const PUMP_TIMEOUT: Duration = Duration::from_millis(5);
    const SCREENSHOT_LEN: usize = 3 * 1024 * 1024 / 2;

    #[derive(Default)]
    struct TestState {
        requests: Vec<Request>,
        sink: Option<EventSink>,
    }

    fn test_handler(state: &mut TestState, request: Request) -> Reply {
        state.requests.push(request.clone());
        match request {
            Request::Active => Reply::Active {
                name: "work".into(),
            },
            Request::Switch { name } => {
                if name == "nope" {
                    return Reply::error("unknown persona: nope");
                }
                if let Some(sink) = &state.sink {
                    sink.broadcast(&Event::Switched {
                        from: "work".into(),
                        to: name.clone(),
                    });
                }
                Reply::Switched {
                    from: "work".into(),
                    to: name,
                }
            }
            Request::Stats => Reply::Stats {
                stats: Stats::default(),
            },
            Request::Screenshot { .. } => Reply::Screenshot {
                width: 1,
                height: 1,
                // Large enough to exceed the socket buffer several times.
                png_base64: "A".repeat(SCREENSHOT_LEN),
            },
            _ => Reply::Ok,
        }
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        path: PathBuf,
        event_loop: EventLoop<'static, TestState>,
        state: TestState,
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("personas").join("control.sock");
            let server = ControlServer::bind(&path).unwrap();
            assert_eq!(server.path(), path);
            let event_loop = EventLoop::try_new().unwrap();
            let sink = server.insert(&event_loop.handle(), test_handler).unwrap();
            Fixture {
                _dir: dir,
                path,
                event_loop,
                state: TestState {
                    requests: Vec::new(),
                    sink: Some(sink),
                },
            }
        }

        fn sink(&self) -> EventSink {
            self.state.sink.clone().unwrap()
        }

        fn dispatch(&mut self) {
            self.event_loop
                .dispatch(Some(PUMP_TIMEOUT), &mut self.state)
                .unwrap();
        }

        /// Runs `f` (a blocking client) on a thread while driving the loop.
        fn blocking<T: Send + 'static>(&mut self, f: impl FnOnce() -> T + Send + 'static) -> T {
            let thread = thread::spawn(f);
            for _ in 0..PUMP_ITERATIONS {
                if thread.is_finished() {
                    break;
                }
                self.dispatch();
            }
            assert!(thread.is_finished(), "client thread did not finish");
            thread.join().unwrap()
        }

        fn connect(&mut self) -> TestClient {
            let stream = UnixStream::connect(&self.path).unwrap();
            stream.set_nonblocking(true).unwrap();
            TestClient {
                stream,
                buf: Vec::new(),
                scanned: 0,
                eof: false,
            }
        }
    }

    /// A non-blocking raw client; every wait drives the event loop.
    struct TestClient {
        stream: UnixStream,
        buf: Vec<u8>,
        /// `buf[..scanned]` holds no newline.
        scanned: usize,
        eof: bool,
    }

    impl TestClient {
        fn send(&mut self, fx: &mut Fixture, mut bytes: &[u8]) {
            for _ in 0..PUMP_ITERATIONS {
                if bytes.is_empty() {
                    return;
                }
                match self.stream.write(bytes) {
                    Ok(n) => bytes = &bytes[n..],
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => fx.dispatch(),
                    Err(e) => panic!("write failed: {e}"),
                }
            }
            panic!("could not send");
        }

        /// Reads whatever is available; returns false at EOF / reset.
        fn fill(&mut self) -> bool {
            let mut chunk = [0u8; 65536];
            loop {
                match self.stream.read(&mut chunk) {
                    Ok(0) => {
                        self.eof = true;
                        return false;
                    }
                    Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                    Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                        self.eof = true;
                        return false;
                    }
                    Err(e) => panic!("read failed: {e}"),
                }
            }
        }

        fn line(&mut self, fx: &mut Fixture) -> Option<String> {
            for _ in 0..PUMP_ITERATIONS {
                if let Some(i) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
                    let end = self.scanned + i;
                    let line: Vec<u8> = self.buf.drain(..=end).collect();
                    self.scanned = 0;
                    return Some(String::from_utf8(line[..end].to_vec()).unwrap());
                }
                self.scanned = self.buf.len();
                if self.eof {
                    return None;
                }
                fx.dispatch();
                self.fill();
            }
            panic!("no line from the server");
        }

        fn reply(&mut self, fx: &mut Fixture) -> Reply {
            let line = self.line(fx).expect("connection closed before reply");
            serde_json::from_str(&line).unwrap()
        }

        fn event(&mut self, fx: &mut Fixture) -> Event {
            let line = self.line(fx).expect("connection closed before event");
            serde_json::from_str(&line).unwrap()
        }

        fn assert_closed(&mut self, fx: &mut Fixture) {
            assert_eq!(self.line(fx), None, "expected the server to close");
        }
    }

    fn error_message(reply: Reply) -> String {
        match reply {
            Reply::Error { message } => message,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn valid_request_gets_reply() {
        let mut fx = Fixture::new();
        let path = fx.path.clone();
        let reply = fx.blocking(move || client::request(&path, &Request::Active).unwrap());
        assert_eq!(
            reply,
            Reply::Active {
                name: "work".into()
            }
        );
        let path = fx.path.clone();
        let reply = fx.blocking(move || {
            client::request(
                &path,
                &Request::Switch {
                    name: "nope".into(),
                },
            )
            .unwrap()
        });
        assert_eq!(error_message(reply), "unknown persona: nope");
        assert_eq!(
            fx.state.requests,
            vec![
                Request::Active,
                Request::Switch {
                    name: "nope".into()
                }
            ]
        );
    }

    #[test]
    fn garbage_then_valid_on_same_connection() {
        let mut fx = Fixture::new();
        let mut c = fx.connect();
        c.send(&mut fx, b"this is not json\n");
        let msg = error_message(c.reply(&mut fx));
        assert!(msg.starts_with("invalid request: "), "{msg}");
        c.send(&mut fx, b"{\"request\":\"teleport\"}\n");
        let msg = error_message(c.reply(&mut fx));
        assert!(msg.starts_with("invalid request: unknown variant"), "{msg}");
        c.send(&mut fx, b"{\"request\":\"switch\"}\n\xff\xfe\n");
        let msg = error_message(c.reply(&mut fx));
        assert!(msg.contains("missing field `name`"), "{msg}");
        assert!(error_message(c.reply(&mut fx)).starts_with("invalid request: "));
        // Empty lines are ignored, CRLF is accepted.
        c.send(&mut fx, b"\n   \n{\"request\":\"active\"}\r\n");
        assert_eq!(
            c.reply(&mut fx),
            Reply::Active {
                name: "work".into()
            }
        );
        assert_eq!(fx.state.requests, vec![Request::Active]);
    }

    #[test]
    fn oversize_line_gets_error_then_close() {
        let mut fx = Fixture::new();
        let mut c = fx.connect();
        let mut big = b"{\"request\":\"active\"}\n{\"request\":\"switch\",\"name\":\"".to_vec();
        big.extend(std::iter::repeat_n(b'x', MAX_REQUEST_LEN + 10));
        big.extend_from_slice(b"\"}\n{\"request\":\"stats\"}\n");
        c.send(&mut fx, &big);
        assert_eq!(
            c.reply(&mut fx),
            Reply::Active {
                name: "work".into()
            }
        );
        assert_eq!(error_message(c.reply(&mut fx)), "request too long");
        c.assert_closed(&mut fx);
        assert_eq!(fx.state.requests, vec![Request::Active]);
    }

    #[test]
    fn oversize_without_newline_is_rejected_early() {
        let mut fx = Fixture::new();
        let mut c = fx.connect();
        c.send(&mut fx, &vec![b' '; MAX_REQUEST_LEN + 1]);
        assert_eq!(error_message(c.reply(&mut fx)), "request too long");
        c.assert_closed(&mut fx);
    }

    #[test]
    fn line_of_exactly_max_len_is_accepted() {
        let mut fx = Fixture::new();
        let mut c = fx.connect();
        let mut line = b"{\"request\":\"active\"}".to_vec();
        line.resize(MAX_REQUEST_LEN, b' ');
        line.push(b'\n');
        c.send(&mut fx, &line);
        assert_eq!(
            c.reply(&mut fx),
            Reply::Active {
                name: "work".into()
            }
        );
    }

    #[test]
    fn pipelined_requests_answered_in_order() {
        let mut fx = Fixture::new();
        let mut c = fx.connect();
        let mut batch = String::new();
        let mut expected = Vec::new();
        for i in 0..200 {
            match i % 4 {
                0 => {
                    batch.push_str("{\"request\":\"active\"}\n");
                    expected.push(Reply::Active {
                        name: "work".into(),
                    });
                }
                1 => {
                    batch.push_str(&format!("{{\"request\":\"switch\",\"name\":\"p{i}\"}}\n"));
                    expected.push(Reply::Switched {
                        from: "work".into(),
                        to: format!("p{i}"),
                    });
                }
                2 => {
                    batch.push_str("bogus\n");
                    expected.push(Reply::error("placeholder"));
                }
                _ => {
                    batch.push_str("{\"request\":\"stats\"}\n");
                    expected.push(Reply::Stats {
                        stats: Stats::default(),
                    });
                }
            }
        }
        c.send(&mut fx, batch.as_bytes());
        for want in expected {
            let got = c.reply(&mut fx);
            match want {
                Reply::Error { .. } => assert!(error_message(got).starts_with("invalid request")),
                want => assert_eq!(got, want),
            }
        }
        assert_eq!(fx.state.requests.len(), 150);
    }

    #[test]
    fn large_replies_are_delivered_without_blocking() {
        let mut fx = Fixture::new();
        let mut c = fx.connect();
        c.send(
            &mut fx,
            b"{\"request\":\"screenshot\"}\n{\"request\":\"screenshot\",\"persona\":\"x\"}\n{\"request\":\"active\"}\n",
        );
        for _ in 0..2 {
            match c.reply(&mut fx) {
                Reply::Screenshot { png_base64, .. } => {
                    assert_eq!(png_base64.len(), SCREENSHOT_LEN)
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(
            c.reply(&mut fx),
            Reply::Active {
                name: "work".into()
            }
        );
        assert_eq!(
            fx.state.requests[1],
            Request::Screenshot {
                persona: Some("x".into()),
                output: None
            }
        );
    }

    #[test]
    fn subscriber_receives_broadcasts() {
        let mut fx = Fixture::new();
        let sink = fx.sink();
        let mut sub = fx.connect();
        sub.send(&mut fx, b"{\"request\":\"subscribe\"}\n");
        assert_eq!(sub.reply(&mut fx), Reply::Subscribed);
        assert_eq!(sink.subscriber_count(), 1);
        // The handler never sees Subscribe.
        assert!(fx.state.requests.is_empty());

        sink.broadcast(&Event::PersonaAdded {
            name: "kids".into(),
        });
        assert_eq!(
            sub.event(&mut fx),
            Event::PersonaAdded {
                name: "kids".into()
            }
        );

        // A switch requested on another connection reaches the subscriber.
        let path = fx.path.clone();
        let reply = fx.blocking(move || {
            client::request(
                &path,
                &Request::Switch {
                    name: "personal".into(),
                },
            )
            .unwrap()
        });
        assert!(matches!(reply, Reply::Switched { .. }));
        assert_eq!(
            sub.event(&mut fx),
            Event::Switched {
                from: "work".into(),
                to: "personal".into()
            }
        );

        // A subscriber may still send requests; a switch it requests itself is
        // broadcast (to it too) before its reply.
        sub.send(&mut fx, b"{\"request\":\"switch\",\"name\":\"kids\"}\n");
        assert_eq!(
            sub.event(&mut fx),
            Event::Switched {
                from: "work".into(),
                to: "kids".into()
            }
        );
        assert_eq!(
            sub.reply(&mut fx),
            Reply::Switched {
                from: "work".into(),
                to: "kids".into()
            }
        );

        // Subscribing twice does not duplicate events.
        sub.send(&mut fx, b"{\"request\":\"subscribe\"}\n");
        assert_eq!(sub.reply(&mut fx), Reply::Subscribed);
        assert_eq!(sink.subscriber_count(), 1);

        drop(sub);
        for _ in 0..PUMP_ITERATIONS {
            if sink.subscriber_count() == 0 {
                break;
            }
            fx.dispatch();
        }
        assert_eq!(sink.subscriber_count(), 0);
        sink.broadcast(&Event::ConfigReloaded);
    }

    #[test]
    fn subscriber_that_never_reads_is_dropped() {
        let mut fx = Fixture::new();
        let sink = fx.sink();
        let mut lazy = fx.connect();
        lazy.send(&mut fx, b"{\"request\":\"subscribe\"}\n");
        assert_eq!(lazy.reply(&mut fx), Reply::Subscribed);
        let event = Event::WindowOpened {
            persona: "work".into(),
            app_id: Some("big".into()),
            title: Some("t".repeat(64 * 1024)),
        };
        let mut broadcasts = 0;
        while sink.subscriber_count() > 0 {
            assert!(broadcasts < 200, "subscriber never dropped");
            sink.broadcast(&event);
            fx.dispatch();
            broadcasts += 1;
        }
        // Past the socket buffer and the 1 MiB cap, not much further.
        assert!(
            broadcasts > SUBSCRIBER_OUTPUT_CAP / (64 * 1024),
            "{broadcasts}"
        );
        // The dropped subscriber sees its stream end.
        for _ in 0..PUMP_ITERATIONS {
            if !lazy.fill() {
                break;
            }
            lazy.buf.clear();
            lazy.scanned = 0;
            fx.dispatch();
        }
        assert!(lazy.eof);
        // The server is still fine.
        let path = fx.path.clone();
        let reply = fx.blocking(move || client::request(&path, &Request::Active).unwrap());
        assert!(matches!(reply, Reply::Active { .. }));
    }

    #[test]
    fn eof_answers_remaining_requests_then_closes() {
        let mut fx = Fixture::new();
        let mut c = fx.connect();
        // Final line without newline, then half-close.
        c.send(
            &mut fx,
            b"{\"request\":\"active\"}\n{\"request\":\"stats\"}",
        );
        c.stream.shutdown(Shutdown::Write).unwrap();
        assert!(matches!(c.reply(&mut fx), Reply::Active { .. }));
        assert!(matches!(c.reply(&mut fx), Reply::Stats { .. }));
        c.assert_closed(&mut fx);
    }

    #[test]
    fn half_closed_subscriber_keeps_receiving_events() {
        let mut fx = Fixture::new();
        let sink = fx.sink();
        let mut sub = fx.connect();
        sub.send(&mut fx, b"{\"request\":\"subscribe\"}\n");
        sub.stream.shutdown(Shutdown::Write).unwrap();
        assert_eq!(sub.reply(&mut fx), Reply::Subscribed);
        for _ in 0..10 {
            fx.dispatch();
        }
        assert_eq!(sink.subscriber_count(), 1);
        sink.broadcast(&Event::ConfigReloaded);
        assert_eq!(sub.event(&mut fx), Event::ConfigReloaded);
        // Full close is noticed without any further broadcast.
        drop(sub);
        for _ in 0..PUMP_ITERATIONS {
            if sink.subscriber_count() == 0 {
                break;
            }
            fx.dispatch();
        }
        assert_eq!(sink.subscriber_count(), 0);
    }

    #[test]
    fn client_that_never_reads_does_not_block_the_loop() {
        let mut fx = Fixture::new();
        let mut greedy = fx.connect();
        // Many screenshot requests; the client never reads the replies.
        let req = b"{\"request\":\"screenshot\"}\n".repeat(10);
        greedy.send(&mut fx, &req);
        for _ in 0..20 {
            fx.dispatch();
        }
        // Back-pressure: only as many replies were produced as fit the cap.
        let screenshots = fx
            .state
            .requests
            .iter()
            .filter(|r| matches!(r, Request::Screenshot { .. }))
            .count();
        assert!((1..10).contains(&screenshots), "{screenshots}");
        // Others are still served.
        let path = fx.path.clone();
        let reply = fx.blocking(move || client::request(&path, &Request::Active).unwrap());
        assert!(matches!(reply, Reply::Active { .. }));
        // Once the greedy client reads, the rest of its requests are served.
        let mut served = 0;
        while served < 10 {
            match greedy.reply(&mut fx) {
                Reply::Screenshot { .. } => served += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn stale_socket_is_replaced_live_socket_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        // Stale: bound once, nobody listening any more.
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let server = ControlServer::bind(&path).unwrap();
        // Live: this server is listening.
        match ControlServer::bind(&path) {
            Err(ServerError::InUse(p)) => assert_eq!(p, path),
            other => panic!("expected InUse, got {other:?}"),
        }
        // The refused second bind did not disturb the first.
        assert!(UnixStream::connect(&path).is_ok());
        drop(server);
        assert!(
            !path.exists(),
            "dropping an uninserted server removes the socket"
        );

        fs::write(&path, b"not a socket").unwrap();
        assert!(matches!(
            ControlServer::bind(&path),
            Err(ServerError::NotASocket(_))
        ));
        assert_eq!(fs::read(&path).unwrap(), b"not a socket");
    }

    #[test]
    fn socket_and_directory_modes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run").join("personas").join("control.sock");
        let server = ControlServer::bind(&path).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert!(fs::symlink_metadata(&path).unwrap().file_type().is_socket());
        // No temporary file is left behind.
        let entries: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, vec![std::ffi::OsString::from("control.sock")]);
        drop(server);
    }

    #[test]
    fn cleanup_and_loop_drop_remove_the_socket() {
        let mut fx = Fixture::new();
        assert!(fx.path.exists());
        fx.sink().cleanup();
        assert!(!fx.path.exists());
        fx.sink().cleanup();
        fx.dispatch();

        let fx = Fixture::new();
        let path = fx.path.clone();
        let sink = fx.sink();
        assert_eq!(sink.socket_path(), Some(path.as_path()));
        drop(fx);
        assert!(!path.exists(), "dropping the loop removes the socket");
        // The sink outlives the loop harmlessly.
        sink.broadcast(&Event::ConfigReloaded);
        assert_eq!(sink.subscriber_count(), 0);
    }

    #[test]
    fn detached_sink_goes_nowhere() {
        let sink = EventSink::detached();
        sink.broadcast(&Event::ConfigReloaded);
        assert_eq!(sink.subscriber_count(), 0);
        assert_eq!(sink.socket_path(), None);
        sink.cleanup();
        assert!(format!("{sink:?}").contains("EventSink"));
    }
}
