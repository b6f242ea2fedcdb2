//! Clients of the system display: a lock screen (ext-session-lock) and a
//! persona switcher (personas-control-v1, generated from our XML).

use wayland_client::{event_created_child, Connection, Dispatch, Proxy, QueueHandle, WEnum};
use wayland_protocols::ext::session_lock::v1::client::{
    ext_session_lock_manager_v1::ExtSessionLockManagerV1,
    ext_session_lock_surface_v1::{self, ExtSessionLockSurfaceV1},
    ext_session_lock_v1::{self, ExtSessionLockV1},
};

use super::{ClientState, Role, TestClient, WindowId};

pub mod control_protocol {
    #![allow(dead_code, non_upper_case_globals, non_camel_case_types, clippy::all)]
    use wayland_client;
    pub mod __interfaces {
        use wayland_backend;
        wayland_scanner::generate_interfaces!("protocols/personas-control-v1.xml");
    }
    use self::__interfaces::*;
    wayland_scanner::generate_client_code!("protocols/personas-control-v1.xml");
}

use control_protocol::personas_control_v1::{self, PersonasControlV1};
use control_protocol::personas_persona_v1::{self, PersonasPersonaV1};

/// One persona as the switcher was told (applied on `done`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListedPersona {
    pub name: String,
    pub rgb: u32,
    /// personas_persona_v1.session as a number (0 none, 1 running, …).
    pub session: u32,
    pub attention: bool,
    pub windows: u32,
    pub removed: bool,
}

#[derive(Debug, Default)]
pub struct SystemObjects {
    lock: Option<ExtSessionLockV1>,
    /// ext_session_lock_v1.locked arrived.
    pub locked: bool,
    /// ext_session_lock_v1.finished arrived.
    pub finished: bool,
    control: Option<PersonasControlV1>,
    /// Handles in the order they came, with what was received.
    handles: Vec<(PersonasPersonaV1, ListedPersona)>,
    pending_active: Option<Option<PersonasPersonaV1>>,
    pending_locked: Option<bool>,
    /// What the last `done` completed.
    pub listed: Vec<ListedPersona>,
    pub active: Option<String>,
    pub control_locked: bool,
    /// How many `done` events came.
    pub dones: u32,
}

impl SystemObjects {
    fn apply(&mut self) {
        if let Some(active) = self.pending_active.take() {
            self.active = active.and_then(|h| {
                self.handles
                    .iter()
                    .find(|(handle, _)| *handle == h)
                    .map(|(_, p)| p.name.clone())
            });
        }
        if let Some(locked) = self.pending_locked.take() {
            self.control_locked = locked;
        }
        self.listed = self
            .handles
            .iter()
            .map(|(_, p)| p.clone())
            .filter(|p| !p.removed)
            .collect();
        self.dones += 1;
    }
}

impl TestClient {
    /// Whether this client is offered `interface` at all.
    pub fn offers(&self, interface: &str) -> bool {
        self.count_globals(interface) > 0
    }

    /// Asks to lock the session (ext-session-lock); `locked` or `finished`
    /// follows in [`Self::system`].
    pub fn lock_session(&mut self) {
        let manager = self.bind_required::<ExtSessionLockManagerV1>(1);
        let lock = manager.lock(&self.qh, ());
        self.state.system.lock = Some(lock);
        self.flush();
    }

    /// A lock surface for output `output` (index into this client's
    /// outputs); draw it with `draw` after its configure.
    pub fn lock_surface(&mut self, output: usize) -> WindowId {
        let lock = self.state.system.lock.clone().expect("lock_session first");
        let wl_output = self.state.outputs[output].output.clone();
        let (id, surface) = self.new_surface(Role::Lock);
        let lock_surface = lock.get_lock_surface(&surface, &wl_output, &self.qh, id);
        self.state.windows[id].lock_surface = Some(lock_surface);
        self.flush();
        id
    }

