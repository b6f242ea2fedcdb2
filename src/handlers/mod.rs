//! smithay handler wiring. Every handler is implemented on `PersonaState`, so a
//! request can only ever touch the persona whose display it arrived on.

pub mod capture;
pub mod compositor;
pub mod control;
pub mod dmabuf;
mod foreign_toplevel;
pub mod idle;
mod input_extras;
mod input_method;
mod layer_shell;
pub mod limits;
pub mod privileged;
mod seat;
mod security_context;
mod session_lock;
mod tablet;
pub mod timing;
mod virtual_pointer;
pub mod wlr_foreign_toplevel;
mod xdg_activation;
pub mod xdg_extras;
mod xdg_shell;
pub mod xwayland;

use smithay::wayland::output::OutputHandler;
use smithay::{
    delegate_output, delegate_presentation, delegate_single_pixel_buffer, delegate_viewporter,
};

use crate::persona::PersonaState;

impl OutputHandler for PersonaState {}

delegate_output!(PersonaState);
delegate_viewporter!(PersonaState);
delegate_single_pixel_buffer!(PersonaState);
delegate_presentation!(PersonaState);
