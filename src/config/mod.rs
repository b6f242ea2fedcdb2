//! The configuration file: its types, parsing with positioned errors, and lookup.
//!
//! The file is TOML (see `assets/default-config.toml`, which documents every key).
//! [`Config::parse`] reads and checks a whole file and reports every problem it
//! finds, each as `file:line:col: message`, instead of stopping at the first one.
//! [`locate`] finds the file to use and [`load`] reads it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use smithay::input::keyboard::xkb;

mod parse;
mod raw;
#[cfg(test)]
mod tests;

/// The default configuration, embedded in the binary and used when no file is found.
pub const DEFAULT_CONFIG: &str = include_str!("../../assets/default-config.toml");

/// The file name used in error messages about [`DEFAULT_CONFIG`].
pub const EMBEDDED_NAME: &str = "<embedded default config>";

/// The whole configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// How background personas' frame callbacks are paced, unless a persona says otherwise.
    pub background_frames: BackgroundFrames,
    /// How the active persona is shown on screen.
    pub indicator: Indicator,
    /// The animation played on a switch.
    pub transition: Transition,
    /// What the tty backend draws with.
    pub renderer: RendererChoice,
    /// How several physical outputs are arranged.
    pub output_layout: OutputLayout,
    /// Show the persona's name for a moment on every switch (default true).
    pub switch_notice: bool,
    /// The headless backend's virtual output.
    pub headless: HeadlessConfig,
    /// Per physical output settings, by connector name (`eDP-1`, `HDMI-A-1`, ...).
    pub outputs: BTreeMap<String, OutputConfig>,
    /// Input settings.
    pub input: InputConfig,
    /// Key bindings, from `[keys]` in file order (the defaults when `[keys]` is absent).
    pub bindings: Vec<Binding>,
    /// Touchscreen gestures, from `[gestures]`.
    pub gestures: GestureConfig,
    /// What the compositor does when the user is idle, from `[idle]`.
    pub idle: IdleConfig,
    /// The lock screen (an ext-session-lock client such as swaylock), run on
    /// the system display by the `lock` action and `[idle] lock_after`.
    pub lock: Option<Vec<String>>,
    /// An on-screen keyboard run beside the lock screen, so a touch-only
    /// tablet can type its password.
    pub lock_keyboard: Option<Vec<String>>,
    /// Clients of the system display started with the compositor (a persona
    /// bar or switcher speaking personas-control-v1), restarted if they exit.
    pub helpers: Vec<Vec<String>>,
    /// The personas, from `[[persona]]` in file order; never empty.
    pub personas: Vec<PersonaConfig>,
}

/// `[idle]`: after how long without input the output dims and turns off
/// (`None`: never). An idle inhibitor of the persona on screen (a video
/// player) holds both back.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IdleConfig {
    pub dim_after: Option<std::time::Duration>,
    pub off_after: Option<std::time::Duration>,
    /// Lock the session (run `lock`) after this long.
    pub lock_after: Option<std::time::Duration>,
}

/// How background personas' frame callbacks are paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackgroundFrames {
    /// Frame callbacks keep coming, at most about once a second.
    Throttled,
    /// No frame callbacks until the persona is active again.
    Paused,
}

/// How the active persona is shown on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    /// A thin border in the persona's color (reserves its width around the windows).
    Frame,
    /// A small badge in the persona's color.
    Badge,
    /// Nothing.
    None,
}

/// The animation played on a switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    None,
    Crossfade,
    Slide,
}

/// What the tty backend draws with: `auto` takes GLES on a GPU (not on a
/// software rasterizer, where pixman is quicker) and pixman otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RendererChoice {
    Auto,
    Gles,
    Pixman,
}

/// Several outputs: side by side (left to right in the order found, the
/// built-in panel first, unless `[outputs."NAME"] position` says), or all
/// showing the first one's picture, scaled to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLayout {
    SideBySide,
    Mirror,
}

/// The headless backend's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadlessConfig {
    /// Width and height of the virtual output, in pixels.
    pub size: (u32, u32),
    /// More outputs (HEADLESS-2, HEADLESS-3, …), by size.
    pub extra_outputs: Vec<(u32, u32)>,
}

