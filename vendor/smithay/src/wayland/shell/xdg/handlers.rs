use super::{
    PopupConfigure, PositionerState, ShellClient, ShellClientData, SurfaceCachedState, ToplevelConfigure,
    XdgPopupSurfaceRoleAttributes, XdgShellHandler, XdgShellState, XdgToplevelSurfaceRoleAttributes,
};

mod wm_base;
pub use wm_base::XdgWmBaseUserData;

mod positioner;
pub use positioner::XdgPositionerUserData;

mod surface;
pub(in crate::wayland::shell) use surface::make_popup_handle;
pub(super) use surface::{get_parent, send_popup_configure, send_toplevel_configure};
pub use surface::{XdgShellSurfaceUserData, XdgSurfaceUserData};
