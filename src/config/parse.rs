//! Turns the spanned TOML tree into a [`Config`], collecting every error.

use std::collections::BTreeMap;

use smithay::input::keyboard::xkb;

use super::raw::{self, Entry, Node, Value};
use super::{
    AccelProfile, Action, BackgroundFrames, Binding, Color, Config, ConfigError, ConfigErrors,
    DeviceSettings, Gesture, GestureConfig, HeadlessConfig, IdleConfig, Indicator, InputConfig,
    KeyCombo, KeymapConfig, Mode, Mods, OutputConfig, OutputLayout, PersonaConfig, PersonaExtra,
    RendererChoice, Transform, Transition,
};

/// Largest width or height accepted for a mode or the headless output.
const MAX_DIMENSION: u32 = 16384;
/// Largest refresh rate accepted in a mode, in Hz.
const MAX_REFRESH_HZ: f64 = 1000.0;
const MIN_SCALE: f64 = 0.25;
const MAX_SCALE: f64 = 10.0;
/// Longest persona name.
pub(super) const MAX_NAME_LEN: usize = 32;

/// Default persona colors, by position in the file (cycled).
pub(super) const PALETTE: [Color; 8] = [
    rgb(0x33, 0x66, 0xcc),
    rgb(0xcc, 0x66, 0x33),
    rgb(0x33, 0xaa, 0x55),
    rgb(0x99, 0x44, 0xbb),
    rgb(0xcc, 0xaa, 0x22),
    rgb(0x22, 0x99, 0xaa),
    rgb(0xcc, 0x33, 0x55),
    rgb(0x77, 0x77, 0x77),
];

const fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color { r, g, b, a: 0xff }
}

const TOP_KEYS: &[&str] = &[
    "background_frames",
    "indicator",
    "transition",
    "renderer",
    "output_layout",
    "switch_notice",
    "headless",
    "outputs",
    "input",
    "keys",
    "gestures",
    "idle",
    "lock",
    "lock_keyboard",
    "helpers",
    "persona",
];
const IDLE_KEYS: &[&str] = &["dim_after", "off_after", "lock_after"];
const GESTURE_KEYS: &[&str] = &["edge_size", "distance", "time_ms", "bind"];
const HEADLESS_KEYS: &[&str] = &["size", "extra_outputs"];
const OUTPUT_KEYS: &[&str] = &["mode", "scale", "transform", "position"];
const INPUT_KEYS: &[&str] = &[
    "binding_layout",
    "repeat_rate",
    "repeat_delay",
    "long_press_ms",
    "hide_cursor_after_ms",
    "hide_cursor_on_touch",
    "touchpad",
    "mouse",
    "touchscreen",
];
const DEVICE_KEYS: &[&str] = &[
    "tap",
    "natural_scroll",
    "disable_while_typing",
    "left_handed",
    "accel_profile",
    "accel_speed",
];
const ACCEL_PROFILES: &[(&str, AccelProfile)] = &[
    ("flat", AccelProfile::Flat),
    ("adaptive", AccelProfile::Adaptive),
];
const PERSONA_KEYS: &[&str] = &[
    "name",
    "color",
    "session",
    "env",
    "keymap",
    "background_frames",
    "isolation",
    "devices",
    "share",
    "network",
    "home",
    "privileged",
    "allow_activation",
    "fullscreen_over_frame",
    "restart",
    "restart_delay_ms",
    "restart_max_delay_ms",
    "xwayland",
    "transfer",
];
/// Protocols a persona may be granted with `privileged`.
const PRIVILEGED: &[&str] = &[
    "screencopy",
    "data-control",
    "virtual-keyboard",
    "virtual-pointer",
];
/// Which ways the clipboard transfer may go for a persona.
const TRANSFER_POLICIES: &[(&str, &str)] = &[
    ("both", "both"),
    ("in", "in"),
    ("out", "out"),
    ("none", "none"),
];
const KEYMAP_KEYS: &[&str] = &["rules", "model", "layout", "variant", "options"];

const BACKGROUND_FRAMES: &[(&str, BackgroundFrames)] = &[
    ("throttled", BackgroundFrames::Throttled),
    ("paused", BackgroundFrames::Paused),
];
/// Values of a persona's `restart` (kept as the string; see `session::backoff`).
/// Values of a persona's `isolation` (see `session::sandbox`).
const ISOLATION_MODES: &[(&str, &str)] = &[("namespaces", "namespaces"), ("none", "none")];

/// Values of a persona's `network`.
const NETWORK_MODES: &[(&str, &str)] = &[("host", "host"), ("none", "none")];

const RESTART_POLICIES: &[(&str, &str)] = &[
    ("on-failure", "on-failure"),
    ("always", "always"),
    ("never", "never"),
];
const INDICATORS: &[(&str, Indicator)] = &[
    ("frame", Indicator::Frame),
    ("badge", Indicator::Badge),
    ("none", Indicator::None),
];
const OUTPUT_LAYOUTS: &[(&str, OutputLayout)] = &[
    ("side-by-side", OutputLayout::SideBySide),
    ("mirror", OutputLayout::Mirror),
];

const RENDERERS: &[(&str, RendererChoice)] = &[
    ("auto", RendererChoice::Auto),
    ("gles", RendererChoice::Gles),
    ("pixman", RendererChoice::Pixman),
];

const TRANSITIONS: &[(&str, Transition)] = &[
    ("none", Transition::None),
    ("crossfade", Transition::Crossfade),
    ("slide", Transition::Slide),
];
pub(crate) const TRANSFORMS: &[(&str, Transform)] = &[
    ("normal", Transform::Normal),
    ("90", Transform::_90),
    ("180", Transform::_180),
    ("270", Transform::_270),
    ("flipped", Transform::Flipped),
    ("flipped-90", Transform::Flipped90),
    ("flipped-180", Transform::Flipped180),
    ("flipped-270", Transform::Flipped270),
];
/// Actions written as a plain string.
const SIMPLE_ACTIONS: &[(&str, Action)] = &[
    ("next", Action::Next),
    ("prev", Action::Prev),
    ("overview", Action::Overview),
    ("focus-next-window", Action::FocusNextWindow),
    ("focus-prev-window", Action::FocusPrevWindow),
    ("close-window", Action::CloseWindow),
    ("move-window-to-next-output", Action::MoveWindowToNextOutput),
    ("transfer-copy", Action::TransferCopy),
    ("transfer-paste", Action::TransferPaste),
    ("lock", Action::Lock),
    ("reload", Action::Reload),
];
/// Actions written as a one-entry table.
const TABLE_ACTIONS: &[&str] = &["switch", "spawn"];

