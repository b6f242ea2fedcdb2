//! xdg-shell and xdg-decoration: toplevels fill the persona's output, popups are
//! kept on screen by their positioner, decorations are always server side (none
//! drawn: a persona's windows are full screen).

use smithay::desktop::{
    find_popup_root_surface, get_popup_toplevel_coords, PopupKeyboardGrab, PopupKind,
    PopupPointerGrab, PopupUngrabStrategy,
};
use smithay::input::pointer::Focus;
use smithay::input::Seat;
use smithay::reexports::wayland_protocols::xdg::decoration::zv1::server::zxdg_toplevel_decoration_v1::Mode as DecorationMode;
use smithay::reexports::wayland_protocols::xdg::shell::server::{xdg_toplevel, xdg_wm_base};
use smithay::reexports::wayland_server::protocol::{wl_output::WlOutput, wl_seat, wl_surface::WlSurface};
use smithay::reexports::wayland_server::Resource;
use smithay::utils::{IsAlive, Serial};
use smithay::wayland::shell::xdg::decoration::XdgDecorationHandler;
use smithay::wayland::shell::xdg::{
    PopupSurface, PositionerState, ToplevelSurface, XdgPopupSurfaceData, XdgShellHandler,
    XdgShellState, XDG_POPUP_ROLE,
};
use smithay::{delegate_xdg_decoration, delegate_xdg_shell};

use crate::persona::PersonaState;

impl XdgShellHandler for PersonaState {
    fn xdg_shell_state(&mut self) -> &mut XdgShellState {
        &mut self.xdg_shell_state
    }

    fn new_toplevel(&mut self, surface: ToplevelSurface) {
        self.add_toplevel(surface);
    }

    fn new_popup(&mut self, surface: PopupSurface, positioner: PositionerState) {
        if !popup_chain_is_sound(&surface) {
            // A popup that is (through others) its own parent: smithay 0.7
            // walks such a chain forever.
            surface.xdg_popup().post_error(
                xdg_wm_base::Error::InvalidPopupParent,
                "the popup's parent chain loops back to itself",
            );
            return;
        }
        surface.with_pending_state(|state| {
            state.geometry = positioner.get_geometry();
            state.positioner = positioner;
        });
        self.unconstrain_popup(&surface);
        if let Err(err) = self.popups.track_popup(PopupKind::Xdg(surface)) {
            tracing::warn!("popup not tracked: {err}");
        }
    }

    fn reposition_request(
        &mut self,
        surface: PopupSurface,
        positioner: PositionerState,
        token: u32,
    ) {
        surface.with_pending_state(|state| {
            state.geometry = positioner.get_geometry();
            state.positioner = positioner;
        });
        self.unconstrain_popup(&surface);
        surface.send_repositioned(token);
    }

    fn grab(&mut self, surface: PopupSurface, seat: wl_seat::WlSeat, serial: Serial) {
        let Some(seat) = Seat::<PersonaState>::from_resource(&seat) else {
            return;
        };
        let kind = PopupKind::Xdg(surface);
        let Ok(root) = find_popup_root_surface(&kind) else {
            return;
        };
        if !self.active {
            // A background persona holds no grabs; the popup is dismissed at once.
            let _ = smithay::desktop::PopupManager::dismiss_popup(&root, &kind);
            return;
        }
        let Ok(mut grab) = self.popups.grab_popup(root.into(), kind, &seat, serial) else {
            return;
        };
        if let Some(keyboard) = seat.get_keyboard() {
            if keyboard.is_grabbed()
                && !(keyboard.has_grab(serial)
                    || keyboard.has_grab(grab.previous_serial().unwrap_or(serial)))
            {
                grab.ungrab(PopupUngrabStrategy::All);
                return;
            }
            keyboard.set_focus(self, grab.current_grab(), serial);
            keyboard.set_grab(self, PopupKeyboardGrab::new(&grab), serial);
        }
        if let Some(pointer) = seat.get_pointer() {
            if pointer.is_grabbed()
                && !(pointer.has_grab(serial)
                    || pointer.has_grab(grab.previous_serial().unwrap_or_else(|| grab.serial())))
            {
                grab.ungrab(PopupUngrabStrategy::All);
                return;
            }
            pointer.set_grab(self, PopupPointerGrab::new(&grab), serial, Focus::Keep);
        }
        self.popup_grab = Some(grab);
    }

    fn maximize_request(&mut self, surface: ToplevelSurface) {
        // Always maximized already (unless placed freely); the protocol
        // still wants a configure.
        surface.with_pending_state(|state| {
            state.states.set(xdg_toplevel::State::Maximized);
        });
        self.apply_window_rules(&surface);
        surface.send_configure();
    }

    fn unmaximize_request(&mut self, surface: ToplevelSurface) {
        if self.free_placement {
            surface.with_pending_state(|state| {
                state.states.unset(xdg_toplevel::State::Maximized);
            });
        }
        self.apply_window_rules(&surface);
        surface.send_configure();
    }

    fn fullscreen_request(&mut self, surface: ToplevelSurface, _output: Option<WlOutput>) {
        surface.with_pending_state(|state| {
            state.states.set(xdg_toplevel::State::Fullscreen);
            state.states.unset(xdg_toplevel::State::Maximized);
        });
        if self.update_frame_cover() {
            self.update_activation();
        }
        self.apply_window_rules(&surface);
        if surface.is_initial_configure_sent() {
            surface.send_configure();
        }
        self.needs_redraw = true;
    }

