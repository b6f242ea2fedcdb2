//! The set of running personas: O(1) lookup by id (the per-event paths), file
//! order for `next`/`prev`, and which one is active.

use super::{Persona, PersonaId};

pub struct Personas {
    /// Indexed by id; ids are never reused, a removed persona leaves `None`.
    slots: Vec<Option<Persona>>,
    /// Ids in config order.
    order: Vec<PersonaId>,
    active: PersonaId,
    /// The system display (`system/`): in `slots`, never in `order`, so no
    /// list, `next` or overview sees it.
    system: Option<PersonaId>,
}

impl Personas {
    pub fn new() -> Personas {
        Personas {
            slots: Vec::new(),
            order: Vec::new(),
            active: 0,
            system: None,
        }
    }

    pub fn next_id(&self) -> PersonaId {
        self.slots.len() as PersonaId
    }

    /// Adds a persona created with [`Personas::next_id`]. The first one becomes active.
    pub fn push(&mut self, persona: Persona) -> PersonaId {
        let id = persona.state.id;
        assert_eq!(id, self.next_id(), "persona ids are handed out in order");
        self.slots.push(Some(persona));
        self.order.push(id);
        if self.order.len() == 1 {
            self.active = id;
        }
        id
    }

    /// Adds the system display, created with [`Personas::next_id`].
    pub fn push_system(&mut self, persona: Persona) -> PersonaId {
        let id = persona.state.id;
        assert_eq!(id, self.next_id(), "persona ids are handed out in order");
        assert!(!self.order.is_empty(), "the personas come first");
        self.slots.push(Some(persona));
        self.system = Some(id);
        id
    }

    pub fn system_id(&self) -> Option<PersonaId> {
        self.system
    }

    /// Every persona's id and then the system display's.
    pub fn all_ids(&self) -> Vec<PersonaId> {
        self.order.iter().copied().chain(self.system).collect()
    }

    /// Removes a persona that is not active.
    pub fn remove(&mut self, id: PersonaId) -> Option<Persona> {
        assert_ne!(
            id, self.active,
            "switch away before removing the active persona"
        );
        assert_ne!(Some(id), self.system, "the system display stays");
        self.order.retain(|&i| i != id);
        self.slots.get_mut(id as usize)?.take()
    }

    /// Lends a persona out of its slot (its id and place in the order stay)
    /// for work that needs it and the rest of the state at once; give it
    /// back with [`Personas::put_back`] before anything else looks it up.
    pub fn take(&mut self, id: PersonaId) -> Option<Persona> {
        self.slots.get_mut(id as usize)?.take()
    }

    pub fn put_back(&mut self, persona: Persona) {
        let slot = persona.state.id as usize;
        self.slots[slot] = Some(persona);
    }

    pub fn get(&self, id: PersonaId) -> Option<&Persona> {
        self.slots.get(id as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, id: PersonaId) -> Option<&mut Persona> {
        self.slots.get_mut(id as usize)?.as_mut()
    }

    pub fn active_id(&self) -> PersonaId {
        self.active
    }

    pub fn active(&self) -> &Persona {
        self.get(self.active).expect("the active persona exists")
    }

    pub fn active_mut(&mut self) -> &mut Persona {
        let id = self.active;
        self.get_mut(id).expect("the active persona exists")
    }

    /// Only the switch sets this.
    pub(super) fn set_active(&mut self, id: PersonaId) {
        assert!(self.get(id).is_some());
        self.active = id;
    }

    pub fn by_name(&self, name: &str) -> Option<PersonaId> {
        self.order
            .iter()
            .copied()
            .find(|&id| self.get(id).is_some_and(|p| p.state.name == name))
    }

    pub fn ids(&self) -> &[PersonaId] {
        &self.order
    }

    pub fn iter(&self) -> impl Iterator<Item = &Persona> {
        self.order.iter().filter_map(|&id| self.get(id))
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The persona after (or before) `from` in config order, wrapping around.
    pub fn neighbour(&self, from: PersonaId, forward: bool) -> PersonaId {
        let Some(pos) = self.order.iter().position(|&id| id == from) else {
            return from;
        };
        let n = self.order.len();
        let next = if forward {
            (pos + 1) % n
        } else {
            (pos + n - 1) % n
        };
        self.order[next]
    }

    /// Reorders to match the config after a reload.
    pub fn set_order(&mut self, order: Vec<PersonaId>) {
        debug_assert_eq!(order.len(), self.order.len());
        self.order = order;
    }
}

impl Default for Personas {
    fn default() -> Self {
        Personas::new()
    }
}
