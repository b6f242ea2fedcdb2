//! The X11 window manager of a persona's Xwayland (see `xwayland/`): X11
//! windows become the persona's windows, under the same rules as Wayland
//! ones, and the X selections are bridged to the persona's own clipboard
//! and primary selection (never another persona's: each has its server).

use std::os::fd::OwnedFd;

use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Rectangle};
use smithay::wayland::selection::data_device::{
    clear_data_device_selection, current_data_device_selection_userdata,
    request_data_device_client_selection, set_data_device_selection,
};
use smithay::wayland::selection::primary_selection::{
    clear_primary_selection, current_primary_selection_userdata, request_primary_client_selection,
    set_primary_selection,
};
use smithay::wayland::selection::SelectionTarget;
use smithay::wayland::xwayland_shell::{XWaylandShellHandler, XWaylandShellState};
use smithay::xwayland::xwm::{Reorder, ResizeEdge, XwmId};
use smithay::xwayland::{X11Surface, X11Wm, XwmHandler};

use crate::persona::{PersonaEvent, PersonaState};

/// A selection the compositor holds for someone else.
#[derive(Debug, Clone)]
pub enum HeldSelection {
    /// Bytes of its own (a clipboard transfer between personas).
    Bytes(std::sync::Arc<Vec<u8>>),
    /// The persona's X server owns it; requests are passed on there.
    X11,
}

impl XwmHandler for PersonaState {
    fn xwm_state(&mut self, _xwm: XwmId) -> &mut X11Wm {
        self.xwm
            .as_mut()
            .expect("X11 events come only while the window manager runs")
    }

    fn new_window(&mut self, _xwm: XwmId, _window: X11Surface) {}

    fn new_override_redirect_window(&mut self, _xwm: XwmId, _window: X11Surface) {}

    fn map_window_request(&mut self, _xwm: XwmId, window: X11Surface) {
        if let Err(err) = window.set_mapped(true) {
            tracing::warn!(persona = %self.name, "an X11 window could not be mapped: {err}");
            return;
        }
        self.add_x11_window(window);
    }

    fn mapped_override_redirect_window(&mut self, _xwm: XwmId, window: X11Surface) {
        self.add_x11_window(window);
    }

    fn unmapped_window(&mut self, _xwm: XwmId, window: X11Surface) {
        self.remove_x11_window(&window);
        if !window.is_override_redirect() {
            let _ = window.set_mapped(false);
        }
    }

    fn destroyed_window(&mut self, _xwm: XwmId, window: X11Surface) {
        self.remove_x11_window(&window);
    }

    /// A managed window gets the size the persona's rules give it, whatever
    /// it asked; a window not yet mapped may pick its own.
    fn configure_request(
        &mut self,
        _xwm: XwmId,
        window: X11Surface,
        x: Option<i32>,
        y: Option<i32>,
        w: Option<u32>,
        h: Option<u32>,
        _reorder: Option<Reorder>,
    ) {
        if self.window_for_x11(&window).is_some() {
            self.fit_x11_window(&window);
            return;
        }
        let mut geometry = window.geometry();
        if let Some(x) = x {
            geometry.loc.x = x;
        }
        if let Some(y) = y {
            geometry.loc.y = y;
        }
        if let Some(w) = w {
            geometry.size.w = w.min(i32::MAX as u32) as i32;
        }
        if let Some(h) = h {
            geometry.size.h = h.min(i32::MAX as u32) as i32;
        }
        let _ = window.configure(geometry);
    }

    /// Menus and tooltips (override-redirect) place themselves.
    fn configure_notify(
        &mut self,
        _xwm: XwmId,
        window: X11Surface,
        geometry: Rectangle<i32, Logical>,
        _above: Option<u32>,
    ) {
        if !window.is_override_redirect() {
            return;
        }
        if let Some(placed) = self.window_for_x11(&window) {
            self.space.map_element(placed, geometry.loc, false);
            self.needs_redraw = true;
        }
    }

    fn resize_request(&mut self, _: XwmId, _: X11Surface, _: u32, _: ResizeEdge) {}

    fn move_request(&mut self, _: XwmId, _: X11Surface, _: u32) {}

    fn maximize_request(&mut self, _xwm: XwmId, window: X11Surface) {
        self.fit_x11_window(&window);
    }

    fn unmaximize_request(&mut self, _xwm: XwmId, window: X11Surface) {
        // Every window fills its persona: it stays as it is.
        self.fit_x11_window(&window);
    }

    fn fullscreen_request(&mut self, _xwm: XwmId, window: X11Surface) {
        let _ = window.set_fullscreen(true);
        self.fit_x11_window(&window);
    }

    fn unfullscreen_request(&mut self, _xwm: XwmId, window: X11Surface) {
        let _ = window.set_fullscreen(false);
        self.fit_x11_window(&window);
    }

    /// The X server is gone: its windows go, and it is started again.
    fn disconnected(&mut self, _xwm: XwmId) {
        tracing::warn!(persona = %self.name, "Xwayland exited");
        self.events.push(PersonaEvent::XwaylandExited);
    }

    /// X clients read the persona's selections as a Wayland client would:
    /// only while one of theirs has the keyboard (the X server is one
    /// client to the persona).
    fn allow_selection_access(&mut self, xwm: XwmId, _selection: SelectionTarget) -> bool {
        let focus = self.seat.get_keyboard().and_then(|k| k.current_focus());
        matches!(focus, Some(crate::persona::focus::KeyboardFocus::X11(x11)) if x11.xwm_id() == Some(xwm))
    }

