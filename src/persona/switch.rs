//! Switching the active persona. This is the one place where it happens.
//!
//! Leave: the old persona's grabs end (a popup grab with `popup_done`), its
//! focused client gets wl_keyboard.leave and wl_pointer.leave, touch points are
//! cancelled, its windows lose `activated` and gain `suspended` (sent after
//! the new persona's first frame, which must not wait for them). Keys still held
//! are released in its xkb state without any event (after leave the client
//! treats every key as released) and carried into the new persona's state only,
//! so modifiers are real there and stick nowhere.
//! Enter: the new persona's last focused window gets wl_keyboard.enter with no
//! keys and the real modifiers, the pointer re-enters at that persona's own
//! cursor position, and the output is redrawn whole at once.

use std::time::Instant;

use smithay::backend::input::KeyState;
use smithay::desktop::utils::OutputPresentationFeedback;
use smithay::desktop::PopupUngrabStrategy;
use smithay::input::keyboard::FilterResult;
use smithay::input::pointer::MotionEvent;
use smithay::reexports::wayland_protocols::wp::presentation_time::server::wp_presentation_feedback;
use smithay::utils::{Logical, Point, SERIAL_COUNTER};

use super::{PersonaId, PersonaState};
use crate::ipc::protocol::Event;
use crate::state::State;

/// What started a switch, for the latency figures in `stats`.
#[derive(Debug, Clone, Copy)]
pub struct SwitchOrigin {
    /// When the request or binding was handled.
    pub requested: Instant,
    /// The timestamp of the key event that triggered it, for bindings.
    pub input: Option<Instant>,
}

impl State {
    /// Makes `target` the active persona. Returns false if it already was.
    pub fn switch_to(&mut self, target: PersonaId, origin: SwitchOrigin) -> bool {
        let _span = tracing::trace_span!("switch").entered();
        // A switch by any means ends the overview, even to the persona it
        // was opened over.
        if self.overview.take().is_some() {
            self.redraw_whole();
        }
        let old = self.personas.active_id();
        if old == target || self.personas.get(target).is_none() {
            return false;
        }
        // The lock (system display) is left only by unlocking, and entered
        // only by locking: `lock` is set before and cleared before.
        let system = self.personas.system_id();
        if self.locked() != (Some(target) == system) {
            tracing::info!("switch refused: the session is locked");
            return false;
        }
        let lock_switch = Some(target) == system || Some(old) == system;
        let time = self.clock_ms();
        // The old persona, drawn once more, is what a transition leaves from;
        // nothing fades into or out of the lock screen.
        let from = &self.personas.get(old).expect("active exists").state;
        let transition = if lock_switch {
            crate::config::Transition::None
        } else {
            self.config.transition
        };
        self.backend.begin_transition(from, transition);

        // Lock keys (Caps, Num) are not carried: pressing one in the new persona
        // would toggle its lock state, which each persona keeps for itself.
        let (held, locks) = self
            .key_router
            .persona_keys_split(|key| self.binding_keyboard.is_lock_key(key));
        let old_state = &mut self.personas.get_mut(old).expect("active exists").state;
        // A touchpad gesture in progress ends, cancelled, while its surface
        // still has the pointer.
        if let Some(kind) = self.pointer_router.touchpad_gesture.take() {
            old_state.end_touchpad_gesture(kind, true, time);
        }
        old_state.leave(time);
        // Release what the old persona still holds, in its state only: it has no
        // focus any more, so no client hears of it.
        let keyboard = old_state.seat.get_keyboard().expect("keyboard");
        for &key in held.iter().chain(&locks) {
            keyboard.input::<(), _>(
                old_state,
                key,
                KeyState::Released,
                SERIAL_COUNTER.next_serial(),
                time,
                |_, _, _| FilterResult::Forward,
            );
        }
        let pointer = old_state.seat.get_pointer().expect("pointer");
        for (&button, routed) in self.pointer_router.buttons.iter_mut() {
            if std::mem::take(routed) {
                pointer.button(
                    old_state,
                    &smithay::input::pointer::ButtonEvent {
                        serial: SERIAL_COUNTER.next_serial(),
                        time,
                        button,
                        state: smithay::backend::input::ButtonState::Released,
                    },
                );
            }
        }
        pointer.frame(old_state);
        for routed in self.pointer_router.touches.values_mut() {
            *routed = false;
        }
        self.pointer_router.tablet_tip = false;
        self.mark_dirty(old);

        self.personas.set_active(target);
        let new_state = &mut self.personas.get_mut(target).expect("checked").state;
        // Held keys become part of the new persona's state before enter, so the
        // enter carries the real modifiers but no keys.
        let keyboard = new_state.seat.get_keyboard().expect("keyboard");
        for &key in &held {
            keyboard.input_intercept::<(), _>(new_state, key, KeyState::Pressed, |_, _, _| ());
        }
        self.key_router.carry_over(&locks);
        new_state.enter(time);
        self.mark_dirty(target);
        // The new persona's cursor may be on a system panel, or leave one.
        if !lock_switch && system.is_some() {
            let pos = self.personas.active().state.pointer_location;
            self.pointer_to_panel(pos, time);
        }

        let from = self.personas.get(old).map(|p| p.state.name.clone());
        let to = self.personas.active().state.name.clone();
        tracing::info!(from = ?from, to = %to, "switched persona");
        if self.config.switch_notice && Some(target) != system {
            let color = self.personas.active().state.color;
            self.show_notice(&to, color);
        }
        self.idle_switched(old);
        self.redraw_now_after_switch(origin);
        // The newly shown clients hear of their frame at once; what takes
        // time in the number of windows (the space's output enter/leave,
        // each window's activated and suspended states, the old persona's
        // unshown content) follows the frame instead of delaying it.
        let new = self.personas.get_mut(target).expect("checked");
        new.flush();
        // What the frame drew came from the space as last refreshed; if
        // refreshing it now changes what is on the output (outputs or
        // windows changed while in the background), draw again.
        let before: Vec<_> = new
            .state
            .space
            .elements_for_output(&new.state.output)
            .cloned()
            .collect();
        new.state.space.refresh();
        new.state.popups.cleanup();
        if !new
            .state
            .space
            .elements_for_output(&new.state.output)
            .eq(before.iter())
        {
            new.state.needs_redraw = true;
        }
        new.state.update_activation();
        if let Some(old) = self.personas.get_mut(old) {
            old.state.discard_feedback();
            old.state.update_activation();
        }
        if !lock_switch {
            self.ipc_events.broadcast(&Event::Switched {
                from: from.unwrap_or_default(),
                to,
            });
        }
        true
    }

