//! Mobile-style window management inside one persona: every toplevel fills the
//! persona's output (maximized, or fullscreen on request), the focused one on top.

use std::sync::Mutex;

use smithay::desktop::{Window, WindowSurfaceType};
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, Rectangle, SERIAL_COUNTER};
use smithay::wayland::compositor::with_states;
use smithay::wayland::seat::WaylandFocus;
use smithay::wayland::shell::xdg::{ToplevelSurface, XdgToplevelSurfaceData};

use super::{PersonaEvent, PersonaState};

impl PersonaState {
    /// The area a new toplevel is sized to: the primary output's, less
    /// what panels take.
    pub fn window_area(&self) -> Rectangle<i32, Logical> {
        self.usable_area(&self.output)
            .unwrap_or_else(|| Rectangle::from_size((1, 1).into()))
    }

    /// The area `window` is sized to: its output's (the primary's while
    /// mirroring, or when its own output is gone), less what panels take
    /// unless it is fullscreen.
    pub fn window_area_of(&self, window: &Window) -> Rectangle<i32, Logical> {
        let output = self.output_of(window);
        let area = if is_fullscreen(window, true) {
            self.space.output_geometry(output)
        } else {
            self.usable_area(output)
        };
        area.unwrap_or_else(|| Rectangle::from_size((1, 1).into()))
    }

    /// Moves `window` to the next output (in layout order, round to the
    /// first): it fills that one from now on.
    pub fn move_to_next_output(&mut self, window: &Window) {
        let names: Vec<String> = self.outputs().map(|o| o.name()).collect();
        if names.len() < 2 || self.mirror {
            return;
        }
        let current = home_of(window).unwrap_or_else(|| names[0].clone());
        let at = names.iter().position(|n| *n == current).unwrap_or(0);
        set_home(window, &names[(at + 1) % names.len()]);
        if let Some(toplevel) = window.toplevel() {
            self.apply_window_rules(toplevel);
            toplevel.send_pending_configure();
        }
        self.place(window);
        self.needs_redraw = true;
    }

    pub fn focused_window(&self) -> Option<&Window> {
        self.focus_stack.last()
    }

    /// The window (Wayland or X11) whose root surface `surface` is.
    pub fn window_for_surface(&self, surface: &WlSurface) -> Option<&Window> {
        self.space.elements().find(|w| match w.toplevel() {
            Some(toplevel) => toplevel.wl_surface() == surface,
            None => w.wl_surface().as_deref() == Some(surface),
        })
    }

    pub fn window_for_toplevel(&self, toplevel: &ToplevelSurface) -> Option<Window> {
        self.space
            .elements()
            .find(|w| w.toplevel() == Some(toplevel))
            .cloned()
    }

    /// Sets the pending state a new or changed toplevel must have here.
    pub fn apply_window_rules(&self, toplevel: &ToplevelSurface) {
        let area = self
            .window_for_toplevel(toplevel)
            .map(|w| self.window_area_of(&w))
            .unwrap_or_else(|| self.window_area());
        let active = self.active;
        let focused = self
            .focused_window()
            .and_then(|w| w.toplevel())
            .map(|t| t.wl_surface() == toplevel.wl_surface())
            .unwrap_or(false);
        let free = self.free_placement;
        toplevel.with_pending_state(|state| {
            state.bounds = Some(area.size);
            if free {
                // The client picks its size unless it asked to fill the output.
                let fills = state.states.contains(xdg_toplevel::State::Fullscreen)
                    || state.states.contains(xdg_toplevel::State::Maximized);
                state.size = fills.then_some(area.size);
            } else {
                state.size = Some(area.size);
                if !state.states.contains(xdg_toplevel::State::Fullscreen) {
                    state.states.set(xdg_toplevel::State::Maximized);
                }
                for tiled in [
                    xdg_toplevel::State::TiledLeft,
                    xdg_toplevel::State::TiledRight,
                    xdg_toplevel::State::TiledTop,
                    xdg_toplevel::State::TiledBottom,
                ] {
                    state.states.set(tiled);
                }
            }
            if active {
                state.states.unset(xdg_toplevel::State::Suspended);
            } else {
                state.states.set(xdg_toplevel::State::Suspended);
            }
            if active && focused {
                state.states.set(xdg_toplevel::State::Activated);
            } else {
                state.states.unset(xdg_toplevel::State::Activated);
            }
        });
    }