    /// An X client took a selection: Wayland clients of this persona see it.
    fn new_selection(&mut self, _xwm: XwmId, selection: SelectionTarget, mime_types: Vec<String>) {
        let dh = self.display_handle.clone();
        let seat = self.seat.clone();
        match selection {
            SelectionTarget::Clipboard => {
                self.clipboard_mimes = mime_types.clone();
                set_data_device_selection(&dh, &seat, mime_types, HeldSelection::X11);
            }
            SelectionTarget::Primary => {
                self.primary_mimes = mime_types.clone();
                set_primary_selection(&dh, &seat, mime_types, HeldSelection::X11)
            }
        }
    }

    fn cleared_selection(&mut self, _xwm: XwmId, selection: SelectionTarget) {
        let dh = self.display_handle.clone();
        let seat = self.seat.clone();
        match selection {
            SelectionTarget::Clipboard => {
                self.clipboard_mimes.clear();
                clear_data_device_selection(&dh, &seat);
            }
            SelectionTarget::Primary => {
                self.primary_mimes.clear();
                clear_primary_selection(&dh, &seat)
            }
        }
    }

    /// An X client pastes what a Wayland client of this persona (or the
    /// compositor, after a transfer) holds.
    fn send_selection(
        &mut self,
        _xwm: XwmId,
        selection: SelectionTarget,
        mime_type: String,
        fd: OwnedFd,
    ) {
        if let Err(err) = self.read_selection(selection, mime_type, fd) {
            tracing::debug!(persona = %self.name, "X11 paste not served: {err}");
        }
    }
}

impl XWaylandShellHandler for PersonaState {
    fn xwayland_shell_state(&mut self) -> &mut XWaylandShellState {
        &mut self.xwayland_shell_state
    }

    /// Xwayland paired an X11 window with its wl_surface: if it already has
    /// content, the window maps now.
    fn surface_associated(&mut self, _xwm: XwmId, _surface: WlSurface, window: X11Surface) {
        if let Some(placed) = self.window_for_x11(&window) {
            self.toplevel_committed(&placed);
        }
    }
}

smithay::delegate_xwayland_shell!(PersonaState);

/// Writes `data` to a reader; a slow (or never reading) one must not block
/// the compositor.
pub fn write_in_background(data: std::sync::Arc<Vec<u8>>, fd: OwnedFd) {
    std::thread::spawn(move || {
        let mut file = std::fs::File::from(fd);
        let _ = std::io::Write::write_all(&mut file, &data);
    });
}

impl PersonaState {
    /// Has this persona's `target` selection written to `fd`, whoever holds
    /// it: a Wayland client, the compositor (a transfer's bytes) or an X
    /// client.
    pub fn read_selection(
        &mut self,
        target: SelectionTarget,
        mime_type: String,
        fd: OwnedFd,
    ) -> Result<(), String> {
        let held = match target {
            SelectionTarget::Clipboard => {
                current_data_device_selection_userdata(&self.seat).map(|d| d.clone())
            }
            SelectionTarget::Primary => {
                current_primary_selection_userdata(&self.seat).map(|d| d.clone())
            }
        };
        match held {
            Some(HeldSelection::Bytes(data)) => {
                write_in_background(data, fd);
                Ok(())
            }
            Some(HeldSelection::X11) => {
                self.x11_send_selection(target, mime_type, fd);
                Ok(())
            }
            None => match target {
                SelectionTarget::Clipboard => {
                    request_data_device_client_selection(&self.seat, mime_type, fd)
                        .map_err(|e| e.to_string())
                }
                SelectionTarget::Primary => {
                    request_primary_client_selection(&self.seat, mime_type, fd)
                        .map_err(|e| e.to_string())
                }
            },
        }
    }

    /// The X server went away: selections its clients held are gone too.
    pub fn forget_x11_selections(&mut self) {
        let dh = self.display_handle.clone();
        let seat = self.seat.clone();
        let x11 = |held: Option<&HeldSelection>| matches!(held, Some(HeldSelection::X11));
        if x11(current_data_device_selection_userdata(&seat).as_deref()) {
            clear_data_device_selection(&dh, &seat);
            self.clipboard_mimes.clear();
        }
        if x11(current_primary_selection_userdata(&seat).as_deref()) {
            clear_primary_selection(&dh, &seat);
            self.primary_mimes.clear();
        }
    }

    /// A new X server learns the clipboard and primary selection its
    /// persona already has.
    pub fn offer_selection_to_x11(&mut self) {
        for (target, mimes) in [
            (SelectionTarget::Clipboard, self.clipboard_mimes.clone()),
            (SelectionTarget::Primary, self.primary_mimes.clone()),
        ] {
            if !mimes.is_empty() {
                self.x11_selection_changed(target, Some(mimes));
            }
        }
    }

    /// Tells the X server about a selection a Wayland client (or the
    /// compositor) of this persona set, so X clients can paste it.
    pub fn x11_selection_changed(
        &mut self,
        target: SelectionTarget,
        mime_types: Option<Vec<String>>,
    ) {
        if let Some(xwm) = self.xwm.as_mut() {
            if let Err(err) = xwm.new_selection(target, mime_types) {
                tracing::debug!(persona = %self.name, "X11 selection not set: {err}");
            }
        }
    }

    /// A Wayland client pastes what an X client holds.
    pub fn x11_send_selection(&mut self, target: SelectionTarget, mime_type: String, fd: OwnedFd) {
        let (Some(xwm), Some(handle)) = (self.xwm.as_mut(), self.x11_loop.clone()) else {
            return;
        };
        if let Err(err) = xwm.send_selection(target, mime_type, fd, handle) {
            tracing::debug!(persona = %self.name, "X11 selection not sent: {err}");
        }
    }
}
