//! `reload`: added personas start, changed settings apply, removed personas stop
//! (switching away first if the active one goes). An invalid file changes nothing.

use std::time::Instant;

use super::State;
use crate::config;
use crate::input::keys::BindingKeyboard;
use crate::ipc::protocol::{Event, Reply};
use crate::persona::switch::SwitchOrigin;
use crate::persona::PersonaId;

impl State {
    pub fn reload(&mut self) -> Result<Reply, String> {
        let new = config::load(&self.config_source).map_err(|err| err.to_string())?;
        self.apply_config(new)
    }

    /// Applies an already validated config.
    pub fn apply_config(&mut self, new: config::Config) -> Result<Reply, String> {
        let binding_keyboard = if new.input.binding_layout != self.binding_keyboard.layout() {
            Some(BindingKeyboard::new(&new.input.binding_layout).map_err(|e| e.to_string())?)
        } else {
            None
        };
        if new.headless.size != self.config.headless.size {
            tracing::warn!("[headless] size changes take effect after a restart");
        }

        let mut added = Vec::new();
        let mut changed = Vec::new();
        for persona in &new.personas {
            match self.personas.by_name(&persona.name) {
                None => {
                    self.add_persona(persona).map_err(|e| e.to_string())?;
                    added.push(persona.name.clone());
                }
                Some(id) => {
                    let p = self.personas.get_mut(id).expect("found by name");
                    if &p.config != persona
                        || p.state.background_frames
                            != persona.effective_background_frames(new.background_frames)
                    {
                        p.apply_config(persona, new.background_frames);
                        changed.push(persona.name.clone());
                    }
                }
            }
        }
        let removed_ids: Vec<PersonaId> = self
            .personas
            .iter()
            .filter(|p| new.persona(&p.state.name).is_none())
            .map(|p| p.state.id)
            .collect();
        if removed_ids.contains(&self.personas.active_id()) {
            let target = new
                .personas
                .first()
                .and_then(|p| self.personas.by_name(&p.name))
                .expect("a valid config has at least one persona");
            self.switch_to(
                target,
                SwitchOrigin {
                    requested: Instant::now(),
                    input: None,
                },
            );
        }
        let mut removed = Vec::new();
        for id in removed_ids {
            if let Some(p) = self.personas.get(id) {
                removed.push(p.state.name.clone());
            }
            self.remove_persona(id);
        }
        let order = new
            .personas
            .iter()
            .filter_map(|p| self.personas.by_name(&p.name))
            .collect();
        self.personas.set_order(order);
        if let Some(kb) = binding_keyboard {
            self.binding_keyboard = kb;
        }
        self.config = new;
        // A changed color shows at once.
        self.personas.active_mut().state.needs_redraw = true;
        self.backend.headless().reset_damage();
        self.ipc_events.broadcast(&Event::ConfigReloaded);
        tracing::info!(?added, ?removed, ?changed, "config reloaded");
        Ok(Reply::Reloaded {
            added,
            removed,
            changed,
        })
    }
}
