//! Input: one path from any backend's events to the active persona's seat.
//!
//! Backends translate their events into [`InputEvent`]; `State::process_input`
//! matches bindings, routes the rest to the active persona only, and remembers
//! where each held key and button went (see `keys.rs`).

pub mod backend;
pub mod gestures;
pub mod keys;
pub mod tablet;
pub mod touchpad;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use smithay::reexports::calloop::timer::{TimeoutAction, Timer};

use smithay::backend::input::{AxisRelativeDirection, AxisSource, ButtonState, KeyState};
use smithay::input::keyboard::{FilterResult, KeyboardTarget, Keycode};
use smithay::input::pointer::{AxisFrame, RelativeMotionEvent};
use smithay::input::pointer::{ButtonEvent, MotionEvent};
use smithay::input::touch::{DownEvent, MotionEvent as TouchMotionEvent, UpEvent};
use smithay::utils::{IsAlive, Logical, Point, SERIAL_COUNTER};
use smithay::wayland::keyboard_shortcuts_inhibit::KeyboardShortcutsInhibitorSeat;
use smithay::wayland::pointer_constraints::{with_pointer_constraint, PointerConstraint};

use crate::config::Action;
use crate::state::State;
use keys::KeyRoute;

pub const BTN_LEFT: u32 = 0x110;
pub const BTN_RIGHT: u32 = 0x111;
pub const BTN_MIDDLE: u32 = 0x112;

/// A backend-independent input event. Positions are in output coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum InputEvent {
    /// `keycode` is an xkb keycode (evdev code + 8).
    Key {
        keycode: u32,
        pressed: bool,
    },
    PointerMotionAbsolute {
        x: f64,
        y: f64,
    },
    /// A mouse or touchpad moved; `utime` is the device time in microseconds.
    PointerMotion {
        dx: f64,
        dy: f64,
        dx_unaccel: f64,
        dy_unaccel: f64,
        utime: u64,
    },
    /// One frame of scrolling.
    PointerAxis {
        source: AxisSource,
        horizontal: f64,
        vertical: f64,
        v120: Option<(i32, i32)>,
        stop: (bool, bool),
    },
    PointerButton {
        button: u32,
        pressed: bool,
    },
    TouchDown {
        slot: i32,
        x: f64,
        y: f64,
    },
    TouchMotion {
        slot: i32,
        x: f64,
        y: f64,
    },
    TouchUp {
        slot: i32,
    },
    TouchCancel {
        slot: i32,
    },
    /// A touchpad gesture.
    Touchpad(touchpad::TouchpadGesture),
    /// A tablet tool, at `x`, `y` in output coordinates.
    Tablet {
        tablet: smithay::wayland::tablet_manager::TabletDescriptor,
        tool: smithay::backend::input::TabletToolDescriptor,
        x: f64,
        y: f64,
        action: tablet::TabletAction,
    },
    /// A hardware switch (libinput): the lid, or a convertible's tablet mode.
    Switch {
        switch: HardwareSwitch,
        on: bool,
    },
}

/// The switches libinput reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HardwareSwitch {
    /// On: the lid is closed.
    Lid,
    /// On: the keyboard is folded away (a convertible used as a tablet).
    TabletMode,
}

#[derive(Debug)]
enum ActiveConstraint {
    Locked,
    Confined {
        surface: smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
        origin: Point<f64, Logical>,
        region: Option<smithay::wayland::compositor::RegionAttributes>,
    },
}

/// A key with a `Long+` binding, held: which action runs depends on how long.
pub struct LongPress {
    keycode: Keycode,
    short: Option<Action>,
    timer: smithay::reexports::calloop::RegistrationToken,
}

/// Where held pointer buttons and touch points went, so releases follow presses.
#[derive(Default)]
pub struct PointerRouter {
    /// Buttons held, and whether their press reached the active persona.
    pub buttons: HashMap<u32, bool>,
    /// The surface each held button's press went to.
    pub pressed_on:
        HashMap<u32, Option<smithay::reexports::wayland_server::protocol::wl_surface::WlSurface>>,
    /// Touch slots down, and whether they belong to the active persona.
    pub touches: HashMap<i32, bool>,
    /// Recognises the compositor's own touch gestures.
    pub gestures: gestures::GestureTracker,
    /// A tablet tool's tip is down on the active persona.
    pub tablet_tip: bool,
    /// A touchpad gesture in progress on the active persona.
    pub touchpad_gesture: Option<touchpad::GestureKind>,
    /// The pointer is on a system display panel (`system/panels.rs`).
    pub on_panel: bool,
    /// The touch sequence in progress began on a system display panel.
    pub touch_on_panel: bool,
    /// Buttons pressed on a system display panel (their release goes there).
    pub panel_buttons: std::collections::HashSet<u32>,
}

