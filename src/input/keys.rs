//! Where each physically held key went, and the compositor's own keyboard for
//! matching bindings.
//!
//! Bindings are matched on an xkb state of the compositor (the config's
//! `binding_layout`), never on a persona's, so no persona keymap can shadow the
//! switch. Every held key is remembered with its route so that its release goes
//! where its press went: a binding's release reaches no client, and a key held
//! across a switch is released in the old persona's state without any event.

use std::collections::HashMap;

use smithay::input::keyboard::{xkb, Keycode};

use crate::config::{KeyCombo, Mods};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRoute {
    /// Taken by a binding (or held while a switch happened before it was forwarded):
    /// neither press nor release reaches a client.
    Suppressed,
    /// Pressed while the active persona was active and forwarded to its client.
    Forwarded,
    /// Carried over into the active persona by a switch: part of its xkb state (so
    /// modifiers are real) but never seen by its client as a key.
    StateOnly,
}

#[derive(Debug, thiserror::Error)]
#[error("binding layout `{0}` could not be compiled")]
pub struct BindingLayoutError(String);

/// The compositor-owned keyboard used for bindings.
pub struct BindingKeyboard {
    state: xkb::State,
    layout: String,
}

impl BindingKeyboard {
    pub fn new(layout: &str) -> Result<BindingKeyboard, BindingLayoutError> {
        let context = xkb::Context::new(xkb::CONTEXT_NO_FLAGS);
        let keymap = xkb::Keymap::new_from_names(
            &context,
            "",
            "",
            layout,
            "",
            None,
            xkb::KEYMAP_COMPILE_NO_FLAGS,
        )
        .ok_or_else(|| BindingLayoutError(layout.to_owned()))?;
        Ok(BindingKeyboard {
            state: xkb::State::new(&keymap),
            layout: layout.to_owned(),
        })
    }

    pub fn layout(&self) -> &str {
        &self.layout
    }

    /// Modifiers held right now (before the key being handled is applied).
    pub fn mods(&self) -> Mods {
        let active = |name| {
            self.state
                .mod_name_is_active(name, xkb::STATE_MODS_DEPRESSED | xkb::STATE_MODS_LATCHED)
        };
        Mods {
            ctrl: active(xkb::MOD_NAME_CTRL),
            alt: active(xkb::MOD_NAME_ALT),
            shift: active(xkb::MOD_NAME_SHIFT),
            logo: active(xkb::MOD_NAME_LOGO),
            long: false,
        }
    }

    /// The key's unshifted symbol in the binding layout, lower-cased, so that
    /// `Alt+Shift+Tab` matches Tab rather than ISO_Left_Tab.
    pub fn base_keysym(&self, keycode: Keycode) -> u32 {
        let keymap = self.state.get_keymap();
        let syms = keymap.key_get_syms_by_level(keycode, 0, 0);
        match syms.first().map(|s| s.raw()) {
            // Level 0 is lower case in every usual layout; fold Latin capitals anyway.
            Some(raw @ 0x41..=0x5a) => raw + 0x20,
            Some(raw) => raw,
            None => xkb::keysyms::KEY_NoSymbol,
        }
    }

    pub fn combo(&self, keycode: Keycode) -> KeyCombo {
        KeyCombo {
            mods: self.mods(),
            keysym: self.base_keysym(keycode),
        }
    }

    pub fn update(&mut self, keycode: Keycode, pressed: bool) {
        let direction = if pressed {
            xkb::KeyDirection::Down
        } else {
            xkb::KeyDirection::Up
        };
        self.state.update_key(keycode, direction);
    }

    /// Whether the key toggles a lock (Caps_Lock, Num_Lock, Scroll_Lock, …).
    pub fn is_lock_key(&self, keycode: Keycode) -> bool {
        xkb::keysym_get_name(xkb::Keysym::new(self.base_keysym(keycode))).ends_with("_Lock")
    }

    /// A keycode producing `keysym` at the base level (for injected input that
    /// names keys rather than codes).
    pub fn keycode_for(&self, keysym: u32) -> Option<Keycode> {
        let keymap = self.state.get_keymap();
        let (min, max) = (keymap.min_keycode().raw(), keymap.max_keycode().raw());
        (min..=max).map(Keycode::new).find(|&code| {
            (0..2).any(|level| {
                keymap
                    .key_get_syms_by_level(code, 0, level)
                    .iter()
                    .any(|s| s.raw() == keysym)
            })
        })
    }
}

/// Routes of the keys physically held now.
#[derive(Default)]
pub struct KeyRouter {
    held: HashMap<Keycode, KeyRoute>,
}

impl KeyRouter {
    pub fn press(&mut self, keycode: Keycode, route: KeyRoute) {
        self.held.insert(keycode, route);
    }

    /// The route the key's press took; `None` for a key never seen pressed.
    pub fn release(&mut self, keycode: Keycode) -> Option<KeyRoute> {
        self.held.remove(&keycode)
    }

