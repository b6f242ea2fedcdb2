//! Each output is paced by its own page flips: a frame is queued only on an
//! output whose last frame has flipped, and an output passed over meanwhile
//! owes a frame, drawn when its flip comes. So a slow output (a 60 Hz panel
//! beside a 144 Hz one) or one whose flip is late holds no other back.

use std::time::Duration;

/// One output's page-flip state.
#[derive(Debug, Default, Clone)]
pub struct FlipState {
    /// A frame is queued and its flip has not come yet.
    pending: bool,
    /// When that frame was queued (monotonic clock), for the watchdog.
    queued_at: Option<Duration>,
    /// A frame was drawn elsewhere while this output waited.
    owed: bool,
}

impl FlipState {
    /// Whether a frame may be drawn here now; if not, one is owed.
    pub fn may_draw(&mut self) -> bool {
        if self.pending {
            self.owed = true;
            return false;
        }
        self.owed = false;
        true
    }

    /// A frame was drawn elsewhere that this output must not draw yet.
    pub fn owe(&mut self) {
        self.owed = true;
    }

    /// A frame was queued here at `at`.
    pub fn queued(&mut self, at: Duration) {
        self.pending = true;
        self.queued_at = Some(at);
    }

    /// The flip came: None if no frame waited for it, else whether this
    /// output owes a frame.
    pub fn flipped(&mut self) -> Option<bool> {
        if !self.pending {
            return None;
        }
        self.pending = false;
        self.queued_at = None;
        Some(self.owed)
    }

    /// Forgets a flip that will never come (the session went away) and
    /// what was owed: everything is drawn again. Returns whether one was
    /// pending.
    pub fn settle(&mut self) -> bool {
        let was = self.pending;
        *self = FlipState::default();
        was
    }

    /// Nothing is owed (the output went off).
    pub fn quit(&mut self) {
        self.owed = false;
    }

    pub fn pending(&self) -> bool {
        self.pending
    }

    pub fn owed(&self) -> bool {
        self.owed
    }

    pub fn queued_at(&self) -> Option<Duration> {
        self.queued_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Flip;

    #[test]
    fn an_output_passed_over_owes_its_frame_until_its_flip() {
        let mut flip = FlipState::default();
        assert!(flip.may_draw());
        assert_eq!(flip.flipped(), None, "no frame waited");
        flip.queued(Duration::from_millis(5));
        assert_eq!(flip.queued_at(), Some(Duration::from_millis(5)));
        assert!(!flip.may_draw());
        assert!(flip.owed());
        assert_eq!(flip.flipped(), Some(true), "the flip draws what it missed");
        assert!(flip.may_draw());
        assert!(!flip.owed());
        flip.queued(Duration::from_millis(9));
        assert_eq!(flip.flipped(), Some(false), "nothing missed");
        flip.queued(Duration::from_millis(9));
        flip.owe();
        assert!(flip.settle());
        assert!(!flip.pending() && !flip.owed() && flip.queued_at().is_none());
    }

    #[test]
    fn a_frame_is_pending_only_when_no_output_could_draw() {
        use Flip::*;
        assert_eq!(Flip::combine([Pending, Queued]), Queued);
        assert_eq!(Flip::combine([Pending, Nothing]), Nothing);
        assert_eq!(Flip::combine([Failed, Queued]), Queued);
        assert_eq!(Flip::combine([Failed, Nothing, Pending]), Failed);
        assert_eq!(Flip::combine([Pending, Pending]), Pending);
        assert_eq!(Flip::combine([Shown, Shown]), Shown);
        assert_eq!(Flip::combine([]), Nothing);
    }
}
