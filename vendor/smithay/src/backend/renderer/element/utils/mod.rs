//! Utilities and helpers around the `Element` trait.

mod elements;
#[cfg(feature = "wayland_frontend")]
mod wayland;

pub use elements::*;
#[cfg(feature = "wayland_frontend")]
pub use wayland::*;