    pub fn is_held(&self, keycode: Keycode) -> bool {
        self.held.contains_key(&keycode)
    }

    /// Keys that belong to the active persona's state (to be carried over on a switch).
    pub fn persona_keys(&self) -> Vec<Keycode> {
        let mut keys: Vec<Keycode> = self
            .held
            .iter()
            .filter(|(_, r)| **r != KeyRoute::Suppressed)
            .map(|(k, _)| *k)
            .collect();
        keys.sort_by_key(|k| k.raw());
        keys
    }

    /// [`KeyRouter::persona_keys`] split into (keys to carry, lock keys to drop).
    pub fn persona_keys_split(
        &self,
        is_lock: impl Fn(Keycode) -> bool,
    ) -> (Vec<Keycode>, Vec<Keycode>) {
        self.persona_keys().into_iter().partition(|&k| !is_lock(k))
    }

    /// After a switch the carried keys live in the new persona's state only;
    /// `dropped` keys (locks) are released nowhere.
    pub fn carry_over(&mut self, dropped: &[Keycode]) {
        for (key, route) in self.held.iter_mut() {
            if dropped.contains(key) {
                *route = KeyRoute::Suppressed;
            } else if *route == KeyRoute::Forwarded {
                *route = KeyRoute::StateOnly;
            }
        }
    }

    pub fn held_count(&self) -> usize {
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_TAB: u32 = 15 + 8;
    const KEY_A: u32 = 30 + 8;
    const KEY_LEFTSHIFT: u32 = 42 + 8;
    const KEY_LEFTCTRL: u32 = 29 + 8;
    const KEY_LEFTMETA: u32 = 125 + 8;
    const KEY_RIGHT: u32 = 106 + 8;
    const KEY_Y: u32 = 21 + 8;
    const KEY_CAPSLOCK: u32 = 58 + 8;

    #[test]
    fn combos_use_base_level_and_current_mods() {
        let mut kb = BindingKeyboard::new("us").unwrap();
        kb.update(KEY_LEFTMETA.into(), true);
        kb.update(KEY_LEFTCTRL.into(), true);
        let combo = kb.combo(KEY_RIGHT.into());
        assert!(combo.mods.logo && combo.mods.ctrl && !combo.mods.alt && !combo.mods.shift);
        assert_eq!(combo.keysym, xkb::keysyms::KEY_Right);
        kb.update(KEY_LEFTSHIFT.into(), true);
        assert_eq!(kb.combo(KEY_TAB.into()).keysym, xkb::keysyms::KEY_Tab);
        assert_eq!(kb.combo(KEY_A.into()).keysym, xkb::keysyms::KEY_a);
        kb.update(KEY_LEFTSHIFT.into(), false);
        kb.update(KEY_LEFTCTRL.into(), false);
        kb.update(KEY_LEFTMETA.into(), false);
        assert_eq!(kb.mods(), Mods::default());
    }

    #[test]
    fn binding_layout_is_the_configured_one() {
        // On a German layout the key right of T is Z; on us it is Y.
        let de = BindingKeyboard::new("de").unwrap();
        let us = BindingKeyboard::new("us").unwrap();
        assert_eq!(de.base_keysym(KEY_Y.into()), xkb::keysyms::KEY_z);
        assert_eq!(us.base_keysym(KEY_Y.into()), xkb::keysyms::KEY_y);
        assert_eq!(
            us.keycode_for(xkb::keysyms::KEY_Right),
            Some(KEY_RIGHT.into())
        );
    }

    #[test]
    fn routes_are_remembered_and_carried_over() {
        let mut router = KeyRouter::default();
        router.press(KEY_LEFTCTRL.into(), KeyRoute::Forwarded);
        router.press(KEY_RIGHT.into(), KeyRoute::Suppressed);
        assert_eq!(router.persona_keys(), vec![Keycode::new(KEY_LEFTCTRL)]);
        router.press(KEY_CAPSLOCK.into(), KeyRoute::Forwarded);
        let kb = BindingKeyboard::new("us").unwrap();
        let (carry, locks) = router.persona_keys_split(|k| kb.is_lock_key(k));
        assert_eq!(carry, vec![Keycode::new(KEY_LEFTCTRL)]);
        assert_eq!(locks, vec![Keycode::new(KEY_CAPSLOCK)]);
        router.carry_over(&locks);
        assert_eq!(
            router.release(KEY_CAPSLOCK.into()),
            Some(KeyRoute::Suppressed)
        );
        assert_eq!(
            router.release(KEY_LEFTCTRL.into()),
            Some(KeyRoute::StateOnly)
        );
        assert_eq!(router.release(KEY_RIGHT.into()), Some(KeyRoute::Suppressed));
        assert_eq!(router.release(KEY_A.into()), None);
        assert_eq!(router.held_count(), 0);
    }
}