    /// A new toplevel: it opens on the output the pointer is on, at its
    /// origin; it takes focus when it maps (first buffer).
    pub fn add_toplevel(&mut self, toplevel: ToplevelSurface) {
        let window = Window::new_wayland_window(toplevel.clone());
        set_home(&window, &self.output_at(self.pointer_location).name());
        let origin = self.window_area_of(&window).loc;
        self.space.map_element(window, origin, false);
        self.apply_window_rules(&toplevel);
    }

    /// Called on every commit of a toplevel's root surface (an X11
    /// window's once Xwayland paired it).
    pub fn toplevel_committed(&mut self, window: &Window) {
        window.on_commit();
        // Its subsurfaces and popups too, as they come.
        self.send_window_scale(window);
        if let Some(toplevel) = window.toplevel() {
            if !toplevel.is_initial_configure_sent() {
                toplevel.send_configure();
                return;
            }
        } else if window
            .x11_surface()
            .is_some_and(|x| x.is_override_redirect())
        {
            // A menu or tooltip: drawn where it placed itself, never focused.
            self.place(window);
            self.needs_redraw = true;
            return;
        }
        let Some(surface) = window.wl_surface().map(|s| s.into_owned()) else {
            return;
        };
        let mapped =
            smithay::backend::renderer::utils::with_renderer_surface_state(&surface, |s| {
                s.buffer().is_some()
            })
            .unwrap_or(false);
        self.place(window);
        self.wlr_window_committed(window);
        let known = self.focus_stack.contains(window);
        if mapped && !known {
            let (app_id, title) = window_names(window);
            self.list_window(window, title.clone(), app_id.clone());
            self.events
                .push(PersonaEvent::WindowOpened { app_id, title });
            self.focus_window(window.clone());
            // Output enter now, also in a background persona (whose space is
            // otherwise only refreshed when it renders).
            self.space.refresh();
        } else if !mapped && known {
            // A null buffer unmaps the window; it may map again later.
            self.unlist_window(window);
            self.focus_stack.retain(|w| w != window);
            self.restore_focus();
        }
    }

    /// A window that does not fill the area (a fixed-size client, or one that
    /// ignored the configure) is centered in it, as a kiosk would.
    pub(super) fn place(&mut self, window: &Window) {
        if let Some(x11) = window.x11_surface() {
            // Where the X server has it, or its pointer coordinates and
            // its menus' places would be off.
            let location = x11.geometry().loc;
            if self.space.element_location(window) != Some(location) {
                self.space.map_element(window.clone(), location, false);
                if let Some(top) = self.focus_stack.last().cloned() {
                    self.space.raise_element(&top, false);
                }
            }
            return;
        }
        let area = self.window_area_of(window);
        let geometry = window.geometry();
        if self.free_placement {
            // The surface stays where it was put when its geometry moves (a
            // subsurface sliding out to the left grows it that way)...
            if geometry.size.is_empty() {
                // Unmapped: nothing to keep in place until it maps again.
                return;
            }
            let last = window
                .user_data()
                .get_or_insert_threadsafe(|| Mutex::new(geometry.loc));
            let old = std::mem::replace(
                &mut *last.lock().unwrap_or_else(|e| e.into_inner()),
                geometry.loc,
            );
            if old != geometry.loc {
                if let Some(location) = self.space.element_location(window) {
                    self.space
                        .map_element(window.clone(), location + (geometry.loc - old), false);
                }
            }
            // ...unless it fills the output.
            let fills = window.toplevel().is_some_and(|t| {
                let states = t.current_state().states;
                states.contains(xdg_toplevel::State::Fullscreen)
                    || states.contains(xdg_toplevel::State::Maximized)
            });
            if fills {
                let location = area.loc - geometry.loc;
                if self.space.element_location(window) != Some(location) {
                    self.space.map_element(window.clone(), location, false);
                }
            }
            return;
        }
        let offset = Point::<i32, Logical>::from((
            ((area.size.w - geometry.size.w) / 2).max(0),
            ((area.size.h - geometry.size.h) / 2).max(0),
        ));
        let location = area.loc + offset - geometry.loc;
        if self.space.element_location(window) != Some(location) {
            self.space.map_element(window.clone(), location, false);
            if let Some(top) = self.focus_stack.last().cloned() {
                self.space.raise_element(&top, false);
            }
        }
    }