impl State {
    /// Handles one input event. `at` is the event's own timestamp.
    pub fn process_input(&mut self, event: InputEvent, at: Instant) {
        let _span = tracing::trace_span!("input").entered();
        if self.touch_elsewhere(&event) {
            return;
        }
        if let InputEvent::Switch { switch, on } = event {
            // Not user activity: a lid closing must not wake the panel.
            self.on_hardware_switch(switch, on);
            return;
        }
        self.note_activity();
        self.cursor_input(&event);
        self.deliver_input(event, at);
    }

    /// Releases the compositor makes up (a device unplugged mid-press, the
    /// session paused): delivered as input, but not the user's activity, so
    /// they wake no dimmed panel and restart no idle clock.
    pub fn deliver_release(&mut self, event: InputEvent, at: Instant) {
        if !self.touch_elsewhere(&event) {
            self.deliver_input(event, at);
        }
    }

    fn deliver_input(&mut self, event: InputEvent, at: Instant) {
        if self.overview_input(&event) {
            return;
        }
        let time = self.clock_ms();
        match event {
            InputEvent::Key { keycode, pressed } => self.on_key(keycode.into(), pressed, time, at),
            InputEvent::PointerMotionAbsolute { x, y } => {
                let pos = self.personas.active().state.from_output(x, y);
                // A tablet-like pointer obeys constraints too: held by a lock,
                // kept inside a confinement.
                if let Some(pos) = self.constrained(pos) {
                    self.on_pointer_motion(pos, time)
                }
            }
            InputEvent::PointerMotion {
                dx,
                dy,
                dx_unaccel,
                dy_unaccel,
                utime,
            } => self.on_pointer_motion_relative(
                (dx, dy).into(),
                (dx_unaccel, dy_unaccel).into(),
                utime,
                time,
            ),
            InputEvent::PointerAxis {
                source,
                horizontal,
                vertical,
                v120,
                stop,
            } => {
                let frame = AxisFrame {
                    source: Some(source),
                    relative_direction: (
                        AxisRelativeDirection::Identical,
                        AxisRelativeDirection::Identical,
                    ),
                    time,
                    axis: (horizontal, vertical),
                    v120,
                    stop,
                };
                if self.pointer_router.on_panel {
                    self.panel_axis(frame);
                } else {
                    let persona = &mut self.personas.active_mut().state;
                    let pointer = persona
                        .seat
                        .get_pointer()
                        .expect("every seat has a pointer");
                    pointer.axis(persona, frame);
                    pointer.frame(persona);
                }
            }
            InputEvent::PointerButton { button, pressed } => {
                self.on_pointer_button(button, pressed, time)
            }
            InputEvent::TouchDown { slot, x, y } => {
                let size = self.backend.output_spec().display_size();
                let size = (size.w as f64, size.h as f64);
                let gestures = &mut self.pointer_router.gestures;
                gestures.down(slot, (x, y), at, size, &self.config.gestures);
                if gestures.claimed() {
                    // A finger added to a recognised gesture is the compositor's too.
                    self.pointer_router.touches.insert(slot, false);
                } else {
                    let pos = self.touch_position(x, y);
                    self.on_touch_down(slot, pos, time)
                }
            }
            InputEvent::TouchMotion { slot, x, y } => {
                // Taken out for the call, so the usability check (asked only
                // once a gesture is recognised) can look at the whole state.
                let mut tracker = std::mem::take(&mut self.pointer_router.gestures);
                let recognised = tracker.motion(slot, (x, y), at, &self.config.gestures, |g| {
                    self.gesture_action(g)
                        .is_some_and(|a| self.action_available(&a))
                });
                self.pointer_router.gestures = tracker;
                match recognised {
                    Some(gesture) => self.on_gesture(gesture, at),
                    None => {
                        let pos = self.touch_position(x, y);
                        self.on_touch_motion(slot, pos, time)
                    }
                }
            }
            InputEvent::TouchUp { slot } => {
                self.pointer_router.gestures.up(slot);
                self.on_touch_up(slot, time)
            }
            InputEvent::Touchpad(gesture) => self.on_touchpad_gesture(gesture, time),
            InputEvent::Tablet {
                tablet,
                tool,
                x,
                y,
                action,
            } => {
                let pos = self.personas.active().state.from_output(x, y);
                self.on_tablet(&tablet, &tool, pos, action, time)
            }
            InputEvent::TouchCancel { slot } => {
                // The device gave up on this touch (a palm, say): wl_touch has
                // no per-point cancel, so the whole sequence ends for the client.
                self.pointer_router.gestures.up(slot);
                self.personas.active_mut().state.cancel_touches();
                self.cancel_panel_touches();
                for routed in self.pointer_router.touches.values_mut() {
                    *routed = false;
                }
                self.pointer_router.touches.remove(&slot);
            }
            InputEvent::Switch { .. } => unreachable!("handled above"),
        }
        let active = self.personas.active_id();
        self.mark_dirty(active);
    }

