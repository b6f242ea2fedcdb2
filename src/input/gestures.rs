//! Touchscreen gestures the compositor keeps for itself: an edge swipe (one
//! finger in from an edge) and an N-finger swipe. A touch sequence goes to
//! clients as usual until it is recognised; from then on it is the
//! compositor's (clients get wl_touch.cancel) until every finger is up.
//! Pure logic: positions in output coordinates, times as `Instant`s.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::{Direction, Gesture, GestureConfig};

#[derive(Debug, Clone, Copy)]
struct Finger {
    start: (f64, f64),
    now: (f64, f64),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No finger down.
    #[default]
    Idle,
    /// Fingers down, nothing recognised yet.
    Watching,
    /// Too slow or not a gesture: the sequence is the clients'.
    Rejected,
    /// Recognised: the sequence is the compositor's.
    Claimed,
}

#[derive(Debug, Default)]
pub struct GestureTracker {
    fingers: HashMap<i32, Finger>,
    /// The most fingers down at once in this sequence.
    most: usize,
    started: Option<Instant>,
    /// The edge the first finger came down on, if any.
    edge: Option<Direction>,
    phase: Phase,
}

impl GestureTracker {
    /// Whether the current sequence belongs to the compositor.
    pub fn claimed(&self) -> bool {
        self.phase == Phase::Claimed
    }

    pub fn down(
        &mut self,
        slot: i32,
        pos: (f64, f64),
        at: Instant,
        size: (f64, f64),
        config: &GestureConfig,
    ) {
        if self.phase == Phase::Idle {
            *self = GestureTracker {
                started: Some(at),
                edge: edge_at(pos, size, config.edge_size),
                phase: Phase::Watching,
                ..GestureTracker::default()
            };
        } else if self.phase == Phase::Watching {
            // A second finger makes it a multi-finger swipe, not an edge swipe.
            self.edge = None;
        }
        self.fingers.insert(
            slot,
            Finger {
                start: pos,
                now: pos,
            },
        );
        self.most = self.most.max(self.fingers.len());
    }

    /// A finger moved; returns a gesture once recognised, if `usable` accepts it
    /// (bound, and its action can run now): only then is the sequence claimed.
    pub fn motion(
        &mut self,
        slot: i32,
        pos: (f64, f64),
        at: Instant,
        config: &GestureConfig,
        usable: impl Fn(Gesture) -> bool,
    ) -> Option<Gesture> {
        let finger = self.fingers.get_mut(&slot)?;
        finger.now = pos;
        if self.phase != Phase::Watching {
            return None;
        }
        let elapsed = at.saturating_duration_since(self.started.unwrap_or(at));
        if elapsed > Duration::from_millis(config.time_ms as u64) {
            self.phase = Phase::Rejected;
            return None;
        }
        let gesture = self.recognise(config)?;
        if usable(gesture) {
            self.phase = Phase::Claimed;
            Some(gesture)
        } else {
            None
        }
    }

    /// A finger lifted (or its touch was cancelled).
    pub fn up(&mut self, slot: i32) {
        self.fingers.remove(&slot);
        if self.fingers.is_empty() {
            self.phase = Phase::Idle;
        }
    }

    fn recognise(&self, config: &GestureConfig) -> Option<Gesture> {
        let n = self.fingers.len() as f64;
        let (dx, dy) = self.fingers.values().fold((0.0, 0.0), |(x, y), f| {
            (x + f.now.0 - f.start.0, y + f.now.1 - f.start.1)
        });
        let (dx, dy) = (dx / n, dy / n);
        let direction = if dx.abs() >= config.distance && dx.abs() > 2.0 * dy.abs() {
            if dx > 0.0 {
                Direction::Right
            } else {
                Direction::Left
            }
        } else if dy.abs() >= config.distance && dy.abs() > 2.0 * dx.abs() {
            if dy > 0.0 {
                Direction::Down
            } else {
                Direction::Up
            }
        } else {
            return None;
        };
        if self.most == 1 {
            // In from the edge it started on: from the left edge moving right, …
            let edge = self.edge?;
            let inward = match edge {
                Direction::Left => Direction::Right,
                Direction::Right => Direction::Left,
                Direction::Up => Direction::Down,
                Direction::Down => Direction::Up,
            };
            (direction == inward).then_some(Gesture::Edge(edge))
        } else {
            // Every finger goes the same way, at least half the distance.
            let along = |f: &Finger| match direction {
                Direction::Left => f.start.0 - f.now.0,
                Direction::Right => f.now.0 - f.start.0,
                Direction::Up => f.start.1 - f.now.1,
                Direction::Down => f.now.1 - f.start.1,
            };
            let together = self
                .fingers
                .values()
                .all(|f| along(f) >= config.distance / 2.0);
            (together && self.fingers.len() == self.most).then_some(Gesture::Swipe {
                fingers: self.most as u8,
                direction,
            })
        }
    }
}