    /// Puts the window of `surface` at `location` (free placement only: the
    /// conformance suite places its windows itself).
    pub fn position_window(&mut self, surface: &WlSurface, location: Point<i32, Logical>) {
        let Some(window) = self.window_for_surface(surface).cloned() else {
            return;
        };
        // The space places windows by their geometry, as wlcs does.
        let geometry = window.geometry();
        *window
            .user_data()
            .get_or_insert_threadsafe(|| Mutex::new(geometry.loc))
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = geometry.loc;
        self.space.map_element(window, location, false);
        if let Some(top) = self.focus_stack.last().cloned() {
            self.space.raise_element(&top, false);
        }
        self.needs_redraw = true;
    }

    /// Raises `window` and gives it keyboard focus (only sent to the client when
    /// this persona is active; otherwise remembered for the next switch-in).
    pub fn focus_window(&mut self, window: Window) {
        // Another window taking focus ends a popup grab (its chain is done).
        if self.focused_window() != Some(&window) {
            if let Some(mut grab) = self.popup_grab.take() {
                if !grab.has_ended() {
                    grab.ungrab(smithay::desktop::PopupUngrabStrategy::All);
                }
            }
        }
        self.focus_stack.retain(|w| w != &window);
        self.focus_stack.push(window.clone());
        self.space.raise_element(&window, false);
        // A window taking focus takes the keyboard from a panel that had
        // it on demand, not from one that holds it exclusively.
        if self
            .layer_focus
            .as_ref()
            .is_some_and(|held| !self.holds_exclusively(held))
        {
            self.layer_focus = None;
        }
        self.update_activation();
        if self.active {
            self.set_keyboard_focus_to_top();
            self.refresh_pointer_focus();
        }
        self.needs_redraw = true;
    }

    /// The toplevel is gone: forget it and focus the next one.
    pub fn remove_toplevel(&mut self, toplevel: &ToplevelSurface) {
        if let Some(window) = self.window_for_toplevel(toplevel) {
            self.remove_window(&window);
        }
    }

    /// A window (Wayland or X11) is gone: forget it and focus the next one.
    pub fn remove_window(&mut self, window: &Window) {
        let was_mapped = self.focus_stack.contains(window);
        self.unlist_window(window);
        self.space.unmap_elem(window);
        self.focus_stack.retain(|w| w != window);
        if was_mapped {
            let (app_id, title) = window_names(window);
            self.events
                .push(PersonaEvent::WindowClosed { app_id, title });
        }
        self.restore_focus();
    }

    /// After the focused window went away: focus the next in the stack.
    fn restore_focus(&mut self) {
        if let Some(top) = self.focus_stack.last().cloned() {
            self.space.raise_element(&top, false);
        }
        self.update_activation();
        if self.active {
            self.set_keyboard_focus_to_top();
            self.refresh_pointer_focus();
        }
        self.needs_redraw = true;
    }