/// The config-file name of an action that is written as a plain string.
pub(super) fn simple_action_name(action: &Action) -> Option<&'static str> {
    SIMPLE_ACTIONS
        .iter()
        .find(|(_, a)| a == action)
        .map(|(name, _)| *name)
}

/// The bindings used when a file has no `[keys]` table: switching with
/// Super+Ctrl+Right/Left, Super+Ctrl+1..9 for the first nine personas, window
/// cycling with Alt+Tab / Alt+Shift+Tab, and Super+Shift+q to close a window.
/// For the embedded default's personas this is exactly its `[keys]` table.
pub(super) fn default_bindings(personas: &[PersonaConfig]) -> Vec<Binding> {
    let logo_ctrl = Mods {
        logo: true,
        ctrl: true,
        ..Mods::default()
    };
    let alt = Mods {
        alt: true,
        ..Mods::default()
    };
    let alt_shift = Mods {
        alt: true,
        shift: true,
        ..Mods::default()
    };
    let logo_shift = Mods {
        logo: true,
        shift: true,
        ..Mods::default()
    };
    let bind = |mods, keysym: u32, action| Binding {
        combo: KeyCombo { mods, keysym },
        action,
    };
    let mut bindings = vec![
        bind(logo_ctrl, xkb::keysyms::KEY_Right, Action::Next),
        bind(logo_ctrl, xkb::keysyms::KEY_Left, Action::Prev),
    ];
    for (persona, digit) in personas
        .iter()
        .zip(xkb::keysyms::KEY_1..=xkb::keysyms::KEY_9)
    {
        bindings.push(bind(logo_ctrl, digit, Action::Switch(persona.name.clone())));
    }
    bindings.extend([
        bind(alt, xkb::keysyms::KEY_Tab, Action::FocusNextWindow),
        bind(alt_shift, xkb::keysyms::KEY_Tab, Action::FocusPrevWindow),
        bind(logo_shift, xkb::keysyms::KEY_q, Action::CloseWindow),
        bind(logo_ctrl, xkb::keysyms::KEY_c, Action::TransferCopy),
        bind(logo_ctrl, xkb::keysyms::KEY_v, Action::TransferPaste),
        bind(logo_ctrl, xkb::keysyms::KEY_o, Action::Overview),
    ]);
    bindings
}

pub(super) fn parse(text: &str, file: &str) -> Result<Config, ConfigErrors> {
    let mut cx = Cx {
        text,
        file,
        errors: Vec::new(),
    };
    let config = match raw::parse_document(text) {
        Ok(root) => Some(cx.config(&root)),
        Err(error) => {
            let message = error
                .message
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join(": ");
            cx.error(error.span.map_or(0, |span| span.start), message);
            None
        }
    };
    match config {
        Some(config) if cx.errors.is_empty() => Ok(config),
        _ => {
            let mut errors = cx.errors;
            errors.sort_by_key(|e| (e.line, e.col));
            Err(ConfigErrors(errors))
        }
    }
}

/// The checking context: the text (to turn offsets into positions) and the errors so far.
struct Cx<'a> {
    text: &'a str,
    file: &'a str,
    errors: Vec<ConfigError>,
}

/// Where a value is: its own span, else its key's, else 0.
fn value_pos(entry: &Entry) -> usize {
    entry
        .node
        .span
        .as_ref()
        .or(entry.key_span.as_ref())
        .map_or(0, |span| span.start)
}

/// Where a key is: its own span, else its value's, else 0.
fn key_pos(entry: &Entry) -> usize {
    entry
        .key_span
        .as_ref()
        .or(entry.node.span.as_ref())
        .map_or(0, |span| span.start)
}

/// Where an array element is, `fallback` when toml gave it no span.
fn node_pos(node: &Node, fallback: usize) -> usize {
    node.span.as_ref().map_or(fallback, |span| span.start)
}

fn find<'e>(table: &'e [Entry], key: &str) -> Option<&'e Entry> {
    table.iter().find(|entry| entry.key == key)
}

