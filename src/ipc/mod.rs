//! The control socket: `$PERSONAS_SOCKET`, default
//! `$XDG_RUNTIME_DIR/personas/control.sock` (mode 0600), one JSON request per
//! line and one JSON reply per line.
//!
//! * [`protocol`] — the request, reply and event types (the wire format),
//!   shared by both sides;
//! * [`server`] — the compositor side, inserted into the calloop event loop;
//! * [`client`] — `personas msg ...` and a one-shot [`client::request`] helper.

pub mod client;
pub mod protocol;
pub mod server;

pub use protocol::{default_socket_path, Event, Reply, Request};
pub use server::{ControlServer, EventSink, ServerError};