/// Settings of one physical output. `None` leaves the backend's choice.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputConfig {
    pub mode: Option<Mode>,
    pub scale: Option<f64>,
    pub transform: Option<Transform>,
    /// Position of the output's top left corner in the global space.
    pub position: Option<(i32, i32)>,
}

/// A video mode, written `2560x1600` or `2560x1600@60` (the refresh may be fractional).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    pub width: u32,
    pub height: u32,
    /// Refresh rate in millihertz (`59.94` is 59940).
    pub refresh_mhz: Option<u32>,
}

/// An output transform, written `normal`, `90`, `180`, `270`, `flipped`,
/// `flipped-90`, `flipped-180` or `flipped-270`. Same variants as smithay's.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    Normal,
    _90,
    _180,
    _270,
    Flipped,
    Flipped90,
    Flipped180,
    Flipped270,
}

impl Transform {
    /// The transform written `name` (`normal`, `90`, …, `flipped-270`).
    pub fn from_name(name: &str) -> Option<Transform> {
        parse::TRANSFORMS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    /// Every name [`Transform::from_name`] knows.
    pub fn names() -> impl Iterator<Item = &'static str> {
        parse::TRANSFORMS.iter().map(|(n, _)| *n)
    }

    /// How the config writes smithay's `transform`.
    pub fn name_of(transform: smithay::utils::Transform) -> &'static str {
        parse::TRANSFORMS
            .iter()
            .find(|(_, t)| smithay::utils::Transform::from(*t) == transform)
            .map_or("normal", |(n, _)| *n)
    }
}

impl From<Transform> for smithay::utils::Transform {
    fn from(t: Transform) -> Self {
        use smithay::utils::Transform as S;
        match t {
            Transform::Normal => S::Normal,
            Transform::_90 => S::_90,
            Transform::_180 => S::_180,
            Transform::_270 => S::_270,
            Transform::Flipped => S::Flipped,
            Transform::Flipped90 => S::Flipped90,
            Transform::Flipped180 => S::Flipped180,
            Transform::Flipped270 => S::Flipped270,
        }
    }
}

/// Input settings.
#[derive(Debug, Clone, PartialEq)]
pub struct InputConfig {
    /// The xkb layout on which key bindings are matched, whatever the active
    /// persona's own keymap is.
    pub binding_layout: String,
    /// Key repeat rate (keys per second, 0 disables) and delay (ms), told to
    /// every persona's clients.
    pub repeat_rate: i32,
    pub repeat_delay: i32,
    /// How long a key is held before its `Long+` binding runs (ms).
    pub long_press_ms: u32,
    /// The pointer is hidden after this long without pointer input (ms;
    /// 0: never) and, with `hide_cursor_on_touch`, when the screen is
    /// touched; the next pointer input shows it again.
    pub hide_cursor_after_ms: u32,
    pub hide_cursor_on_touch: bool,
    /// libinput settings of touchpads (`[input.touchpad]`) and of mice and
    /// other pointers (`[input.mouse]`); unset ones keep libinput's default.
    pub touchpad: DeviceSettings,
    pub mouse: DeviceSettings,
    /// `[input.touchscreen] map_to_output`: the output touchscreens belong
    /// to; their touches are dropped while that output is not the one shown.
    pub touchscreen_output: Option<String>,
}

/// Per device class libinput settings (tty backend).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DeviceSettings {
    pub tap: Option<bool>,
    pub natural_scroll: Option<bool>,
    pub disable_while_typing: Option<bool>,
    pub left_handed: Option<bool>,
    pub accel_profile: Option<AccelProfile>,
    /// -1.0 (slowest) to 1.0 (fastest).
    pub accel_speed: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccelProfile {
    Flat,
    Adaptive,
}

/// One key binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub combo: KeyCombo,
    pub action: Action,
}

/// Modifiers plus one keysym, such as `Super+Ctrl+Right`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyCombo {
    pub mods: Mods,
    /// The raw keysym; letters are lower case (`Super+A` and `Super+a` are the same combo).
    pub keysym: u32,
}