/// Levenshtein distance, in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// " (did you mean `x`?)" when one of `candidates` is close to `word`, else "".
fn suggestion<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (distance(&word, c), c))
        .filter(|(d, c)| *d <= 2 && *d < c.chars().count().max(word.chars().count()) / 2 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// "`a`, `b` or `c`".
fn one_of<'c>(names: impl IntoIterator<Item = &'c str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

impl Cx<'_> {
    /// Records an error at byte `offset` of the text.
    fn error(&mut self, offset: usize, message: impl Into<String>) {
        let (line, col) = self.line_col(offset);
        self.errors.push(ConfigError {
            file: self.file.to_string(),
            line,
            col,
            message: message.into(),
        });
    }

    /// 1-based line and column (in characters) of byte `offset`.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    fn line_of(&self, offset: usize) -> usize {
        self.line_col(offset).0
    }

    /// Reports every key of `table` that is not in `allowed`.
    fn check_keys(&mut self, table: &[Entry], allowed: &[&str], place: &str) {
        for entry in table {
            if !allowed.contains(&entry.key.as_str()) {
                let hint = suggestion(&entry.key, allowed.iter().copied());
                self.error(
                    key_pos(entry),
                    format!("unknown key `{}` {place}{hint}", entry.key),
                );
            }
        }
    }

    fn type_error(&mut self, entry: &Entry, expected: &str) {
        self.error(
            value_pos(entry),
            format!(
                "`{}` must be {expected}, found {}",
                entry.key,
                entry.node.value.type_name()
            ),
        );
    }

    fn table<'e>(&mut self, entry: &'e Entry) -> Option<&'e [Entry]> {
        match &entry.node.value {
            Value::Table(table) => Some(table),
            _ => {
                self.type_error(entry, "a table");
                None
            }
        }
    }

    fn string<'e>(&mut self, entry: &'e Entry) -> Option<&'e str> {
        match &entry.node.value {
            Value::String(s) => Some(s),
            _ => {
                self.type_error(entry, "a string");
                None
            }
        }
    }

    /// `[input.touchpad]` or `[input.mouse]`.
    fn device_settings(&mut self, entry: &Entry, place: &str) -> DeviceSettings {
        let mut settings = DeviceSettings::default();
        let Some(table) = self.table(entry) else {
            return settings;
        };
        self.check_keys(table, DEVICE_KEYS, &format!("in {place}"));
        let flag = |this: &mut Self, key: &str| find(table, key).and_then(|e| this.boolean(e));
        settings.tap = flag(self, "tap");
        settings.natural_scroll = flag(self, "natural_scroll");
        settings.disable_while_typing = flag(self, "disable_while_typing");
        settings.left_handed = flag(self, "left_handed");
        if let Some(e) = find(table, "accel_profile") {
            settings.accel_profile = self.choice(e, ACCEL_PROFILES);
        }
        if let Some(e) = find(table, "accel_speed") {
            match self.number(e, "a number from -1.0 to 1.0") {
                Some(s) if (-1.0..=1.0).contains(&s) => settings.accel_speed = Some(s),
                Some(s) => self.error(
                    value_pos(e),
                    format!("accel_speed {s} is out of range: it must be between -1.0 and 1.0"),
                ),
                None => {}
            }
        }
        settings
    }

    /// An integer or float, as f64; `expected` names it in the type error.
    fn number(&mut self, entry: &Entry, expected: &str) -> Option<f64> {
        match entry.node.value {
            Value::Float(f) => Some(f),
            Value::Integer(i) => Some(i as f64),
            _ => {
                self.type_error(entry, expected);
                None
            }
        }
    }

    fn boolean(&mut self, entry: &Entry) -> Option<bool> {
        match entry.node.value {
            Value::Boolean(b) => Some(b),
            _ => {
                self.type_error(entry, "a boolean (true or false)");
                None
            }
        }
    }

    /// A string without NUL characters (it ends up in argv or the environment).
    fn c_string(&mut self, s: &str, at: usize, what: &str) -> Option<String> {
        if s.contains('\0') {
            self.error(at, format!("{what} must not contain a NUL character"));
            None
        } else {
            Some(s.to_string())
        }
    }

    fn string_list(&mut self, entry: &Entry) -> Option<Vec<String>> {
        let Value::Array(items) = &entry.node.value else {
            self.type_error(entry, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            match &item.value {
                Value::String(s) => out.push(s.clone()),
                other => {
                    ok = false;
                    self.error(
                        node_pos(item, value_pos(entry)),
                        format!(
                            "`{}` must be an array of strings, found {} in it",
                            entry.key,
                            other.type_name()
                        ),
                    );
                }
            }
        }
        ok.then_some(out)
    }

    /// A string that must be one of `choices`.
    fn choice<T: Copy>(&mut self, entry: &Entry, choices: &[(&str, T)]) -> Option<T> {
        let names = || choices.iter().map(|(name, _)| *name);
        let Value::String(s) = &entry.node.value else {
            let expected = format!("a string, one of {}", one_of(names()));
            self.type_error(entry, &expected);
            return None;
        };
        if let Some((_, value)) = choices.iter().find(|(name, _)| name == s) {
            return Some(*value);
        }
        let hint = suggestion(s, names());
        self.error(
            value_pos(entry),
            format!(
                "invalid value `{s}` for `{}`: expected {}{hint}",
                entry.key,
                one_of(names())
            ),
        );
        None
    }

    /// A command: an array of strings (argv), or a string run with `sh -c`.
    fn command(&mut self, entry: &Entry) -> Option<Vec<String>> {
        let at = value_pos(entry);
        let key = &entry.key;
        match &entry.node.value {
            Value::String(s) => {
                if s.trim().is_empty() {
                    self.error(at, format!("`{key}` must not be empty"));
                    return None;
                }
                let s = self.c_string(s, at, &format!("`{key}`"))?;
                Some(vec!["sh".to_string(), "-c".to_string(), s])
            }
            Value::Array(items) if items.is_empty() => {
                self.error(
                    at,
                    format!("`{key}` must not be empty: give at least the program to run"),
                );
                None
            }
            Value::Array(_) => {
                let argv = self.string_list(entry)?;
                if argv[0].is_empty() {
                    let first = match &entry.node.value {
                        Value::Array(items) => node_pos(&items[0], at),
                        _ => at,
                    };
                    self.error(first, format!("`{key}`: the program name is empty"));
                    return None;
                }
                if argv.iter().any(|arg| arg.contains('\0')) {
                    self.error(at, format!("`{key}` must not contain a NUL character"));
                    return None;
                }
                Some(argv)
            }
            _ => {
                self.type_error(
                    entry,
                    "an array of strings (argv) or a string (run with sh -c)",
                );
                None
            }
        }
    }

    /// An array of commands, each as [`Parser::command`] takes one.
    fn commands(&mut self, entry: &Entry) -> Vec<Vec<String>> {
        let Value::Array(items) = &entry.node.value else {
            self.type_error(entry, "an array of commands");
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                let one = Entry {
                    key: entry.key.clone(),
                    key_span: entry.key_span.clone(),
                    node: item.clone(),
                };
                self.command(&one)
            })
            .collect()
    }

    fn config(&mut self, root: &[Entry]) -> Config {
        self.check_keys(root, TOP_KEYS, "at the top level");
        let mut config = Config {
            background_frames: BackgroundFrames::Throttled,
            indicator: Indicator::Frame,
            transition: Transition::None,
            renderer: RendererChoice::Auto,
            output_layout: OutputLayout::SideBySide,
            switch_notice: true,
            headless: HeadlessConfig {
                size: (1280, 800),
                extra_outputs: Vec::new(),
            },
            outputs: BTreeMap::new(),
            input: InputConfig {
                binding_layout: "us".to_string(),
                repeat_rate: 25,
                repeat_delay: 600,
                long_press_ms: 600,
                hide_cursor_after_ms: 0,
                hide_cursor_on_touch: true,
                touchpad: DeviceSettings::default(),
                mouse: DeviceSettings::default(),
                touchscreen_output: None,
            },
            bindings: Vec::new(),
            gestures: GestureConfig::default(),
            idle: IdleConfig::default(),
            lock: None,
            lock_keyboard: None,
            helpers: Vec::new(),
            personas: Vec::new(),
        };
        if let Some(entry) = find(root, "background_frames") {
            if let Some(value) = self.choice(entry, BACKGROUND_FRAMES) {
                config.background_frames = value;
            }
        }
        if let Some(entry) = find(root, "indicator") {
            if let Some(value) = self.choice(entry, INDICATORS) {
                config.indicator = value;
            }
        }
        if let Some(entry) = find(root, "transition") {
            if let Some(value) = self.choice(entry, TRANSITIONS) {
                config.transition = value;
            }
        }
        if let Some(entry) = find(root, "output_layout") {
            if let Some(value) = self.choice(entry, OUTPUT_LAYOUTS) {
                config.output_layout = value;
            }
        }
        if let Some(entry) = find(root, "renderer") {
            if let Some(value) = self.choice(entry, RENDERERS) {
                config.renderer = value;
            }
        }
        if let Some(entry) = find(root, "switch_notice") {
            if let Some(value) = self.boolean(entry) {
                config.switch_notice = value;
            }
        }
        if let Some(entry) = find(root, "headless") {
            self.headless(entry, &mut config.headless);
        }
        if let Some(entry) = find(root, "outputs") {
            config.outputs = self.outputs(entry);
        }
        if let Some(table) = find(root, "idle").and_then(|entry| self.table(entry)) {
            self.check_keys(table, IDLE_KEYS, "in [idle]");
            for key in IDLE_KEYS {
                let Some(entry) = find(table, key) else {
                    continue;
                };
                const MAX_SECS: f64 = 86_400.0;
                let Some(secs) = self.number(entry, "a number of seconds") else {
                    continue;
                };
                if !(secs > 0.0 && secs <= MAX_SECS) {
                    self.error(
                        value_pos(entry),
                        format!("{key} {secs} is out of range: it must be more than 0 and at most {MAX_SECS} seconds"),
                    );
                    continue;
                }
                let after = Some(std::time::Duration::from_secs_f64(secs));
                match *key {
                    "dim_after" => config.idle.dim_after = after,
                    "off_after" => config.idle.off_after = after,
                    _ => config.idle.lock_after = after,
                }
            }
        }
        if let Some(entry) = find(root, "lock") {
            config.lock = self.command(entry);
        }
        if let Some(entry) = find(root, "lock_keyboard") {
            config.lock_keyboard = self.command(entry);
        }
        if let Some(entry) = find(root, "helpers") {
            config.helpers = self.commands(entry);
        }
        if config.idle.lock_after.is_some() && config.lock.is_none() {
            let at = find(root, "idle")
                .and_then(|idle| self.table(idle))
                .and_then(|table| find(table, "lock_after"))
                .map_or(0, value_pos);
            self.error(
                at,
                "[idle] lock_after needs `lock`, the lock screen to run".to_string(),
            );
        }
        if let Some(entry) = find(root, "input") {
            if let Some(table) = self.table(entry) {
                self.check_keys(table, INPUT_KEYS, "in [input]");
                if let Some(layout) = find(table, "binding_layout") {
                    if let Some(name) = self.string(layout) {
                        let name = name.to_string();
                        let keymap = KeymapConfig {
                            layout: name.clone(),
                            ..KeymapConfig::default()
                        };
                        if !keymap_compiles(&keymap) {
                            let at = layout.node.span.as_ref().map_or(0, |s| s.start);
                            self.error(
                                at,
                                format!("binding layout `{name}` does not compile with xkb"),
                            );
                        }
                        config.input.binding_layout = name;
                    }
                }
                for (key, max) in [
                    ("repeat_rate", 1000),
                    ("repeat_delay", 10_000),
                    ("long_press_ms", 10_000),
                    ("hide_cursor_after_ms", 3_600_000),
                ] {
                    let Some(entry) = find(table, key) else {
                        continue;
                    };
                    match entry.node.value {
                        Value::Integer(n) if (0..=max).contains(&n) => match key {
                            "repeat_rate" => config.input.repeat_rate = n as i32,
                            "repeat_delay" => config.input.repeat_delay = n as i32,
                            "long_press_ms" => config.input.long_press_ms = n as u32,
                            _ => config.input.hide_cursor_after_ms = n as u32,
                        },
                        Value::Integer(n) => self.error(
                            entry.node.span.as_ref().map_or(0, |s| s.start),
                            format!("{key} {n} is out of range: it must be between 0 and {max}"),
                        ),
                        _ => self.type_error(entry, "an integer"),
                    }
                }
                if let Some(entry) = find(table, "hide_cursor_on_touch") {
                    if let Some(value) = self.boolean(entry) {
                        config.input.hide_cursor_on_touch = value;
                    }
                }
                if let Some(entry) = find(table, "touchpad") {
                    config.input.touchpad = self.device_settings(entry, "[input.touchpad]");
                }
                if let Some(entry) = find(table, "mouse") {
                    config.input.mouse = self.device_settings(entry, "[input.mouse]");
                }
                if let Some(entry) = find(table, "touchscreen") {
                    if let Some(touch) = self.table(entry) {
                        self.check_keys(touch, &["map_to_output"], "in [input.touchscreen]");
                        if let Some(name) =
                            find(touch, "map_to_output").and_then(|e| self.string(e))
                        {
                            config.input.touchscreen_output = Some(name.to_string());
                        }
                    }
                }
            }
        }
        // Every name written for a persona, valid or not, so that a bad name is
        // reported once (where it is defined) and not again by each `switch`.
        let mut names = Vec::new();
        match find(root, "persona") {
            Some(entry) => config.personas = self.personas(entry, &mut names),
            None => self.error(
                0,
                "no persona defined: add at least one [[persona]] table with a `name`",
            ),
        }
        config.bindings = match find(root, "keys") {
            Some(entry) => self.bindings(entry, &names),
            None => default_bindings(&config.personas),
        };
        if let Some(entry) = find(root, "gestures") {
            config.gestures = self.gestures(entry, &names);
        }
        config
    }

    fn gestures(&mut self, entry: &Entry, personas: &[String]) -> GestureConfig {
        let mut gestures = GestureConfig::default();
        let Some(table) = self.table(entry) else {
            return gestures;
        };
        self.check_keys(table, GESTURE_KEYS, "in [gestures]");
        for (key, max) in [("edge_size", 500), ("distance", 5000), ("time_ms", 10_000)] {
            let Some(setting) = find(table, key) else {
                continue;
            };
            match setting.node.value {
                Value::Integer(n) if (1..=max).contains(&n) => match key {
                    "edge_size" => gestures.edge_size = n as f64,
                    "distance" => gestures.distance = n as f64,
                    _ => gestures.time_ms = n as u32,
                },
                Value::Integer(n) => self.error(
                    value_pos(setting),
                    format!("{key} {n} is out of range: it must be between 1 and {max}"),
                ),
                _ => self.type_error(setting, "an integer"),
            }
        }
        if let Some(bind) = find(table, "bind") {
            if let Some(bind_table) = self.table(bind) {
                gestures.bindings.clear();
                for binding in bind_table {
                    let action = self.action(binding, personas);
                    match Gesture::parse(&binding.key) {
                        Some(gesture) => {
                            if gestures.bindings.iter().any(|(g, _)| *g == gesture) {
                                self.error(
                                    key_pos(binding),
                                    format!("duplicate gesture `{}`", binding.key),
                                );
                            } else if let Some(action) = action {
                                gestures.bindings.push((gesture, action));
                            }
                        }
                        None => self.error(
                            key_pos(binding),
                            format!(
                                "unknown gesture `{}`: expected edge-left|right|top|bottom \
                                 or swipe-N-left|right|up|down with N from 2 to 5",
                                binding.key
                            ),
                        ),
                    }
                }
            }
        }
        gestures
    }

    fn headless(&mut self, entry: &Entry, headless: &mut HeadlessConfig) {
        let Some(table) = self.table(entry) else {
            return;
        };
        self.check_keys(table, HEADLESS_KEYS, "in [headless]");
        if let Some(size) = find(table, "size") {
            if let Some(text) = self.string(size) {
                if let Some(size) = self.size(text, value_pos(size)) {
                    headless.size = size;
                }
            }
        }
        if let Some(extra) = find(table, "extra_outputs") {
            if let Some(list) = self.string_list(extra) {
                headless.extra_outputs = list
                    .iter()
                    .filter_map(|text| self.size(text, value_pos(extra)))
                    .collect();
            }
        }
    }

    /// A `"WIDTHxHEIGHT"` string.
    fn size(&mut self, text: &str, at: usize) -> Option<(u32, u32)> {
        match parse_size(text) {
            Ok(size) => Some(size),
            Err(why) => {
                self.error(
                    at,
                    format!("invalid size `{text}`: {why}, e.g. \"1280x800\""),
                );
                None
            }
        }
    }

    fn outputs(&mut self, entry: &Entry) -> BTreeMap<String, OutputConfig> {
        let mut outputs = BTreeMap::new();
        let Some(table) = self.table(entry) else {
            return outputs;
        };
        for output in table {
            if output.key.is_empty() {
                self.error(key_pos(output), "an output's connector name is empty");
                continue;
            }
            let Some(settings) = self.table(output) else {
                continue;
            };
            let place = format!("in [outputs.{:?}]", output.key);
            self.check_keys(settings, OUTPUT_KEYS, &place);
            let mut config = OutputConfig {
                mode: None,
                scale: None,
                transform: None,
                position: None,
            };
            if let Some(mode) = find(settings, "mode") {
                if let Some(text) = self.string(mode) {
                    match parse_mode(text) {
                        Ok(value) => config.mode = Some(value),
                        Err(why) => self.error(
                            value_pos(mode),
                            format!("invalid mode `{text}`: {why}, e.g. \"2560x1600@60\""),
                        ),
                    }
                }
            }
            if let Some(scale) = find(settings, "scale") {
                if let Some(value) = self.number(scale, "a number") {
                    if (MIN_SCALE..=MAX_SCALE).contains(&value) {
                        config.scale = Some(value);
                    } else {
                        self.error(
                            value_pos(scale),
                            format!(
                                "scale {value} is out of range: it must be between \
                                 {MIN_SCALE} and {MAX_SCALE}"
                            ),
                        );
                    }
                }
            }
            if let Some(transform) = find(settings, "transform") {
                config.transform = match transform.node.value {
                    // `transform = 90` is accepted as well as `transform = "90"`.
                    Value::Integer(degrees) => match degrees {
                        0 => Some(Transform::Normal),
                        90 => Some(Transform::_90),
                        180 => Some(Transform::_180),
                        270 => Some(Transform::_270),
                        _ => {
                            self.error(
                                value_pos(transform),
                                format!(
                                    "invalid value `{degrees}` for `transform`: expected {}",
                                    one_of(TRANSFORMS.iter().map(|(name, _)| *name))
                                ),
                            );
                            None
                        }
                    },
                    _ => self.choice(transform, TRANSFORMS),
                };
            }
            if let Some(position) = find(settings, "position") {
                if let Some(text) = self.string(position) {
                    match parse_position(text) {
                        Some(value) => config.position = Some(value),
                        None => self.error(
                            value_pos(position),
                            format!("invalid position `{text}`: expected \"X,Y\", e.g. \"0,0\""),
                        ),
                    }
                }
            }
            outputs.insert(output.key.clone(), config);
        }
        outputs
    }

    fn personas(&mut self, entry: &Entry, names: &mut Vec<String>) -> Vec<PersonaConfig> {
        let Value::Array(items) = &entry.node.value else {
            self.error(
                value_pos(entry),
                format!(
                    "`persona` must be an array of tables (write [[persona]]), found {}",
                    entry.node.value.type_name()
                ),
            );
            return Vec::new();
        };
        if items.is_empty() {
            self.error(
                value_pos(entry),
                "no persona defined: add at least one [[persona]] table with a `name`",
            );
        }
        let mut personas = Vec::new();
        // Name and the byte offset where it was first defined.
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let at = node_pos(item, value_pos(entry));
            let Value::Table(table) = &item.value else {
                self.error(
                    at,
                    format!(
                        "each `persona` must be a table (write [[persona]]), found {}",
                        item.value.type_name()
                    ),
                );
                continue;
            };
            if let Some(persona) = self.persona(index, at, table, names, &mut seen) {
                personas.push(persona);
            }
        }
        personas
    }

    fn persona(
        &mut self,
        index: usize,
        at: usize,
        table: &[Entry],
        names: &mut Vec<String>,
        seen: &mut Vec<(String, usize)>,
    ) -> Option<PersonaConfig> {
        self.check_keys(table, PERSONA_KEYS, "in [[persona]]");
        let errors_before = self.errors.len();

        let name = match find(table, "name") {
            None => {
                self.error(at, "persona without a `name`");
                None
            }
            Some(entry) => self.string(entry).and_then(|name| {
                names.push(name.to_string());
                let pos = value_pos(entry);
                if let Some((_, first)) = seen.iter().find(|(seen, _)| seen == name) {
                    let line = self.line_of(*first);
                    self.error(
                        pos,
                        format!("duplicate persona `{name}` (first defined at line {line})"),
                    );
                    return None;
                }
                seen.push((name.to_string(), pos));
                match check_persona_name(name) {
                    Ok(()) => Some(name.to_string()),
                    Err(why) => {
                        self.error(pos, format!("invalid persona name `{name}`: {why}"));
                        None
                    }
                }
            }),
        };

        let color = match find(table, "color") {
            None => Some(PALETTE[index % PALETTE.len()]),
            Some(entry) => self.string(entry).and_then(|text| match parse_color(text) {
                Some(color) => Some(color),
                None => {
                    self.error(
                        value_pos(entry),
                        format!("invalid color `{text}`: expected \"#rrggbb\" or \"#rrggbbaa\""),
                    );
                    None
                }
            }),
        };

        let session = find(table, "session").and_then(|entry| self.command(entry));
        let env = find(table, "env").map_or_else(BTreeMap::new, |entry| self.env(entry));
        let keymap =
            find(table, "keymap").map_or_else(KeymapConfig::default, |entry| self.keymap(entry));
        let background_frames = find(table, "background_frames")
            .and_then(|entry| self.choice(entry, BACKGROUND_FRAMES));

        let mut extra = PersonaExtra::default();
        let optional_string = |cx: &mut Self, key| {
            find(table, key)
                .and_then(|entry| cx.string(entry))
                .map(str::to_string)
        };
        extra.isolation = find(table, "isolation")
            .and_then(|entry| self.choice(entry, ISOLATION_MODES))
            .map(str::to_string);
        extra.network = find(table, "network")
            .and_then(|entry| self.choice(entry, NETWORK_MODES))
            .map(str::to_string);
        extra.home = optional_string(self, "home");
        if let (Some(entry), Some(home)) = (find(table, "home"), &extra.home) {
            if !(home.starts_with('/') || home.starts_with("~/")) {
                self.error(
                    value_pos(entry),
                    format!("`home` must be an absolute path or start with `~/`, not `{home}`"),
                );
            }
        }
        extra.restart = find(table, "restart")
            .and_then(|entry| self.choice(entry, RESTART_POLICIES))
            .map(str::to_string);
        for key in ["restart_delay_ms", "restart_max_delay_ms"] {
            let Some(entry) = find(table, key) else {
                continue;
            };
            const MAX_MS: i64 = 3_600_000;
            let ms = match entry.node.value {
                Value::Integer(n) if (1..=MAX_MS).contains(&n) => n as u32,
                Value::Integer(n) => {
                    self.error(
                        value_pos(entry),
                        format!("{key} {n} is out of range: it must be between 1 and {MAX_MS}"),
                    );
                    continue;
                }
                _ => {
                    self.type_error(entry, "an integer (milliseconds)");
                    continue;
                }
            };
            if key == "restart_delay_ms" {
                extra.restart_delay_ms = Some(ms);
            } else {
                extra.restart_max_delay_ms = Some(ms);
            }
        }
        if let (Some(first), Some(max), Some(entry)) = (
            extra.restart_delay_ms,
            extra.restart_max_delay_ms,
            find(table, "restart_max_delay_ms"),
        ) {
            if max < first {
                self.error(
                    value_pos(entry),
                    format!("restart_max_delay_ms {max} is below restart_delay_ms {first}"),
                );
            }
        }
        let list = |cx: &mut Self, key| {
            find(table, key)
                .and_then(|entry| cx.string_list(entry))
                .unwrap_or_default()
        };
        extra.devices = list(self, "devices");
        if let Some(entry) = find(table, "devices") {
            for pattern in &extra.devices {
                if let Err(err) = crate::session::sandbox::check_device_pattern(pattern) {
                    self.error(value_pos(entry), err);
                }
            }
        }
        extra.share = list(self, "share");
        if let Some(entry) = find(table, "share") {
            for name in &extra.share {
                if let Err(err) = crate::session::sandbox::check_share(name) {
                    self.error(value_pos(entry), err);
                }
            }
        }
        extra.privileged = list(self, "privileged");
        if let Some(entry) = find(table, "privileged") {
            for name in &extra.privileged {
                if !PRIVILEGED.contains(&name.as_str()) {
                    self.error(
                        value_pos(entry),
                        format!(
                            "unknown privileged protocol `{name}`: expected {}",
                            PRIVILEGED.join(", ")
                        ),
                    );
                }
            }
        }
        if let Some(entry) = find(table, "allow_activation") {
            extra.allow_activation = self.boolean(entry).unwrap_or(false);
        }
        if let Some(entry) = find(table, "fullscreen_over_frame") {
            extra.fullscreen_over_frame = self.boolean(entry).unwrap_or(false);
        }
        extra.xwayland = find(table, "xwayland").and_then(|entry| self.boolean(entry));
        extra.transfer = find(table, "transfer")
            .and_then(|entry| self.choice(entry, TRANSFER_POLICIES))
            .map(str::to_string);

        if self.errors.len() != errors_before {
            return None;
        }
        Some(PersonaConfig {
            name: name?,
            color: color?,
            session,
            env,
            keymap,
            background_frames,
            extra,
        })
    }

    fn env(&mut self, entry: &Entry) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        let Some(table) = self.table(entry) else {
            return env;
        };
        for var in table {
            let at = key_pos(var);
            if var.key.is_empty() {
                self.error(at, "an environment variable's name is empty");
                continue;
            }
            if var.key.contains('=') {
                self.error(
                    at,
                    format!(
                        "invalid environment variable name `{}`: it must not contain `=`",
                        var.key
                    ),
                );
                continue;
            }
            if var.key.contains('\0') {
                self.error(at, "an environment variable's name must not contain NUL");
                continue;
            }
            let Some(value) = self.string(var) else {
                continue;
            };
            let what = format!("the value of `{}`", var.key);
            if let Some(value) = self.c_string(value, value_pos(var), &what) {
                env.insert(var.key.clone(), value);
            }
        }
        env
    }

    fn keymap(&mut self, entry: &Entry) -> KeymapConfig {
        let mut keymap = KeymapConfig::default();
        let Some(table) = self.table(entry) else {
            return keymap;
        };
        self.check_keys(table, KEYMAP_KEYS, "in `keymap`");
        for field in table {
            let Some(value) = self.string(field).map(str::to_string) else {
                continue;
            };
            match field.key.as_str() {
                "rules" => keymap.rules = value,
                "model" => keymap.model = value,
                "layout" => keymap.layout = value,
                "variant" => keymap.variant = value,
                "options" => keymap.options = Some(value),
                _ => {} // already reported by check_keys
            }
        }
        if !keymap_compiles(&keymap) {
            let at = entry
                .node
                .span
                .as_ref()
                .or(entry.key_span.as_ref())
                .map_or(0, |s| s.start);
            self.error(
                at,
                format!(
                    "this keymap does not compile with xkb (layout `{}`, variant `{}`, options `{}`)",
                    keymap.layout,
                    keymap.variant,
                    keymap.options.as_deref().unwrap_or("")
                ),
            );
        }
        keymap
    }

    fn bindings(&mut self, entry: &Entry, personas: &[String]) -> Vec<Binding> {
        let mut bindings = Vec::new();
        let Some(table) = self.table(entry) else {
            return bindings;
        };
        // Combo, as written, and the byte offset of its key.
        let mut seen: Vec<(KeyCombo, &str, usize)> = Vec::new();
        for binding in table {
            let combo = match parse_combo(&binding.key) {
                Ok(combo) => Some(combo),
                Err(why) => {
                    self.error(key_pos(binding), why);
                    None
                }
            };
            let action = self.action(binding, personas);
            let Some(combo) = combo else {
                continue;
            };
            if let Some((_, first, first_at)) = seen.iter().find(|(c, _, _)| *c == combo) {
                let line = self.line_of(*first_at);
                self.error(
                    key_pos(binding),
                    format!(
                        "duplicate key binding `{}`: same keys as `{first}` (line {line})",
                        binding.key
                    ),
                );
                continue;
            }
            seen.push((combo, &binding.key, key_pos(binding)));
            if combo.mods == Mods::default() {
                tracing::warn!(
                    combo = %binding.key,
                    "key binding without modifiers: that key will never reach a client"
                );
            }
            if let Some(action) = action {
                bindings.push(Binding { combo, action });
            }
        }
        bindings
    }

    fn action(&mut self, entry: &Entry, personas: &[String]) -> Option<Action> {
        let at = value_pos(entry);
        match &entry.node.value {
            Value::String(name) => {
                if let Some((_, action)) = SIMPLE_ACTIONS.iter().find(|(n, _)| n == name) {
                    return Some(action.clone());
                }
                if name == "switch" {
                    self.error(at, "`switch` needs a persona: write { switch = \"NAME\" }");
                } else if name == "spawn" {
                    self.error(
                        at,
                        "`spawn` needs a command: write { spawn = [\"PROGRAM\", \"ARG\"] }",
                    );
                } else {
                    self.unknown_action(at, name);
                }
                None
            }
            Value::Table(table) => {
                let Some(first) = table.first() else {
                    self.error(
                        at,
                        "empty action: expected { switch = \"NAME\" } or { spawn = [...] }",
                    );
                    return None;
                };
                if let Some(second) = table.get(1) {
                    self.error(
                        key_pos(second),
                        "an action table takes exactly one key, `switch` or `spawn`",
                    );
                    return None;
                }
                match first.key.as_str() {
                    "switch" => {
                        let name = self.string(first)?;
                        if personas.iter().any(|p| p == name) {
                            Some(Action::Switch(name.to_string()))
                        } else {
                            let defined = one_of(personas.iter().map(String::as_str));
                            let hint = suggestion(name, personas.iter().map(String::as_str));
                            let known = if defined.is_empty() {
                                String::new()
                            } else {
                                format!("; defined personas: {defined}")
                            };
                            self.error(
                                value_pos(first),
                                format!("no persona named `{name}`{hint}{known}"),
                            );
                            None
                        }
                    }
                    "spawn" => self.command(first).map(Action::Spawn),
                    other => {
                        self.unknown_action(key_pos(first), other);
                        None
                    }
                }
            }
            other => {
                self.error(
                    at,
                    format!(
                        "an action must be a string or a table such as {{ switch = \"NAME\" }}, \
                         found {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    fn unknown_action(&mut self, at: usize, name: &str) {
        let names = || {
            SIMPLE_ACTIONS
                .iter()
                .map(|(n, _)| *n)
                .chain(TABLE_ACTIONS.iter().copied())
        };
        let hint = suggestion(name, names());
        let simple: Vec<&str> = SIMPLE_ACTIONS.iter().map(|(n, _)| *n).collect();
        self.error(
            at,
            format!(
                "unknown action `{name}`{hint}: expected one of {}, \
                 {{ switch = \"NAME\" }} or {{ spawn = [\"PROGRAM\", ...] }}",
                simple.join(", ")
            ),
        );
    }
}

/// Checks that a persona name can be a directory name and a CLI argument.
pub(super) fn check_persona_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".to_string());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "`{bad}` is not allowed: use only letters A-Z a-z, digits, `_` and `-`"
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "it is {} characters long, at most {MAX_NAME_LEN} are allowed",
            name.len()
        ));
    }
    if name.starts_with('-') {
        return Err("it must not start with `-`".to_string());
    }
    Ok(())
}