    fn on_key(&mut self, keycode: Keycode, pressed: bool, time: u32, at: Instant) {
        if pressed {
            if self.key_router.is_held(keycode) {
                // A second press without a release (two keyboards, a confused
                // device): the key is down already; counting it twice would
                // leave it (or its modifier) stuck after one release.
                return;
            }
            let combo = self.binding_keyboard.combo(keycode);
            self.binding_keyboard.update(keycode, true);
            // Ctrl+Alt+F1..F12 on a VT: the console's, before any binding.
            if let Some(vt) = vt_switch(&combo) {
                if self.backend.change_vt(vt) {
                    self.key_router.press(keycode, KeyRoute::Suppressed);
                    return;
                }
            }
            let long = crate::config::KeyCombo {
                mods: crate::config::Mods {
                    long: true,
                    ..combo.mods
                },
                ..combo
            };
            if let Some(action) = self.binding_for(&long).filter(|a| self.binding_allowed(a)) {
                // The key is the compositor's: held long, the long action runs;
                // released sooner, the plain binding (if any) does.
                self.key_router.press(keycode, KeyRoute::Suppressed);
                let short = self.binding_for(&combo).filter(|a| self.binding_allowed(a));
                self.start_long_press(keycode, action, short);
                return;
            }
            if let Some(action) = self.binding_for(&combo).filter(|a| self.binding_allowed(a)) {
                self.key_router.press(keycode, KeyRoute::Suppressed);
                self.run_action(action, Some(at));
                return;
            }
            if self.overview.is_some() {
                // The overview's: its release reaches nobody either.
                self.key_router.press(keycode, KeyRoute::Suppressed);
                self.overview_key(self.binding_keyboard.base_keysym(keycode));
                return;
            }
            self.key_router.press(keycode, KeyRoute::Forwarded);
            let persona = &mut self.personas.active_mut().state;
            let keyboard = persona
                .seat
                .get_keyboard()
                .expect("every seat has a keyboard");
            let serial = SERIAL_COUNTER.next_serial();
            keyboard.input::<(), _>(
                persona,
                keycode,
                KeyState::Pressed,
                serial,
                time,
                |_, _, _| FilterResult::Forward,
            );
            return;
        }

        let Some(route) = self.key_router.release(keycode) else {
            // Released but never seen pressed (held since before we started).
            return;
        };
        self.binding_keyboard.update(keycode, false);
        if self
            .long_press
            .as_ref()
            .is_some_and(|l| l.keycode == keycode)
        {
            let pending = self.long_press.take().expect("checked");
            self.loop_handle.remove(pending.timer);
            if let Some(short) = pending.short {
                self.run_action(short, Some(at));
            }
            return;
        }
        let persona = &mut self.personas.active_mut().state;
        let keyboard = persona
            .seat
            .get_keyboard()
            .expect("every seat has a keyboard");
        let serial = SERIAL_COUNTER.next_serial();
        match route {
            KeyRoute::Suppressed => {}
            KeyRoute::Forwarded => {
                keyboard.input::<(), _>(
                    persona,
                    keycode,
                    KeyState::Released,
                    serial,
                    time,
                    |_, _, _| FilterResult::Forward,
                );
            }
            KeyRoute::StateOnly => {
                // The client never saw this key; only its modifiers may change.
                let (_, mods_changed) = keyboard.input_intercept::<(), _>(
                    persona,
                    keycode,
                    KeyState::Released,
                    |_, _, _| (),
                );
                if mods_changed {
                    if let Some(focus) = keyboard.current_focus() {
                        let mods = keyboard.modifier_state();
                        let seat = persona.seat.clone();
                        KeyboardTarget::modifiers(&focus, &seat, persona, mods, serial);
                    }
                }
            }
        }
    }

