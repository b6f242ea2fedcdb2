//! The entry point for real input backends (libinput, winit): smithay's
//! `InputEvent<I>` for any `I: InputBackend` becomes our backend-independent
//! [`InputEvent`], so every backend, the test fixture and `--test-input` share
//! one path from here on.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use smithay::backend::input::{
    AbsolutePositionEvent, Axis, AxisSource, ButtonState, Device, Event, InputBackend,
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

use smithay::utils::{Logical, Point};

use super::tablet::TabletAction;
use super::touchpad::{GestureKind, TouchpadGesture};
use super::{HardwareSwitch, InputEvent};
use crate::state::State;
use smithay::backend::input::{Switch, SwitchState, SwitchToggleEvent};

impl State {
    /// Releases everything every device holds (the session was paused).
    pub fn release_all_input(&mut self) {
        for release in self.input_devices.release_all() {
            self.deliver_release(release, Instant::now());
        }
    }

    pub fn process_input_event<I: InputBackend>(&mut self, event: BackendEvent<I>) {
        // Devices mapped to the panel report panel positions; the rest of
        // input works in display space (the panel turned upright).
        let (panel, transform) = {
            let spec = self.backend.output_spec();
            (spec.size, spec.transform)
        };
        let logical = (panel.w, panel.h).into();
        let display = |p: Point<f64, Logical>| -> Point<f64, Logical> {
            crate::persona::panel_to_display(transform, panel, p.x, p.y).into()
        };
        // A touchscreen mapped to another output reports that one's positions.
        let (touch_panel, touch_transform) = self
            .touch_output()
            .map_or((panel, transform), |spec| (spec.size, spec.transform));
        let touch_logical = (touch_panel.w, touch_panel.h).into();
        let touch_display = |p: Point<f64, Logical>| -> Point<f64, Logical> {
            crate::persona::panel_to_display(touch_transform, touch_panel, p.x, p.y).into()
        };
        let (ours, at, device) = match event {
            BackendEvent::DeviceRemoved { device } => {
                // Unplugged mid-press: what it held is released, nothing sticks.
                for release in self.input_devices.removed(&device.id()) {
                    self.deliver_release(release, Instant::now());
                }
                return;
            }
            BackendEvent::Keyboard { event } => (
                InputEvent::Key {
                    keycode: event.key_code().raw(),
                    pressed: event.state() == KeyState::Pressed,
                },
                event_instant(event.time()),
                event.device().id(),
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
                    event.device().id(),
                )
            }
            BackendEvent::PointerMotionAbsolute { event } => {
                let pos = display(event.position_transformed(logical));
                (
                    InputEvent::PointerMotionAbsolute { x: pos.x, y: pos.y },
                    event_instant(event.time()),
                    event.device().id(),
                )
            }
            BackendEvent::PointerButton { event } => (
                InputEvent::PointerButton {
                    button: event.button_code(),
                    pressed: event.state() == ButtonState::Pressed,
                },
                event_instant(event.time()),
                event.device().id(),
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
                    event.device().id(),
                )
            }
            BackendEvent::TouchDown { event } => {
                let pos = touch_display(event.position_transformed(touch_logical));
                (
                    InputEvent::TouchDown {
                        slot: slot_id(event.slot()),
                        x: pos.x,
                        y: pos.y,
                    },
                    event_instant(event.time()),
                    event.device().id(),
                )
            }
            BackendEvent::TouchMotion { event } => {
                let pos = touch_display(event.position_transformed(touch_logical));
                (
                    InputEvent::TouchMotion {
                        slot: slot_id(event.slot()),
                        x: pos.x,
                        y: pos.y,
                    },
                    event_instant(event.time()),
                    event.device().id(),
                )
            }
            BackendEvent::TouchUp { event } => (
                InputEvent::TouchUp {
                    slot: slot_id(event.slot()),
                },
                event_instant(event.time()),
                event.device().id(),
            ),
            BackendEvent::TouchCancel { event } => (
                InputEvent::TouchCancel {
                    slot: slot_id(event.slot()),
                },
                event_instant(event.time()),
                event.device().id(),
            ),
            BackendEvent::TabletToolProximity { event } => {
                let action = TabletAction::Proximity {
                    entering: event.state() == ProximityState::In,
                };
                tablet(&event, display(event.position_transformed(logical)), action)
            }
            BackendEvent::TabletToolAxis { event } => {
                let action = TabletAction::Motion {
                    pressure: event.pressure_has_changed().then(|| event.pressure()),
                };
                tablet(&event, display(event.position_transformed(logical)), action)
            }
            BackendEvent::TabletToolTip { event } => {
                let action = TabletAction::Tip {
                    down: event.tip_state() == TabletToolTipState::Down,
                };
                tablet(&event, display(event.position_transformed(logical)), action)
            }
            BackendEvent::TabletToolButton { event } => {
                // A button press has no position of its own: the tool's last.
                let action = TabletAction::Button {
                    button: event.button(),
                    pressed: event.button_state() == ButtonState::Pressed,
                };
                tablet(
                    &event,
                    self.personas.active().state.pointer_location,
                    action,
                )
            }
            BackendEvent::GestureSwipeBegin { event } => touchpad(
                &event,
                TouchpadGesture::Begin {
                    kind: GestureKind::Swipe,
                    fingers: event.fingers(),
                },
            ),
            BackendEvent::GestureSwipeUpdate { event } => touchpad(
                &event,
                TouchpadGesture::Update {
                    kind: GestureKind::Swipe,
                    dx: event.delta_x(),
                    dy: event.delta_y(),
                    scale: 1.0,
                    rotation: 0.0,
                },
            ),
            BackendEvent::GestureSwipeEnd { event } => touchpad(
                &event,
                TouchpadGesture::End {
                    kind: GestureKind::Swipe,
                    cancelled: event.cancelled(),
                },
            ),
            BackendEvent::GesturePinchBegin { event } => touchpad(
                &event,
                TouchpadGesture::Begin {
                    kind: GestureKind::Pinch,
                    fingers: event.fingers(),
                },
            ),
            BackendEvent::GesturePinchUpdate { event } => touchpad(
                &event,
                TouchpadGesture::Update {
                    kind: GestureKind::Pinch,
                    dx: event.delta_x(),
                    dy: event.delta_y(),
                    scale: event.scale(),
                    rotation: event.rotation(),
                },
            ),
            BackendEvent::GesturePinchEnd { event } => touchpad(
                &event,
                TouchpadGesture::End {
                    kind: GestureKind::Pinch,
                    cancelled: event.cancelled(),
                },
            ),
            BackendEvent::GestureHoldBegin { event } => touchpad(
                &event,
                TouchpadGesture::Begin {
                    kind: GestureKind::Hold,
                    fingers: event.fingers(),
                },
            ),
            BackendEvent::GestureHoldEnd { event } => touchpad(
                &event,
                TouchpadGesture::End {
                    kind: GestureKind::Hold,
                    cancelled: event.cancelled(),
                },
            ),
            BackendEvent::SwitchToggle { event } => {
                let switch = match event.switch() {
                    Some(Switch::Lid) => HardwareSwitch::Lid,
                    Some(Switch::TabletMode) => HardwareSwitch::TabletMode,
                    _ => return,
                };
                let on = event.state() == SwitchState::On;
                (
                    InputEvent::Switch { switch, on },
                    event_instant(event.time()),
                    event.device().id(),
                )
            }
            // Devices come and go (DeviceAdded needs nothing: settings are
            // applied by the backend that owns the device).
            _ => return,
        };
        self.input_devices.note(&device, &ours);
        self.process_input(ours, at);
    }
}