    fn unfullscreen_request(&mut self, surface: ToplevelSurface) {
        surface.with_pending_state(|state| {
            state.states.unset(xdg_toplevel::State::Fullscreen);
        });
        if self.update_frame_cover() {
            self.update_activation();
        }
        self.apply_window_rules(&surface);
        if surface.is_initial_configure_sent() {
            surface.send_configure();
        }
        self.needs_redraw = true;
    }

    fn toplevel_destroyed(&mut self, surface: ToplevelSurface) {
        self.remove_toplevel(&surface);
    }

    fn popup_destroyed(&mut self, _surface: PopupSurface) {
        self.needs_redraw = true;
        self.end_dead_popup_grab();
        // The pointer leaves a popup that is gone, for the surface beneath.
        if self.active {
            self.popups.cleanup();
            self.refresh_pointer_focus();
        }
    }

    fn title_changed(&mut self, surface: ToplevelSurface) {
        self.window_names_changed(&surface);
    }

    fn app_id_changed(&mut self, surface: ToplevelSurface) {
        self.window_names_changed(&surface);
    }
}

impl PersonaState {
    /// Keeps a popup inside the persona's output, as its positioner allows.
    pub(crate) fn unconstrain_popup(&self, popup: &PopupSurface) {
        let Ok(root) = find_popup_root_surface(&PopupKind::Xdg(popup.clone())) else {
            return;
        };
        let (mut target, root_loc) = if let Some(window) = self.window_for_surface(&root) {
            let Some(window_loc) = self.space.element_location(window) else {
                return;
            };
            (self.window_area_of(window), window_loc)
        } else {
            // A panel's menu: anywhere on the panel's output.
            let Some((output, layer)) =
                self.find_layer(&root, smithay::desktop::WindowSurfaceType::TOPLEVEL)
            else {
                return;
            };
            let Some(area) = self.space.output_geometry(&output) else {
                return;
            };
            let Some(at) = smithay::desktop::layer_map_for_output(&output).layer_geometry(&layer)
            else {
                return;
            };
            (area, area.loc + at.loc)
        };
        // The target rectangle is in the coordinates of the popup's parent.
        target.loc -= get_popup_toplevel_coords(&PopupKind::Xdg(popup.clone()));
        target.loc -= root_loc;
        popup.with_pending_state(|state| {
            state.geometry = state.positioner.get_unconstrained_geometry(target);
        });
    }

    /// Sends a popup's initial configure on its first commit.
    pub fn popup_committed(&mut self, surface: &WlSurface) {
        self.popups.commit(surface);
        if let Some(PopupKind::Xdg(popup)) = self.popups.find_popup(surface) {
            if !popup.is_initial_configure_sent() {
                if let Err(err) = popup.send_configure() {
                    tracing::warn!("popup configure failed: {err}");
                }
            }
        }
    }
}

impl PersonaState {
    /// A popup grab whose popups are gone (destroyed, or their client died)
    /// is taken down at once, rather than staying installed until the next
    /// input event and then handing keyboard focus to a dead surface.
    pub fn end_dead_popup_grab(&mut self) {
        let dead = self.popup_grab.as_ref().is_some_and(|grab| {
            grab.has_ended() || !grab.current_grab().is_some_and(|s| s.alive())
        });
        if !dead {
            return;
        }
        let Some(mut grab) = self.popup_grab.take() else {
            return;
        };
        // Only the grabs this popup grab installed (a drag may have taken
        // over since).
        let grab_serial = grab.serial();
        grab.ungrab(PopupUngrabStrategy::All);
        let serial = smithay::utils::SERIAL_COUNTER.next_serial();
        let time = self.clock.now().as_millis();
        if let Some(pointer) = self.seat.get_pointer() {
            if pointer.has_grab(grab_serial) {
                pointer.unset_grab(self, serial, time);
            }
        }
        if let Some(keyboard) = self.seat.get_keyboard() {
            if keyboard.has_grab(grab_serial) {
                keyboard.unset_grab(self);
            }
        }
        if self.active {
            self.set_keyboard_focus_to_top();
        }
    }
}

/// Whether the popup's parents end at a toplevel within a sane depth rather
/// than looping back to a popup already seen.
fn popup_chain_is_sound(popup: &PopupSurface) -> bool {
    const DEPTH: usize = 64;
    let mut seen = vec![popup.wl_surface().clone()];
    let mut parent = popup.get_parent_surface();
    while let Some(surface) = parent {
        if seen.contains(&surface) || seen.len() > DEPTH {
            return false;
        }
        seen.push(surface.clone());
        if smithay::wayland::compositor::get_role(&surface) != Some(XDG_POPUP_ROLE) {
            return true;
        }
        parent = smithay::wayland::compositor::with_states(&surface, |states| {
            states
                .data_map
                .get::<XdgPopupSurfaceData>()
                .and_then(|data| data.lock().ok()?.parent.clone())
        });
    }
    true
}

impl XdgDecorationHandler for PersonaState {
    fn new_decoration(&mut self, toplevel: ToplevelSurface) {
        toplevel.with_pending_state(|state| {
            state.decoration_mode = Some(DecorationMode::ServerSide);
        });
        if toplevel.is_initial_configure_sent() {
            toplevel.send_pending_configure();
        }
    }

    fn request_mode(&mut self, toplevel: ToplevelSurface, _mode: DecorationMode) {
        // A tablet shows no client decorations: server side whatever is asked.
        self.new_decoration(toplevel);
    }

    fn unset_mode(&mut self, toplevel: ToplevelSurface) {
        self.new_decoration(toplevel);
    }
}

delegate_xdg_shell!(PersonaState);
delegate_xdg_decoration!(PersonaState);