impl fmt::Display for KeyCombo {
    /// Writes the combo the way the config file does, e.g. `Super+Ctrl+Right`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.mods.long, "Long"),
            (self.mods.logo, "Super"),
            (self.mods.ctrl, "Ctrl"),
            (self.mods.alt, "Alt"),
            (self.mods.shift, "Shift"),
        ];
        for (_, name) in names.iter().filter(|(on, _)| *on) {
            write!(f, "{name}+")?;
        }
        let name = xkb::keysym_get_name(xkb::Keysym::new(self.keysym));
        if name.is_empty() {
            write!(f, "{:#x}", self.keysym)
        } else {
            f.write_str(&name)
        }
    }
}

/// Modifier state of a key combo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mods {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
    /// Super / Logo / Mod4 / Win.
    pub logo: bool,
    /// `Long+`: the key held for `[input] long_press_ms` (not a real modifier).
    pub long: bool,
}

/// What a binding (or a gesture) does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Next,
    Prev,
    /// Makes the named persona active.
    Switch(String),
    Overview,
    FocusNextWindow,
    FocusPrevWindow,
    CloseWindow,
    /// Moves the focused window to the next physical output.
    MoveWindowToNextOutput,
    TransferCopy,
    TransferPaste,
    Lock,
    /// Runs a command outside every persona (argv).
    Spawn(Vec<String>),
    Reload,
}

/// Touchscreen gestures: their thresholds and what they do.
#[derive(Debug, Clone, PartialEq)]
pub struct GestureConfig {
    /// How close to an edge (px) an edge swipe must start.
    pub edge_size: f64,
    /// How far (px) a swipe must travel to count.
    pub distance: f64,
    /// Within how long (ms) from the first finger down.
    pub time_ms: u32,
    /// From `[gestures.bind]` (defaults when absent).
    pub bindings: Vec<(Gesture, Action)>,
}

impl Default for GestureConfig {
    fn default() -> Self {
        GestureConfig {
            edge_size: 24.0,
            distance: 120.0,
            time_ms: 700,
            bindings: vec![
                (Gesture::Edge(Direction::Left), Action::Prev),
                (Gesture::Edge(Direction::Right), Action::Next),
                (
                    Gesture::Swipe {
                        fingers: 3,
                        direction: Direction::Left,
                    },
                    Action::Next,
                ),
                (
                    Gesture::Swipe {
                        fingers: 3,
                        direction: Direction::Right,
                    },
                    Action::Prev,
                ),
            ],
        }
    }
}

/// A touchscreen gesture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gesture {
    /// One finger in from this edge of the output ("edge-left", …).
    Edge(Direction),
    /// N fingers moving together in one direction ("swipe-3-left", …).
    Swipe { fingers: u8, direction: Direction },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Left,
    Right,
    Up,
    Down,
}

impl Gesture {
    /// "edge-left", "swipe-3-up", …
    pub fn parse(name: &str) -> Option<Gesture> {
        let direction = |d: &str| match d {
            "left" => Some(Direction::Left),
            "right" => Some(Direction::Right),
            "up" | "top" => Some(Direction::Up),
            "down" | "bottom" => Some(Direction::Down),
            _ => None,
        };
        let mut parts = name.split('-');
        match (parts.next()?, parts.next()?, parts.next(), parts.next()) {
            ("edge", edge, None, None) => direction(edge).map(Gesture::Edge),
            ("swipe", n, Some(d), None) => {
                let fingers: u8 = n.parse().ok().filter(|n| (2..=5).contains(n))?;
                Some(Gesture::Swipe {
                    fingers,
                    direction: direction(d)?,
                })
            }
            _ => None,
        }
    }
}

impl Action {
    /// Actions that belong to the compositor, not to the persona on screen:
    /// no client (not even one holding a shortcuts inhibitor) can shadow them.
    pub fn is_persona_action(&self) -> bool {
        matches!(
            self,
            Action::Next | Action::Prev | Action::Switch(_) | Action::Overview | Action::Lock
        )
    }
}

impl fmt::Display for Action {
    /// Writes the action the way the config file does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Switch(name) => write!(f, "{{ switch = {name:?} }}"),
            Action::Spawn(argv) => write!(f, "{{ spawn = {argv:?} }}"),
            other => f.write_str(parse::simple_action_name(other).unwrap_or("?")),
        }
    }
}