    fn start_long_press(&mut self, keycode: Keycode, long: Action, short: Option<Action>) {
        let after = Duration::from_millis(self.config.input.long_press_ms as u64);
        let inserted = self.loop_handle.insert_source(
            Timer::from_duration(after),
            move |_, _, state: &mut State| {
                if state
                    .long_press
                    .as_ref()
                    .is_some_and(|l| l.keycode == keycode)
                {
                    state.long_press = None;
                    state.run_action(long.clone(), Some(Instant::now()));
                }
                TimeoutAction::Drop
            },
        );
        match inserted {
            Ok(timer) => {
                if let Some(old) = self.long_press.replace(LongPress {
                    keycode,
                    short,
                    timer,
                }) {
                    self.loop_handle.remove(old.timer);
                }
            }
            Err(err) => tracing::warn!("long press timer not started: {err}"),
        }
    }

    fn binding_for(&self, combo: &crate::config::KeyCombo) -> Option<Action> {
        self.config
            .bindings
            .iter()
            .find(|b| &b.combo == combo)
            .map(|b| b.action.clone())
    }

    /// Persona bindings always work; the others step aside while the focused
    /// surface holds a keyboard-shortcuts inhibitor (a nested compositor, a VM).
    fn binding_allowed(&self, action: &Action) -> bool {
        if action.is_persona_action() {
            return true;
        }
        let persona = &self.personas.active().state;
        let keyboard = persona
            .seat
            .get_keyboard()
            .expect("every seat has a keyboard");
        let inhibited = keyboard
            .current_focus()
            .and_then(|f| f.surface())
            .is_some_and(|surface| {
                persona
                    .seat
                    .keyboard_shortcuts_inhibitor_for_surface(&surface)
                    .is_some_and(|i| i.is_active())
            });
        !inhibited
    }

    /// Relative motion: the pointer moves unless a lock holds it; a confinement
    /// keeps it inside its region; clients with relative-pointer get the delta.
    fn on_pointer_motion_relative(
        &mut self,
        delta: Point<f64, Logical>,
        delta_unaccel: Point<f64, Logical>,
        utime: u64,
        time: u32,
    ) {
        let persona = &mut self.personas.active_mut().state;
        let pointer = persona
            .seat
            .get_pointer()
            .expect("every seat has a pointer");
        let pos = persona.pointer_location;
        let under = persona.surface_under(pos);
        let locked = matches!(self.active_constraint(), Some(ActiveConstraint::Locked));
        let persona = &mut self.personas.active_mut().state;
        pointer.relative_motion(
            persona,
            under,
            &RelativeMotionEvent {
                delta,
                delta_unaccel,
                utime,
            },
        );
        if locked {
            pointer.frame(persona);
            return;
        }
        // Across to a neighbouring output, stopping where none is.
        let target = self.personas.active().state.confine(pos, pos + delta);
        let Some(target) = self.constrained(target) else {
            let persona = &mut self.personas.active_mut().state;
            pointer.frame(persona);
            return;
        };
        self.on_pointer_motion(target, time);
    }

    /// The active constraint on the surface under the cursor, if any.
    fn active_constraint(&self) -> Option<ActiveConstraint> {
        let persona = &self.personas.active().state;
        let pointer = persona.seat.get_pointer()?;
        let (surface, origin) = persona.surface_under(persona.pointer_location)?;
        with_pointer_constraint(&surface, &pointer, |constraint| {
            match constraint.as_deref() {
                Some(c) if c.is_active() => match c {
                    PointerConstraint::Locked(_) => Some(ActiveConstraint::Locked),
                    PointerConstraint::Confined(c) => Some(ActiveConstraint::Confined {
                        surface: surface.clone(),
                        origin,
                        region: c.region().cloned(),
                    }),
                },
                _ => None,
            }
        })
    }

