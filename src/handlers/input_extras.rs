//! Input protocols beyond the seat: relative pointer, pointer constraints,
//! keyboard-shortcuts-inhibit, pointer gestures. A background persona may ask
//! for any of them; smithay records the request and it takes effect only when
//! the pointer or keyboard focus (which only the active persona has) reaches
//! the surface.

use smithay::input::pointer::PointerHandle;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point};
use smithay::wayland::keyboard_shortcuts_inhibit::{
    KeyboardShortcutsInhibitHandler, KeyboardShortcutsInhibitState, KeyboardShortcutsInhibitor,
};
use smithay::wayland::pointer_constraints::{with_pointer_constraint, PointerConstraintsHandler};
use smithay::{
    delegate_keyboard_shortcuts_inhibit, delegate_pointer_constraints, delegate_pointer_gestures,
    delegate_relative_pointer,
};

use crate::persona::PersonaState;

impl PointerConstraintsHandler for PersonaState {
    fn new_constraint(&mut self, surface: &WlSurface, pointer: &PointerHandle<Self>) {
        // Only where the pointer is now, and only in the active persona; otherwise
        // it waits until the pointer enters the surface.
        if self.active && pointer.current_focus().as_ref() == Some(surface) {
            self.maybe_activate_constraint(surface);
        }
    }

    fn cursor_position_hint(
        &mut self,
        surface: &WlSurface,
        pointer: &PointerHandle<Self>,
        location: Point<f64, Logical>,
    ) {
        let active =
            with_pointer_constraint(surface, pointer, |c| c.is_some_and(|c| c.is_active()));
        if !active {
            return;
        }
        if let Some(window) = self.window_for_surface(surface) {
            if let Some(origin) = self.space.element_location(window) {
                let target = origin.to_f64() + location;
                pointer.set_location(target);
                self.pointer_location = target;
            }
        }
    }
}

impl KeyboardShortcutsInhibitHandler for PersonaState {
    fn keyboard_shortcuts_inhibit_state(&mut self) -> &mut KeyboardShortcutsInhibitState {
        &mut self.keyboard_shortcuts_inhibit_state
    }

    fn new_inhibitor(&mut self, inhibitor: KeyboardShortcutsInhibitor) {
        // Granted: it applies while its surface has keyboard focus, and it never
        // covers persona bindings (see `input::binding_allowed`).
        inhibitor.activate();
    }
}

impl PersonaState {
    /// Activates the pointer's constraint on `surface` if the cursor is inside
    /// its region (locked/confined is sent then).
    pub fn maybe_activate_constraint(&mut self, surface: &WlSurface) {
        let Some(pointer) = self.seat.get_pointer() else {
            return;
        };
        let Some((_, origin)) = self.surface_under(self.pointer_location) else {
            return;
        };
        let inside = self.pointer_location - origin;
        with_pointer_constraint(surface, &pointer, |constraint| {
            let Some(constraint) = constraint else {
                return;
            };
            if constraint.is_active() {
                return;
            }
            if let Some(region) = constraint.region() {
                if !region.contains(inside.to_i32_round()) {
                    return;
                }
            }
            constraint.activate();
        });
    }
}

delegate_relative_pointer!(PersonaState);
delegate_pointer_constraints!(PersonaState);
delegate_keyboard_shortcuts_inhibit!(PersonaState);
delegate_pointer_gestures!(PersonaState);
