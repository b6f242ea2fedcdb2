//! personas-control-v1 on the system display: a persona bar or switcher
//! lists the personas and asks for switches. The global exists only on the
//! system display (see `system/`), whose clients the compositor spawned; no
//! persona's display has it, so no persona's client can see the others.
//!
//! The outer state hands over a [`Snapshot`] every loop turn while someone
//! listens; each listener is told what changed since the last one, then
//! `done`.

use smithay::reexports::wayland_server::{
    Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource,
};

use crate::persona::{PersonaEvent, PersonaId, PersonaState};
use crate::system::protocol::personas_control_v1::{self, PersonasControlV1};
use crate::system::protocol::personas_persona_v1::{self, PersonasPersonaV1, Session};

pub const VERSION: u32 = 1;

/// What a listener sees of one persona.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaSummary {
    pub id: PersonaId,
    pub name: String,
    /// 0xRRGGBB.
    pub rgb: u32,
    pub session: Session,
    pub attention: bool,
    pub windows: u32,
}

/// Everything a listener is told.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub personas: Vec<PersonaSummary>,
    /// `None` while locked.
    pub active: Option<PersonaId>,
    pub locked: bool,
}

/// The bound managers and the snapshot they were last told.
#[derive(Default)]
pub struct ControlState {
    listeners: Vec<Listener>,
    last: Snapshot,
}

struct Listener {
    manager: PersonasControlV1,
    /// False until it got the whole list.
    told: bool,
    handles: Vec<(PersonaId, PersonasPersonaV1)>,
    /// Personas whose handle the client destroyed: not sent again.
    dismissed: Vec<PersonaId>,
}

impl ControlState {
    /// Whether anyone listens (the snapshot is only worth making then).
    pub fn listening(&self) -> bool {
        !self.listeners.is_empty()
    }

    /// Tells every listener what changed; true if anything was sent.
    pub fn update(&mut self, dh: &DisplayHandle, next: Snapshot) -> bool {
        self.listeners.retain(|l| l.manager.is_alive());
        let mut sent = false;
        for listener in &mut self.listeners {
            let old = listener.told.then_some(&self.last);
            if old == Some(&next) {
                continue;
            }
            listener.tell(dh, old, &next);
            listener.told = true;
            sent = true;
        }
        self.last = next;
        sent
    }

    fn forget_handle(&mut self, handle: &PersonasPersonaV1) {
        for listener in &mut self.listeners {
            listener.handles.retain(|(id, h)| {
                if h == handle {
                    listener.dismissed.push(*id);
                }
                h != handle
            });
        }
    }
}

impl Listener {
    /// Sends the difference between `old` (`None`: nothing told yet) and
    /// `new`, then `done`.
    fn tell(&mut self, dh: &DisplayHandle, old: Option<&Snapshot>, new: &Snapshot) {
        self.handles.retain(|(id, handle)| {
            let stays = new.personas.iter().any(|p| p.id == *id);
            if !stays {
                handle.removed();
            }
            stays
        });
        let client = self.manager.client();
        let mut added = false;
        self.dismissed
            .retain(|id| new.personas.iter().any(|p| p.id == *id));
        for persona in new
            .personas
            .iter()
            .filter(|p| !self.dismissed.contains(&p.id))
        {
            let mut before = old.and_then(|o| o.personas.iter().find(|p| p.id == persona.id));
            let handle = match self.handles.iter().find(|(id, _)| *id == persona.id) {
                Some((_, handle)) => handle.clone(),
                None => {
                    let Some(handle) = client.as_ref().and_then(|c| {
                        c.create_resource::<PersonasPersonaV1, PersonaId, PersonaState>(
                            dh,
                            self.manager.version(),
                            persona.id,
                        )
                        .ok()
                    }) else {
                        continue;
                    };
                    self.manager.persona(&handle);
                    self.handles.push((persona.id, handle.clone()));
                    before = None;
                    added = true;
                    handle
                }
            };
            if before.is_none_or(|b| b.name != persona.name) {
                handle.name(persona.name.clone());
            }
            if before.is_none_or(|b| b.rgb != persona.rgb) {
                handle.color(persona.rgb);
            }
            if before.is_none_or(|b| b.session != persona.session) {
                handle.session(persona.session);
            }
            if before.is_none_or(|b| b.attention != persona.attention) {
                handle.attention(persona.attention.into());
            }
            if before.is_none_or(|b| b.windows != persona.windows) {
                handle.windows(persona.windows);
            }
        }
        if added || old.is_none_or(|o| o.active != new.active) {
            let active = new
                .active
                .and_then(|id| self.handles.iter().find(|(i, _)| *i == id))
                .map(|(_, h)| h);
            self.manager.active(active);
        }
        if old.is_none_or(|o| o.locked != new.locked) {
            self.manager.locked(new.locked.into());
        }
        self.manager.done();
    }
}

impl PersonaState {
    fn control(&mut self) -> Option<&mut ControlState> {
        self.system.as_mut().map(|s| &mut s.control)
    }
}

impl GlobalDispatch<PersonasControlV1, ()> for PersonaState {
    /// Not for a sandboxed client of the system display.
    fn can_view(client: Client, _data: &()) -> bool {
        client
            .get_data::<crate::persona::ClientState>()
            .is_none_or(|data| data.security_context.is_none())
    }

    fn bind(
        state: &mut Self,
        _dh: &DisplayHandle,
        _client: &Client,
        resource: New<PersonasControlV1>,
        _data: &(),
        data_init: &mut DataInit<'_, Self>,
    ) {
        let manager = data_init.init(resource, ());
        // The list follows at the end of this loop turn, from a fresh
        // snapshot (see `State::sync_control`).
        if let Some(control) = state.control() {
            control.listeners.push(Listener {
                manager,
                told: false,
                handles: Vec::new(),
                dismissed: Vec::new(),
            });
        }
    }
}

impl Dispatch<PersonasControlV1, ()> for PersonaState {
    fn request(
        state: &mut Self,
        _client: &Client,
        resource: &PersonasControlV1,
        request: personas_control_v1::Request,
        _data: &(),
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        match request {
            personas_control_v1::Request::Destroy => {
                if let Some(control) = state.control() {
                    control.listeners.retain(|l| &l.manager != resource);
                }
            }
        }
    }
}

impl Dispatch<PersonasPersonaV1, PersonaId> for PersonaState {
    fn request(
        state: &mut Self,
        _client: &Client,
        resource: &PersonasPersonaV1,
        request: personas_persona_v1::Request,
        id: &PersonaId,
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        match request {
            personas_persona_v1::Request::Activate => {
                state.events.push(PersonaEvent::SwitchRequested(*id));
            }
            personas_persona_v1::Request::Destroy => {
                if let Some(control) = state.control() {
                    control.forget_handle(resource);
                }
            }
        }
    }
}
