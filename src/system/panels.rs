//! The system display's panels over every persona: a persona bar or
//! switcher is a top or overlay layer surface of the system display. It is
//! drawn over whichever persona is on screen (`render::Overlay`), gets a
//! frame callback with each of that persona's frames, and takes the pointer
//! and touch where it lies; the persona under it sees the pointer leave.
//! The keyboard stays with the persona (a bar needs none).

use smithay::desktop::layer_map_for_output;
use smithay::input::pointer::{AxisFrame, ButtonEvent, MotionEvent};
use smithay::input::touch::{MotionEvent as TouchMotionEvent, UpEvent};
use smithay::utils::{Logical, Point, SERIAL_COUNTER};
use smithay::wayland::shell::wlr_layer::Layer;

use crate::persona::list::Personas;

/// A surface and where its origin is.
type SurfaceAt = (
    smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
    Point<f64, Logical>,
);
use crate::persona::PersonaState;
use crate::state::State;

/// The system display, when it has panels to show over the active persona.
pub fn overlay(personas: &Personas, locked: bool) -> Option<&PersonaState> {
    if locked {
        return None;
    }
    let system = &personas.get(personas.system_id()?)?.state;
    system.has_panels().then_some(system)
}

impl PersonaState {
    /// Unmaps the layer surfaces of `clients` (helpers being stopped).
    pub fn forget_clients(
        &mut self,
        clients: &[smithay::reexports::wayland_server::backend::ClientId],
    ) {
        use smithay::reexports::wayland_server::Resource;
        for output in self.outputs().cloned().collect::<Vec<_>>() {
            let mut map = layer_map_for_output(&output);
            let gone: Vec<_> = map
                .layers()
                .filter(|l| {
                    l.wl_surface()
                        .client()
                        .is_some_and(|c| clients.contains(&c.id()))
                })
                .cloned()
                .collect();
            for layer in gone {
                map.unmap_layer(&layer);
            }
        }
        self.needs_redraw = true;
    }

    /// Whether it has a mapped top, overlay or bottom layer surface.
    pub fn has_panels(&self) -> bool {
        self.outputs().any(|output| {
            let map = layer_map_for_output(output);
            let shown = map
                .layers_on(Layer::Top)
                .chain(map.layers_on(Layer::Overlay))
                .chain(map.layers_on(Layer::Bottom))
                .next()
                .is_some();
            shown
        })
    }

    /// Whether `layer` shows (and takes input): on the system display while
    /// locked, only the lock screen's and its keyboard's; elsewhere all.
    pub fn layer_shown(&self, layer: &smithay::desktop::LayerSurface) -> bool {
        use smithay::reexports::wayland_server::Resource;
        let Some(system) = self.system.as_ref().filter(|s| s.lock_clients_only) else {
            return true;
        };
        layer
            .wl_surface()
            .client()
            .is_some_and(|c| system.lock_clients.contains(&c.id()))
    }

    /// A point of this persona's space in display space (the inverse of
    /// [`PersonaState::from_output`]).
    pub fn to_display_point(&self, p: Point<f64, Logical>) -> (f64, f64) {
        let scale = self.output_spec.scale;
        (
            p.x * scale + self.inset as f64,
            p.y * scale + self.inset as f64,
        )
    }
}

impl State {
    /// What the system display's panels take of each output, in each
    /// persona's space: passed on when it changed (each loop turn).
    pub(crate) fn sync_panel_zones(&mut self) {
        let Some(system) = self
            .personas
            .system_id()
            .and_then(|id| self.personas.get(id))
        else {
            return;
        };
        // While locked the windows keep their places (no storm of
        // configures on lock and unlock).
        if self.locked() {
            return;
        }
        let system = &system.state;
        let zones: Vec<(String, [i32; 4])> = system
            .outputs()
            .filter_map(|output| {
                let whole = system.space.output_geometry(output)?;
                let usable = system.usable_area(output)?;
                let taken = [
                    usable.loc.y - whole.loc.y,
                    (whole.loc.x + whole.size.w) - (usable.loc.x + usable.size.w),
                    (whole.loc.y + whole.size.h) - (usable.loc.y + usable.size.h),
                    usable.loc.x - whole.loc.x,
                ];
                let scale = output.current_scale().fractional_scale();
                (taken != [0; 4]).then(|| {
                    (
                        output.name(),
                        taken.map(|t| (t as f64 * scale).round() as i32),
                    )
                })
            })
            .collect();
        if zones == self.panel_zones {
            return;
        }
        self.panel_zones = zones;
        for id in self.personas.ids().to_vec() {
            self.apply_panel_zones(id);
            self.mark_dirty(id);
        }
    }

