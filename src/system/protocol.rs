//! Server side of `protocols/personas-control-v1.xml`, generated at build time.

#![allow(
    missing_docs,
    clippy::all,
    non_upper_case_globals,
    non_camel_case_types
)]

use smithay::reexports::wayland_server;

pub mod __interfaces {
    use smithay::reexports::wayland_server::backend as wayland_backend;
    wayland_scanner::generate_interfaces!("protocols/personas-control-v1.xml");
}
use self::__interfaces::*;

wayland_scanner::generate_server_code!("protocols/personas-control-v1.xml");
