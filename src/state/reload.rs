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
        // Started on the embedded default: a config file written since is found now.
        let source = match &self.config_source {
            config::ConfigSource::Embedded => config::locate(None).map_err(|e| e.to_string())?,
            file => file.clone(),
        };
        let new = config::load(&source).map_err(|err| err.to_string())?;
        let reply = self.apply_config(new)?;
        self.config_source = source;
        Ok(reply)
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
        if new.renderer != self.config.renderer {
            tracing::warn!("`renderer` changes take effect after a restart");
        }

        // Everything that can fail happens before anything changes: new personas
        // are created (keymap compiled, socket bound) but not yet served.
        let mut created = Vec::new();
        self.sessions.configure(&new, &self.config_source);
        for persona in &new.personas {
            if self.personas.by_name(&persona.name).is_none() {
                let id = self.personas.next_id() + created.len() as PersonaId;
                created.push(
                    self.create_persona(persona, &new, id)
                        .map_err(|e| e.to_string())?,
                );
            }
        }
        let mut added = Vec::new();
        for persona in created {
            added.push(persona.state.name.clone());
            self.register_persona(persona).map_err(|e| e.to_string())?;
        }
        let mut changed = Vec::new();
        let repeat_changed = (new.input.repeat_rate, new.input.repeat_delay)
            != (
                self.config.input.repeat_rate,
                self.config.input.repeat_delay,
            );
        for persona in &new.personas {
            let id = self
                .personas
                .by_name(&persona.name)
                .expect("exists or was added");
            let p = self.personas.get_mut(id).expect("found by name");
            if added.contains(&persona.name) {
                continue;
            }
            if &p.config != persona
                || p.state.background_frames
                    != persona.effective_background_frames(new.background_frames)
            {
                changed.push(persona.name.clone());
                p.apply_config(persona, &new);
                self.sessions.update_config(persona);
                self.apply_xwayland(id);
            } else if repeat_changed || new.indicator != self.config.indicator {
                // Settings every persona shares: applied, though its own
                // table did not change.
                p.apply_config(persona, &new);
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
        let helpers_changed = self.config.helpers != new.helpers;
        let old_helpers = self.config.helpers.len();
        self.config = new;
        // A hide delay set now counts from now.
        self.restart_cursor_timer();
        // Changed helpers start over (the lock screen is read when it starts).
        if helpers_changed {
            for n in 0..old_helpers {
                self.stop_helpers(crate::system::helpers::Role::Helper(n));
            }
            for n in 0..self.config.helpers.len() {
                self.start_helper(crate::system::helpers::Role::Helper(n));
            }
        }
        // Personas may have come or gone: an open overview starts over.
        self.overview = None;
        // Every output's transform as the file says (as sway's reload
        // does), then the layout (positions, mirroring).
        for spec in self.backend.output_specs() {
            let transform = self.config.output_transform(&spec.name);
            if transform != spec.transform {
                self.backend.set_transform(&spec.name, transform);
                tracing::info!(output = %spec.name, ?transform, "output transform changed");
            }
        }
        self.output_spec_changed();
        // Changed device settings apply to the devices there are.
        let input = self.config.input.clone();
        if let Some(tty) = self.tty() {
            tty.configure_devices(&input);
        }
        // Changed idle actions take effect from now.
        self.check_idle();
        // A changed color shows at once.
        self.personas.active_mut().state.needs_redraw = true;
        self.backend.reset_damage();
        self.ipc_events.broadcast(&Event::ConfigReloaded);
        tracing::info!(?added, ?removed, ?changed, "config reloaded");
        Ok(Reply::Reloaded {
            added,
            removed,
            changed,
        })
    }
}