    /// unlock_and_destroy.
    pub fn unlock_session(&mut self) {
        if let Some(lock) = self.state.system.lock.take() {
            lock.unlock_and_destroy();
        }
        self.flush();
    }

    pub fn system(&self) -> &SystemObjects {
        &self.state.system
    }

    /// Binds personas-control-v1; the list arrives in [`Self::system`].
    pub fn watch_personas(&mut self) {
        let control = self.bind_required::<PersonasControlV1>(1);
        self.state.system.control = Some(control);
        self.flush();
    }

    /// Destroys the handle of `name`.
    pub fn forget_persona(&mut self, name: &str) {
        let system = &mut self.state.system;
        let i = system
            .handles
            .iter()
            .position(|(_, p)| p.name == name)
            .unwrap_or_else(|| panic!("no handle for persona {name}"));
        let (handle, _) = system.handles.remove(i);
        handle.destroy();
        self.flush();
    }

    /// Asks for a switch to `name` through its handle.
    pub fn activate_persona(&mut self, name: &str) {
        let handle = self
            .state
            .system
            .handles
            .iter()
            .find(|(_, p)| p.name == name && !p.removed)
            .map(|(h, _)| h.clone())
            .unwrap_or_else(|| panic!("no handle for persona {name}"));
        handle.activate();
        self.flush();
    }
}

impl Dispatch<ExtSessionLockManagerV1, ()> for ClientState {
    fn event(
        _: &mut Self,
        _: &ExtSessionLockManagerV1,
        _: <ExtSessionLockManagerV1 as Proxy>::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

impl Dispatch<ExtSessionLockV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ExtSessionLockV1,
        event: ext_session_lock_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            ext_session_lock_v1::Event::Locked => state.system.locked = true,
            ext_session_lock_v1::Event::Finished => state.system.finished = true,
            _ => {}
        }
    }
}

impl Dispatch<ExtSessionLockSurfaceV1, WindowId> for ClientState {
    fn event(
        state: &mut Self,
        _: &ExtSessionLockSurfaceV1,
        event: ext_session_lock_surface_v1::Event,
        id: &WindowId,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let ext_session_lock_surface_v1::Event::Configure {
            serial,
            width,
            height,
        } = event
        {
            let window = &mut state.windows[*id];
            window.last_serial = Some(serial);
            window.layer_configures.push((width as i32, height as i32));
        }
    }
}

impl Dispatch<PersonasControlV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &PersonasControlV1,
        event: personas_control_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let system = &mut state.system;
        match event {
            personas_control_v1::Event::Persona { persona } => {
                system.handles.push((persona, ListedPersona::default()));
            }
            personas_control_v1::Event::Active { persona } => {
                system.pending_active = Some(persona);
            }
            personas_control_v1::Event::Locked { locked } => {
                system.pending_locked = Some(locked != 0);
            }
            personas_control_v1::Event::Done => system.apply(),
        }
    }

    event_created_child!(ClientState, PersonasControlV1, [
        personas_control_v1::EVT_PERSONA_OPCODE => (PersonasPersonaV1, ()),
    ]);
}

impl Dispatch<PersonasPersonaV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        handle: &PersonasPersonaV1,
        event: personas_persona_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let Some((_, persona)) = state.system.handles.iter_mut().find(|(h, _)| h == handle) else {
            return;
        };
        match event {
            personas_persona_v1::Event::Name { name } => persona.name = name,
            personas_persona_v1::Event::Color { rgb } => persona.rgb = rgb,
            personas_persona_v1::Event::Session { state } => {
                persona.session = match state {
                    WEnum::Value(v) => v as u32,
                    WEnum::Unknown(v) => v,
                }
            }
            personas_persona_v1::Event::Attention { attention } => {
                persona.attention = attention != 0
            }
            personas_persona_v1::Event::Windows { count } => persona.windows = count,
            personas_persona_v1::Event::Removed => persona.removed = true,
        }
    }
}
