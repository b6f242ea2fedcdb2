//! personas: a Wayland compositor that runs several isolated personas — each its
//! own Wayland display with its own socket, seat, clipboard, output and windows —
//! and shows one of them at a time.

pub mod backend;
pub mod cli;
pub mod config;
pub mod handlers;
pub mod input;
pub mod ipc;
pub mod persona;
pub mod render;
pub mod session;
pub mod state;
pub mod system;
pub mod xwayland;
