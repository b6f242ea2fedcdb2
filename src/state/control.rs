//! Answers control-socket requests (`personas msg …`).

use std::time::Instant;

use smithay::input::keyboard::xkb;

use super::State;
use crate::input::{InputEvent, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT};
use crate::ipc::protocol::{
    self, ButtonState, InputEvent as IpcInput, KeyState, PersonaInfo, Reply, Request, TouchPhase,
};
use crate::persona::switch::SwitchOrigin;

impl State {
    pub fn handle_request(&mut self, request: Request) -> Reply {
        let origin = SwitchOrigin {
            requested: Instant::now(),
            input: None,
        };
        match request {
            Request::List => Reply::Personas {
                personas: self.persona_infos(),
            },
            // While locked, the persona that comes back on unlock.
            Request::Active => Reply::Active {
                name: self
                    .personas
                    .get(
                        self.lock
                            .as_ref()
                            .map_or(self.personas.active_id(), |l| l.previous),
                    )
                    .unwrap_or_else(|| self.personas.active())
                    .state
                    .name
                    .clone(),
            },
            Request::Lock => {
                if self.config.lock.is_none() {
                    return Reply::Error {
                        message: "no `lock` command in the config: nothing to lock with".into(),
                    };
                }
                self.lock_session();
                Reply::Ok
            }
            Request::Switch { name } => match self.personas.by_name(&name) {
                Some(id) => self.switch_reply(|s| s.switch_to(id, origin)),
                None => Reply::Error {
                    message: format!(
                        "no persona named `{name}` (personas: {})",
                        self.persona_names().join(", ")
                    ),
                },
            },
            Request::Next => self.switch_reply(|s| s.switch_relative(true, origin)),
            Request::Prev => self.switch_reply(|s| s.switch_relative(false, origin)),
            Request::Screenshot { persona, output } => {
                self.screenshot(persona.as_deref(), output.as_deref())
            }
            Request::Outputs => Reply::Outputs {
                outputs: self
                    .placed_outputs(&self.config)
                    .into_iter()
                    .map(|p| protocol::OutputInfo {
                        name: p.spec.name.clone(),
                        width: p.spec.size.w,
                        height: p.spec.size.h,
                        refresh_mhz: p.spec.refresh_mhz,
                        transform: crate::config::Transform::name_of(p.spec.transform).into(),
                        x: p.position.x,
                        y: p.position.y,
                        scale: p.spec.scale,
                        off: self.backend.output_off(&p.spec.name),
                    })
                    .collect(),
            },
            // The system display's panels and lock screen are listed too
            // (as persona `system`).
            Request::Windows => {
                let (windows, layers) = self
                    .personas
                    .all_ids()
                    .into_iter()
                    .filter_map(|id| self.personas.get(id))
                    .map(|p| p.state.describe_windows())
                    .fold((Vec::new(), Vec::new()), |(mut w, mut l), (w2, l2)| {
                        w.extend(w2);
                        l.extend(l2);
                        (w, l)
                    });
                Reply::Windows { windows, layers }
            }
            Request::Subscribe => Reply::Subscribed,
            Request::Reload => match self.reload() {
                Ok(reply) => reply,
                Err(message) => Reply::Error { message },
            },
            Request::Stats => {
                let mut stats = self.stats.reply();
                stats.frames_scanned_out = self.backend.frames_scanned_out();
                stats.frames_badge_on_plane = self.backend.frames_badge_on_plane();
                Reply::Stats { stats }
            }
            Request::Input { event } => self.inject(event),
            Request::SessionStart { name } => self.session_start(&name),
            Request::SessionStop { name } => match self.personas.by_name(&name) {
                Some(_) => {
                    self.sessions.stop(&name);
                    Reply::Ok
                }
                None => self.no_persona(&name),
            },
            Request::OutputTransform { output, transform } => {
                self.output_transform(&output, &transform)
            }
            Request::OutputBrightness { output, percent } => {
                if let Some(error) = self.no_backlight(&output) {
                    return error;
                }
                let root = std::path::Path::new(crate::backend::backlight::SYSFS);
                match crate::backend::backlight::find(root).and_then(|b| b.set(percent)) {
                    Ok(()) => Reply::Ok,
                    Err(err) => Reply::Error {
                        message: err.to_string(),
                    },
                }
            }
            Request::OutputPower { output, on } => self.output_power(&output, on),
        }
    }