    /// Where the cursor goes when asked to `target` under the active
    /// constraint: nowhere when locked; inside a confinement, as far as it
    /// allows along the way (clamped to the surface and the region's bounds).
    fn constrained(&self, target: Point<f64, Logical>) -> Option<Point<f64, Logical>> {
        // Looked up once per motion: this runs for every pointer event.
        let (surface, origin, region) = match self.active_constraint() {
            None => return Some(target),
            Some(ActiveConstraint::Locked) => return None,
            Some(ActiveConstraint::Confined {
                surface,
                origin,
                region,
            }) => (surface, origin, region),
        };
        let allows = |point: Point<f64, Logical>| {
            let on_surface = self
                .personas
                .active()
                .state
                .surface_under(point)
                .is_some_and(|(s, _)| s == surface);
            let in_region = region
                .as_ref()
                .is_none_or(|r| r.contains((point - origin).to_i32_round()));
            on_surface && in_region
        };
        if allows(target) {
            return Some(target);
        }
        let size =
            smithay::backend::renderer::utils::with_renderer_surface_state(&surface, |state| {
                state.surface_size()
            })
            .flatten()?;
        let mut bounds =
            smithay::utils::Rectangle::<i32, Logical>::new(origin.to_i32_round(), size);
        if let Some(region) = &region {
            let added = region
                .rects
                .iter()
                .filter(|(kind, _)| {
                    matches!(kind, smithay::wayland::compositor::RectangleKind::Add)
                })
                .map(|(_, rect)| *rect)
                .reduce(|a, b| a.merge(b));
            if let Some(added) = added {
                let added =
                    smithay::utils::Rectangle::new(added.loc + origin.to_i32_round(), added.size);
                bounds = bounds.intersection(added)?;
            }
        }
        let clamped = Point::from((
            target.x.clamp(
                bounds.loc.x as f64,
                (bounds.loc.x + bounds.size.w - 1) as f64,
            ),
            target.y.clamp(
                bounds.loc.y as f64,
                (bounds.loc.y + bounds.size.h - 1) as f64,
            ),
        ));
        allows(clamped).then_some(clamped)
    }

    fn on_pointer_motion(&mut self, pos: Point<f64, Logical>, time: u32) {
        if self.pointer_to_panel(pos, time) {
            return;
        }
        let draws_cursor = self.backend.draws_cursor();
        let persona = &mut self.personas.active_mut().state;
        persona.pointer_location = pos;
        // The pointer is part of the picture where one is drawn.
        persona.needs_redraw |= draws_cursor;
        let under = persona.surface_under(pos);
        let pointer = persona
            .seat
            .get_pointer()
            .expect("every seat has a pointer");
        persona.pointer_focus = under.clone();
        pointer.motion(
            persona,
            under.clone(),
            &MotionEvent {
                location: pos,
                serial: SERIAL_COUNTER.next_serial(),
                time,
            },
        );
        pointer.frame(persona);
        if let Some((surface, _)) = under {
            persona.maybe_activate_constraint(&surface);
        }
    }

