//! Whether the pointer is drawn. It hides after `[input]
//! hide_cursor_after_ms` without pointer input and, with
//! `hide_cursor_on_touch`, when the screen is touched (a tablet used by
//! hand); the next pointer input shows it again. A hidden pointer also
//! lets a fullscreen client's buffer be the frame where the GPU has no
//! cursor plane to put the arrow on.

use std::time::{Duration, Instant};

use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::RegistrationToken;

use super::State;
use crate::input::InputEvent;

/// The pointer's visibility and its hide timer.
pub struct CursorVisibility {
    pub hidden: bool,
    last_used: Instant,
    timer: Option<RegistrationToken>,
}

impl Default for CursorVisibility {
    fn default() -> CursorVisibility {
        CursorVisibility {
            hidden: false,
            last_used: Instant::now(),
            timer: None,
        }
    }
}

impl State {
    /// Pointer input shows the pointer (and restarts its timer); a touch
    /// hides it.
    pub(crate) fn cursor_input(&mut self, event: &InputEvent) {
        match event {
            InputEvent::PointerMotion { .. }
            | InputEvent::PointerMotionAbsolute { .. }
            | InputEvent::PointerButton { .. }
            | InputEvent::PointerAxis { .. } => self.pointer_used(),
            InputEvent::TouchDown { .. } if self.config.input.hide_cursor_on_touch => {
                self.set_cursor_hidden(true)
            }
            _ => {}
        }
    }

    fn pointer_used(&mut self) {
        self.cursor.last_used = Instant::now();
        self.set_cursor_hidden(false);
        self.arm_cursor_timer();
    }

    fn set_cursor_hidden(&mut self, hidden: bool) {
        if self.cursor.hidden != hidden {
            self.cursor.hidden = hidden;
            tracing::debug!(hidden, "pointer visibility");
            self.personas.active_mut().state.needs_redraw = true;
            self.queue_redraw();
        }
    }

    /// The hide delay may have changed (a reload): the timer starts over.
    pub(crate) fn restart_cursor_timer(&mut self) {
        if let Some(token) = self.cursor.timer.take() {
            self.loop_handle.remove(token);
        }
        self.arm_cursor_timer();
    }

    /// Starts the hide timer, if one is configured and none runs; it
    /// fires when the pointer has been unused for the whole delay.
    pub(crate) fn arm_cursor_timer(&mut self) {
        let after = Duration::from_millis(self.config.input.hide_cursor_after_ms.into());
        if after.is_zero() || self.cursor.timer.is_some() {
            return;
        }
        let timer = Timer::from_duration(after);
        let token = self
            .loop_handle
            .insert_source(timer, |_, _, state: &mut State| {
                let after = Duration::from_millis(state.config.input.hide_cursor_after_ms.into());
                if after.is_zero() {
                    state.cursor.timer = None;
                    return TimeoutAction::Drop;
                }
                let unused = state.cursor.last_used.elapsed();
                match after.checked_sub(unused).filter(|left| !left.is_zero()) {
                    Some(left) => TimeoutAction::ToDuration(left),
                    None => {
                        state.cursor.timer = None;
                        state.set_cursor_hidden(true);
                        TimeoutAction::Drop
                    }
                }
            });
        match token {
            Ok(token) => self.cursor.timer = Some(token),
            Err(err) => tracing::warn!("no pointer hide timer: {err}"),
        }
    }
}