/// `#rrggbb` or `#rrggbbaa`.
pub(super) fn parse_color(text: &str) -> Option<Color> {
    let hex = text.strip_prefix('#')?;
    if !(hex.len() == 6 || hex.len() == 8) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some(Color {
        r: byte(0)?,
        g: byte(2)?,
        b: byte(4)?,
        a: if hex.len() == 8 { byte(6)? } else { 0xff },
    })
}

fn parse_dimension(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `WIDTHxHEIGHT`, each in 1..=16384.
pub(super) fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once('x')
        .ok_or_else(|| "expected WIDTHxHEIGHT".to_string())?;
    let (Some(w), Some(h)) = (parse_dimension(w), parse_dimension(h)) else {
        return Err("expected WIDTHxHEIGHT with whole numbers".to_string());
    };
    if !(1..=MAX_DIMENSION).contains(&w) || !(1..=MAX_DIMENSION).contains(&h) {
        return Err(format!(
            "width and height must be between 1 and {MAX_DIMENSION}"
        ));
    }
    Ok((w, h))
}

/// `WIDTHxHEIGHT` or `WIDTHxHEIGHT@REFRESH`, the refresh in Hz, maybe fractional.
pub(super) fn parse_mode(text: &str) -> Result<Mode, String> {
    let (size, refresh) = match text.split_once('@') {
        Some((size, refresh)) => (size, Some(refresh)),
        None => (text, None),
    };
    let (width, height) = parse_size(size)?;
    let refresh_mhz = match refresh {
        None => None,
        Some(refresh) => {
            let digits_ok = {
                let (int, frac) = refresh.split_once('.').unwrap_or((refresh, "0"));
                !int.is_empty()
                    && !frac.is_empty()
                    && int.bytes().all(|b| b.is_ascii_digit())
                    && frac.bytes().all(|b| b.is_ascii_digit())
            };
            let hz: f64 = refresh
                .parse()
                .ok()
                .filter(|_| digits_ok)
                .ok_or_else(|| format!("refresh rate `{refresh}` is not a number"))?;
            if !(hz > 0.0 && hz <= MAX_REFRESH_HZ) {
                return Err(format!(
                    "refresh rate must be above 0 and at most {MAX_REFRESH_HZ} Hz"
                ));
            }
            Some((hz * 1000.0).round() as u32)
        }
    };
    Ok(Mode {
        width,
        height,
        refresh_mhz,
    })
}

