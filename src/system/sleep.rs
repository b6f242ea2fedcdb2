//! Locking before sleep. personas holds a logind *delay* inhibitor for
//! sleep; logind's `PrepareForSleep(true)` starts the lock screen (when
//! `lock` is configured) and the inhibitor is let go only once the lock is
//! on every screen, so the machine sleeps locked and wakes up showing the
//! lock, never a persona's last frame. A lock screen that does not lock
//! within [`LOCK_BEFORE_SLEEP`] does not keep the machine awake (logind
//! gives up on delays after `InhibitDelayMaxSec`, 5 s by default, anyway).
//! After waking (`PrepareForSleep(false)`) a new inhibitor is taken.
//!
//! The system bus is spoken to from a thread of its own with libdbus;
//! without a system bus or logind this says so once and does nothing more.

use std::os::fd::OwnedFd;
use std::time::Duration;

use dbus::blocking::Connection;
use dbus::message::MatchRule;
use smithay::reexports::calloop::channel;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{LoopHandle, RegistrationToken};

use crate::state::State;

const LOGIND: &str = "org.freedesktop.login1";
const MANAGER: &str = "org.freedesktop.login1.Manager";
const PATH: &str = "/org/freedesktop/login1";

/// How long a sleep waits for the lock screen to lock.
pub const LOCK_BEFORE_SLEEP: Duration = Duration::from_secs(4);

/// The inhibitor held while the lock comes up, and the timer that lets it
/// go if the lock does not.
pub struct SleepDelay {
    inhibitor: OwnedFd,
    timeout: RegistrationToken,
}

/// Starts watching logind from a thread of its own.
pub fn watch(handle: &LoopHandle<'static, State>) {
    // The system goes to sleep once the inhibitor sent (if one was taken)
    // is let go.
    let (sender, receiver) = channel::channel::<Option<OwnedFd>>();
    if let Err(err) = handle.insert_source(receiver, |event, _, state: &mut State| {
        if let channel::Event::Msg(inhibitor) = event {
            state.going_to_sleep(inhibitor);
        }
    }) {
        tracing::warn!("sleep watcher not started: {err}");
        return;
    }
    let spawned = crate::session::spawn_thread("sleep-watch", move || {
        if let Err(err) = serve(&sender) {
            tracing::info!("no lock before sleep: {err}");
        }
    });
    if let Err(err) = spawned {
        tracing::warn!("sleep watcher thread not started: {err}");
    }
}

/// What the bus thread heard.
enum Heard {
    /// `PrepareForSleep(start)` from logind.
    Sleep(bool),
    /// logind has a new owner (it restarted, or came up late); "" = gone.
    Logind(String),
}

/// The bus thread: holds an inhibitor while awake and hands it over when
/// the system goes to sleep; follows logind when it restarts. Returns when
/// the bus or the compositor goes.
fn serve(sender: &channel::Sender<Option<OwnedFd>>) -> Result<(), dbus::Error> {
    let connection = Connection::new_system()?;
    let (heard, hearing) = std::sync::mpsc::channel::<Heard>();
    let owners = MatchRule::new_signal("org.freedesktop.DBus", "NameOwnerChanged")
        .with_sender("org.freedesktop.DBus")
        .with_path("/org/freedesktop/DBus");
    let told = heard.clone();
    connection.add_match(
        owners,
        move |(name, _, new): (String, String, String), _, _| {
            name != LOGIND || told.send(Heard::Logind(new)).is_ok()
        },
    )?;
    let bus = connection.with_proxy(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        Duration::from_secs(5),
    );
    let owner: Result<(String,), _> =
        bus.method_call("org.freedesktop.DBus", "GetNameOwner", (LOGIND,));
    let mut follow = Some(owner.map(|(owner,)| owner).unwrap_or_default());
    let mut signals = None;
    let mut held = None;
    loop {
        if let Some(owner) = follow.take() {
            if let Some(token) = signals.take() {
                connection.remove_match(token)?;
            }
            // Its inhibitors went with the old logind.
            held = None;
            if owner.is_empty() {
                tracing::info!("no logind on the system bus: no lock before sleep until it comes");
            } else {
                // Any client of the bus may send the signal: only logind's
                // is heard.
                let rule = MatchRule::new_signal(MANAGER, "PrepareForSleep")
                    .with_sender(owner)
                    .with_path(PATH);
                let told = heard.clone();
                signals = Some(connection.add_match(rule, move |(start,): (bool,), _, _| {
                    told.send(Heard::Sleep(start)).is_ok()
                })?);
                held = inhibit(&connection);
            }
        }
        connection.process(Duration::from_secs(3600))?;
        for news in hearing.try_iter() {
            match news {
                Heard::Sleep(true) => {
                    if sender.send(held.take()).is_err() {
                        return Ok(());
                    }
                }
                Heard::Sleep(false) => {
                    if held.is_none() {
                        held = inhibit(&connection);
                    }
                }
                Heard::Logind(owner) => follow = Some(owner),
            }
        }
    }
}

/// A delay inhibitor for sleep, or None (logged) where logind refuses one.
fn inhibit(connection: &Connection) -> Option<OwnedFd> {
    let proxy = connection.with_proxy(LOGIND, PATH, Duration::from_secs(5));
    let taken: Result<(OwnedFd,), _> = proxy.method_call(
        MANAGER,
        "Inhibit",
        (
            "sleep",
            "personas",
            "Locking the screen before sleep",
            "delay",
        ),
    );
    taken
        .map(|(fd,)| fd)
        .inspect_err(|err| tracing::warn!("no delay before sleep, the lock may come late: {err}"))
        .ok()
}

impl State {
    /// logind says the system goes to sleep: lock, and let it go on once
    /// the lock is on screen (or at once, with no lock configured).
    fn going_to_sleep(&mut self, inhibitor: Option<OwnedFd>) {
        if self.config.lock.is_none() {
            return;
        }
        tracing::info!("the system goes to sleep: locking");
        self.lock_session();
        let Some(inhibitor) = inhibitor else { return };
        let timer = Timer::from_duration(LOCK_BEFORE_SLEEP);
        let timeout = self
            .loop_handle
            .insert_source(timer, |_, _, state: &mut State| {
                if let Some(delay) = state.sleep_delay.take() {
                    tracing::warn!(
                        "the lock screen did not lock within {} s: sleeping unlocked",
                        LOCK_BEFORE_SLEEP.as_secs()
                    );
                    drop(delay.inhibitor);
                }
                TimeoutAction::Drop
            });
        match timeout {
            Ok(timeout) => {
                // An earlier sleep's delay (woken and asleep again before it
                // ran out) is done with.
                if let Some(earlier) = self.sleep_delay.replace(SleepDelay { inhibitor, timeout }) {
                    self.loop_handle.remove(earlier.timeout);
                }
                // Already locked and on screen: nothing to wait for.
                self.lock_shown_everywhere();
            }
            Err(err) => tracing::warn!("no delay before sleep: {err}"),
        }
    }

    /// The lock is on every screen: sleep may go on.
    pub(crate) fn release_sleep(&mut self) {
        if let Some(delay) = self.sleep_delay.take() {
            self.loop_handle.remove(delay.timeout);
            drop(delay.inhibitor);
            tracing::info!("locked on every screen: the system may sleep");
        }
    }
}