    /// `next`/`prev` in config order.
    pub fn switch_relative(&mut self, forward: bool, origin: SwitchOrigin) -> bool {
        let target = self.personas.neighbour(self.personas.active_id(), forward);
        self.switch_to(target, origin)
    }
}

impl PersonaState {
    /// Every touch point of this persona ends with wl_touch.cancel, and the
    /// touch grab smithay holds until the last finger lifts is dropped. smithay's
    /// TouchHandle::cancel only reaches points with an event since their last
    /// frame, so each point first gets a motion to where it already is.
    pub fn cancel_touches(&mut self) {
        let touch = self.seat.get_touch().expect("touch");
        let time = self.clock.now().as_millis();
        let points: Vec<(i32, Point<f64, Logical>)> = self.touch_points.drain().collect();
        for (slot, location) in points {
            let event = smithay::input::touch::MotionEvent {
                slot: u32::try_from(slot).ok().into(),
                location,
                time,
            };
            touch.motion(self, None, &event);
        }
        touch.cancel(self);
        touch.unset_grab(self);
    }

    /// This persona goes to the background.
    fn leave(&mut self, time: u32) {
        self.pointer_on_panel = false;
        let keyboard = self.seat.get_keyboard().expect("keyboard");
        let pointer = self.seat.get_pointer().expect("pointer");
        let motion_to_nothing = |state: &mut PersonaState| {
            let event = MotionEvent {
                location: state.pointer_location,
                serial: SERIAL_COUNTER.next_serial(),
                time,
            };
            pointer.motion(state, None, &event);
            pointer.frame(state);
        };
        // An xdg_popup grab cannot be resumed later: the grabbing chain gets
        // popup_done now.
        if let Some(mut grab) = self.popup_grab.take() {
            if !grab.has_ended() {
                grab.ungrab(PopupUngrabStrategy::All);
            }
        }
        // Moving the pointer off every surface first makes a drag lose its
        // target, so ending the grab cancels the drag instead of dropping. The
        // pointer's leave also ends a lock or confinement (unlocked/unconfined;
        // smithay does that on leave); a persistent one comes back in `enter`.
        motion_to_nothing(self);
        keyboard.unset_grab(self);
        pointer.unset_grab(self, SERIAL_COUNTER.next_serial(), time);
        keyboard.set_focus(self, None, SERIAL_COUNTER.next_serial());
        motion_to_nothing(self);
        self.cancel_touches();
        self.tools_out_of_proximity(time);
        self.active = false;
    }

    /// Content committed but never shown will not be presented (after a
    /// switch away, once the new persona's frame is out).
    fn discard_feedback(&mut self) {
        let mut feedback = OutputPresentationFeedback::new(&self.output);
        for window in self.space.elements() {
            window.take_presentation_feedback(
                &mut feedback,
                |_, _| None,
                |_, _| wp_presentation_feedback::Kind::empty(),
            );
        }
        for layer in self.all_layers() {
            layer.take_presentation_feedback(
                &mut feedback,
                |_, _| None,
                |_, _| wp_presentation_feedback::Kind::empty(),
            );
        }
        feedback.discarded();
    }

    /// This persona comes to the front.
    fn enter(&mut self, time: u32) {
        self.active = true;
        self.attention = false;
        self.popups.cleanup();
        self.update_frame_cover();
        self.set_keyboard_focus_to_top();
        let location = self.pointer_location;
        let under = self.surface_under(location);
        let pointer = self.seat.get_pointer().expect("pointer");
        pointer.motion(
            self,
            under.clone(),
            &MotionEvent {
                location,
                serial: SERIAL_COUNTER.next_serial(),
                time,
            },
        );
        pointer.frame(self);
        if let Some((surface, _)) = under {
            self.maybe_activate_constraint(&surface);
        }
        self.needs_redraw = true;
    }
}