/// `X,Y` (spaces around the numbers are allowed).
pub(super) fn parse_position(text: &str) -> Option<(i32, i32)> {
    let (x, y) = text.split_once(',')?;
    Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
}

const MODIFIER_HELP: &str =
    "Super (or Logo, Mod4, Win), Ctrl (or Control), Alt (or Mod1), Shift, Long (held)";

/// Which modifier a name means, case-insensitively.
fn modifier(name: &str) -> Option<fn(&mut Mods) -> &mut bool> {
    match name.to_ascii_lowercase().as_str() {
        "super" | "logo" | "mod4" | "win" => Some(|m| &mut m.logo),
        "ctrl" | "control" => Some(|m| &mut m.ctrl),
        "alt" | "mod1" => Some(|m| &mut m.alt),
        "shift" => Some(|m| &mut m.shift),
        "long" => Some(|m| &mut m.long),
        _ => None,
    }
}

/// `Super+Ctrl+Right`: modifiers, then one keysym name. Letters come out lower case.
pub(super) fn parse_combo(text: &str) -> Result<KeyCombo, String> {
    if text.trim().is_empty() {
        return Err("empty key combo".to_string());
    }
    // The key itself may be `+` ("Ctrl++").
    let (mods_text, key) = if text == "+" {
        (None, "+")
    } else if let Some(mods) = text.strip_suffix("++") {
        (Some(mods), "+")
    } else {
        match text.rsplit_once('+') {
            Some((mods, key)) => (Some(mods), key.trim()),
            None => (None, text.trim()),
        }
    };
    let mut mods = Mods::default();
    for part in mods_text.into_iter().flat_map(|m| m.split('+')) {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("empty modifier in key combo `{text}`"));
        }
        let Some(flag) = modifier(part) else {
            return Err(format!(
                "unknown modifier `{part}` in key combo `{text}`: expected {MODIFIER_HELP}"
            ));
        };
        let flag = flag(&mut mods);
        if *flag {
            return Err(format!("modifier `{part}` repeated in key combo `{text}`"));
        }
        *flag = true;
    }
    if key.is_empty() {
        return Err(format!("key combo `{text}` has no key"));
    }
    if modifier(key).is_some() {
        return Err(format!(
            "key combo `{text}` has no key, only modifiers (bind a key such as `Super_L` instead)"
        ));
    }
    let keysym = keysym_from_name(key)
        .ok_or_else(|| format!("unknown key `{key}` in key combo `{text}`"))?;
    Ok(KeyCombo { mods, keysym })
}

