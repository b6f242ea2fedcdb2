//! Touchpad gestures (swipe, pinch, hold) for clients, through
//! pointer-gestures. A gesture in progress on a switch ends, cancelled, for the
//! old persona; its later updates and end reach nobody.

use smithay::input::pointer::{
    GestureHoldBeginEvent, GestureHoldEndEvent, GesturePinchBeginEvent, GesturePinchEndEvent,
    GesturePinchUpdateEvent, GestureSwipeBeginEvent, GestureSwipeEndEvent, GestureSwipeUpdateEvent,
};
use smithay::utils::SERIAL_COUNTER;

use crate::persona::PersonaState;
use crate::state::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GestureKind {
    Swipe,
    Pinch,
    Hold,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TouchpadGesture {
    Begin {
        kind: GestureKind,
        fingers: u32,
    },
    /// Swipe and pinch only; `scale` and `rotation` for a pinch.
    Update {
        kind: GestureKind,
        dx: f64,
        dy: f64,
        scale: f64,
        rotation: f64,
    },
    End {
        kind: GestureKind,
        cancelled: bool,
    },
}

impl State {
    pub(super) fn on_touchpad_gesture(&mut self, gesture: TouchpadGesture, time: u32) {
        match &gesture {
            TouchpadGesture::Begin { kind, .. } => {
                self.pointer_router.touchpad_gesture = Some(*kind)
            }
            TouchpadGesture::Update { kind, .. } | TouchpadGesture::End { kind, .. } => {
                // Begun in another persona (before a switch): nobody's.
                if self.pointer_router.touchpad_gesture != Some(*kind) {
                    return;
                }
                if matches!(gesture, TouchpadGesture::End { .. }) {
                    self.pointer_router.touchpad_gesture = None;
                }
            }
        }
        let persona = &mut self.personas.active_mut().state;
        persona.touchpad_gesture(gesture, time);
    }
}

impl PersonaState {
    fn touchpad_gesture(&mut self, gesture: TouchpadGesture, time: u32) {
        let pointer = self.seat.get_pointer().expect("pointer");
        let serial = SERIAL_COUNTER.next_serial();
        match gesture {
            TouchpadGesture::Begin { kind, fingers } => match kind {
                GestureKind::Swipe => pointer.gesture_swipe_begin(
                    self,
                    &GestureSwipeBeginEvent {
                        serial,
                        time,
                        fingers,
                    },
                ),
                GestureKind::Pinch => pointer.gesture_pinch_begin(
                    self,
                    &GesturePinchBeginEvent {
                        serial,
                        time,
                        fingers,
                    },
                ),
                GestureKind::Hold => pointer.gesture_hold_begin(
                    self,
                    &GestureHoldBeginEvent {
                        serial,
                        time,
                        fingers,
                    },
                ),
            },
            TouchpadGesture::Update {
                kind,
                dx,
                dy,
                scale,
                rotation,
            } => match kind {
                GestureKind::Swipe => pointer.gesture_swipe_update(
                    self,
                    &GestureSwipeUpdateEvent {
                        time,
                        delta: (dx, dy).into(),
                    },
                ),
                GestureKind::Pinch => pointer.gesture_pinch_update(
                    self,
                    &GesturePinchUpdateEvent {
                        time,
                        delta: (dx, dy).into(),
                        scale,
                        rotation,
                    },
                ),
                GestureKind::Hold => {}
            },
            TouchpadGesture::End { kind, cancelled } => {
                self.end_touchpad_gesture(kind, cancelled, time)
            }
        }
        pointer.frame(self);
    }

    /// Ends a touchpad gesture (on switch-out: cancelled).
    pub fn end_touchpad_gesture(&mut self, kind: GestureKind, cancelled: bool, time: u32) {
        let pointer = self.seat.get_pointer().expect("pointer");
        let serial = SERIAL_COUNTER.next_serial();
        match kind {
            GestureKind::Swipe => pointer.gesture_swipe_end(
                self,
                &GestureSwipeEndEvent {
                    serial,
                    time,
                    cancelled,
                },
            ),
            GestureKind::Pinch => pointer.gesture_pinch_end(
                self,
                &GesturePinchEndEvent {
                    serial,
                    time,
                    cancelled,
                },
            ),
            GestureKind::Hold => pointer.gesture_hold_end(
                self,
                &GestureHoldEndEvent {
                    serial,
                    time,
                    cancelled,
                },
            ),
        }
    }
}