    fn on_pointer_button(&mut self, button: u32, pressed: bool, time: u32) {
        // A press on a panel is the panel's to release, whatever happened
        // since (a switch).
        if !pressed && self.pointer_router.panel_buttons.remove(&button) {
            self.pointer_router.buttons.remove(&button);
            self.panel_button(button, false, time);
            return;
        }
        if pressed && self.pointer_router.on_panel {
            if self.pointer_router.buttons.contains_key(&button) {
                return;
            }
            // Not the persona's: a switch releases nothing there for it.
            self.pointer_router.buttons.insert(button, false);
            self.pointer_router.panel_buttons.insert(button);
            self.panel_button(button, true, time);
            return;
        }
        let pressed_on = if !pressed {
            // A button pressed in another persona (before a switch) is released nowhere.
            match self.pointer_router.buttons.remove(&button) {
                Some(true) => {}
                _ => return,
            }
            self.pointer_router.pressed_on.remove(&button).flatten()
        } else {
            if self.pointer_router.buttons.contains_key(&button) {
                // Already down (a second device): not pressed twice.
                return;
            }
            self.pointer_router.buttons.insert(button, true);
            None
        };
        let persona = &mut self.personas.active_mut().state;
        let pointer = persona
            .seat
            .get_pointer()
            .expect("every seat has a pointer");
        let serial = SERIAL_COUNTER.next_serial();
        if pressed && !pointer.is_grabbed() {
            // Click to focus.
            let pos = persona.pointer_location;
            persona.focus_at(pos);
        }
        // The surface that got the press is gone and another has the pointer:
        // that one never saw the press, so the release goes to nobody (the
        // pointer steps off and back on around it).
        let focus = pointer.current_focus();
        let misdirected = !pressed
            && focus
                .as_ref()
                .is_some_and(|f| Some(f) != pressed_on.as_ref() || !f.alive());
        let location = persona.pointer_location;
        let motion = |serial| MotionEvent {
            location,
            serial,
            time,
        };
        if misdirected {
            pointer.motion(persona, None, &motion(SERIAL_COUNTER.next_serial()));
        }
        pointer.button(
            persona,
            &ButtonEvent {
                serial,
                time,
                button,
                state: if pressed {
                    ButtonState::Pressed
                } else {
                    ButtonState::Released
                },
            },
        );
        if misdirected {
            let under = persona.surface_under(location);
            persona.pointer_focus = under.clone();
            pointer.motion(persona, under, &motion(SERIAL_COUNTER.next_serial()));
        }
        pointer.frame(persona);
        if pressed {
            self.pointer_router
                .pressed_on
                .insert(button, pointer.current_focus());
        } else if self.pointer_router.buttons.is_empty() {
            // The implicit grab is over: focus follows the pointer again, also
            // if the surface it held went away meanwhile.
            persona.refresh_pointer_focus();
        }
    }

    fn gesture_action(&self, gesture: crate::config::Gesture) -> Option<Action> {
        self.config
            .gestures
            .bindings
            .iter()
            .find(|(g, _)| *g == gesture)
            .map(|(_, a)| a.clone())
    }

    /// A recognised gesture takes the touch sequence from the clients, then acts.
    fn on_gesture(&mut self, gesture: crate::config::Gesture, at: Instant) {
        self.personas.active_mut().state.cancel_touches();
        self.cancel_panel_touches();
        for routed in self.pointer_router.touches.values_mut() {
            *routed = false;
        }
        if let Some(action) = self.gesture_action(gesture) {
            tracing::debug!(?gesture, ?action, "gesture");
            self.run_action(action, Some(at));
        }
    }

    fn on_touch_down(&mut self, slot: i32, pos: Point<f64, Logical>, time: u32) {
        if self.touch_to_panel(slot, pos, time) {
            return;
        }
        let first = self.pointer_router.touches.is_empty();
        self.pointer_router.touches.insert(slot, true);
        let persona = &mut self.personas.active_mut().state;
        // Tap to focus, as a click does (the first finger down).
        if first && !persona.seat.get_touch().is_some_and(|t| t.is_grabbed()) {
            persona.focus_at(pos);
        }
        let under = persona.surface_under(pos);
        persona.touch_down(slot, pos, under, time);
    }

    fn on_touch_motion(&mut self, slot: i32, pos: Point<f64, Logical>, time: u32) {
        if self.pointer_router.touch_on_panel && self.pointer_router.touches.contains_key(&slot) {
            self.panel_touch(slot, Some(pos), time);
            return;
        }
        if self.pointer_router.touches.get(&slot) != Some(&true) {
            return;
        }
        let persona = &mut self.personas.active_mut().state;
        if let Some(last) = persona.touch_points.get_mut(&slot) {
            *last = pos;
        }
        let under = persona.surface_under(pos);
        let touch = persona.seat.get_touch().expect("every seat has touch");
        touch.motion(
            persona,
            under,
            &TouchMotionEvent {
                slot: touch_slot(slot),
                location: pos,
                time,
            },
        );
        touch.frame(persona);
    }

