//! When a session is restarted: the policy (config `restart`) and the
//! exponential backoff schedule. Pure functions, so the schedule is unit-tested.

use std::time::Duration;

/// Delay before the first restart after a quick exit.
pub const INITIAL_DELAY: Duration = Duration::from_secs(1);
/// Longest delay between restarts.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// A session that ran at least this long before it ended counts as stable:
/// the backoff starts again at [`INITIAL_DELAY`].
pub const STABLE_AFTER: Duration = Duration::from_secs(30);

/// Config `restart`: when an ended session is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartPolicy {
    /// After a non-zero exit, a signal, or a failure to start (the default).
    #[default]
    OnFailure,
    /// Whenever it ends on its own.
    Always,
    /// Never; it stays stopped.
    Never,
}

impl RestartPolicy {
    /// The policy named by config `restart` (validated by the config parser;
    /// `None` or an unknown name is the default, `on-failure`).
    pub fn from_config(value: Option<&str>) -> RestartPolicy {
        match value {
            Some("always") => RestartPolicy::Always,
            Some("never") => RestartPolicy::Never,
            _ => RestartPolicy::OnFailure,
        }
    }

    /// Whether a session that ended on its own (`success`: exit status 0) is
    /// started again. A session stopped on request is never restarted.
    pub fn restarts(self, success: bool) -> bool {
        match self {
            RestartPolicy::OnFailure => !success,
            RestartPolicy::Always => true,
            RestartPolicy::Never => false,
        }
    }
}

/// The delays between restarts: config `restart_delay_ms` (the first) and
/// `restart_max_delay_ms` (the cap); 1 s and 60 s by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            initial: INITIAL_DELAY,
            max: MAX_DELAY,
        }
    }
}

impl Backoff {
    /// The persona's schedule from its config (validated by the parser:
    /// both at least 1 ms, the cap not below the first).
    pub fn from_config(initial_ms: Option<u32>, max_ms: Option<u32>) -> Backoff {
        let ms = |v: u32| Duration::from_millis(u64::from(v));
        // A cap alone below the default first delay lowers that too.
        let initial = initial_ms.map_or(INITIAL_DELAY.min(max_ms.map_or(INITIAL_DELAY, ms)), ms);
        let max = max_ms.map_or(MAX_DELAY.max(initial), ms).max(initial);
        Backoff { initial, max }
    }

    /// The delay before the next start after `failures` consecutive quick
    /// ends (0 for the first): initial, twice that, four times, … capped.
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 1u64.checked_shl(failures.min(32)).unwrap_or(u64::MAX);
        self.initial
            .checked_mul(u32::try_from(factor).unwrap_or(u32::MAX))
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// The default schedule's delay: 1 s, 2 s, 4 s, … capped at [`MAX_DELAY`].
pub fn delay(failures: u32) -> Duration {
    Backoff::default().delay(failures)
}

/// The count of consecutive quick ends to use for a session that ended after
/// running `ran_for`, given the count `failures` before it: a stable run
/// resets the count.
pub fn failures_before(failures: u32, ran_for: Duration) -> u32 {
    if ran_for >= STABLE_AFTER {
        0
    } else {
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let secs: Vec<u64> = (0..10).map(|n| delay(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        assert_eq!(delay(31), MAX_DELAY);
        assert_eq!(delay(32), MAX_DELAY);
        assert_eq!(delay(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn a_stable_run_resets_the_backoff() {
        assert_eq!(failures_before(5, Duration::from_secs(2)), 5);
        assert_eq!(
            failures_before(5, STABLE_AFTER - Duration::from_millis(1)),
            5
        );
        assert_eq!(failures_before(5, STABLE_AFTER), 0);
        assert_eq!(failures_before(5, Duration::from_secs(3600)), 0);
        // Crash, crash, crash, a long run, then a crash: 1, 2, 4, then 1 again.
        let mut failures = 0;
        let mut delays = Vec::new();
        for ran in [0, 1, 1, 40, 1] {
            failures = failures_before(failures, Duration::from_secs(ran));
            delays.push(delay(failures).as_secs());
            failures += 1;
        }
        assert_eq!(delays, [1, 2, 4, 1, 2]);
    }

    #[test]
    fn a_configured_schedule() {
        let fast = Backoff::from_config(Some(1), Some(1));
        assert!((0..1000).all(|n| fast.delay(n) == Duration::from_millis(1)));
        let grow = Backoff::from_config(Some(100), Some(500));
        let ms: Vec<u128> = (0..5).map(|n| grow.delay(n).as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 500, 500]);
        // A first delay past the default cap raises the cap to it.
        let slow = Backoff::from_config(Some(120_000), None);
        assert_eq!(slow.delay(3), Duration::from_secs(120));
        assert_eq!(Backoff::from_config(None, None), Backoff::default());
        let capped = Backoff::from_config(None, Some(200));
        assert_eq!(
            (capped.delay(0), capped.delay(5)),
            (Duration::from_millis(200), Duration::from_millis(200))
        );
    }

    #[test]
    fn policies() {
        use RestartPolicy::*;
        assert_eq!(RestartPolicy::from_config(None), OnFailure);
        assert_eq!(RestartPolicy::from_config(Some("on-failure")), OnFailure);
        assert_eq!(RestartPolicy::from_config(Some("always")), Always);
        assert_eq!(RestartPolicy::from_config(Some("never")), Never);
        assert!(OnFailure.restarts(false));
        assert!(!OnFailure.restarts(true));
        assert!(Always.restarts(true) && Always.restarts(false));
        assert!(!Never.restarts(true) && !Never.restarts(false));
    }
}