/// One persona.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaConfig {
    /// Also the name of its runtime directory: `[A-Za-z0-9_-]`, at most 32 characters.
    pub name: String,
    /// Its color (indicator, overview); a distinct default per position when unset.
    pub color: Color,
    /// The session to launch in it, as argv; `None` launches nothing.
    pub session: Option<Vec<String>>,
    /// Extra environment variables for its session.
    pub env: BTreeMap<String, String>,
    /// Its keyboard layout.
    pub keymap: KeymapConfig,
    /// `None` uses the top-level `background_frames`.
    pub background_frames: Option<BackgroundFrames>,
    /// Settings reserved for later work, parsed and kept.
    pub extra: PersonaExtra,
}

impl PersonaConfig {
    /// This persona's frame pacing in the background, given the top-level value.
    pub fn effective_background_frames(&self, global: BackgroundFrames) -> BackgroundFrames {
        self.background_frames.unwrap_or(global)
    }
}

/// A persona's xkb keymap names; an empty string means xkb's default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeymapConfig {
    pub rules: String,
    pub model: String,
    pub layout: String,
    pub variant: String,
    /// `None` when the key is absent (xkb then uses its default options).
    pub options: Option<String>,
}

impl KeymapConfig {
    /// The same names in the form smithay's keyboard takes.
    pub fn xkb_config(&self) -> smithay::input::keyboard::XkbConfig<'_> {
        smithay::input::keyboard::XkbConfig {
            rules: &self.rules,
            model: &self.model,
            layout: &self.layout,
            variant: &self.variant,
            options: self.options.clone(),
        }
    }
}

/// Persona settings about its session, isolation and privileges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonaExtra {
    pub isolation: Option<String>,
    pub devices: Vec<String>,
    pub share: Vec<String>,
    pub network: Option<String>,
    pub home: Option<String>,
    pub privileged: Vec<String>,
    pub allow_activation: bool,
    /// Whether its focused fullscreen window may cover the frame indicator.
    pub fullscreen_over_frame: bool,
    /// `"on-failure"` (the default when `None`), `"always"` or `"never"`;
    /// validated by the parser.
    pub restart: Option<String>,
    /// The first delay before a restart, in ms (default 1000).
    pub restart_delay_ms: Option<u32>,
    /// The longest delay between restarts, in ms (default 60 000).
    pub restart_max_delay_ms: Option<u32>,
    pub xwayland: Option<bool>,
    /// Which ways the clipboard transfer may go: `"both"` (the default when
    /// `None`), `"in"`, `"out"` or `"none"`; validated by the parser.
    pub transfer: Option<String>,
}

impl PersonaExtra {
    /// Whether text may be copied out of this persona by `transfer-copy`.
    pub fn transfer_out(&self) -> bool {
        matches!(self.transfer.as_deref(), None | Some("both") | Some("out"))
    }

    /// Whether `transfer-paste` may bring text into this persona.
    pub fn transfer_in(&self) -> bool {
        matches!(self.transfer.as_deref(), None | Some("both") | Some("in"))
    }
}

/// An sRGB color with alpha, written `#rrggbb` or `#rrggbbaa`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Color {
    /// The components as `[r, g, b, a]` in `0.0..=1.0` (not premultiplied).
    pub fn to_f32(self) -> [f32; 4] {
        [self.r, self.g, self.b, self.a].map(|c| f32::from(c) / 255.0)
    }

    /// `#rrggbb` (the alpha is left out).
    pub fn to_hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// One error with its position (1-based line and column, in characters) in the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// All errors of one file (at least one), in the order of their positions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    /// One error per line, without a trailing newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl Config {
    /// Parses and validates; `file` is the name used in error messages.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigErrors> {
        parse::parse(text, file)
    }

    /// The embedded default configuration ([`DEFAULT_CONFIG`]).
    ///
    /// Panics if it is invalid, which a unit test rules out.
    pub fn default_embedded() -> Config {
        match Config::parse(DEFAULT_CONFIG, EMBEDDED_NAME) {
            Ok(config) => config,
            Err(errors) => panic!("the embedded default config is invalid:\n{errors}"),
        }
    }

    /// The persona with this name.
    pub fn persona(&self, name: &str) -> Option<&PersonaConfig> {
        self.personas.iter().find(|p| p.name == name)
    }

    /// The transform `[outputs."NAME"]` gives output `name` (upright if none).
    pub fn output_transform(&self, name: &str) -> smithay::utils::Transform {
        self.outputs
            .get(name)
            .and_then(|o| o.transform)
            .map_or(smithay::utils::Transform::Normal, Into::into)
    }
}

