//! Clipboard transfer between personas, only by explicit user action (as in
//! Qubes): `transfer-copy` reads the active persona's clipboard (text only, up
//! to a size cap) into a buffer of the compositor's; after a switch,
//! `transfer-paste` makes it the new persona's clipboard (a selection the
//! compositor owns) and empties the buffer. A paste asked for while the copy
//! is still being read lands when it is read, in the persona it was asked
//! in. Nothing else ever carries a selection across personas.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{Interest, Mode, PostAction, RegistrationToken};
use smithay::wayland::selection::data_device::set_data_device_selection;

use super::State;
use crate::persona::{PersonaId, PersonaState};

/// Text types a transfer carries, preferred first.
pub const TEXT_TYPES: &[&str] = &[
    "text/plain;charset=utf-8",
    "text/plain",
    "UTF8_STRING",
    "TEXT",
    "STRING",
];
/// The most a transfer carries.
pub const TRANSFER_CAP: usize = 1024 * 1024;
/// How long the copying client has to hand over its data.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(5);

/// What was copied, waiting to be pasted.
#[derive(Debug, Clone, PartialEq)]
pub struct Copied {
    pub from: String,
    pub data: Vec<u8>,
}

/// A copy in progress: the source client writes into our pipe.
#[derive(Debug)]
struct Reading {
    from: String,
    data: Vec<u8>,
    pipe: RegistrationToken,
    timeout: RegistrationToken,
    /// A paste asked for meanwhile (hotkeys pressed in quick succession):
    /// the persona it was asked in.
    paste_into: Option<PersonaId>,
}

#[derive(Debug, Default)]
pub struct Transfer {
    pub buffer: Option<Copied>,
    reading: Option<Reading>,
}

impl Transfer {
    /// Whether a paste would bring something: copied, or being read.
    pub fn has_text(&self) -> bool {
        self.buffer.is_some() || self.reading.is_some()
    }
}

impl State {
    /// Starts reading the active persona's clipboard into the transfer buffer.
    pub fn transfer_copy(&mut self) {
        self.cancel_transfer_read("a new copy started");
        let active = self.personas.active_mut();
        if !active.config.extra.transfer_out() {
            tracing::warn!(persona = %active.state.name, "transfer-copy refused: transfers out of this persona are off");
            return;
        }
        let persona = &mut active.state;
        let name = persona.name.clone();
        let Some(mime) = TEXT_TYPES
            .iter()
            .find(|t| persona.clipboard_mimes.iter().any(|m| m == *t))
        else {
            tracing::info!(persona = %name, "transfer-copy: no text on the clipboard");
            return;
        };
        let (read, write) = match pipe() {
            Ok(fds) => fds,
            Err(err) => {
                tracing::warn!("transfer-copy: no pipe: {err}");
                return;
            }
        };
        // Held by a client, an X client, or the compositor itself.
        if let Err(err) = persona.read_selection(
            smithay::wayland::selection::SelectionTarget::Clipboard,
            mime.to_string(),
            write,
        ) {
            tracing::warn!(persona = %name, "transfer-copy: {err}");
            return;
        }
        let pipe = self.loop_handle.insert_source(
            Generic::new(read, Interest::READ, Mode::Level),
            |_, file, state: &mut State| Ok(state.transfer_readable(file)),
        );
        let timeout = self.loop_handle.insert_source(
            Timer::from_duration(TRANSFER_TIMEOUT),
            |_, _, state: &mut State| {
                state.cancel_transfer_read("the copying app did not hand over its data in time");
                TimeoutAction::Drop
            },
        );
        match (pipe, timeout) {
            (Ok(pipe), Ok(timeout)) => {
                // A new copy replaces what an earlier one left: a paste
                // now is of this one.
                self.transfer.buffer = None;
                self.transfer.reading = Some(Reading {
                    from: name,
                    data: Vec::new(),
                    pipe,
                    timeout,
                    paste_into: None,
                })
            }
            (pipe, timeout) => {
                tracing::warn!("transfer-copy: event sources not registered");
                for token in [pipe.ok(), timeout.ok()].into_iter().flatten() {
                    self.loop_handle.remove(token);
                }
            }
        }
    }