    /// The error for an output that has no backlight: only the primary
    /// (the built-in panel) has one.
    fn no_backlight(&self, output: &str) -> Option<Reply> {
        if self.backend.has_backlight(output) {
            return None;
        }
        let names = self.backend.output_names();
        let message = if names.iter().any(|n| n == output) {
            format!("`{output}` has no backlight: only a built-in panel has")
        } else {
            format!("no output named `{output}` (outputs: {})", names.join(", "))
        };
        Some(Reply::Error { message })
    }

    /// `output NAME off|on`. With other outputs showing, that one goes
    /// dark (DPMS) and stays so until `on`, keeping its place in the
    /// layout; the last one showing turns the display off as the idle
    /// action does, until input or `on` wakes it.
    fn output_power(&mut self, output: &str, on: bool) -> Reply {
        let names = self.backend.output_names();
        if !names.iter().any(|n| n == output) {
            return self.no_output(output);
        }
        if on {
            if self.backend.set_output_off(output, false) {
                tracing::info!(output, "output on");
            }
            // As if the user were back: the idle clock starts over.
            self.note_activity();
            self.personas.active_mut().state.needs_redraw = true;
            self.queue_redraw();
            return Reply::Ok;
        }
        let others_show = names
            .iter()
            .any(|n| n != output && !self.backend.output_off(n));
        if others_show {
            self.backend.set_output_off(output, true);
            tracing::info!(output, "output off");
            self.personas.active_mut().state.needs_redraw = true;
            self.queue_redraw();
        } else {
            self.set_power(crate::state::idle::Power::Off);
        }
        Reply::Ok
    }