    fn on_touch_up(&mut self, slot: i32, time: u32) {
        if self.pointer_router.touch_on_panel && self.pointer_router.touches.contains_key(&slot) {
            self.pointer_router.touches.remove(&slot);
            self.panel_touch(slot, None, time);
            if self.pointer_router.touches.is_empty() {
                self.pointer_router.touch_on_panel = false;
            }
            return;
        }
        if self.pointer_router.touches.remove(&slot) != Some(true) {
            return;
        }
        let persona = &mut self.personas.active_mut().state;
        persona.touch_points.remove(&slot);
        let touch = persona.seat.get_touch().expect("every seat has touch");
        touch.up(
            persona,
            &UpEvent {
                slot: touch_slot(slot),
                serial: SERIAL_COUNTER.next_serial(),
                time,
            },
        );
        touch.frame(persona);
    }
}

impl crate::persona::PersonaState {
    /// A finger down at `pos`, on `under`.
    pub(crate) fn touch_down(
        &mut self,
        slot: i32,
        pos: Point<f64, Logical>,
        under: Option<(
            smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
            Point<f64, Logical>,
        )>,
        time: u32,
    ) {
        // Every point, over a surface or not: smithay's touch grab holds them all.
        self.touch_points.insert(slot, pos);
        let touch = self.seat.get_touch().expect("every seat has touch");
        touch.down(
            self,
            under,
            &DownEvent {
                slot: touch_slot(slot),
                location: pos,
                serial: SERIAL_COUNTER.next_serial(),
                time,
            },
        );
        touch.frame(self);
    }
}

/// Our slot numbers are libinput's; a negative one means "no slot".
pub(crate) fn touch_slot(slot: i32) -> smithay::backend::input::TouchSlot {
    u32::try_from(slot).ok().into()
}

/// The VT that Ctrl+Alt+F`n` asks for, as every Linux console does.
fn vt_switch(combo: &crate::config::KeyCombo) -> Option<i32> {
    use smithay::input::keyboard::xkb::keysyms::{KEY_F1, KEY_F12};
    let m = combo.mods;
    (m.ctrl && m.alt && (KEY_F1..=KEY_F12).contains(&combo.keysym))
        .then(|| (combo.keysym - KEY_F1 + 1) as i32)
}

impl State {
    /// The output a touchscreen is mapped to (`[input.touchscreen]
    /// map_to_output`), when it is one of the outputs but not the primary.
    pub(crate) fn touch_output(&self) -> Option<&crate::persona::OutputSpec> {
        let name = self.config.input.touchscreen_output.as_ref()?;
        if *name == self.backend.output_spec().name {
            return None;
        }
        self.backend.output_named(name)
    }

    /// Where a touch at (`x`, `y`) on its output is in the active persona's
    /// space: on the output it is mapped to, else on the primary.
    fn touch_position(&self, x: f64, y: f64) -> Point<f64, Logical> {
        let persona = &self.personas.active().state;
        let mapped = self.touch_output().and_then(|spec| {
            persona
                .views()
                .into_iter()
                .find(|v| v.spec.name == spec.name)
        });
        match mapped {
            // On that output's picture (scaled there, when it mirrors).
            Some(view) => {
                let area = view.area;
                let scale = view.scale.max(f64::EPSILON);
                Point::from((
                    (area.loc.x as f64 + (x - view.corner.x as f64) / scale)
                        .clamp(area.loc.x as f64, (area.loc.x + area.size.w - 1) as f64),
                    (area.loc.y as f64 + (y - view.corner.y as f64) / scale)
                        .clamp(area.loc.y as f64, (area.loc.y + area.size.h - 1) as f64),
                ))
            }
            None => persona.from_output(x, y),
        }
    }

    /// A touch on a touchscreen mapped (`[input.touchscreen] map_to_output`)
    /// to an output that is not connected: nobody sees what is under the
    /// finger, so nobody gets it.
    fn touch_elsewhere(&self, event: &InputEvent) -> bool {
        let elsewhere = || {
            self.config
                .input
                .touchscreen_output
                .as_ref()
                .is_some_and(|name| self.backend.output_named(name).is_none())
        };
        // Only new touches: one begun before the mapping changed ends where
        // it began (motion and up of an undelivered touch go nowhere anyway;
        // a cancel of one must not cancel the others).
        match event {
            InputEvent::TouchDown { .. } => elsewhere(),
            InputEvent::TouchCancel { slot } => {
                !self.pointer_router.touches.contains_key(slot) && elsewhere()
            }
            _ => false,
        }
    }
}