/// Resolves a keysym name (exact, then case-insensitive, then a single
/// character), lower-casing letters.
pub(super) fn keysym_from_name(name: &str) -> Option<u32> {
    let mut keysym = xkb::keysym_from_name(name, xkb::KEYSYM_NO_FLAGS);
    if keysym.raw() == xkb::keysyms::KEY_NoSymbol {
        keysym = xkb::keysym_from_name(name, xkb::KEYSYM_CASE_INSENSITIVE);
    }
    if keysym.raw() == xkb::keysyms::KEY_NoSymbol {
        let mut chars = name.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            keysym = xkb::utf32_to_keysym(u32::from(c));
        }
    }
    if keysym.raw() == xkb::keysyms::KEY_NoSymbol {
        return None;
    }
    Some(to_lower(keysym).raw())
}

/// The lower-case keysym of a letter; any other keysym unchanged.
fn to_lower(keysym: xkb::Keysym) -> xkb::Keysym {
    let Some(c) = char::from_u32(xkb::keysym_to_utf32(keysym)) else {
        return keysym;
    };
    if !c.is_uppercase() {
        return keysym;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => {
            let lowered = xkb::utf32_to_keysym(u32::from(l));
            if lowered.raw() == xkb::keysyms::KEY_NoSymbol {
                keysym
            } else {
                lowered
            }
        }
        _ => keysym,
    }
}

/// Whether xkb can compile this keymap (an unknown layout or variant cannot).
pub(crate) fn keymap_compiles(keymap: &KeymapConfig) -> bool {
    use smithay::input::keyboard::xkb;
    let mut context = xkb::Context::new(xkb::CONTEXT_NO_FLAGS);
    // The error is reported with its position; xkb's own log would only repeat it.
    context.set_log_level(xkb::LogLevel::Critical);
    xkb::Keymap::new_from_names(
        &context,
        &keymap.rules,
        &keymap.model,
        &keymap.layout,
        &keymap.variant,
        keymap.options.clone(),
        xkb::KEYMAP_COMPILE_NO_FLAGS,
    )
    .is_some()
}