    /// `output NAME transform T`: the output turns and every persona's
    /// virtual output on it with it.
    fn output_transform(&mut self, output: &str, transform: &str) -> Reply {
        let Some(transform) = crate::config::Transform::from_name(transform) else {
            return Reply::Error {
                message: format!(
                    "unknown transform `{transform}` (one of {})",
                    crate::config::Transform::names()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        };
        if self.set_output_transform(output, transform.into()) {
            return Reply::Ok;
        }
        self.no_output(output)
    }

    /// The error for an output name that is none of ours.
    fn no_output(&self, output: &str) -> Reply {
        Reply::Error {
            message: format!(
                "no output named `{output}` (outputs: {})",
                self.backend.output_names().join(", ")
            ),
        }
    }

    fn no_persona(&self, name: &str) -> Reply {
        Reply::Error {
            message: format!(
                "no persona named `{name}` (personas: {})",
                self.persona_names().join(", ")
            ),
        }
    }

    /// `session start NAME`: with the persona's current config and runtime dir.
    fn session_start(&mut self, name: &str) -> Reply {
        let Some(persona) = self
            .personas
            .by_name(name)
            .and_then(|id| self.personas.get(id))
        else {
            return self.no_persona(name);
        };
        let Some(dir) = persona.socket.as_ref().map(|s| s.dir.clone()) else {
            return Reply::error(format!("persona `{name}` has no runtime directory"));
        };
        let config = persona.config.clone();
        match self.sessions.start(&config, &dir) {
            Ok(()) => Reply::Ok,
            Err(message) => Reply::Error { message },
        }
    }

    fn persona_names(&self) -> Vec<String> {
        self.personas.iter().map(|p| p.state.name.clone()).collect()
    }

    fn switch_reply(&mut self, switch: impl FnOnce(&mut State) -> bool) -> Reply {
        if self.locked() {
            return Reply::Error {
                message: "the session is locked: only the lock screen can unlock it".into(),
            };
        }
        let from = self.personas.active().state.name.clone();
        switch(self);
        Reply::Switched {
            from,
            to: self.personas.active().state.name.clone(),
        }
    }

    pub fn persona_infos(&self) -> Vec<PersonaInfo> {
        // While locked, the one that comes back on unlock.
        let active = self
            .lock
            .as_ref()
            .map_or(self.personas.active_id(), |l| l.previous);
        // Every X server's socket is in the host's /tmp/.X11-unix, so one
        // session outside namespaces can reach them all.
        let x11_isolated = self
            .personas
            .iter()
            .all(|p| self.sessions.isolates(&p.config));
        self.personas
            .iter()
            .map(|p| PersonaInfo {
                name: p.state.name.clone(),
                color: p.state.color.to_hex(),
                active: p.state.id == active,
                socket: p
                    .socket
                    .as_ref()
                    .map(|s| s.path.display().to_string())
                    .unwrap_or_default(),
                windows: p.state.window_count() as u32,
                clients: p.client_count() as u32,
                session: self.sessions.info(&p.state.name),
                attention: p.state.attention,
                x11: p.xwayland.as_ref().filter(|x| !x.off).map(|x| {
                    crate::ipc::protocol::X11Info {
                        display: x.display_name(),
                        state: if x.restart_pending {
                            "restarting"
                        } else if p.state.xwm.is_some() {
                            "running"
                        } else if x.running() {
                            "starting"
                        } else {
                            "idle"
                        }
                        .into(),
                        isolated: x11_isolated,
                    }
                }),
            })
            .collect()
    }

    fn screenshot(&mut self, persona: Option<&str>, output: Option<&str>) -> Reply {
        if let Some(output) = output {
            return self.screenshot_output(persona, output);
        }
        let shot = match persona {
            None => self.backend.screenshot(&self.personas.active().state),
            Some(name) => match self.personas.by_name(name) {
                None => {
                    return Reply::Error {
                        message: format!("no persona named `{name}`"),
                    }
                }
                Some(id) if id == self.personas.active_id() => {
                    self.backend.screenshot(&self.personas.active().state)
                }
                Some(id) => {
                    let persona = &self.personas.get(id).expect("found by name").state;
                    self.backend.snapshot(persona)
                }
            },
        };
        self.screenshot_reply(shot)
    }

    fn screenshot_reply(
        &self,
        shot: Result<crate::render::Screenshot, crate::render::RenderError>,
    ) -> Reply {
        let encoded = shot.map_err(|err| err.to_string()).and_then(|shot| {
            protocol::encode_png(shot.width, shot.height, &shot.rgba)
                .map(|png| (shot.width, shot.height, png))
                .map_err(|err| err.to_string())
        });
        match encoded {
            Ok((width, height, png)) => {
                use base64::Engine;
                Reply::Screenshot {
                    width,
                    height,
                    png_base64: base64::engine::general_purpose::STANDARD.encode(png),
                }
            }
            Err(err) => Reply::Error {
                message: format!("screenshot failed: {err}"),
            },
        }
    }

    /// What physical output `output` shows of `persona` (the active one
    /// when `None`): read back on the headless backend, else drawn anew.
    fn screenshot_output(&mut self, persona: Option<&str>, output: &str) -> Reply {
        let id = match persona {
            None => self.personas.active_id(),
            Some(name) => match self.personas.by_name(name) {
                Some(id) => id,
                None => {
                    return Reply::Error {
                        message: format!("no persona named `{name}`"),
                    }
                }
            },
        };
        let active = id == self.personas.active_id();
        let state = &self.personas.get(id).expect("found").state;
        let Some(view) = state.views().into_iter().find(|v| v.spec.name == output) else {
            return self.no_output(output);
        };
        let shot = match self.backend.headless() {
            Some(headless) if active => headless.screenshot_of(view.index),
            _ => {
                let state = &self.personas.get(id).expect("found").state;
                self.backend.readback().snapshot_view(state, &view)
            }
        };
        self.screenshot_reply(shot)
    }

    /// Injected input, for end-to-end tests and benchmarks of the headless backend.
    fn inject(&mut self, event: IpcInput) -> Reply {
        if !self.test_input {
            return Reply::Error {
                message: "input injection needs `personas --backend headless --test-input`".into(),
            };
        }
        let at = Instant::now();
        let events: Vec<InputEvent> = match event {
            IpcInput::Key { key, state } => {
                let Some(keycode) = self.resolve_key(&key) else {
                    return Reply::Error {
                        message: format!("unknown key `{key}` (an xkb keysym name or code:N)"),
                    };
                };
                press_release(state.into(), |pressed| InputEvent::Key { keycode, pressed })
            }
            IpcInput::PointerMove { x, y } => vec![InputEvent::PointerMotionAbsolute { x, y }],
            IpcInput::PointerButton { button, state } => {
                let button = match button.as_str() {
                    "left" => BTN_LEFT,
                    "right" => BTN_RIGHT,
                    "middle" => BTN_MIDDLE,
                    other => match other.parse::<u32>() {
                        Ok(code) => code,
                        Err(_) => {
                            return Reply::Error {
                                message: format!(
                                    "unknown button `{other}` (left, right, middle or a code)"
                                ),
                            }
                        }
                    },
                };
                press_release(state.into(), |pressed| InputEvent::PointerButton {
                    button,
                    pressed,
                })
            }
            IpcInput::Touch { phase, id, x, y } => vec![match phase {
                TouchPhase::Down => InputEvent::TouchDown { slot: id, x, y },
                TouchPhase::Move => InputEvent::TouchMotion { slot: id, x, y },
                TouchPhase::Up => InputEvent::TouchUp { slot: id },
            }],
            IpcInput::Switch { switch, on } => vec![InputEvent::Switch {
                switch: match switch {
                    crate::ipc::protocol::SwitchName::Lid => crate::input::HardwareSwitch::Lid,
                    crate::ipc::protocol::SwitchName::TabletMode => {
                        crate::input::HardwareSwitch::TabletMode
                    }
                },
                on,
            }],
        };
        for event in events {
            self.process_input(event, at);
        }
        Reply::Ok
    }

    /// `Right`, `a`, `Super_L` (keysym names in the binding layout) or `code:N` (evdev).
    fn resolve_key(&self, key: &str) -> Option<u32> {
        if let Some(code) = key.strip_prefix("code:") {
            // evdev codes end at KEY_MAX (0x2ff).
            return code
                .parse::<u32>()
                .ok()
                .filter(|&c| c <= 0x2ff)
                .map(|c| c + 8);
        }
        let mut sym = xkb::keysym_from_name(key, xkb::KEYSYM_NO_FLAGS);
        if sym.raw() == xkb::keysyms::KEY_NoSymbol {
            sym = xkb::keysym_from_name(key, xkb::KEYSYM_CASE_INSENSITIVE);
        }
        if sym.raw() == xkb::keysyms::KEY_NoSymbol {
            return None;
        }
        self.binding_keyboard
            .keycode_for(sym.raw())
            .map(|k| k.raw())
    }
}

/// Which edges of a press to inject.
#[derive(Clone, Copy)]
enum Press {
    Down,
    Up,
    Tap,
}

impl From<KeyState> for Press {
    fn from(s: KeyState) -> Self {
        match s {
            KeyState::Press => Press::Down,
            KeyState::Release => Press::Up,
            KeyState::Tap => Press::Tap,
        }
    }
}

impl From<ButtonState> for Press {
    fn from(s: ButtonState) -> Self {
        match s {
            ButtonState::Press => Press::Down,
            ButtonState::Release => Press::Up,
            ButtonState::Tap => Press::Tap,
        }
    }
}

fn press_release(press: Press, make: impl Fn(bool) -> InputEvent) -> Vec<InputEvent> {
    match press {
        Press::Down => vec![make(true)],
        Press::Up => vec![make(false)],
        Press::Tap => vec![make(true), make(false)],
    }
}
