//! The entry point for real input backends (libinput, winit): smithay's
//! `InputEvent<I>` for any `I: InputBackend` becomes our backend-independent
//! [`InputEvent`], so every backend, the test fixture and `--test-input` share
//! one path from here on.

use std::time::{Duration, Instant};

use smithay::backend::input::{
    AbsolutePositionEvent, Axis, AxisSource, ButtonState, Event, InputBackend,
    InputEvent as BackendEvent, KeyState, KeyboardKeyEvent, PointerAxisEvent, PointerButtonEvent,
    PointerMotionEvent, TouchEvent,
};

use smithay::backend::input::{
    ProximityState, TabletToolButtonEvent, TabletToolEvent, TabletToolProximityEvent,
    TabletToolTipEvent, TabletToolTipState,
};
use smithay::wayland::tablet_manager::TabletDescriptor;

use smithay::backend::input::{
    GestureBeginEvent, GestureEndEvent, GesturePinchUpdateEvent as _, GestureSwipeUpdateEvent as _,
};

use super::tablet::TabletAction;
use super::touchpad::{GestureKind, TouchpadGesture};
use super::InputEvent;
use crate::state::State;

impl State {
    pub fn process_input_event<I: InputBackend>(&mut self, event: BackendEvent<I>) {
        let size = self.backend.output_spec().size;
        let logical = (size.w, size.h).into();
        let (ours, at) = match event {
            BackendEvent::Keyboard { event } => (
                InputEvent::Key {
                    keycode: event.key_code().raw(),
                    pressed: event.state() == KeyState::Pressed,
                },
                event_instant(event.time()),
            ),
            BackendEvent::PointerMotion { event } => {
                let (d, u) = (event.delta(), event.delta_unaccel());
                (
                    InputEvent::PointerMotion {
                        dx: d.x,
                        dy: d.y,
                        dx_unaccel: u.x,
                        dy_unaccel: u.y,
                        utime: event.time(),
                    },
                    event_instant(event.time()),
                )
            }
            BackendEvent::PointerMotionAbsolute { event } => {
                let pos = event.position_transformed(logical);
                (
                    InputEvent::PointerMotionAbsolute { x: pos.x, y: pos.y },
                    event_instant(event.time()),
                )
            }
            BackendEvent::PointerButton { event } => (
                InputEvent::PointerButton {
                    button: event.button_code(),
                    pressed: event.state() == ButtonState::Pressed,
                },
                event_instant(event.time()),
            ),
            BackendEvent::PointerAxis { event } => {
                let source = event.source();
                let amount = |axis| {
                    event.amount(axis).unwrap_or_else(|| {
                        // Wheels report only discrete steps: 15 per 120 is the convention.
                        event.amount_v120(axis).unwrap_or(0.0) * 15.0 / 120.0
                    })
                };
                let v120 = match (
                    event.amount_v120(Axis::Horizontal),
                    event.amount_v120(Axis::Vertical),
                ) {
                    (None, None) => None,
                    (h, v) => Some((h.unwrap_or(0.0) as i32, v.unwrap_or(0.0) as i32)),
                };
                let finger = source == AxisSource::Finger;
                let (h, v) = (amount(Axis::Horizontal), amount(Axis::Vertical));
                (
                    InputEvent::PointerAxis {
                        source,
                        horizontal: h,
                        vertical: v,
                        v120,
                        stop: (finger && h == 0.0, finger && v == 0.0),
                    },
                    event_instant(event.time()),
                )
            }
            BackendEvent::TouchDown { event } => {
                let pos = event.position_transformed(logical);
                (
                    InputEvent::TouchDown {
                        slot: slot_id(event.slot()),
                        x: pos.x,
                        y: pos.y,
                    },
                    event_instant(event.time()),
                )
            }
            BackendEvent::TouchMotion { event } => {
                let pos = event.position_transformed(logical);
                (
                    InputEvent::TouchMotion {
                        slot: slot_id(event.slot()),
                        x: pos.x,
                        y: pos.y,
                    },
                    event_instant(event.time()),
                )
            }
            BackendEvent::TouchUp { event } => (
                InputEvent::TouchUp {
                    slot: slot_id(event.slot()),
                },
                event_instant(event.time()),
            ),
            BackendEvent::TouchCancel { event } => (
                InputEvent::TouchCancel {
                    slot: slot_id(event.slot()),
                },
                event_instant(event.time()),
            ),
            BackendEvent::TabletToolProximity { event } => {
                let pos = event.position_transformed(logical);
                (
                    InputEvent::Tablet {
                        tablet: TabletDescriptor::from(&event.device()),
                        tool: event.tool(),
                        x: pos.x,
                        y: pos.y,
                        action: TabletAction::Proximity {
                            entering: event.state() == ProximityState::In,
                        },
                    },
                    event_instant(event.time()),
                )
            }
            BackendEvent::TabletToolAxis { event } => {
                let pos = event.position_transformed(logical);
                (
                    InputEvent::Tablet {
                        tablet: TabletDescriptor::from(&event.device()),
                        tool: event.tool(),
                        x: pos.x,
                        y: pos.y,
                        action: TabletAction::Motion {
                            pressure: event.pressure_has_changed().then(|| event.pressure()),
                        },
                    },
                    event_instant(event.time()),
                )
            }
            BackendEvent::TabletToolTip { event } => {
                let pos = event.position_transformed(logical);
                (
                    InputEvent::Tablet {
                        tablet: TabletDescriptor::from(&event.device()),
                        tool: event.tool(),
                        x: pos.x,
                        y: pos.y,
                        action: TabletAction::Tip {
                            down: event.tip_state() == TabletToolTipState::Down,
                        },
                    },
                    event_instant(event.time()),
                )
            }
            BackendEvent::TabletToolButton { event } => {
                let pos = self.personas.active().state.pointer_location;
                (
                    InputEvent::Tablet {
                        tablet: TabletDescriptor::from(&event.device()),
                        tool: event.tool(),
                        x: pos.x,
                        y: pos.y,
                        action: TabletAction::Button {
                            button: event.button(),
                            pressed: event.button_state() == ButtonState::Pressed,
                        },
                    },
                    event_instant(event.time()),
                )
            }
            BackendEvent::GestureSwipeBegin { event } => touchpad(
                TouchpadGesture::Begin {
                    kind: GestureKind::Swipe,
                    fingers: event.fingers(),
                },
                event.time(),
            ),
            BackendEvent::GestureSwipeUpdate { event } => touchpad(
                TouchpadGesture::Update {
                    kind: GestureKind::Swipe,
                    dx: event.delta_x(),
                    dy: event.delta_y(),
                    scale: 1.0,
                    rotation: 0.0,
                },
                event.time(),
            ),
            BackendEvent::GestureSwipeEnd { event } => touchpad(
                TouchpadGesture::End {
                    kind: GestureKind::Swipe,
                    cancelled: event.cancelled(),
                },
                event.time(),
            ),
            BackendEvent::GesturePinchBegin { event } => touchpad(
                TouchpadGesture::Begin {
                    kind: GestureKind::Pinch,
                    fingers: event.fingers(),
                },
                event.time(),
            ),
            BackendEvent::GesturePinchUpdate { event } => touchpad(
                TouchpadGesture::Update {
                    kind: GestureKind::Pinch,
                    dx: event.delta_x(),
                    dy: event.delta_y(),
                    scale: event.scale(),
                    rotation: event.rotation(),
                },
                event.time(),
            ),
            BackendEvent::GesturePinchEnd { event } => touchpad(
                TouchpadGesture::End {
                    kind: GestureKind::Pinch,
                    cancelled: event.cancelled(),
                },
                event.time(),
            ),
            BackendEvent::GestureHoldBegin { event } => touchpad(
                TouchpadGesture::Begin {
                    kind: GestureKind::Hold,
                    fingers: event.fingers(),
                },
                event.time(),
            ),
            BackendEvent::GestureHoldEnd { event } => touchpad(
                TouchpadGesture::End {
                    kind: GestureKind::Hold,
                    cancelled: event.cancelled(),
                },
                event.time(),
            ),
            // Devices come and go; switches (lid, tablet mode) are not routed yet.
            _ => return,
        };
        self.process_input(ours, at);
    }
}

fn touchpad(gesture: TouchpadGesture, usec: u64) -> (InputEvent, Instant) {
    (InputEvent::Touchpad(gesture), event_instant(usec))
}

fn slot_id(slot: smithay::backend::input::TouchSlot) -> i32 {
    i32::from(slot)
}

/// The `Instant` of an event stamped in CLOCK_MONOTONIC microseconds, so latency
/// figures start at the device's own timestamp.
fn event_instant(usec: u64) -> Instant {
    let now = Instant::now();
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 || usec == 0 {
        return now;
    }
    let mono_now = ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000;
    now.checked_sub(Duration::from_micros(mono_now.saturating_sub(usec)))
        .unwrap_or(now)
}