    /// Gives persona `id` the panels' zones; its windows make room.
    pub(crate) fn apply_panel_zones(&mut self, id: crate::persona::PersonaId) {
        let zones = self.panel_zones.clone();
        let Some(persona) = self.personas.get_mut(id) else {
            return;
        };
        persona.state.reserved = zones;
        persona.state.layers_changed();
    }

    /// The system display's state, when its panels are shown.
    fn panels(&mut self) -> Option<&mut PersonaState> {
        overlay(&self.personas, self.locked())?;
        let id = self.personas.system_id()?;
        self.personas.get_mut(id).map(|p| &mut p.state)
    }

    /// Where `pos` of the active persona is on the system display, and the
    /// panel surface there.
    fn panel_at(
        &mut self,
        pos: Point<f64, Logical>,
    ) -> Option<(Point<f64, Logical>, Option<SurfaceAt>)> {
        self.panels()?;
        let at = self.system_point(pos)?;
        let system = &self.personas.get(self.personas.system_id()?)?.state;
        Some((at, system.layer_surface_under(at, true)))
    }

    /// `pos` of the active persona's space in the system display's.
    fn system_point(&self, pos: Point<f64, Logical>) -> Option<Point<f64, Logical>> {
        let (x, y) = self.personas.active().state.to_display_point(pos);
        let system = self.personas.get(self.personas.system_id()?)?;
        Some(system.state.from_output(x, y))
    }

    /// The pointer moved to `pos` (the active persona's space): true if a
    /// panel has it (then the persona does not). While a button is held
    /// the pointer stays with whichever had the press.
    pub(crate) fn pointer_to_panel(&mut self, pos: Point<f64, Logical>, time: u32) -> bool {
        let held = !self.pointer_router.buttons.is_empty();
        let was = self.pointer_router.on_panel;
        let found = self.panel_at(pos);
        let wanted = if held {
            was
        } else {
            found.as_ref().is_some_and(|(_, under)| under.is_some())
        };
        let motion = |location| MotionEvent {
            location,
            serial: SERIAL_COUNTER.next_serial(),
            time,
        };
        if wanted && !was {
            // The persona's surface sees the pointer leave.
            let persona = &mut self.personas.active_mut().state;
            let pointer = persona
                .seat
                .get_pointer()
                .expect("every seat has a pointer");
            persona.pointer_focus = None;
            pointer.motion(persona, None, &motion(pos));
            pointer.frame(persona);
        }
        let Some(system_id) = self.personas.system_id() else {
            return false;
        };
        if wanted || was {
            let (at, under) = match found {
                Some((at, under)) => (at, under.filter(|_| wanted)),
                None => (pos, None),
            };
            if let Some(system) = self.personas.get_mut(system_id) {
                let system = &mut system.state;
                let pointer = system.seat.get_pointer().expect("every seat has a pointer");
                system.pointer_location = at;
                pointer.motion(system, under, &motion(at));
                pointer.frame(system);
            }
            self.mark_dirty(system_id);
        }
        self.pointer_router.on_panel = wanted;
        let draws_cursor = self.backend.draws_cursor();
        let persona = &mut self.personas.active_mut().state;
        persona.pointer_on_panel = wanted;
        if wanted {
            persona.pointer_location = pos;
            persona.needs_redraw |= draws_cursor;
        }
        wanted
    }

