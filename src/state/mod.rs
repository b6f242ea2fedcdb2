//! The outer state: the backend, the personas and which one is active, bindings,
//! the control socket's event sink, sessions. It multiplexes; each persona's
//! protocol state stays inside its `PersonaState`.

mod capture;
mod control;
pub mod cursor;
mod dmabuf;
mod frame;
mod frame_clock;
pub mod idle;
mod invariants;
pub mod layout;
pub mod overview;
mod reload;
pub mod stats;
pub mod transfer;
mod xwayland;

use std::collections::HashMap;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{Interest, LoopHandle, Mode, PostAction, RegistrationToken};
use smithay::utils::{Clock, Monotonic};

use crate::backend::headless::HeadlessBackend;
use crate::backend::Backend;
use crate::config::{Action, BackgroundFrames, Config, ConfigSource, PersonaConfig};
use crate::input::keys::{BindingKeyboard, KeyRouter};
use crate::input::PointerRouter;
use crate::ipc::protocol::Event;
use crate::ipc::server::EventSink;
use crate::persona::list::Personas;
use crate::persona::switch::SwitchOrigin;
use crate::persona::{Persona, PersonaEvent, PersonaId};
use crate::session::Sessions;

pub use frame_clock::{FrameClock, RedrawState};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Persona(#[from] crate::persona::PersonaError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error(transparent)]
    BindingLayout(#[from] crate::input::keys::BindingLayoutError),
    #[error("event loop: {0}")]
    EventLoop(String),
}

/// How the compositor was started.
pub struct Options {
    pub config: Config,
    pub config_source: ConfigSource,
    /// `$XDG_RUNTIME_DIR`; `None` runs without listening sockets (the test fixture).
    pub runtime_dir: Option<PathBuf>,
    /// Accept injected input on the control socket (headless only).
    pub test_input: bool,
    /// Launch the personas' configured sessions.
    pub launch_sessions: bool,
    /// The backend, when not the headless one of `config.headless`.
    pub backend: Option<Backend>,
}

pub struct State {
    pub personas: Personas,
    pub backend: Backend,
    pub config: Config,
    pub config_source: ConfigSource,
    pub binding_keyboard: BindingKeyboard,
    pub key_router: KeyRouter,
    pub pointer_router: PointerRouter,
    /// What each physical input device holds down (released if it is unplugged).
    pub input_devices: crate::input::backend::DeviceHolds,
    /// A key with a long-press binding, waiting to see how long it is held.
    pub long_press: Option<crate::input::LongPress>,
    /// The clipboard transfer between personas (see `transfer.rs`).
    pub transfer: transfer::Transfer,
    /// The notice on screen (the persona's name after a switch), and its end.
    pub notice: Option<crate::render::notice::Notice>,
    notice_timer: Option<RegistrationToken>,
    /// Wakes the loop when a commit timer (wp-commit-timing) is due.
    commit_timer: Option<RegistrationToken>,
    /// Since when the user counts as idle (the last input or switch).
    pub idle_since: Instant,
    /// The timer for the next idle deadline (`state::idle`).
    idle_timer: Option<RegistrationToken>,
    /// Whether the active persona's inhibitors held idleness back last time.
    idle_was_inhibited: bool,
    /// The output's power: on, dimmed or off (idle actions, `output … off`).
    pub power: idle::Power,
    /// The lid is closed: the panel stays off until it opens.
    pub lid_closed: bool,
    /// The closed lid turned the display off (a monitor plugged in then
    /// turns it back on).
    pub(crate) lid_off: bool,
    /// The overview, while it is open.
    pub overview: Option<overview::Overview>,
    pub ipc_events: EventSink,
    pub loop_handle: LoopHandle<'static, State>,
    pub runtime_dir: Option<PathBuf>,
    pub test_input: bool,
    pub sessions: Sessions,
    /// The system display's clients (lock screen, bar).
    pub helpers: crate::system::helpers::Helpers,
    /// The session lock, while it holds (`system/`).
    pub lock: Option<crate::system::Locked>,
    /// The lock screen's request, answered `locked` once its frame shows.
    pub(crate) confirm_lock: Option<smithay::wayland::session_lock::SessionLocker>,
    /// logind's sleep, held until the lock is on screen (`system::sleep`).
    pub(crate) sleep_delay: Option<crate::system::sleep::SleepDelay>,
    /// What the system display's panels take of each output, in display
    /// pixels: top, right, bottom, left (`system/panels.rs`).
    pub panel_zones: Vec<(String, [i32; 4])>,
    pub stats: stats::Stats,
    pub frame_clock: FrameClock,
    /// The frame waiting for its page flip.
    /// What waits for each output's page flip, by output name.
    pub(crate) in_flight: Vec<(String, frame::InFlight)>,
    /// A switch whose frame is not drawn yet (a page flip was pending).
    pending_switch: Option<SwitchOrigin>,
    /// The next frame is a switch's: see `render_active`.
    switch_frame: bool,
    /// Personas whose clients have pending events to flush this loop turn.
    dirty: Vec<PersonaId>,
    /// Event sources of each persona (display fd, then listening socket), removed with it.
    sources: HashMap<PersonaId, Vec<RegistrationToken>>,
    pub running: bool,
    clock: Clock<Monotonic>,
    /// Personas get an X server unless their config says `xwayland = false`
    /// (the real compositor; the test fixture only where a config asks).
    xwayland_by_default: bool,
    /// What the backend takes from clients as GPU buffers (every display
    /// offers it).
    gpu_offer: Option<crate::handlers::dmabuf::GpuOffer>,
    /// Whether the pointer is drawn (`cursor.rs`).
    pub cursor: cursor::CursorVisibility,
}

impl State {
    pub fn new(
        options: Options,
        loop_handle: LoopHandle<'static, State>,
    ) -> Result<State, StateError> {
        let Options {
            config,
            config_source,
            runtime_dir,
            test_input,
            launch_sessions,
            backend,
        } = options;
        let backend = match backend {
            Some(backend) => backend,
            None => {
                let transform = config.output_transform(crate::backend::headless::OUTPUT_NAME);
                let mut headless = HeadlessBackend::new(config.headless.size, transform)?;
                for &size in &config.headless.extra_outputs {
                    headless.add_output(size)?;
                }
                for spec in headless.specs().into_iter().skip(1) {
                    headless.set_transform(&spec.name, config.output_transform(&spec.name));
                }
                Backend::Headless(headless)
            }
        };
        let binding_keyboard = BindingKeyboard::new(&config.input.binding_layout)?;
        let mut sessions = Sessions::new(&loop_handle, launch_sessions);
        let helpers = crate::system::helpers::Helpers::new(&loop_handle, launch_sessions);
        sessions.configure(&config, &config_source);
        let mut state = State {
            personas: Personas::new(),
            backend,
            config: config.clone(),
            config_source,
            binding_keyboard,
            key_router: KeyRouter::default(),
            pointer_router: PointerRouter::default(),
            input_devices: Default::default(),
            long_press: None,
            transfer: Default::default(),
            notice: None,
            notice_timer: None,
            commit_timer: None,
            idle_since: Instant::now(),
            idle_timer: None,
            idle_was_inhibited: false,
            power: idle::Power::On,
            lid_closed: false,
            lid_off: false,
            overview: None,
            ipc_events: EventSink::detached(),
            loop_handle,
            runtime_dir,
            test_input,
            sessions,
            helpers,
            lock: None,
            confirm_lock: None,
            sleep_delay: None,
            panel_zones: Vec::new(),
            stats: stats::Stats::new(),
            frame_clock: FrameClock::default(),
            in_flight: Vec::new(),
            pending_switch: None,
            switch_frame: false,
            dirty: Vec::new(),
            sources: HashMap::new(),
            running: true,
            clock: Clock::new(),
            xwayland_by_default: launch_sessions,
            gpu_offer: None,
            cursor: Default::default(),
        };
        let offer = state.backend.gpu_offer();
        state
            .backend
            .set_offered_formats(offer.as_ref().map(|o| &o.formats));
        state.gpu_offer = offer;
        for persona in &config.personas {
            state.add_persona(persona)?;
        }
        state.start_system_display()?;
        let first = state.personas.active_id();
        if let Some(p) = state.personas.get_mut(first) {
            p.state.active = true;
            p.state.update_activation();
        }
        state.start_background_throttle();
        state.arm_cursor_timer();
        state.queue_redraw();
        // The idle actions' clock starts now.
        state.check_idle();
        Ok(state)
    }

    pub fn clock_ms(&self) -> u32 {
        self.clock.now().as_millis()
    }

    pub fn now(&self) -> Duration {
        self.clock.now().into()
    }

    /// Creates a persona, its socket and its event sources, and launches its session.
    pub fn add_persona(&mut self, config: &PersonaConfig) -> Result<PersonaId, StateError> {
        let persona = self.create_persona(config, &self.config, self.personas.next_id())?;
        self.register_persona(persona)
    }

    /// The persona's display and listening socket, not yet serving: everything
    /// that can fail for reasons of the config or the system happens here.
    pub fn create_persona(
        &self,
        config: &PersonaConfig,
        global: &Config,
        id: PersonaId,
    ) -> Result<Persona, StateError> {
        let mut persona = self.new_display(config, global, id)?;
        if let Some(runtime_dir) = &self.runtime_dir {
            persona.listen(runtime_dir)?;
        }
        Ok(persona)
    }

    /// A persona's display on the current outputs, without a socket.
    pub(crate) fn new_display(
        &self,
        config: &PersonaConfig,
        global: &Config,
        id: PersonaId,
    ) -> Result<Persona, StateError> {
        let mut persona = Persona::new(id, config, global, self.backend.output_spec())?;
        let display = persona.display.handle();
        persona
            .state
            .gpu
            .set_offer(&display, self.gpu_offer.as_ref(), &self.loop_handle);
        persona.state.set_outputs(
            &self.placed_outputs(global),
            global.output_layout == crate::config::OutputLayout::Mirror,
        );
        Ok(persona)
    }

    /// Starts serving a persona made by [`State::create_persona`] (ids in order).
    pub fn register_persona(&mut self, mut persona: Persona) -> Result<PersonaId, StateError> {
        let id = persona.state.id;
        let tokens = self.watch_display(&mut persona)?;
        if let Some(socket) = &persona.socket {
            tracing::info!(persona = %persona.state.name, socket = %socket.path.display(), "persona listening");
        }
        self.set_sources(id, tokens);
        self.start_xwayland(&mut persona);
        let session_dir = persona.socket.as_ref().map(|s| s.dir.clone());
        let config = persona.config.clone();
        self.personas.push(persona);
        self.apply_panel_zones(id);
        if let Some(dir) = session_dir {
            self.sessions.launch(&config, &dir);
        }
        self.ipc_events
            .broadcast(&Event::PersonaAdded { name: config.name });
        Ok(id)
    }

    pub(crate) fn set_sources(&mut self, id: PersonaId, tokens: Vec<RegistrationToken>) {
        self.sources.insert(id, tokens);
    }

    /// Event sources for a persona's display and its listening socket.
    pub(crate) fn watch_display(
        &mut self,
        persona: &mut Persona,
    ) -> Result<Vec<RegistrationToken>, StateError> {
        let id = persona.state.id;
        let loop_error = |e: &dyn std::fmt::Display| StateError::EventLoop(e.to_string());
        let display_fd = persona
            .display
            .backend()
            .poll_fd()
            .try_clone_to_owned()
            .map_err(|e| loop_error(&e))?;
        let mut tokens = vec![self
            .loop_handle
            .insert_source(
                Generic::new(display_fd, Interest::READ, Mode::Level),
                move |_, _, state: &mut State| {
                    state.dispatch_persona(id);
                    Ok(PostAction::Continue)
                },
            )
            .map_err(|e| loop_error(&e))?];
        if let Some(socket) = &persona.socket {
            let listener = socket.listener.try_clone().map_err(|e| loop_error(&e))?;
            tokens.push(
                self.loop_handle
                    .insert_source(
                        Generic::new(listener, Interest::READ, Mode::Level),
                        move |_, listener, state: &mut State| {
                            Ok(state.accept_clients(id, listener))
                        },
                    )
                    .map_err(|e| loop_error(&e))?,
            );
        }
        Ok(tokens)
    }

    /// Accepts every pending connection on a persona's socket. When the process
    /// is out of file descriptors the listener pauses for a second instead of
    /// spinning on a connection it cannot take.
    fn accept_clients(
        &mut self,
        id: PersonaId,
        listener: &std::os::unix::net::UnixListener,
    ) -> PostAction {
        loop {
            match listener.accept() {
                Ok((stream, _)) => self.accept_client(id, stream),
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                    return PostAction::Continue
                }
                Err(err) => {
                    tracing::warn!("accepting a client failed, pausing this socket for 1 s: {err}");
                    let token = self.sources.get(&id).and_then(|t| t.get(1)).copied();
                    if let Some(token) = token {
                        let resumed = self.loop_handle.insert_source(
                            Timer::from_duration(Duration::from_secs(1)),
                            move |_, _, state: &mut State| {
                                if state.sources.contains_key(&id) {
                                    let _ = state.loop_handle.enable(&token);
                                }
                                TimeoutAction::Drop
                            },
                        );
                        if resumed.is_ok() {
                            return PostAction::Disable;
                        }
                    }
                    return PostAction::Continue;
                }
            }
        }
    }

    /// Serves a persona's security-context listener: clients connecting there
    /// join that persona, marked as sandboxed. It goes with the persona.
    fn serve_security_listener(
        &mut self,
        id: PersonaId,
        source: smithay::wayland::security_context::SecurityContextListenerSource,
        context: smithay::wayland::security_context::SecurityContext,
    ) {
        let inserted =
            self.loop_handle
                .insert_source(source, move |stream, _, state: &mut State| {
                    if let Some(persona) = state.personas.get_mut(id) {
                        if let Err(err) = persona.insert_client_with(stream, Some(context.clone()))
                        {
                            tracing::warn!("sandboxed client not added: {err}");
                        }
                    }
                });
        match inserted {
            Ok(token) => self.sources.entry(id).or_default().push(token),
            Err(err) => tracing::warn!("security-context listener not served: {err}"),
        }
    }

    /// Stops a persona that is not active: its clients are disconnected, its
    /// socket removed, its session signalled.
    pub fn remove_persona(&mut self, id: PersonaId) {
        for token in self.sources.remove(&id).unwrap_or_default() {
            self.loop_handle.remove(token);
        }
        self.dirty.retain(|&d| d != id);
        if let Some(mut persona) = self.personas.remove(id) {
            self.stop_xwayland(&mut persona);
            self.sessions.stop(&persona.state.name);
            self.ipc_events.broadcast(&Event::PersonaRemoved {
                name: persona.state.name.clone(),
            });
            tracing::info!(persona = %persona.state.name, "persona stopped");
        }
    }

    /// Connects a client to a persona (from its socket, or a test's socket pair).
    pub fn accept_client(&mut self, id: PersonaId, stream: UnixStream) {
        if let Some(persona) = self.personas.get_mut(id) {
            if let Err(err) = persona.insert_client(stream) {
                tracing::warn!(persona = %persona.state.name, "client not added: {err}");
            }
        }
    }

    /// Handles what a persona's clients sent.
    pub fn dispatch_persona(&mut self, id: PersonaId) {
        if let Some(persona) = self.personas.get_mut(id) {
            persona.dispatch();
            self.mark_dirty(id);
        }
    }

    /// Turns the physical output: every persona's virtual output follows
    /// (its clients get the new wl_output state, its windows a configure for
    /// the turned size) and each persona's cursor stays on screen.
    /// False if there is no output `name`.
    pub fn set_output_transform(
        &mut self,
        name: &str,
        transform: smithay::utils::Transform,
    ) -> bool {
        if !self.backend.set_transform(name, transform) {
            return false;
        }
        self.output_spec_changed();
        tracing::info!(output = %name, ?transform, "output transform changed");
        true
    }

    /// Where the physical outputs sit, as `config` arranges them.
    pub fn placed_outputs(&self, config: &Config) -> Vec<layout::PlacedOutput> {
        layout::arrange(&self.backend.output_specs(), config)
    }

    /// The physical outputs changed (turned, new mode, another panel, one
    /// more or less): every persona's virtual outputs follow and each
    /// persona's cursor stays on one.
    pub fn output_spec_changed(&mut self) {
        let placed = self.placed_outputs(&self.config);
        let mirror = self.config.output_layout == crate::config::OutputLayout::Mirror;
        let ids = self.personas.all_ids();
        for &id in &ids {
            let Some(persona) = self.personas.get_mut(id) else {
                continue;
            };
            let state = &mut persona.state;
            state.set_outputs(&placed, mirror);
            state.configure_lock_surfaces();
            let at = state.pointer_location;
            state.pointer_location = state.confine(at, at);
        }
        for id in ids {
            self.mark_dirty(id);
        }
        self.personas.active_mut().state.needs_redraw = true;
        self.backend.reset_damage();
        self.queue_redraw();
    }

    pub fn mark_dirty(&mut self, id: PersonaId) {
        if !self.dirty.contains(&id) {
            self.dirty.push(id);
        }
    }

    /// End of a loop turn: schedule a redraw if the active persona changed, pass
    /// on what handlers noted, and flush the clients that have pending events.
    pub fn refresh_and_flush(&mut self) {
        let _span = tracing::trace_span!("refresh_and_flush").entered();
        // The lock LEDs show the persona on screen (after a switch, its own).
        self.backend.show_leds(self.personas.active().state.leds);
        self.personas
            .active_mut()
            .state
            .pointer_focus_after_commits();
        self.personas.active_mut().state.repair_keyboard_focus();
        self.sync_control();
        self.sync_panel_zones();
        self.watch_lock();
        // A timed commit (wp-commit-timing) waits for its time: the loop
        // wakes then, whether or not anything else draws.
        if std::mem::take(&mut self.personas.active_mut().state.timing_wake) {
            let id = self.personas.active_id();
            let now = self.now();
            self.release_barriers(id, now, false);
        }
        if self.personas.active().state.needs_redraw {
            self.queue_redraw();
        }
        // The system display's panels show over the persona on screen (also
        // when one went: what it showed must go). While locked it is the
        // persona on screen, handled above.
        let locked = self.locked();
        let system = self.personas.system_id().filter(|_| !locked);
        if system
            .and_then(|id| self.personas.get_mut(id))
            .is_some_and(|s| std::mem::take(&mut s.state.needs_redraw))
        {
            self.queue_redraw();
        }
        // Rendering here, before the loop sleeps again, puts a commit on screen
        // in the same turn it arrived (within the frame clock's pacing).
        if self.frame_clock.wants_render_now() {
            self.render_frame();
        }
        // Handling an event can touch further personas (an activation that
        // switches); go round until everything touched is flushed.
        for _ in 0..4 {
            if self.dirty.is_empty() {
                break;
            }
            self.flush_dirty();
        }
    }

    fn flush_dirty(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        for id in dirty {
            self.serve_captures(id);
            self.serve_gpu_buffers(id);
            let Some(persona) = self.personas.get_mut(id) else {
                continue;
            };
            let listeners = std::mem::take(&mut persona.state.security_listeners);
            let events = std::mem::take(&mut persona.state.events);
            let name = persona.state.name.clone();
            let allow_activation = persona.config.extra.allow_activation;
            persona.flush();
            for (source, context) in listeners {
                self.serve_security_listener(id, source, context);
            }
            for event in events {
                let event = match event {
                    PersonaEvent::WindowOpened { app_id, title } => Event::WindowOpened {
                        persona: name.clone(),
                        app_id,
                        title,
                    },
                    PersonaEvent::WindowClosed { app_id, title } => Event::WindowClosed {
                        persona: name.clone(),
                        app_id,
                        title,
                    },
                    // Allowed to come forward, but never while the user is in the
                    // middle of something (keys, buttons or fingers down):
                    // what they type next is meant for the persona they see.
                    PersonaEvent::ActivationRequested if allow_activation && !self.input_held() => {
                        let origin = SwitchOrigin {
                            requested: Instant::now(),
                            input: None,
                        };
                        self.switch_to(id, origin);
                        continue;
                    }
                    // A persona's virtual pointer acts only while it is on
                    // screen, through the same path as a real mouse.
                    PersonaEvent::VirtualPointer(event) => {
                        if id == self.personas.active_id() {
                            self.process_input(event, Instant::now());
                        }
                        continue;
                    }
                    PersonaEvent::VirtualPointerAbsolute { x, y } => {
                        if id == self.personas.active_id() {
                            let (x, y) = self.personas.active().state.to_output_fraction(x, y);
                            self.process_input(
                                crate::input::InputEvent::PointerMotionAbsolute { x, y },
                                Instant::now(),
                            );
                        }
                        continue;
                    }
                    PersonaEvent::IdleChanged => {
                        if id == self.personas.active_id() {
                            self.check_idle();
                        }
                        continue;
                    }
                    PersonaEvent::LockRequested => {
                        self.lock_requested();
                        continue;
                    }
                    PersonaEvent::Unlocked => {
                        self.unlocked();
                        continue;
                    }
                    PersonaEvent::XwaylandExited => {
                        self.xwayland_exited(id);
                        continue;
                    }
                    PersonaEvent::SwitchRequested(target) => {
                        let origin = SwitchOrigin {
                            requested: Instant::now(),
                            input: None,
                        };
                        self.switch_to(target, origin);
                        continue;
                    }
                    PersonaEvent::ActivationRequested | PersonaEvent::Bell => {
                        let Some(persona) = self.personas.get_mut(id) else {
                            continue;
                        };
                        if persona.state.active || persona.state.attention {
                            continue;
                        }
                        persona.state.attention = true;
                        tracing::info!(persona = %name, "persona wants attention");
                        Event::Attention {
                            persona: name.clone(),
                        }
                    }
                };
                self.ipc_events.broadcast(&event);
            }
        }
    }

    /// Background personas' clients get a frame callback at most once a second
    /// (or none when paused), so they neither spin nor hang.
    fn start_background_throttle(&mut self) {
        let timer = Timer::from_duration(Duration::from_secs(1));
        let inserted = self
            .loop_handle
            .insert_source(timer, |_, _, state: &mut State| {
                state.throttled_background_frames();
                TimeoutAction::ToDuration(Duration::from_secs(1))
            });
        if let Err(err) = inserted {
            tracing::warn!("background frame timer not started: {err}");
        }
    }

    pub fn throttled_background_frames(&mut self) {
        let now = self.now();
        let active = self.personas.active_id();
        let ids: Vec<PersonaId> = self.personas.ids().to_vec();
        for id in ids {
            if id == active {
                continue;
            }
            let Some(persona) = self.personas.get_mut(id) else {
                continue;
            };
            if persona.state.background_frames == BackgroundFrames::Throttled {
                frame::send_frame_callbacks(&persona.state, now);
                self.mark_dirty(id);
            }
            // Paused or not, a hidden Vulkan client (wp-fifo) advances a
            // frame a second rather than blocking in its present call.
            self.release_barriers(id, now, true);
        }
    }

    /// Carries out a binding's action.
    pub fn run_action(&mut self, action: Action, input: Option<Instant>) {
        // While locked only what reaches no persona and runs nothing works
        // (a spawn binding would run a program for whoever is at the keys).
        if self.locked() && !matches!(action, Action::Reload | Action::Lock) {
            tracing::debug!(?action, "locked: action ignored");
            return;
        }
        let origin = SwitchOrigin {
            requested: Instant::now(),
            input,
        };
        match action {
            Action::Next => {
                self.switch_relative(true, origin);
            }
            Action::Prev => {
                self.switch_relative(false, origin);
            }
            Action::Switch(name) => match self.personas.by_name(&name) {
                Some(id) => {
                    self.switch_to(id, origin);
                }
                None => tracing::warn!("binding names unknown persona {name}"),
            },
            Action::FocusNextWindow | Action::FocusPrevWindow => {
                let forward = action == Action::FocusNextWindow;
                self.personas.active_mut().state.cycle_focus(forward);
            }
            Action::CloseWindow => self.personas.active_mut().state.close_focused(),
            Action::MoveWindowToNextOutput => {
                let persona = &mut self.personas.active_mut().state;
                if let Some(window) = persona.focused_window().cloned() {
                    persona.move_to_next_output(&window);
                }
            }
            Action::Spawn(argv) => crate::session::spawn_outside(&argv),
            Action::Reload => {
                if let Err(err) = self.reload() {
                    tracing::warn!("reload refused: {err}");
                }
            }
            Action::TransferCopy => self.transfer_copy(),
            Action::TransferPaste => self.transfer_paste(),
            Action::Overview => self.toggle_overview(),
            Action::Lock => self.lock_session(),
        }
    }

    /// Whether any key, button or touch point is physically down.
    pub fn input_held(&self) -> bool {
        self.key_router.held_count() > 0
            || !self.pointer_router.buttons.is_empty()
            || !self.pointer_router.touches.is_empty()
    }

    /// Whether `action` would do anything now (a gesture that would not is left
    /// to the clients).
    pub fn action_available(&self, action: &Action) -> bool {
        let persona = &self.personas.active().state;
        if self.locked() {
            // The gesture goes to the lock screen instead.
            return false;
        }
        match action {
            Action::Next | Action::Prev => self.personas.len() > 1,
            Action::Switch(name) => self
                .personas
                .by_name(name)
                .is_some_and(|id| id != self.personas.active_id()),
            Action::FocusNextWindow | Action::FocusPrevWindow => persona.window_count() > 1,
            Action::CloseWindow => persona.focused_window().is_some(),
            Action::MoveWindowToNextOutput => {
                persona.focused_window().is_some()
                    && !persona.more_outputs.is_empty()
                    && !persona.mirror
            }
            Action::Spawn(_) | Action::Reload => true,
            Action::TransferCopy => !persona.clipboard_mimes.is_empty(),
            Action::TransferPaste => self.transfer.has_text(),
            Action::Overview => false,
            Action::Lock => self.config.lock.is_some(),
        }
    }

    /// Clean shutdown: sessions are signalled; sockets go when personas drop.
    pub fn shutdown(&mut self) {
        self.running = false;
        self.sessions.stop_all();
        self.helpers.stop_all();
    }
}