fn tablet<B: InputBackend, E: TabletToolEvent<B>>(
    event: &E,
    pos: smithay::utils::Point<f64, smithay::utils::Logical>,
    action: TabletAction,
) -> (InputEvent, Instant, String) {
    (
        InputEvent::Tablet {
            tablet: TabletDescriptor::from(&event.device()),
            tool: event.tool(),
            x: pos.x,
            y: pos.y,
            action,
        },
        event_instant(event.time()),
        event.device().id(),
    )
}

fn touchpad<B: InputBackend>(
    event: &impl Event<B>,
    gesture: TouchpadGesture,
) -> (InputEvent, Instant, String) {
    (
        InputEvent::Touchpad(gesture),
        event_instant(event.time()),
        event.device().id(),
    )
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

/// What each input device holds down, so that a device unplugged mid-press
/// leaves nothing stuck: its keys, buttons and touch points are released.
#[derive(Debug, Default)]
pub struct DeviceHolds {
    by_device: HashMap<String, Held>,
}

#[derive(Debug, Default)]
struct Held {
    keys: Vec<u32>,
    buttons: Vec<u32>,
    touches: Vec<i32>,
}

impl DeviceHolds {
    pub fn note(&mut self, device: &str, event: &InputEvent) {
        let held = self.by_device.entry(device.to_owned()).or_default();
        let toggle = |list: &mut Vec<u32>, value: u32, down: bool| {
            list.retain(|&v| v != value);
            if down {
                list.push(value);
            }
        };
        match *event {
            InputEvent::Key { keycode, pressed } => toggle(&mut held.keys, keycode, pressed),
            InputEvent::PointerButton { button, pressed } => {
                toggle(&mut held.buttons, button, pressed)
            }
            InputEvent::TouchDown { slot, .. } => held.touches.push(slot),
            InputEvent::TouchUp { slot } | InputEvent::TouchCancel { slot } => {
                held.touches.retain(|&s| s != slot)
            }
            _ => {}
        }
    }

    /// The releases that end what `device` held.
    pub fn removed(&mut self, device: &str) -> Vec<InputEvent> {
        let Some(held) = self.by_device.remove(device) else {
            return Vec::new();
        };
        let keys = held.keys.into_iter().map(|keycode| InputEvent::Key {
            keycode,
            pressed: false,
        });
        let buttons = held
            .buttons
            .into_iter()
            .map(|button| InputEvent::PointerButton {
                button,
                pressed: false,
            });
        let touches = held
            .touches
            .into_iter()
            .map(|slot| InputEvent::TouchCancel { slot });
        keys.chain(buttons).chain(touches).collect()
    }

    /// The releases that end what every device holds (the session paused:
    /// the releases happen on another VT, where we never see them).
    pub fn release_all(&mut self) -> Vec<InputEvent> {
        let devices: Vec<String> = self.by_device.keys().cloned().collect();
        devices.iter().flat_map(|d| self.removed(d)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unplugged_device_releases_only_what_it_held() {
        let mut holds = DeviceHolds::default();
        let key = |keycode, pressed| InputEvent::Key { keycode, pressed };
        holds.note("kbd-a", &key(38, true));
        holds.note("kbd-a", &key(50, true));
        holds.note("kbd-a", &key(38, false));
        holds.note("kbd-b", &key(60, true));
        holds.note(
            "mouse",
            &InputEvent::PointerButton {
                button: 0x110,
                pressed: true,
            },
        );
        holds.note(
            "touch",
            &InputEvent::TouchDown {
                slot: 3,
                x: 0.0,
                y: 0.0,
            },
        );
        assert_eq!(holds.removed("kbd-a"), vec![key(50, false)]);
        assert_eq!(holds.removed("kbd-a"), vec![]);
        assert_eq!(
            holds.removed("mouse"),
            vec![InputEvent::PointerButton {
                button: 0x110,
                pressed: false
            }]
        );
        assert_eq!(
            holds.removed("touch"),
            vec![InputEvent::TouchCancel { slot: 3 }]
        );
        assert_eq!(holds.removed("kbd-b"), vec![key(60, false)]);
    }
}