    /// Alt+Tab: bring the least recently focused window to the top (`forward`), or
    /// send the top one to the bottom.
    pub fn cycle_focus(&mut self, forward: bool) {
        if self.focus_stack.len() < 2 {
            return;
        }
        let next = if forward {
            self.focus_stack.remove(0)
        } else {
            let top = self.focus_stack.pop().expect("len >= 2");
            self.focus_stack.insert(0, top);
            self.focus_stack.pop().expect("len >= 2")
        };
        self.focus_window(next);
    }

    pub fn close_focused(&mut self) {
        let Some(window) = self.focused_window() else {
            return;
        };
        if let Some(toplevel) = window.toplevel() {
            toplevel.send_close();
        } else if let Some(x11) = window.x11_surface() {
            if let Err(err) = x11.close() {
                tracing::debug!(persona = %self.name, "closing an X11 window: {err}");
            }
        }
    }

    /// Sends `activated`/`suspended` to every toplevel whose state changed.
    pub fn update_activation(&mut self) {
        self.update_frame_cover();
        self.wlr_states_changed();
        let windows: Vec<Window> = self.space.elements().cloned().collect();
        for window in windows {
            if let Some(toplevel) = window.toplevel() {
                self.apply_window_rules(toplevel);
                if toplevel.is_initial_configure_sent() {
                    toplevel.send_pending_configure();
                }
            } else if let Some(x11) = window.x11_surface() {
                self.apply_x11_rules(&window, x11);
            }
        }
    }

    pub fn set_keyboard_focus_to_top(&mut self) {
        let target = self.keyboard_target();
        if let Some(keyboard) = self.seat.get_keyboard() {
            keyboard.set_focus(self, target, SERIAL_COUNTER.next_serial());
        }
    }

    /// The surface under a point of this persona's output, and its origin.
    pub fn surface_under(
        &self,
        pos: Point<f64, Logical>,
    ) -> Option<(WlSurface, Point<f64, Logical>)> {
        if let Some(hit) = self.layer_surface_under(pos, true) {
            return Some(hit);
        }
        if let Some(hit) = self.lock_surface_under(pos) {
            return Some(hit);
        }
        if let Some((window, loc)) = self.space.element_under(pos) {
            if let Some((s, p)) = window.surface_under(pos - loc.to_f64(), WindowSurfaceType::ALL) {
                return Some((s, (p + loc).to_f64()));
            }
        }
        self.layer_surface_under(pos, false)
    }

    /// After commits: when the surface under the cursor (or where it sits)
    /// changed without the pointer moving — a subsurface slid under it, a
    /// window grew below it — the pointer's focus follows.
    pub fn pointer_focus_after_commits(&mut self) {
        if self.pointer_checked == self.content_generation || self.pointer_on_panel {
            return;
        }
        self.pointer_checked = self.content_generation;
        if self.surface_under(self.pointer_location) != self.pointer_focus {
            self.refresh_pointer_focus();
        }
    }

    /// Re-evaluates pointer focus at the persona's cursor (after windows changed).
    pub fn refresh_pointer_focus(&mut self) {
        // A system display panel has the pointer: nothing here does.
        if self.pointer_on_panel {
            return;
        }
        let Some(pointer) = self.seat.get_pointer() else {
            return;
        };
        if pointer.is_grabbed() {
            return;
        }
        let location = self.pointer_location;
        let under = self.surface_under(location);
        self.pointer_checked = self.content_generation;
        let focused = pointer.current_focus();
        if under.is_some()
            && self.pointer_focus == under
            && focused == under.as_ref().map(|u| u.0.clone())
        {
            // Nothing changed for the client: no motion event for it.
            return;
        }
        self.pointer_focus = under.clone();
        pointer.motion(
            self,
            under.clone(),
            &smithay::input::pointer::MotionEvent {
                location,
                serial: SERIAL_COUNTER.next_serial(),
                time: self.clock.now().as_millis(),
            },
        );
        pointer.frame(self);
        // A constraint waiting on the surface the pointer came back to.
        if let Some((surface, _)) = under {
            self.maybe_activate_constraint(&surface);
        }
    }