fn edge_at(pos: (f64, f64), size: (f64, f64), edge_size: f64) -> Option<Direction> {
    if pos.0 < edge_size {
        Some(Direction::Left)
    } else if pos.0 >= size.0 - edge_size {
        Some(Direction::Right)
    } else if pos.1 < edge_size {
        Some(Direction::Up)
    } else if pos.1 >= size.1 - edge_size {
        Some(Direction::Down)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Action;

    const SIZE: (f64, f64) = (1000.0, 600.0);

    fn config() -> GestureConfig {
        GestureConfig::default()
    }

    fn drag(
        t: &mut GestureTracker,
        slots: &[(i32, (f64, f64))],
        by: (f64, f64),
        ms: u64,
    ) -> Option<Gesture> {
        let start = Instant::now();
        let c = config();
        for &(slot, pos) in slots {
            t.down(slot, pos, start, SIZE, &c);
        }
        let mut found = None;
        for step in 1..=10 {
            let at = start + Duration::from_millis(ms * step / 10);
            for &(slot, pos) in slots {
                let f = step as f64 / 10.0;
                let p = (pos.0 + by.0 * f, pos.1 + by.1 * f);
                if let Some(g) =
                    t.motion(slot, p, at, &c, |g| c.bindings.iter().any(|(b, _)| *b == g))
                {
                    found = Some(g);
                }
            }
        }
        found
    }

    #[test]
    fn edge_swipes_in_from_the_edge() {
        let mut t = GestureTracker::default();
        assert_eq!(
            drag(&mut t, &[(0, (3.0, 300.0))], (200.0, 0.0), 200),
            Some(Gesture::Edge(Direction::Left))
        );
        assert!(t.claimed());
        t.up(0);
        assert!(!t.claimed());
        let mut t = GestureTracker::default();
        assert_eq!(
            drag(&mut t, &[(0, (995.0, 300.0))], (-200.0, 10.0), 200),
            Some(Gesture::Edge(Direction::Right))
        );
    }

    #[test]
    fn not_from_an_edge_too_slow_or_outward_is_no_gesture() {
        let mut t = GestureTracker::default();
        assert_eq!(
            drag(&mut t, &[(0, (300.0, 300.0))], (300.0, 0.0), 200),
            None,
            "mid-screen"
        );
        let mut t = GestureTracker::default();
        assert_eq!(
            drag(&mut t, &[(0, (3.0, 300.0))], (300.0, 0.0), 2000),
            None,
            "too slow"
        );
        assert!(!t.claimed());
        let mut t = GestureTracker::default();
        assert_eq!(
            drag(&mut t, &[(0, (995.0, 300.0))], (3.0, 300.0), 200),
            None,
            "along the edge"
        );
    }

    #[test]
    fn three_finger_swipes() {
        let mut t = GestureTracker::default();
        let fingers = [
            (0, (400.0, 300.0)),
            (1, (450.0, 310.0)),
            (2, (500.0, 290.0)),
        ];
        assert_eq!(
            drag(&mut t, &fingers, (-250.0, 20.0), 300),
            Some(Gesture::Swipe {
                fingers: 3,
                direction: Direction::Left
            })
        );
        // Two fingers: not bound by default.
        let mut t = GestureTracker::default();
        assert_eq!(drag(&mut t, &fingers[..2], (-250.0, 0.0), 300), None);
    }

    #[test]
    fn movement_before_the_other_fingers_landed_does_not_count() {
        let c = config();
        let bound = |g| c.bindings.iter().any(|(b, _)| *b == g);
        let mut t = GestureTracker::default();
        let t0 = Instant::now();
        t.down(0, (800.0, 300.0), t0, SIZE, &c);
        // A one-finger fling, then two more fingers land.
        assert_eq!(
            t.motion(
                0,
                (380.0, 300.0),
                t0 + Duration::from_millis(150),
                &c,
                bound
            ),
            None
        );
        let t1 = t0 + Duration::from_millis(160);
        t.down(1, (400.0, 350.0), t1, SIZE, &c);
        t.down(2, (420.0, 250.0), t1, SIZE, &c);
        assert_eq!(t.motion(0, (379.0, 300.0), t1, &c, bound), None);
        assert!(!t.claimed());
    }

    #[test]
    fn fingers_going_different_ways_are_no_swipe() {
        let c = config();
        let bound = |g| c.bindings.iter().any(|(b, _)| *b == g);
        let mut t = GestureTracker::default();
        let t0 = Instant::now();
        for (slot, x) in [(0, 400.0), (1, 450.0), (2, 500.0)] {
            t.down(slot, (x, 300.0), t0, SIZE, &c);
        }
        // Two fingers far left, one not moving: the average passes, each does not.
        t.motion(0, (0.0, 300.0), t0, &c, bound);
        assert_eq!(t.motion(1, (50.0, 300.0), t0, &c, bound), None);
        assert!(!t.claimed());
    }

    #[test]
    fn only_bound_gestures_are_claimed() {
        let mut c = config();
        c.bindings = vec![(
            Gesture::Swipe {
                fingers: 2,
                direction: Direction::Up,
            },
            Action::Next,
        )];
        let mut t = GestureTracker::default();
        let start = Instant::now();
        t.down(0, (3.0, 300.0), start, SIZE, &c);
        let bound = |g| c.bindings.iter().any(|(b, _)| *b == g);
        assert_eq!(
            t.motion(0, (300.0, 300.0), start, &c, bound),
            None,
            "edge-left not bound here"
        );
        assert!(!t.claimed());
    }
}
