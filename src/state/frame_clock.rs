//! When a frame may be drawn: at most one per refresh, only when something
//! changed. A page flip paces the next frame where the backend scans out; a
//! timer paces it where nothing does (headless, and frames that changed
//! nothing on screen). Pure bookkeeping, so it is tested without a backend.

use crate::backend::Flip;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RedrawState {
    /// Nothing to do until something changes.
    #[default]
    Idle,
    /// A render runs when this loop turn ends (`refresh_and_flush`).
    Queued,
    /// A frame was just drawn; the next may start after its page flip or
    /// one refresh interval.
    WaitingForVblank { redraw_needed: bool },
}

/// What the frame timer does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// Render now, then ask [`FrameClock::timer_rendered`].
    Render,
    /// The timer ends.
    Stop,
}

#[derive(Debug, Default)]
pub struct FrameClock {
    state: RedrawState,
    /// A frame timer is armed (at most one ever is).
    timer_armed: bool,
}

impl FrameClock {
    pub fn state(&self) -> RedrawState {
        self.state
    }

    /// Whether the frame timer runs (it paces frames no flip paces).
    pub fn timer_armed(&self) -> bool {
        self.timer_armed
    }

    /// Something changed on screen.
    pub fn queue(&mut self) {
        self.state = match self.state {
            RedrawState::Idle | RedrawState::Queued => RedrawState::Queued,
            RedrawState::WaitingForVblank { .. } => RedrawState::WaitingForVblank {
                redraw_needed: true,
            },
        };
    }

    /// Whether the end of this loop turn renders.
    pub fn wants_render_now(&self) -> bool {
        self.state == RedrawState::Queued
    }

    /// A frame was drawn outside the timer. Returns whether the caller must
    /// arm the frame timer (no page flip will come to pace the next one).
    pub fn rendered(&mut self, flip: Flip) -> bool {
        self.state = RedrawState::WaitingForVblank {
            redraw_needed: wanted_again(flip),
        };
        if flip == Flip::Pending {
            return false;
        }
        if flip != Flip::Queued && !self.timer_armed {
            self.timer_armed = true;
            return true;
        }
        false
    }

    /// The frame timer fired; `flip_pending` says a frame still waits for
    /// its page flip (which then goes on from there).
    pub fn timer_fired(&mut self, flip_pending: bool) -> Tick {
        match self.state {
            RedrawState::WaitingForVblank {
                redraw_needed: true,
            } if !flip_pending => Tick::Render,
            _ => {
                self.timer_armed = false;
                if !flip_pending {
                    self.state = RedrawState::Idle;
                }
                Tick::Stop
            }
        }
    }

    /// The timer's frame was drawn. Returns whether the timer keeps going.
    pub fn timer_rendered(&mut self, flip: Flip) -> bool {
        self.state = RedrawState::WaitingForVblank {
            redraw_needed: wanted_again(flip),
        };
        if matches!(flip, Flip::Queued | Flip::Pending) {
            self.timer_armed = false;
            return false;
        }
        true
    }

    /// The timer could not be armed: frames start again on the next change.
    pub fn timer_failed(&mut self) {
        self.timer_armed = false;
        self.state = RedrawState::Idle;
    }

    /// The page flip came. Returns whether to render now.
    pub fn flipped(&mut self) -> bool {
        match self.state {
            RedrawState::WaitingForVblank {
                redraw_needed: true,
            } => true,
            RedrawState::WaitingForVblank {
                redraw_needed: false,
            } if !self.timer_armed => {
                self.state = RedrawState::Idle;
                false
            }
            _ => false,
        }
    }
}

