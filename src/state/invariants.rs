//! Invariants of the persona set, checked by the test fixture after every step.

use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;

use super::State;

impl State {
    /// Checks what must hold between any two loop turns; returns what is broken.
    pub fn check_invariants(&self) -> Result<(), String> {
        let active = self.personas.active_id();
        let mut actives = 0;
        // The session is locked exactly while the system display is shown.
        if self.locked() != (Some(active) == self.personas.system_id()) {
            return Err(format!(
                "locked={} but the persona on screen is {}",
                self.locked(),
                self.personas.active().state.name
            ));
        }
        for id in self.personas.all_ids() {
            let Some(persona) = self.personas.get(id) else {
                continue;
            };
            let p = &persona.state;
            if p.active {
                actives += 1;
                if p.id != active {
                    return Err(format!("{} thinks it is active but is not", p.name));
                }
            }
            for window in &p.focus_stack {
                if !p.space.elements().any(|w| w == window) {
                    return Err(format!("{}: focus stack holds an unmapped window", p.name));
                }
            }
            let keyboard = p.seat.get_keyboard().expect("keyboard");
            let pointer = p.seat.get_pointer().expect("pointer");
            if p.id == active {
                if self.pointer_router.on_panel && pointer.current_focus().is_some() {
                    return Err(format!(
                        "{}: has the pointer while a system panel has it",
                        p.name
                    ));
                }
                // The top window's, unless a panel holds the keyboard.
                let top = p.keyboard_target();
                if !keyboard.is_grabbed() && keyboard.current_focus() != top {
                    return Err(format!(
                        "{}: keyboard focus is not the top window or the panel holding it",
                        p.name
                    ));
                }
                continue;
            }
            if keyboard.current_focus().is_some() {
                return Err(format!(
                    "background persona {} holds keyboard focus",
                    p.name
                ));
            }
            // The system display's panels take the pointer and touch over
            // every persona; nothing else in the background does.
            let panel = p.system.is_some();
            if pointer.current_focus().is_some() && !(panel && self.pointer_router.on_panel) {
                return Err(format!("background persona {} holds pointer focus", p.name));
            }
            if !p.tools_in_proximity.is_empty() {
                return Err(format!(
                    "background persona {} has a tablet tool in proximity",
                    p.name
                ));
            }
            let touch = p.seat.get_touch().expect("touch");
            if (touch.is_grabbed() || !p.touch_points.is_empty())
                && !(panel && self.pointer_router.touch_on_panel)
            {
                return Err(format!("background persona {} holds touch points", p.name));
            }
            if keyboard.is_grabbed() || (pointer.is_grabbed() && !panel) {
                return Err(format!("background persona {} holds a grab", p.name));
            }
            for window in p.space.elements() {
                let Some(toplevel) = window.toplevel() else {
                    continue;
                };
                let (activated, suspended) = toplevel.with_pending_state(|s| {
                    (
                        s.states.contains(xdg_toplevel::State::Activated),
                        s.states.contains(xdg_toplevel::State::Suspended),
                    )
                });
                if activated || !suspended {
                    return Err(format!(
                        "background persona {}: a window is activated={activated} suspended={suspended}",
                        p.name
                    ));
                }
            }
        }
        if actives != 1 {
            return Err(format!("{actives} personas think they are active"));
        }
        Ok(())
    }
}