/// Where the config came from.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigSource {
    File(PathBuf),
    Embedded,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::Embedded => f.write_str(EMBEDDED_NAME),
        }
    }
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(ConfigErrors),
    #[error("{0}")]
    NotFound(String),
}

/// The system-wide config file.
pub const SYSTEM_CONFIG_PATH: &str = "/etc/personas/config.toml";

/// Finds the config to use.
///
/// Lookup order: `explicit` (from `--config`), `$PERSONAS_CONFIG`,
/// `$XDG_CONFIG_HOME/personas/config.toml` (`XDG_CONFIG_HOME` defaulting to
/// `$HOME/.config`), `/etc/personas/config.toml`, then the embedded default.
/// An explicit path or `$PERSONAS_CONFIG` that does not exist is an error; the
/// others are skipped when absent.
pub fn locate(explicit: Option<&Path>) -> Result<ConfigSource, LoadError> {
    locate_with(explicit, &|name| std::env::var_os(name), &|path| {
        path.exists()
    })
}

/// [`locate`] with the environment lookup and the file existence test given by
/// the caller (tests pass fakes).
pub fn locate_with(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<OsString>,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<ConfigSource, LoadError> {
    if let Some(path) = explicit {
        return if exists(path) {
            Ok(ConfigSource::File(path.to_path_buf()))
        } else {
            Err(LoadError::NotFound(format!(
                "{}: config file not found (given with --config)",
                path.display()
            )))
        };
    }
    let non_empty = |name: &str| env(name).filter(|value| !value.is_empty());
    if let Some(value) = non_empty("PERSONAS_CONFIG") {
        let path = PathBuf::from(value);
        return if exists(&path) {
            Ok(ConfigSource::File(path))
        } else {
            Err(LoadError::NotFound(format!(
                "{}: config file not found (named by $PERSONAS_CONFIG)",
                path.display()
            )))
        };
    }
    if let Some(dir) = user_config_dir_with(env) {
        let path = dir.join("config.toml");
        if exists(&path) {
            return Ok(ConfigSource::File(path));
        }
    }
    let system = Path::new(SYSTEM_CONFIG_PATH);
    if exists(system) {
        return Ok(ConfigSource::File(system.to_path_buf()));
    }
    Ok(ConfigSource::Embedded)
}

/// `$XDG_CONFIG_HOME/personas` (or `~/.config/personas`): where the user's
/// config lives.
pub fn user_config_dir() -> Option<PathBuf> {
    user_config_dir_with(&|name| std::env::var_os(name))
}

fn user_config_dir_with(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let non_empty = |name: &str| env(name).filter(|value| !value.is_empty());
    // The XDG base directory spec says to ignore a relative XDG_CONFIG_HOME.
    non_empty("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| non_empty("HOME").map(|home| PathBuf::from(home).join(".config")))
        .map(|dir| dir.join("personas"))
}

/// Reads and parses the source (file errors and parse errors both come back as
/// [`LoadError`]).
pub fn load(source: &ConfigSource) -> Result<Config, LoadError> {
    match source {
        ConfigSource::Embedded => {
            Config::parse(DEFAULT_CONFIG, EMBEDDED_NAME).map_err(LoadError::Invalid)
        }
        ConfigSource::File(path) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
                path: name.clone(),
                source,
            })?;
            let config = Config::parse(&text, &name).map_err(LoadError::Invalid)?;
            tracing::debug!(
                path = %name,
                personas = config.personas.len(),
                "config loaded"
            );
            Ok(config)
        }
    }
}