/// A frame that failed is drawn again after one refresh; one that waited for
/// a pending flip is drawn by that flip.
fn wanted_again(flip: Flip) -> bool {
    matches!(flip, Flip::Failed | Flip::Pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAITING: RedrawState = RedrawState::WaitingForVblank {
        redraw_needed: false,
    };
    const WANTED: RedrawState = RedrawState::WaitingForVblank {
        redraw_needed: true,
    };

    #[test]
    fn headless_frames_are_paced_by_the_timer_and_stop_when_nothing_changes() {
        let mut clock = FrameClock::default();
        assert!(!clock.wants_render_now());
        clock.queue();
        assert!(clock.wants_render_now());
        assert!(
            clock.rendered(Flip::Shown),
            "the first frame arms the timer"
        );
        // Changes within the refresh wait for it.
        clock.queue();
        clock.queue();
        assert_eq!(clock.state(), WANTED);
        assert!(!clock.wants_render_now());
        assert_eq!(clock.timer_fired(false), Tick::Render);
        assert!(clock.timer_rendered(Flip::Shown), "the timer keeps ticking");
        assert_eq!(clock.state(), WAITING);
        // A refresh with no change ends the timer; the clock idles.
        assert_eq!(clock.timer_fired(false), Tick::Stop);
        assert_eq!(clock.state(), RedrawState::Idle);
        clock.queue();
        assert!(
            clock.rendered(Flip::Shown),
            "a new timer after the old one ended"
        );
    }

    #[test]
    fn scan_out_frames_are_paced_by_the_page_flip() {
        let mut clock = FrameClock::default();
        clock.queue();
        assert!(!clock.rendered(Flip::Queued), "the flip paces, no timer");
        clock.queue();
        assert!(!clock.wants_render_now(), "not before the flip");
        assert!(clock.flipped(), "the flip renders what was wanted");
        assert!(!clock.rendered(Flip::Queued));
        assert!(!clock.flipped(), "nothing wanted: idle");
        assert_eq!(clock.state(), RedrawState::Idle);
    }

    #[test]
    fn a_frame_that_changed_nothing_is_paced_by_the_timer_until_a_flip_is_queued() {
        let mut clock = FrameClock::default();
        clock.queue();
        assert!(clock.rendered(Flip::Nothing), "no flip will come: timer");
        assert!(!clock.rendered(Flip::Nothing), "never two timers");
        clock.queue();
        assert_eq!(clock.timer_fired(false), Tick::Render);
        assert!(!clock.timer_rendered(Flip::Queued), "the flip takes over");
        clock.queue();
        assert!(clock.flipped());
    }

    #[test]
    fn a_timer_firing_while_a_flip_is_pending_leaves_the_frame_to_the_flip() {
        let mut clock = FrameClock::default();
        clock.queue();
        assert!(clock.rendered(Flip::Nothing));
        // A switch rendered and queued a flip while the timer was armed.
        assert!(!clock.rendered(Flip::Queued));
        clock.queue();
        assert_eq!(clock.timer_fired(true), Tick::Stop);
        assert_eq!(clock.state(), WANTED, "the wanted frame is not lost");
        assert!(clock.flipped(), "the flip draws it");
        assert!(!clock.rendered(Flip::Queued));
        assert!(!clock.flipped());
        assert_eq!(clock.state(), RedrawState::Idle);
    }

    #[test]
    fn a_flip_while_the_timer_runs_leaves_idling_to_the_timer() {
        let mut clock = FrameClock::default();
        clock.queue();
        assert!(clock.rendered(Flip::Nothing));
        assert!(!clock.rendered(Flip::Queued));
        assert!(!clock.flipped());
        assert_eq!(
            clock.state(),
            WAITING,
            "the armed timer will idle the clock"
        );
        assert_eq!(clock.timer_fired(false), Tick::Stop);
        assert_eq!(clock.state(), RedrawState::Idle);
    }

    #[test]
    fn a_failed_frame_is_drawn_again_one_refresh_later() {
        let mut clock = FrameClock::default();
        clock.queue();
        assert!(clock.rendered(Flip::Failed), "paced by the timer");
        assert_eq!(clock.state(), WANTED, "not forgotten");
        assert_eq!(clock.timer_fired(false), Tick::Render);
        assert!(
            clock.timer_rendered(Flip::Failed),
            "still failing: keep trying"
        );
        assert_eq!(clock.timer_fired(false), Tick::Render);
        assert!(clock.timer_rendered(Flip::Shown));
        assert_eq!(clock.timer_fired(false), Tick::Stop);
        assert_eq!(clock.state(), RedrawState::Idle);
    }

    #[test]
    fn a_frame_asked_while_a_flip_is_pending_is_drawn_by_the_flip() {
        let mut clock = FrameClock::default();
        clock.queue();
        assert!(!clock.rendered(Flip::Pending), "no timer: the flip comes");
        assert_eq!(clock.state(), WANTED);
        assert!(clock.flipped());
        // From the timer too: it stops, the flip goes on.
        let mut clock = FrameClock::default();
        clock.queue();
        assert!(clock.rendered(Flip::Nothing));
        clock.queue();
        assert_eq!(clock.timer_fired(false), Tick::Render);
        assert!(!clock.timer_rendered(Flip::Pending));
        assert_eq!(clock.state(), WANTED);
        assert!(clock.flipped());
    }
}
