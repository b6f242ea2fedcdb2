//! wlr-virtual-pointer per persona (remote desktop servers, on-screen
//! pointers, automation). smithay 0.7 has no implementation; this one turns
//! each request into the compositor's own input event and leaves it for the
//! outer state, which feeds it through the normal input path only while the
//! persona is on screen — so a virtual pointer moves and clicks in its own
//! persona and nowhere else, and a background persona's are dropped.
//! Offered only where `privileged` lists `"virtual-pointer"`, never to
//! sandboxed clients.

use std::sync::Mutex;

use smithay::backend::input::AxisSource;
use smithay::reexports::wayland_protocols_wlr::virtual_pointer::v1::server::{
    zwlr_virtual_pointer_manager_v1::{self as manager, ZwlrVirtualPointerManagerV1},
    zwlr_virtual_pointer_v1::{self as pointer, ZwlrVirtualPointerV1},
};
use smithay::reexports::wayland_server::protocol::wl_pointer;
use smithay::reexports::wayland_server::{
    Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource, WEnum,
};

use super::privileged::{not_sandboxed, PrivilegedGlobal};
use crate::input::InputEvent;
use crate::persona::{PersonaEvent, PersonaState};

/// Everything a virtual pointer sent since its last `frame`: the protocol
/// delivers a frame's events together, or not at all.
#[derive(Debug, Default)]
pub struct PendingFrame {
    events: Vec<PersonaEvent>,
    axis: PendingAxis,
}

/// Scrolling gathered until `frame`.
#[derive(Debug, Default)]
struct PendingAxis {
    source: Option<AxisSource>,
    horizontal: f64,
    vertical: f64,
    v120: Option<(i32, i32)>,
    stop: (bool, bool),
    any: bool,
}

impl GlobalDispatch<ZwlrVirtualPointerManagerV1, PrivilegedGlobal> for PersonaState {
    fn bind(
        _state: &mut Self,
        _dh: &DisplayHandle,
        _client: &Client,
        resource: New<ZwlrVirtualPointerManagerV1>,
        _global_data: &PrivilegedGlobal,
        data_init: &mut DataInit<'_, Self>,
    ) {
        data_init.init(resource, ());
    }

    fn can_view(client: Client, _global_data: &PrivilegedGlobal) -> bool {
        not_sandboxed(&client)
    }
}

impl Dispatch<ZwlrVirtualPointerManagerV1, ()> for PersonaState {
    fn request(
        _state: &mut Self,
        _client: &Client,
        _manager: &ZwlrVirtualPointerManagerV1,
        request: manager::Request,
        _data: &(),
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        // The seat and output can only be this persona's own: its display
        // has no other.
        match request {
            manager::Request::CreateVirtualPointer { id, .. }
            | manager::Request::CreateVirtualPointerWithOutput { id, .. } => {
                data_init.init(id, Mutex::new(PendingFrame::default()));
            }
            _ => {}
        }
    }
}

fn axis_index(
    resource: &ZwlrVirtualPointerV1,
    axis: WEnum<wl_pointer::Axis>,
) -> Option<wl_pointer::Axis> {
    match axis {
        WEnum::Value(axis) => Some(axis),
        WEnum::Unknown(value) => {
            resource.post_error(pointer::Error::InvalidAxis, format!("invalid axis {value}"));
            None
        }
    }
}

impl Dispatch<ZwlrVirtualPointerV1, Mutex<PendingFrame>> for PersonaState {
    fn request(
        state: &mut Self,
        _client: &Client,
        resource: &ZwlrVirtualPointerV1,
        request: pointer::Request,
        pending: &Mutex<PendingFrame>,
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        let mut frame = pending.lock().unwrap_or_else(|e| e.into_inner());
        let pending = &mut frame.axis;
        let event = match request {
            pointer::Request::Motion { dx, dy, time } => InputEvent::PointerMotion {
                dx,
                dy,
                dx_unaccel: dx,
                dy_unaccel: dy,
                utime: u64::from(time) * 1000,
            },
            pointer::Request::MotionAbsolute {
                x,
                y,
                x_extent,
                y_extent,
                ..
            } => {
                if x_extent == 0 || y_extent == 0 {
                    return;
                }
                // Fractions of this persona's output; placed by the outer state.
                frame.events.push(PersonaEvent::VirtualPointerAbsolute {
                    x: f64::from(x.min(x_extent)) / f64::from(x_extent),
                    y: f64::from(y.min(y_extent)) / f64::from(y_extent),
                });
                return;
            }
            pointer::Request::Button {
                button,
                state: button_state,
                ..
            } => InputEvent::PointerButton {
                button,
                pressed: button_state == WEnum::Value(wl_pointer::ButtonState::Pressed),
            },
            pointer::Request::Axis { axis, value, .. } => {
                let Some(axis) = axis_index(resource, axis) else {
                    return;
                };
                pending.any = true;
                match axis {
                    wl_pointer::Axis::HorizontalScroll => pending.horizontal += value,
                    _ => pending.vertical += value,
                }
                return;
            }
            pointer::Request::AxisDiscrete {
                axis,
                value,
                discrete,
                ..
            } => {
                let Some(axis) = axis_index(resource, axis) else {
                    return;
                };
                pending.any = true;
                let (mut h, mut v) = pending.v120.unwrap_or_default();
                match axis {
                    wl_pointer::Axis::HorizontalScroll => {
                        pending.horizontal += value;
                        h = h.saturating_add(discrete.saturating_mul(120));
                    }
                    _ => {
                        pending.vertical += value;
                        v = v.saturating_add(discrete.saturating_mul(120));
                    }
                }
                pending.v120 = Some((h, v));
                return;
            }
            pointer::Request::AxisSource { axis_source } => {
                let source = match axis_source {
                    WEnum::Value(wl_pointer::AxisSource::Wheel) => AxisSource::Wheel,
                    WEnum::Value(wl_pointer::AxisSource::Finger) => AxisSource::Finger,
                    WEnum::Value(wl_pointer::AxisSource::Continuous) => AxisSource::Continuous,
                    WEnum::Value(wl_pointer::AxisSource::WheelTilt) => AxisSource::WheelTilt,
                    _ => {
                        resource
                            .post_error(pointer::Error::InvalidAxisSource, "invalid axis source");
                        return;
                    }
                };
                pending.source = Some(source);
                return;
            }
            pointer::Request::AxisStop { axis, .. } => {
                let Some(axis) = axis_index(resource, axis) else {
                    return;
                };
                pending.any = true;
                match axis {
                    wl_pointer::Axis::HorizontalScroll => pending.stop.0 = true,
                    _ => pending.stop.1 = true,
                }
                return;
            }
            pointer::Request::Frame => {
                let PendingFrame { events, axis } = std::mem::take(&mut *frame);
                state.events.extend(events);
                if axis.any {
                    state
                        .events
                        .push(PersonaEvent::VirtualPointer(InputEvent::PointerAxis {
                            source: axis.source.unwrap_or(AxisSource::Wheel),
                            horizontal: axis.horizontal,
                            vertical: axis.vertical,
                            v120: axis.v120,
                            stop: axis.stop,
                        }));
                }
                return;
            }
            _ => return,
        };
        frame.events.push(PersonaEvent::VirtualPointer(event));
    }
}
