//! Tablet tools (styluses): only the active persona sees them. A tool in
//! proximity leaves the old persona's surface on a switch, and a tip that was
//! down then comes up nowhere.

use smithay::backend::input::{ButtonState, TabletToolDescriptor};
use smithay::utils::{Logical, Point, SERIAL_COUNTER};
use smithay::wayland::tablet_manager::{TabletDescriptor, TabletSeatTrait};

use crate::persona::PersonaState;
use crate::state::State;

/// What a tablet tool did.
#[derive(Debug, Clone, PartialEq)]
pub enum TabletAction {
    Proximity { entering: bool },
    Motion { pressure: Option<f64> },
    Tip { down: bool },
    Button { button: u32, pressed: bool },
}

impl State {
    pub(super) fn on_tablet(
        &mut self,
        tablet: &TabletDescriptor,
        tool: &TabletToolDescriptor,
        pos: Point<f64, Logical>,
        action: TabletAction,
        time: u32,
    ) {
        if let TabletAction::Tip { down: false } = action {
            // A tip that went down in another persona (before a switch) comes up nowhere.
            if !std::mem::take(&mut self.pointer_router.tablet_tip) {
                return;
            }
        }
        if let TabletAction::Tip { down: true } = action {
            self.pointer_router.tablet_tip = true;
        }
        let persona = &mut self.personas.active_mut().state;
        let dh = persona.display_handle.clone();
        let tablet_seat = persona.seat.tablet_seat();
        // Announced to this persona's clients on first use here.
        let tablet_handle = tablet_seat
            .get_tablet(tablet)
            .unwrap_or_else(|| tablet_seat.add_tablet::<PersonaState>(&dh, tablet));
        let tool_handle = match tablet_seat.get_tool(tool) {
            Some(handle) => handle,
            None => tablet_seat.add_tool::<PersonaState>(persona, &dh, tool),
        };
        let under = persona.surface_under(pos);
        let serial = SERIAL_COUNTER.next_serial();
        match action {
            TabletAction::Proximity { entering: true } => {
                if !persona.tools_in_proximity.contains(tool) {
                    persona.tools_in_proximity.push(tool.clone());
                }
                if let Some(focus) = under {
                    tool_handle.proximity_in(pos, focus, &tablet_handle, serial, time);
                }
            }
            TabletAction::Proximity { entering: false } => {
                persona.tools_in_proximity.retain(|t| t != tool);
                tool_handle.proximity_out(time);
            }
            TabletAction::Motion { pressure } => {
                if !persona.tools_in_proximity.contains(tool) {
                    persona.tools_in_proximity.push(tool.clone());
                }
                if let Some(pressure) = pressure {
                    tool_handle.pressure(pressure);
                }
                tool_handle.motion(pos, under, &tablet_handle, serial, time);
            }
            TabletAction::Tip { down: true } => tool_handle.tip_down(serial, time),
            TabletAction::Tip { down: false } => tool_handle.tip_up(time),
            TabletAction::Button { button, pressed } => {
                let state = if pressed {
                    ButtonState::Pressed
                } else {
                    ButtonState::Released
                };
                tool_handle.button(button, state, serial, time);
            }
        }
    }
}

impl PersonaState {
    /// Every tool in proximity leaves this persona's surfaces.
    pub fn tools_out_of_proximity(&mut self, time: u32) {
        let tablet_seat = self.seat.tablet_seat();
        for tool in self.tools_in_proximity.drain(..) {
            if let Some(handle) = tablet_seat.get_tool(&tool) {
                handle.proximity_out(time);
            }
        }
    }
}