    /// A button while the pointer is on a panel: it goes there.
    pub(crate) fn panel_button(&mut self, button: u32, pressed: bool, time: u32) {
        let Some(system_id) = self.personas.system_id() else {
            return;
        };
        if let Some(system) = self.personas.get_mut(system_id) {
            let system = &mut system.state;
            let pointer = system.seat.get_pointer().expect("every seat has a pointer");
            pointer.button(
                system,
                &ButtonEvent {
                    serial: SERIAL_COUNTER.next_serial(),
                    time,
                    button,
                    state: if pressed {
                        smithay::backend::input::ButtonState::Pressed
                    } else {
                        smithay::backend::input::ButtonState::Released
                    },
                },
            );
            pointer.frame(system);
        }
        self.mark_dirty(system_id);
        if !pressed && self.pointer_router.buttons.is_empty() {
            // The press is over: the pointer goes where it now is.
            let pos = self.personas.active().state.pointer_location;
            self.pointer_to_panel(pos, time);
            if !self.pointer_router.on_panel {
                self.personas.active_mut().state.refresh_pointer_focus();
            }
        }
    }

    /// The panel's touch sequence ends (the device cancelled it, or it
    /// became a compositor gesture).
    pub(crate) fn cancel_panel_touches(&mut self) {
        if !std::mem::take(&mut self.pointer_router.touch_on_panel) {
            return;
        }
        let Some(system_id) = self.personas.system_id() else {
            return;
        };
        if let Some(system) = self.personas.get_mut(system_id) {
            system.state.cancel_touches();
        }
        self.mark_dirty(system_id);
    }

    /// A scroll while the pointer is on a panel.
    pub(crate) fn panel_axis(&mut self, frame: AxisFrame) {
        let Some(system_id) = self.personas.system_id() else {
            return;
        };
        if let Some(system) = self.personas.get_mut(system_id) {
            let system = &mut system.state;
            let pointer = system.seat.get_pointer().expect("every seat has a pointer");
            pointer.axis(system, frame);
            pointer.frame(system);
        }
        self.mark_dirty(system_id);
    }

    /// A first finger down on a panel: that touch sequence is the panel's.
    pub(crate) fn touch_to_panel(
        &mut self,
        slot: i32,
        pos: Point<f64, Logical>,
        time: u32,
    ) -> bool {
        let first = self.pointer_router.touches.is_empty();
        if first {
            self.pointer_router.touch_on_panel = false;
        }
        if !(first || self.pointer_router.touch_on_panel) {
            return false;
        }
        let Some((at, under)) = self.panel_at(pos) else {
            return false;
        };
        if first && under.is_none() {
            return false;
        }
        self.pointer_router.touch_on_panel = true;
        self.pointer_router.touches.insert(slot, false);
        let Some(system_id) = self.personas.system_id() else {
            return false;
        };
        if let Some(system) = self.personas.get_mut(system_id) {
            system.state.touch_down(slot, at, under, time);
        }
        self.mark_dirty(system_id);
        true
    }

    /// A finger of a panel's touch sequence moved or lifted (`pos` `None`).
    pub(crate) fn panel_touch(&mut self, slot: i32, pos: Option<Point<f64, Logical>>, time: u32) {
        let Some(system_id) = self.personas.system_id() else {
            return;
        };
        let at = pos.map(|p| self.system_point(p).unwrap_or(p));
        let Some(system) = self.personas.get_mut(system_id) else {
            return;
        };
        let system = &mut system.state;
        let touch = system.seat.get_touch().expect("every seat has touch");
        let slot_id = super::super::input::touch_slot(slot);
        match at {
            Some(at) => {
                system.touch_points.insert(slot, at);
                let under = system.layer_surface_under(at, true);
                touch.motion(
                    system,
                    under,
                    &TouchMotionEvent {
                        slot: slot_id,
                        location: at,
                        time,
                    },
                );
            }
            None => {
                system.touch_points.remove(&slot);
                touch.up(
                    system,
                    &UpEvent {
                        slot: slot_id,
                        serial: SERIAL_COUNTER.next_serial(),
                        time,
                    },
                );
            }
        }
        touch.frame(system);
        self.mark_dirty(system_id);
    }
}
