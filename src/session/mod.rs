//! Persona sessions: the program a persona runs when the compositor starts, with
//! the persona's own runtime directory and Wayland display. Exits are logged and
//! shown in `list`; the persona stays either way. (Supervision with restarts and
//! namespaces is a later step.)

use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use smithay::reexports::calloop::channel::{self, Sender};
use smithay::reexports::calloop::LoopHandle;

use crate::config::PersonaConfig;
use crate::ipc::protocol::SessionInfo;
use crate::persona::socket::SOCKET_NAME;
use crate::state::State;

#[derive(Debug, Clone)]
enum Status {
    Running { pid: u32 },
    Exited(String),
    Failed(String),
}

struct Exit {
    name: String,
    pid: u32,
    status: std::io::Result<ExitStatus>,
}

pub struct Sessions {
    enabled: bool,
    status: HashMap<String, Status>,
    sender: Option<Sender<Exit>>,
}

impl Sessions {
    pub fn new(handle: &LoopHandle<'static, State>, enabled: bool) -> Sessions {
        let (sender, receiver) = channel::channel::<Exit>();
        let inserted = handle.insert_source(receiver, |event, _, state: &mut State| {
            if let channel::Event::Msg(exit) = event {
                state.sessions.exited(exit);
            }
        });
        let sender = match inserted {
            Ok(_) => Some(sender),
            Err(err) => {
                tracing::warn!("session watcher not started: {err}");
                None
            }
        };
        Sessions {
            enabled,
            status: HashMap::new(),
            sender,
        }
    }

    /// Starts the persona's session in its runtime directory `dir`.
    pub fn launch(&mut self, persona: &PersonaConfig, dir: &Path) {
        let Some(argv) = persona.session.as_ref().filter(|_| self.enabled) else {
            return;
        };
        let Some((program, args)) = argv.split_first() else {
            return;
        };
        let mut command = Command::new(program);
        command
            .args(args)
            .env("XDG_RUNTIME_DIR", dir)
            .env("WAYLAND_DISPLAY", SOCKET_NAME)
            .env_remove("WAYLAND_SOCKET")
            .env_remove("DISPLAY")
            .env_remove("PERSONAS_SOCKET")
            .envs(&persona.env)
            .stdin(Stdio::null())
            // Its own process group, so stopping it reaches its children too.
            .process_group(0);
        match command.spawn() {
            Ok(mut child) => {
                let pid = child.id();
                tracing::info!(persona = %persona.name, pid, ?argv, "session started");
                self.status
                    .insert(persona.name.clone(), Status::Running { pid });
                if let Some(sender) = self.sender.clone() {
                    let name = persona.name.clone();
                    std::thread::spawn(move || {
                        let status = child.wait();
                        let _ = sender.send(Exit { name, pid, status });
                    });
                }
            }
            Err(err) => {
                tracing::error!(persona = %persona.name, ?argv, "session failed to start: {err}");
                self.status
                    .insert(persona.name.clone(), Status::Failed(err.to_string()));
            }
        }
    }

    fn exited(&mut self, exit: Exit) {
        let text = match &exit.status {
            Ok(status) => status.to_string(),
            Err(err) => err.to_string(),
        };
        match &exit.status {
            Ok(status) if status.success() => {
                tracing::info!(persona = %exit.name, pid = exit.pid, "session exited: {text}")
            }
            _ => tracing::warn!(persona = %exit.name, pid = exit.pid, "session ended: {text}"),
        }
        // Only record it if this is still the persona's current session.
        if let Some(Status::Running { pid }) = self.status.get(&exit.name) {
            if *pid == exit.pid {
                self.status.insert(exit.name, Status::Exited(text));
            }
        }
    }

    pub fn info(&self, name: &str) -> Option<SessionInfo> {
        self.status.get(name).map(|status| match status {
            Status::Running { pid } => SessionInfo {
                state: "running".into(),
                pid: Some(*pid),
                exit: None,
            },
            Status::Exited(text) => SessionInfo {
                state: "exited".into(),
                pid: None,
                exit: Some(text.clone()),
            },
            Status::Failed(text) => SessionInfo {
                state: "failed".into(),
                pid: None,
                exit: Some(text.clone()),
            },
        })
    }

    /// Sends SIGTERM to a persona's running session and its process group.
    pub fn stop(&mut self, name: &str) {
        if let Some(Status::Running { pid }) = self.status.remove(name) {
            // SAFETY: kill(2) on the process group we created; at worst it is gone.
            unsafe {
                libc::kill(-(pid as libc::pid_t), libc::SIGTERM);
            }
        }
    }

    pub fn stop_all(&mut self) {
        let names: Vec<String> = self.status.keys().cloned().collect();
        for name in names {
            self.stop(&name);
        }
    }
}

/// Runs a command outside every persona (the `spawn` action).
pub fn spawn_outside(argv: &[String]) {
    let Some((program, args)) = argv.split_first() else {
        return;
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .stdin(Stdio::null());
    match command.spawn() {
        // Reap it in the background so it leaves no zombie.
        Ok(mut child) => {
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
        Err(err) => tracing::warn!(?argv, "spawn failed: {err}"),
    }
}