    fn transfer_readable(&mut self, file: &File) -> PostAction {
        let mut file = file;
        let Some(reading) = self.transfer.reading.as_mut() else {
            return PostAction::Remove;
        };
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match file.read(&mut chunk) {
                Ok(0) => {
                    let done = self.transfer.reading.take().expect("reading");
                    self.loop_handle.remove(done.timeout);
                    tracing::info!(
                        from = %done.from,
                        bytes = done.data.len(),
                        "transfer-copy: copied, switch and paste with transfer-paste"
                    );
                    let color = self.personas.active().state.color;
                    self.show_notice(&format!("copied from {}", done.from), color);
                    self.transfer.buffer = Some(Copied {
                        from: done.from,
                        data: done.data,
                    });
                    if let Some(id) = done.paste_into {
                        self.paste_into(id);
                    }
                    return PostAction::Remove;
                }
                Ok(n) if reading.data.len() + n > TRANSFER_CAP => {
                    self.cancel_transfer_read("larger than the transfer cap (1 MiB)");
                    return PostAction::Remove;
                }
                Ok(n) => reading.data.extend_from_slice(&chunk[..n]),
                Err(err) if err.kind() == ErrorKind::WouldBlock => return PostAction::Continue,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => {
                    self.cancel_transfer_read(&format!("reading failed: {err}"));
                    return PostAction::Remove;
                }
            }
        }
    }

    /// Abandons a copy in progress; nothing partial is kept.
    fn cancel_transfer_read(&mut self, why: &str) {
        if let Some(reading) = self.transfer.reading.take() {
            tracing::warn!(from = %reading.from, "transfer-copy refused: {why}");
            let color = self.personas.active().state.color;
            self.show_notice("copy refused", color);
            self.loop_handle.remove(reading.pipe);
            self.loop_handle.remove(reading.timeout);
        }
    }

    /// Makes the transfer buffer the active persona's clipboard, and empties
    /// it; with a copy still being read, once it is read.
    pub fn transfer_paste(&mut self) {
        let active = self.personas.active_id();
        if let Some(reading) = self.transfer.reading.as_mut() {
            tracing::info!("transfer-paste: waits for the copy being read");
            reading.paste_into = Some(active);
            return;
        }
        self.paste_into(active);
    }

    /// Makes the transfer buffer persona `id`'s clipboard, and empties it.
    fn paste_into(&mut self, id: PersonaId) {
        let Some(target) = self.personas.get(id) else {
            // Gone meanwhile (a reload): the buffer stays.
            return;
        };
        if !target.config.extra.transfer_in() {
            // The buffer stays, for a persona that may take it.
            tracing::warn!(persona = %target.state.name, "transfer-paste refused: transfers into this persona are off");
            return;
        }
        let Some(copied) = self.transfer.buffer.take() else {
            tracing::info!("transfer-paste: nothing was copied");
            return;
        };
        // Landing after a switch away, it says where it went.
        let text = if id == self.personas.active_id() {
            format!("pasted from {}", copied.from)
        } else {
            format!("pasted from {} into {}", copied.from, target.state.name)
        };
        let color = target.state.color;
        self.show_notice(&text, color);
        let Some(target) = self.personas.get_mut(id) else {
            return;
        };
        let persona = &mut target.state;
        tracing::info!(
            from = %copied.from,
            to = %persona.name,
            bytes = copied.data.len(),
            "transfer-paste"
        );
        let mimes: Vec<String> = TEXT_TYPES.iter().map(|t| t.to_string()).collect();
        // Set by the compositor, which smithay does not report back.
        persona.clipboard_mimes = mimes.clone();
        set_data_device_selection::<PersonaState>(
            &persona.display_handle,
            &persona.seat,
            mimes.clone(),
            crate::handlers::xwayland::HeldSelection::Bytes(Arc::new(copied.data)),
        );
        persona.x11_selection_changed(
            smithay::wayland::selection::SelectionTarget::Clipboard,
            Some(mimes),
        );
        let id = persona.id;
        self.mark_dirty(id);
    }
}

/// A non-blocking pipe: (read end as a File, write end).
fn pipe() -> std::io::Result<(File, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two fds we own from here on.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both fds were just created and are owned by nothing else.
    Ok(unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