    /// Its title or app id changed: the foreign-toplevel list hears of it.
    pub fn window_names_changed(&mut self, toplevel: &ToplevelSurface) {
        let Some(window) = self.window_for_toplevel(toplevel) else {
            return;
        };
        let (app_id, title) = window_names(&window);
        self.update_listed_window(&window, title, app_id);
    }

    pub fn window_count(&self) -> usize {
        self.focus_stack.len()
    }

    /// Its mapped windows (top first) and layer surfaces, for `msg windows`.
    pub fn describe_windows(
        &self,
    ) -> (
        Vec<crate::ipc::protocol::WindowInfo>,
        Vec<crate::ipc::protocol::LayerInfo>,
    ) {
        let focused = self.focused_window();
        let windows = self
            .focus_stack
            .iter()
            .rev()
            .filter_map(|window| {
                let at = self.space.element_location(window)? + window.geometry().loc;
                let size = window.geometry().size;
                let (app_id, title) = window_names(window);
                Some(crate::ipc::protocol::WindowInfo {
                    persona: self.name.clone(),
                    app_id,
                    title,
                    x: at.x,
                    y: at.y,
                    width: size.w,
                    height: size.h,
                    focused: Some(window) == focused,
                    fullscreen: is_fullscreen(window, false),
                    x11: window.is_x11(),
                })
            })
            .collect();
        let mut layers = Vec::new();
        for output in self.outputs() {
            for above in [true, false] {
                for placed in self.layers_on(output, above) {
                    let size = placed.layer.bbox().size;
                    layers.push(crate::ipc::protocol::LayerInfo {
                        persona: self.name.clone(),
                        namespace: placed.layer.namespace().to_owned(),
                        layer: format!("{:?}", placed.layer.layer()).to_lowercase(),
                        output: output.name(),
                        x: placed.location.x,
                        y: placed.location.y,
                        width: size.w,
                        height: size.h,
                    });
                }
            }
        }
        (windows, layers)
    }
}

/// Whether `window` is fullscreen: an xdg toplevel by its `pending` or
/// current state, an X11 window by its `_NET_WM_STATE`.
pub(crate) fn is_fullscreen(window: &Window, pending: bool) -> bool {
    if let Some(x11) = window.x11_surface() {
        return x11.is_fullscreen();
    }
    window.toplevel().is_some_and(|t| {
        let fullscreen = |states: &smithay::wayland::shell::xdg::ToplevelState| {
            states.states.contains(xdg_toplevel::State::Fullscreen)
        };
        if pending {
            t.with_pending_state(|s| fullscreen(s))
        } else {
            fullscreen(&t.current_state())
        }
    })
}

/// Its app id and title (an X11 window's class and title).
pub(crate) fn window_names(window: &Window) -> (Option<String>, Option<String>) {
    if let Some(x11) = window.x11_surface() {
        let some = |s: String| (!s.is_empty()).then_some(s);
        return (some(x11.class()), some(x11.title()));
    }
    let Some(toplevel) = window.toplevel() else {
        return (None, None);
    };
    with_states(toplevel.wl_surface(), |states| {
        states
            .data_map
            .get::<XdgToplevelSurfaceData>()
            .map(|data| {
                let data = data.lock().unwrap();
                (data.app_id.clone(), data.title.clone())
            })
            .unwrap_or((None, None))
    })
}

/// The output a window lives on, by name.
struct Home(Mutex<String>);

pub(super) fn home_of(window: &Window) -> Option<String> {
    window
        .user_data()
        .get::<Home>()
        .map(|h| h.0.lock().unwrap_or_else(|e| e.into_inner()).clone())
}

pub(super) fn set_home(window: &Window, name: &str) {
    let home = window
        .user_data()
        .get_or_insert_threadsafe(|| Home(Mutex::new(name.to_owned())));
    *home.0.lock().unwrap_or_else(|e| e.into_inner()) = name.to_owned();
}
