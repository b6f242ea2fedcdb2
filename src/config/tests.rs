use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use smithay::input::keyboard::xkb::keysyms;

use super::*;

/// The file's lines joined with '\n' (line N of the file is `lines[N - 1]`).
fn file(lines: &[&str]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Parses `lines` and returns its errors as "line:col: message".
fn errors(lines: &[&str]) -> Vec<String> {
    match Config::parse(&file(lines), "test.toml") {
        Ok(config) => panic!("expected errors, got {config:#?}"),
        Err(ConfigErrors(errors)) => errors
            .into_iter()
            .map(|e| {
                assert_eq!(e.file, "test.toml");
                format!("{}:{}: {}", e.line, e.col, e.message)
            })
            .collect(),
    }
}

fn parse_ok(lines: &[&str]) -> Config {
    match Config::parse(&file(lines), "test.toml") {
        Ok(config) => config,
        Err(errors) => panic!("unexpected errors:\n{errors}"),
    }
}

fn mods(spec: &str) -> Mods {
    Mods {
        ctrl: spec.contains('c'),
        alt: spec.contains('a'),
        shift: spec.contains('s'),
        logo: spec.contains('l'),
        long: false,
    }
}

fn combo(spec: &str, keysym: u32) -> KeyCombo {
    KeyCombo {
        mods: mods(spec),
        keysym,
    }
}

fn bind(spec: &str, keysym: u32, action: Action) -> Binding {
    Binding {
        combo: combo(spec, keysym),
        action,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const ONE_PERSONA: &str = "[[persona]]\nname = \"work\"";

#[test]
fn full_config_round_trip() {
    let config = parse_ok(&[
        "background_frames = \"paused\"",
        "indicator = \"badge\"",
        "transition = \"slide\"",
        "renderer = \"pixman\"",
        "output_layout = \"mirror\"",
        "[headless]",
        "size = \"800x600\"",
        "extra_outputs = [\"640x480\"]",
        "[outputs.\"eDP-1\"]",
        "mode = \"2560x1600@59.94\"",
        "scale = 1.5",
        "transform = \"flipped-90\"",
        "position = \"-10, 20\"",
        "[outputs.HDMI-A-1]",
        "mode = \"1920x1080\"",
        "scale = 2",
        "[input]",
        "binding_layout = \"de\"",
        "[keys]",
        "\"Super+Ctrl+Right\" = \"next\"",
        "\"Logo+control+LEFT\" = \"prev\"",
        "\"Mod4+Ctrl+1\" = { switch = \"work\" }",
        "\"Win+o\" = \"overview\"",
        "\"Alt+Tab\" = \"focus-next-window\"",
        "\"Mod1+Shift+Tab\" = \"focus-prev-window\"",
        "\"Super+Shift+Q\" = \"close-window\"",
        "\"Super+c\" = \"transfer-copy\"",
        "\"Super+v\" = \"transfer-paste\"",
        "\"Super+l\" = \"lock\"",
        "\"Super+Return\" = { spawn = [\"foot\", \"-e\", \"htop\"] }",
        "\"Super+d\" = { spawn = \"wofi --show drun\" }",
        "\"Ctrl+Alt+r\" = \"reload\"",
        "\"Ctrl++\" = \"next\"",
        "[[persona]]",
        "name = \"work\"",
        "color = \"#3366CC80\"",
        "session = [\"sway\", \"-d\"]",
        "env = { EDITOR = \"vim\", LANG = \"de_DE.UTF-8\" }",
        "keymap = { rules = \"evdev\", model = \"pc105\", layout = \"de\", variant = \"nodeadkeys\", options = \"ctrl:nocaps\" }",
        "background_frames = \"throttled\"",
        "isolation = \"namespaces\"",
        "devices = [\"/dev/dri/renderD128\", \"/dev/snd\"]",
        "share = [\"pipewire-0\"]",
        "network = \"none\"",
        "home = \"/home/work\"",
        "privileged = [\"screencopy\"]",
        "allow_activation = true",
        "fullscreen_over_frame = true",
        "restart = \"on-failure\"",
        "restart_delay_ms = 500",
        "restart_max_delay_ms = 10000",
        "xwayland = false",
        "[[persona]]",
        "name = \"personal_2\"",
        "session = \"exec foot\"",
    ]);

    let mut outputs = BTreeMap::new();
    outputs.insert(
        "eDP-1".to_string(),
        OutputConfig {
            mode: Some(Mode {
                width: 2560,
                height: 1600,
                refresh_mhz: Some(59940),
            }),
            scale: Some(1.5),
            transform: Some(Transform::Flipped90),
            position: Some((-10, 20)),
        },
    );
    outputs.insert(
        "HDMI-A-1".to_string(),
        OutputConfig {
            mode: Some(Mode {
                width: 1920,
                height: 1080,
                refresh_mhz: None,
            }),
            scale: Some(2.0),
            transform: None,
            position: None,
        },
    );
    let mut env = BTreeMap::new();
    env.insert("EDITOR".to_string(), "vim".to_string());
    env.insert("LANG".to_string(), "de_DE.UTF-8".to_string());
    let expected = Config {
        gestures: GestureConfig::default(),
        idle: IdleConfig::default(),
        lock: None,
        lock_keyboard: None,
        helpers: Vec::new(),
        background_frames: BackgroundFrames::Paused,
        indicator: Indicator::Badge,
        transition: Transition::Slide,
        renderer: RendererChoice::Pixman,
        output_layout: OutputLayout::Mirror,
        switch_notice: true,
        headless: HeadlessConfig {
            size: (800, 600),
            extra_outputs: vec![(640, 480)],
        },
        outputs,
        input: InputConfig {
            binding_layout: "de".to_string(),
            repeat_rate: 25,
            repeat_delay: 600,
            long_press_ms: 600,
            hide_cursor_after_ms: 0,
            hide_cursor_on_touch: true,
            touchpad: DeviceSettings::default(),
            mouse: DeviceSettings::default(),
            touchscreen_output: None,
        },
        bindings: vec![
            bind("lc", keysyms::KEY_Right, Action::Next),
            bind("lc", keysyms::KEY_Left, Action::Prev),
            bind("lc", keysyms::KEY_1, Action::Switch("work".to_string())),
            bind("l", keysyms::KEY_o, Action::Overview),
            bind("a", keysyms::KEY_Tab, Action::FocusNextWindow),
            bind("as", keysyms::KEY_Tab, Action::FocusPrevWindow),
            bind("ls", keysyms::KEY_q, Action::CloseWindow),
            bind("l", keysyms::KEY_c, Action::TransferCopy),
            bind("l", keysyms::KEY_v, Action::TransferPaste),
            bind("l", keysyms::KEY_l, Action::Lock),
            bind(
                "l",
                keysyms::KEY_Return,
                Action::Spawn(strings(&["foot", "-e", "htop"])),
            ),
            bind(
                "l",
                keysyms::KEY_d,
                Action::Spawn(strings(&["sh", "-c", "wofi --show drun"])),
            ),
            bind("ca", keysyms::KEY_r, Action::Reload),
            bind("c", keysyms::KEY_plus, Action::Next),
        ],
        personas: vec![
            PersonaConfig {
                name: "work".to_string(),
                color: Color {
                    r: 0x33,
                    g: 0x66,
                    b: 0xcc,
                    a: 0x80,
                },
                session: Some(strings(&["sway", "-d"])),
                env,
                keymap: KeymapConfig {
                    rules: "evdev".to_string(),
                    model: "pc105".to_string(),
                    layout: "de".to_string(),
                    variant: "nodeadkeys".to_string(),
                    options: Some("ctrl:nocaps".to_string()),
                },
                background_frames: Some(BackgroundFrames::Throttled),
                extra: PersonaExtra {
                    isolation: Some("namespaces".to_string()),
                    devices: strings(&["/dev/dri/renderD128", "/dev/snd"]),
                    share: strings(&["pipewire-0"]),
                    network: Some("none".to_string()),
                    home: Some("/home/work".to_string()),
                    privileged: strings(&["screencopy"]),
                    allow_activation: true,
                    fullscreen_over_frame: true,
                    restart: Some("on-failure".to_string()),
                    restart_delay_ms: Some(500),
                    restart_max_delay_ms: Some(10_000),
                    xwayland: Some(false),
                    transfer: None,
                },
            },
            PersonaConfig {
                name: "personal_2".to_string(),
                // The second default color.
                color: Color {
                    r: 0xcc,
                    g: 0x66,
                    b: 0x33,
                    a: 0xff,
                },
                session: Some(strings(&["sh", "-c", "exec foot"])),
                env: BTreeMap::new(),
                keymap: KeymapConfig::default(),
                background_frames: None,
                extra: PersonaExtra::default(),
            },
        ],
    };
    assert_eq!(config, expected);

    let work = config.persona("work").unwrap();
    assert_eq!(
        work.effective_background_frames(BackgroundFrames::Paused),
        BackgroundFrames::Throttled
    );
    let personal = config.persona("personal_2").unwrap();
    assert_eq!(
        personal.effective_background_frames(BackgroundFrames::Paused),
        BackgroundFrames::Paused
    );
    assert!(config.persona("nobody").is_none());
    let xkb = work.keymap.xkb_config();
    assert_eq!(
        (xkb.rules, xkb.model, xkb.layout, xkb.variant),
        ("evdev", "pc105", "de", "nodeadkeys")
    );
    assert_eq!(xkb.options.as_deref(), Some("ctrl:nocaps"));
}

#[test]
fn minimal_config_takes_defaults() {
    let config = parse_ok(&["[[persona]]", "name = \"solo\""]);
    assert_eq!(config.background_frames, BackgroundFrames::Throttled);
    assert_eq!(config.indicator, Indicator::Frame);
    assert_eq!(config.transition, Transition::None);
    assert_eq!(config.headless.size, (1280, 800));
    assert!(config.outputs.is_empty());
    assert_eq!(config.input.binding_layout, "us");
    let solo = &config.personas[0];
    assert_eq!(solo.color, parse::PALETTE[0]);
    assert_eq!(solo.session, None);
    assert!(solo.env.is_empty());
    assert_eq!(solo.keymap, KeymapConfig::default());
    assert_eq!(solo.keymap.options, None);
    assert_eq!(solo.background_frames, None);
    assert_eq!(solo.extra, PersonaExtra::default());
}

#[test]
fn default_colors_are_distinct_per_position() {
    let mut lines = Vec::new();
    let names: Vec<String> = (0..parse::PALETTE.len()).map(|i| format!("p{i}")).collect();
    for name in &names {
        lines.push("[[persona]]".to_string());
        lines.push(format!("name = \"{name}\""));
    }
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let config = parse_ok(&lines);
    let colors: Vec<String> = config.personas.iter().map(|p| p.color.to_hex()).collect();
    let unique: HashSet<&String> = colors.iter().collect();
    assert_eq!(unique.len(), parse::PALETTE.len(), "{colors:?}");
}

#[test]
fn embedded_default_parses() {
    let config = Config::default_embedded();
    assert_eq!(config.background_frames, BackgroundFrames::Throttled);
    assert_eq!(config.indicator, Indicator::Frame);
    assert_eq!(config.transition, Transition::None);
    assert_eq!(config.headless.size, (1280, 800));
    assert!(config.outputs.is_empty());
    assert_eq!(config.input.binding_layout, "us");
    let names: Vec<&str> = config.personas.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["work", "personal"]);
    assert_eq!(config.personas[0].color.to_hex(), "#3366cc");
    assert_eq!(config.personas[1].color.to_hex(), "#cc6633");
    assert!(config.personas.iter().all(|p| p.session.is_none()));
    assert_eq!(
        config.bindings,
        vec![
            bind("lc", keysyms::KEY_Right, Action::Next),
            bind("lc", keysyms::KEY_Left, Action::Prev),
            bind("lc", keysyms::KEY_1, Action::Switch("work".to_string())),
            bind("lc", keysyms::KEY_2, Action::Switch("personal".to_string())),
            bind("a", keysyms::KEY_Tab, Action::FocusNextWindow),
            bind("as", keysyms::KEY_Tab, Action::FocusPrevWindow),
            bind("ls", keysyms::KEY_q, Action::CloseWindow),
            bind("lc", keysyms::KEY_c, Action::TransferCopy),
            bind("lc", keysyms::KEY_v, Action::TransferPaste),
            bind("lc", keysyms::KEY_o, Action::Overview),
        ]
    );
    assert_eq!(load(&ConfigSource::Embedded).unwrap(), config);
}

#[test]
fn embedded_default_documents_every_key() {
    let keys = [
        "background_frames",
        "indicator",
        "transition",
        "[headless]",
        "size",
        "[outputs.",
        "mode",
        "scale",
        "transform",
        "position",
        "[input]",
        "binding_layout",
        "[keys]",
        "[[persona]]",
        "name",
        "color",
        "session",
        "env",
        "keymap",
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
        "[idle]",
        "dim_after",
        "off_after",
        "xwayland",
        "next",
        "prev",
        "switch",
        "overview",
        "focus-next-window",
        "focus-prev-window",
        "close-window",
        "transfer-copy",
        "transfer-paste",
        "lock",
        "reload",
        "spawn",
    ];
    for key in keys {
        assert!(DEFAULT_CONFIG.contains(key), "`{key}` is not documented");
    }
}

#[test]
fn absent_keys_table_gives_default_bindings() {
    // The embedded default without its [keys] table binds the same keys.
    let start = DEFAULT_CONFIG.find("\n[keys]\n").unwrap();
    let end = DEFAULT_CONFIG[start..].find("\n\n").unwrap() + start;
    let without_keys = format!("{}{}", &DEFAULT_CONFIG[..start], &DEFAULT_CONFIG[end..]);
    assert!(!without_keys.contains("\n[keys]\n"));
    assert!(!without_keys.contains("\"Super+Ctrl+Right\" = \"next\""));
    let config = Config::parse(&without_keys, "no-keys.toml").unwrap();
    assert_eq!(config.bindings, Config::default_embedded().bindings);

    // Super+Ctrl+N follows the user's own personas.
    let config = parse_ok(&[
        "[[persona]]",
        "name = \"a\"",
        "[[persona]]",
        "name = \"b\"",
        "[[persona]]",
        "name = \"c\"",
    ]);
    let switches: Vec<(KeyCombo, Action)> = config
        .bindings
        .iter()
        .filter(|b| matches!(b.action, Action::Switch(_)))
        .map(|b| (b.combo, b.action.clone()))
        .collect();
    assert_eq!(
        switches,
        vec![
            (combo("lc", keysyms::KEY_1), Action::Switch("a".to_string())),
            (combo("lc", keysyms::KEY_2), Action::Switch("b".to_string())),
            (combo("lc", keysyms::KEY_3), Action::Switch("c".to_string())),
        ]
    );
    assert!(config
        .bindings
        .contains(&bind("a", keysyms::KEY_Tab, Action::FocusNextWindow)));

    // An empty [keys] table replaces the defaults with nothing.
    let config = parse_ok(&["[keys]", ONE_PERSONA]);
    assert!(config.bindings.is_empty());
}

#[test]
fn syntax_error_has_its_position() {
    assert_eq!(
        errors(&["indicator = \"frame\"", "transition = "]),
        ["2:14: invalid string: expected `\"`, `'`"]
    );
    assert_eq!(
        errors(&["[[persona]]", "name = \"a\"", "name = \"b\""]),
        ["3:1: duplicate key `name` in table `persona`"]
    );
}

#[test]
fn wrong_types_are_reported_at_the_value() {
    assert_eq!(
        errors(&[
            "indicator = 3",
            "headless = \"big\"",
            "[input]",
            "binding_layout = [\"us\"]",
            "[[persona]]",
            "name = 7",
            "color = 0x3366cc",
            "allow_activation = \"yes\"",
            "devices = [\"/dev/a\", 2]",
            "xwayland = 1979-05-27",
        ]),
        [
            "1:13: `indicator` must be a string, one of `frame`, `badge` or `none`, found an integer",
            "2:12: `headless` must be a table, found a string",
            "4:18: `binding_layout` must be a string, found an array",
            "6:8: `name` must be a string, found an integer",
            "7:9: `color` must be a string, found an integer",
            "8:20: `allow_activation` must be a boolean (true or false), found a string",
            "9:22: `devices` must be an array of strings, found an integer in it",
            "10:12: `xwayland` must be a boolean (true or false), found a datetime",
        ]
    );
}

#[test]
fn unknown_keys_at_every_level() {
    assert_eq!(
        errors(&[
            "indicater = \"frame\"",
            "[headless]",
            "sise = \"10x10\"",
            "[outputs.\"eDP-1\"]",
            "rotation = \"90\"",
            "[input]",
            "layout = \"us\"",
            "[[persona]]",
            "name = \"work\"",
            "colour = \"#ffffff\"",
            "keymap = { layuot = \"de\" }",
            "[[persona]]",
            "name = \"x\"",
            "whatever = 1",
            "[personas]",
        ]),
        [
            "1:1: unknown key `indicater` at the top level (did you mean `indicator`?)",
            "3:1: unknown key `sise` in [headless] (did you mean `size`?)",
            "5:1: unknown key `rotation` in [outputs.\"eDP-1\"]",
            "7:1: unknown key `layout` in [input]",
            "10:1: unknown key `colour` in [[persona]] (did you mean `color`?)",
            "11:12: unknown key `layuot` in `keymap` (did you mean `layout`?)",
            "14:1: unknown key `whatever` in [[persona]]",
            "15:2: unknown key `personas` at the top level (did you mean `persona`?)",
        ]
    );
}

#[test]
fn persona_name_rules() {
    let long = "n".repeat(33);
    let long_line = format!("name = \"{long}\"");
    assert_eq!(
        errors(&[
            "[[persona]]",
            "name = \"\"",
            "[[persona]]",
            "name = \".\"",
            "[[persona]]",
            "name = \"..\"",
            "[[persona]]",
            "name = \"a/b\"",
            "[[persona]]",
            &long_line,
            "[[persona]]",
            "name = \"-x\"",
            "[[persona]]",
            "name = \"control.sock\"",
            "[[persona]]",
            "color = \"#000000\"",
            "[[persona]]",
            "name = \"ok_Name-2\"",
        ]),
        [
            "2:8: invalid persona name ``: it is empty",
            "4:8: invalid persona name `.`: `.` is not allowed: use only letters A-Z a-z, digits, `_` and `-`",
            "6:8: invalid persona name `..`: `.` is not allowed: use only letters A-Z a-z, digits, `_` and `-`",
            "8:8: invalid persona name `a/b`: `/` is not allowed: use only letters A-Z a-z, digits, `_` and `-`",
            &format!(
                "10:8: invalid persona name `{long}`: it is 33 characters long, at most 32 are allowed"
            ),
            "12:8: invalid persona name `-x`: it must not start with `-`",
            "14:8: invalid persona name `control.sock`: `.` is not allowed: use only letters A-Z a-z, digits, `_` and `-`",
            "15:1: persona without a `name`",
        ]
    );
    // 32 characters are fine.
    let ok = format!("name = \"{}\"", "n".repeat(32));
    assert_eq!(parse_ok(&["[[persona]]", &ok]).personas[0].name.len(), 32);
}

#[test]
fn duplicate_persona_names_both_positions() {
    assert_eq!(
        errors(&[
            "[[persona]]",
            "name = \"work\"",
            "",
            "[[persona]]",
            "name = \"home\"",
            "[[persona]]",
            "  name = \"work\"",
        ]),
        ["7:10: duplicate persona `work` (first defined at line 2)"]
    );
}

#[test]
fn at_least_one_persona() {
    assert_eq!(
        errors(&["indicator = \"none\""]),
        ["1:1: no persona defined: add at least one [[persona]] table with a `name`"]
    );
    assert_eq!(
        errors(&["indicator = \"none\"", "persona = []"]),
        ["2:11: no persona defined: add at least one [[persona]] table with a `name`"]
    );
    assert_eq!(
        errors(&["[persona]", "name = \"work\""]),
        ["1:1: `persona` must be an array of tables (write [[persona]]), found a table"]
    );
    assert_eq!(
        errors(&["persona = [\"work\"]"]),
        ["1:12: each `persona` must be a table (write [[persona]]), found a string"]
    );
}

#[test]
fn colors() {
    assert_eq!(
        errors(&[
            "[[persona]]",
            "name = \"a\"",
            "color = \"blue\"",
            "[[persona]]",
            "name = \"b\"",
            "color = \"#12345\"",
            "[[persona]]",
            "name = \"c\"",
            "color = \"#1234567g\"",
            "[[persona]]",
            "name = \"d\"",
            "color = \"123456\"",
        ]),
        [
            "3:9: invalid color `blue`: expected \"#rrggbb\" or \"#rrggbbaa\"",
            "6:9: invalid color `#12345`: expected \"#rrggbb\" or \"#rrggbbaa\"",
            "9:9: invalid color `#1234567g`: expected \"#rrggbb\" or \"#rrggbbaa\"",
            "12:9: invalid color `123456`: expected \"#rrggbb\" or \"#rrggbbaa\"",
        ]
    );
    let color = parse::parse_color("#FF800040").unwrap();
    assert_eq!(
        color,
        Color {
            r: 255,
            g: 128,
            b: 0,
            a: 64
        }
    );
    assert_eq!(color.to_hex(), "#ff8000");
    assert_eq!(color.to_f32(), [1.0, 128.0 / 255.0, 0.0, 64.0 / 255.0]);
    assert_eq!(parse::parse_color("#000000").unwrap().a, 255);
}

#[test]
fn key_combos_are_normalized() {
    assert_eq!(
        parse::parse_combo("Super+Ctrl+A"),
        parse::parse_combo("super+CTRL+a")
    );
    assert_eq!(
        parse::parse_combo("Super+Ctrl+A").unwrap(),
        combo("lc", keysyms::KEY_a)
    );
    assert_eq!(
        parse::parse_combo("Logo+Control+Mod1+Shift+F1").unwrap(),
        combo("lcas", keysyms::KEY_F1)
    );
    assert_eq!(
        parse::parse_combo("WIN+right").unwrap(),
        combo("l", keysyms::KEY_Right)
    );
    assert_eq!(
        parse::parse_combo("Mod4 + Return").unwrap(),
        combo("l", keysyms::KEY_Return)
    );
    assert_eq!(
        parse::parse_combo("XF86AudioRaiseVolume").unwrap(),
        combo("", keysyms::KEY_XF86AudioRaiseVolume)
    );
    assert_eq!(
        parse::parse_combo("Ctrl++").unwrap(),
        combo("c", keysyms::KEY_plus)
    );
    assert_eq!(
        parse::parse_combo("Alt+plus").unwrap(),
        combo("a", keysyms::KEY_plus)
    );
    // Non-Latin letters are lower-cased too.
    assert_eq!(
        parse::parse_combo("Super+Cyrillic_A").unwrap(),
        combo("l", keysyms::KEY_Cyrillic_a)
    );
    assert_eq!(
        parse::parse_combo("Super+Ctrl+Right").unwrap().to_string(),
        "Super+Ctrl+Right"
    );
    assert_eq!(
        parse::parse_combo("shift+alt+ctrl+super+Q")
            .unwrap()
            .to_string(),
        "Super+Ctrl+Alt+Shift+q"
    );
}

#[test]
fn key_combo_errors() {
    assert_eq!(
        errors(&[
            "[keys]",
            "\"Super+\" = \"next\"",
            "\"Super+Rigth\" = \"next\"",
            "\"Hyper+a\" = \"next\"",
            "\"Super++a\" = \"next\"",
            "\"Super+Shift\" = \"next\"",
            "\"\" = \"next\"",
            "\"Ctrl+Control+x\" = \"next\"",
            ONE_PERSONA,
        ]),
        [
            "2:1: key combo `Super+` has no key",
            "3:1: unknown key `Rigth` in key combo `Super+Rigth`",
            "4:1: unknown modifier `Hyper` in key combo `Hyper+a`: expected Super (or Logo, Mod4, Win), Ctrl (or Control), Alt (or Mod1), Shift, Long (held)",
            "5:1: empty modifier in key combo `Super++a`",
            "6:1: key combo `Super+Shift` has no key, only modifiers (bind a key such as `Super_L` instead)",
            "7:1: empty key combo",
            "8:1: modifier `Control` repeated in key combo `Ctrl+Control+x`",
        ]
    );
}

#[test]
fn duplicate_combos_after_normalization() {
    assert_eq!(
        errors(&[
            "[keys]",
            "\"Super+Ctrl+A\" = \"next\"",
            "\"Alt+Tab\" = \"focus-next-window\"",
            "\"super+control+a\" = \"prev\"",
            "  \"Mod1+TAB\" = \"lock\"",
            ONE_PERSONA,
        ]),
        [
            "4:1: duplicate key binding `super+control+a`: same keys as `Super+Ctrl+A` (line 2)",
            "5:3: duplicate key binding `Mod1+TAB`: same keys as `Alt+Tab` (line 3)",
        ]
    );
}

#[test]
fn action_errors() {
    assert_eq!(
        errors(&[
            "[keys]",
            "\"Super+1\" = { switch = \"wrok\" }",
            "\"Super+2\" = \"nxt\"",
            "\"Super+3\" = { spawn = [] }",
            "\"Super+4\" = { spawn = \"\" }",
            "\"Super+5\" = { switch = \"work\", spawn = \"x\" }",
            "\"Super+6\" = {}",
            "\"Super+7\" = { launch = \"x\" }",
            "\"Super+8\" = 3",
            "\"Super+9\" = \"switch\"",
            "\"Super+0\" = { spawn = [\"\", \"x\"] }",
            "\"Super+a\" = { switch = 1 }",
            "[[persona]]",
            "name = \"work\"",
            "[[persona]]",
            "name = \"home\"",
        ]),
        [
            "2:24: no persona named `wrok` (did you mean `work`?); defined personas: `work` or `home`",
            "3:13: unknown action `nxt` (did you mean `next`?): expected one of next, prev, overview, focus-next-window, focus-prev-window, close-window, move-window-to-next-output, transfer-copy, transfer-paste, lock, reload, { switch = \"NAME\" } or { spawn = [\"PROGRAM\", ...] }",
            "4:23: `spawn` must not be empty: give at least the program to run",
            "5:23: `spawn` must not be empty",
            "6:32: an action table takes exactly one key, `switch` or `spawn`",
            "7:13: empty action: expected { switch = \"NAME\" } or { spawn = [...] }",
            "8:15: unknown action `launch`: expected one of next, prev, overview, focus-next-window, focus-prev-window, close-window, move-window-to-next-output, transfer-copy, transfer-paste, lock, reload, { switch = \"NAME\" } or { spawn = [\"PROGRAM\", ...] }",
            "9:13: an action must be a string or a table such as { switch = \"NAME\" }, found an integer",
            "10:13: `switch` needs a persona: write { switch = \"NAME\" }",
            "11:24: `spawn`: the program name is empty",
            "12:24: `switch` must be a string, found an integer",
        ]
    );
}

#[test]
fn every_simple_action_parses() {
    let names = [
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
    let mut lines = vec!["[keys]".to_string()];
    for (i, (name, _)) in names.iter().enumerate() {
        lines.push(format!("\"Super+F{}\" = \"{name}\"", i + 1));
        assert_eq!(names[i].1.to_string(), *name);
    }
    lines.push(ONE_PERSONA.to_string());
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let config = parse_ok(&lines);
    let actions: Vec<Action> = config.bindings.into_iter().map(|b| b.action).collect();
    let expected: Vec<Action> = names.into_iter().map(|(_, a)| a).collect();
    assert_eq!(actions, expected);
}

#[test]
fn enum_values_list_the_valid_ones() {
    assert_eq!(
        errors(&[
            "background_frames = \"throttle\"",
            "indicator = \"border\"",
            "transition = \"fade\"",
            "renderer = \"vulkan\"",
            "[[persona]]",
            "name = \"work\"",
            "background_frames = \"stopped\"",
        ]),
        [
            "1:21: invalid value `throttle` for `background_frames`: expected `throttled` or `paused` (did you mean `throttled`?)",
            "2:13: invalid value `border` for `indicator`: expected `frame`, `badge` or `none`",
            "3:14: invalid value `fade` for `transition`: expected `none`, `crossfade` or `slide`",
            "4:12: invalid value `vulkan` for `renderer`: expected `auto`, `gles` or `pixman`",
            "7:21: invalid value `stopped` for `background_frames`: expected `throttled` or `paused`",
        ]
    );
}

#[test]
fn restart_policy_values() {
    for value in ["on-failure", "always", "never"] {
        let config = parse_ok(&[
            "[[persona]]",
            "name = \"work\"",
            &format!("restart = \"{value}\""),
        ]);
        assert_eq!(config.personas[0].extra.restart.as_deref(), Some(value));
    }
    let config = parse_ok(&["[[persona]]", "name = \"work\""]);
    assert_eq!(config.personas[0].extra.restart, None, "absent: on-failure");
    assert_eq!(
        errors(&["[[persona]]", "name = \"work\"", "restart = \"on-failur\""]),
        ["3:11: invalid value `on-failur` for `restart`: expected `on-failure`, `always` or `never` (did you mean `on-failure`?)"]
    );
    assert_eq!(
        errors(&["[[persona]]", "name = \"work\"", "restart = true"]),
        ["3:11: `restart` must be a string, one of `on-failure`, `always` or `never`, found a boolean"]
    );
}

#[test]
fn restart_delays() {
    let config = parse_ok(&[
        "[[persona]]",
        "name = \"work\"",
        "restart_delay_ms = 1",
        "restart_max_delay_ms = 1",
    ]);
    assert_eq!(config.personas[0].extra.restart_delay_ms, Some(1));
    assert_eq!(config.personas[0].extra.restart_max_delay_ms, Some(1));
    let persona = |lines: &[&str]| {
        let mut all = vec!["[[persona]]", "name = \"work\""];
        all.extend_from_slice(lines);
        errors(&all)
    };
    assert_eq!(
        persona(&["restart_delay_ms = 0"]),
        ["3:20: restart_delay_ms 0 is out of range: it must be between 1 and 3600000"]
    );
    assert_eq!(
        persona(&["restart_max_delay_ms = \"1s\""]),
        ["3:24: `restart_max_delay_ms` must be an integer (milliseconds), found a string"]
    );
    assert_eq!(
        persona(&["restart_delay_ms = 500", "restart_max_delay_ms = 100"]),
        ["4:24: restart_max_delay_ms 100 is below restart_delay_ms 500"]
    );
}

#[test]
fn headless_size() {
    assert_eq!(
        errors(&["[headless]", "size = \"0x600\"", ONE_PERSONA]),
        ["2:8: invalid size `0x600`: width and height must be between 1 and 16384, e.g. \"1280x800\""]
    );
    assert_eq!(
        errors(&["[headless]", "size = \"16385x600\"", ONE_PERSONA]),
        ["2:8: invalid size `16385x600`: width and height must be between 1 and 16384, e.g. \"1280x800\""]
    );
    assert_eq!(
        errors(&["[headless]", "size = \"1280*800\"", ONE_PERSONA]),
        ["2:8: invalid size `1280*800`: expected WIDTHxHEIGHT, e.g. \"1280x800\""]
    );
    assert_eq!(
        errors(&["[headless]", "size = \"-1x800\"", ONE_PERSONA]),
        ["2:8: invalid size `-1x800`: expected WIDTHxHEIGHT with whole numbers, e.g. \"1280x800\""]
    );
    let config = parse_ok(&["[headless]", "size = \"16384x1\"", ONE_PERSONA]);
    assert_eq!(config.headless.size, (16384, 1));
}

#[test]
fn output_settings() {
    assert_eq!(
        errors(&[
            "[outputs.\"eDP-1\"]",
            "mode = \"2560x1600@\"",
            "scale = 0.2",
            "transform = \"45\"",
            "position = \"0;0\"",
            "[outputs.DP-2]",
            "mode = \"big\"",
            "scale = \"2\"",
            "transform = 45",
            "position = \"1,x\"",
            "[outputs.DP-3]",
            "mode = \"800x600@1e2\"",
            "scale = 10.5",
            "[outputs]",
            "DP-4 = 1",
            ONE_PERSONA,
        ]),
        [
            "2:8: invalid mode `2560x1600@`: refresh rate `` is not a number, e.g. \"2560x1600@60\"",
            "3:9: scale 0.2 is out of range: it must be between 0.25 and 10",
            "4:13: invalid value `45` for `transform`: expected `normal`, `90`, `180`, `270`, `flipped`, `flipped-90`, `flipped-180` or `flipped-270`",
            "5:12: invalid position `0;0`: expected \"X,Y\", e.g. \"0,0\"",
            "7:8: invalid mode `big`: expected WIDTHxHEIGHT, e.g. \"2560x1600@60\"",
            "8:9: `scale` must be a number, found a string",
            "9:13: invalid value `45` for `transform`: expected `normal`, `90`, `180`, `270`, `flipped`, `flipped-90`, `flipped-180` or `flipped-270`",
            "10:12: invalid position `1,x`: expected \"X,Y\", e.g. \"0,0\"",
            "12:8: invalid mode `800x600@1e2`: refresh rate `1e2` is not a number, e.g. \"2560x1600@60\"",
            "13:9: scale 10.5 is out of range: it must be between 0.25 and 10",
            "15:8: `DP-4` must be a table, found an integer",
        ]
    );
    assert_eq!(
        parse::parse_mode("1920x1080@143.999").unwrap(),
        Mode {
            width: 1920,
            height: 1080,
            refresh_mhz: Some(143_999)
        }
    );
    assert!(parse::parse_mode("1920x1080@0").is_err());
    assert!(parse::parse_mode("1920x1080@1001").is_err());
    let all = [
        ("normal", Transform::Normal),
        ("90", Transform::_90),
        ("180", Transform::_180),
        ("270", Transform::_270),
        ("flipped", Transform::Flipped),
        ("flipped-90", Transform::Flipped90),
        ("flipped-180", Transform::Flipped180),
        ("flipped-270", Transform::Flipped270),
    ];
    for (text, transform) in all {
        let line = format!("transform = \"{text}\"");
        let config = parse_ok(&["[outputs.X]", &line, ONE_PERSONA]);
        assert_eq!(config.outputs["X"].transform, Some(transform));
    }
    let config = parse_ok(&[
        "[outputs.X]",
        "transform = 270",
        "scale = 0.25",
        ONE_PERSONA,
    ]);
    assert_eq!(config.outputs["X"].transform, Some(Transform::_270));
    assert_eq!(config.outputs["X"].scale, Some(0.25));
    assert_eq!(
        smithay::utils::Transform::from(Transform::Flipped180),
        smithay::utils::Transform::Flipped180
    );
}

#[test]
fn session_and_env() {
    assert_eq!(
        errors(&[
            "[[persona]]",
            "name = \"a\"",
            "session = []",
            "env = { \"\" = \"x\", \"A=B\" = \"y\", OK = 1 }",
            "[[persona]]",
            "name = \"b\"",
            "session = \"   \"",
            "[[persona]]",
            "name = \"c\"",
            "session = [\"foot\", 3]",
            "[[persona]]",
            "name = \"d\"",
            "session = true",
        ]),
        [
            "3:11: `session` must not be empty: give at least the program to run",
            "4:9: an environment variable's name is empty",
            "4:19: invalid environment variable name `A=B`: it must not contain `=`",
            "4:37: `OK` must be a string, found an integer",
            "7:11: `session` must not be empty",
            "10:20: `session` must be an array of strings, found an integer in it",
            "13:11: `session` must be an array of strings (argv) or a string (run with sh -c), found a boolean",
        ]
    );
}

#[test]
fn many_errors_in_one_file_are_all_reported_in_order() {
    let text = file(&[
        "transition = \"zoom\"",
        "[keys]",
        "\"Super+Foo\" = \"next\"",
        "\"Super+1\" = { switch = \"ghost\" }",
        "[[persona]]",
        "name = \"bad name\"",
        "color = \"red\"",
        "[[persona]]",
        "name = \"ok\"",
        "unknown = true",
    ]);
    let errors = Config::parse(&text, "many.toml").unwrap_err();
    let lines: Vec<String> = errors.to_string().lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        [
            "many.toml:1:14: invalid value `zoom` for `transition`: expected `none`, `crossfade` or `slide`",
            "many.toml:3:1: unknown key `Foo` in key combo `Super+Foo`",
            "many.toml:4:24: no persona named `ghost`; defined personas: `bad name` or `ok`",
            "many.toml:6:8: invalid persona name `bad name`: ` ` is not allowed: use only letters A-Z a-z, digits, `_` and `-`",
            "many.toml:7:9: invalid color `red`: expected \"#rrggbb\" or \"#rrggbbaa\"",
            "many.toml:10:1: unknown key `unknown` in [[persona]]",
        ]
    );
    assert_eq!(errors.0.len(), 6);
    assert_eq!(
        errors.0[0],
        ConfigError {
            file: "many.toml".to_string(),
            line: 1,
            col: 14,
            message:
                "invalid value `zoom` for `transition`: expected `none`, `crossfade` or `slide`"
                    .to_string(),
        }
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    // "é" and "ü" are two bytes each in UTF-8: the columns below would be one
    // more if they counted bytes.
    assert_eq!(
        errors(&[
            "[outputs]",
            "\"ü\" = { scale = 11 }",
            "\"é\" = { \"modé\" = 1 }",
            ONE_PERSONA,
        ]),
        [
            "2:17: scale 11 is out of range: it must be between 0.25 and 10",
            "3:9: unknown key `modé` in [outputs.\"é\"] (did you mean `mode`?)",
        ]
    );
    assert_eq!(
        errors(&["[[persona]]", "name = \"ü\" ü"]),
        ["2:12: expected newline, `#`"]
    );
}

/// A fake environment and file system for `locate_with`.
struct Fake {
    env: HashMap<&'static str, &'static str>,
    files: HashSet<PathBuf>,
    asked: RefCell<Vec<PathBuf>>,
}

impl Fake {
    fn new(env: &[(&'static str, &'static str)], files: &[&str]) -> Fake {
        Fake {
            env: env.iter().copied().collect(),
            files: files.iter().map(PathBuf::from).collect(),
            asked: RefCell::new(Vec::new()),
        }
    }

    fn locate(&self, explicit: Option<&str>) -> Result<ConfigSource, LoadError> {
        let env = |name: &str| self.env.get(name).map(OsString::from);
        let exists = |path: &Path| {
            self.asked.borrow_mut().push(path.to_path_buf());
            self.files.contains(path)
        };
        locate_with(explicit.map(Path::new), &env, &exists)
    }
}

fn found(path: &str) -> ConfigSource {
    ConfigSource::File(PathBuf::from(path))
}

#[test]
fn locate_order() {
    let all_files = [
        "/cli.toml",
        "/env.toml",
        "/xdg/personas/config.toml",
        "/home/u/.config/personas/config.toml",
        "/etc/personas/config.toml",
    ];
    let env = [
        ("PERSONAS_CONFIG", "/env.toml"),
        ("XDG_CONFIG_HOME", "/xdg"),
        ("HOME", "/home/u"),
    ];
    let fake = Fake::new(&env, &all_files);
    assert_eq!(fake.locate(Some("/cli.toml")).unwrap(), found("/cli.toml"));
    assert_eq!(fake.locate(None).unwrap(), found("/env.toml"));

    let fake = Fake::new(&env[1..], &all_files);
    assert_eq!(
        fake.locate(None).unwrap(),
        found("/xdg/personas/config.toml")
    );

    // XDG_CONFIG_HOME unset, empty or relative: $HOME/.config.
    for xdg in [None, Some(""), Some("relative/dir")] {
        let mut env = vec![("HOME", "/home/u"), ("PERSONAS_CONFIG", "")];
        env.extend(xdg.map(|x| ("XDG_CONFIG_HOME", x)));
        let fake = Fake::new(&env, &all_files);
        assert_eq!(
            fake.locate(None).unwrap(),
            found("/home/u/.config/personas/config.toml"),
            "XDG_CONFIG_HOME={xdg:?}"
        );
    }

    // The user's file is absent: /etc, then the embedded default.
    let fake = Fake::new(&env[1..], &["/etc/personas/config.toml"]);
    assert_eq!(
        fake.locate(None).unwrap(),
        found("/etc/personas/config.toml")
    );
    assert_eq!(
        *fake.asked.borrow(),
        [
            PathBuf::from("/xdg/personas/config.toml"),
            PathBuf::from("/etc/personas/config.toml")
        ]
    );
    let fake = Fake::new(&env[1..], &[]);
    assert_eq!(fake.locate(None).unwrap(), ConfigSource::Embedded);
    let fake = Fake::new(&[], &[]);
    assert_eq!(fake.locate(None).unwrap(), ConfigSource::Embedded);
}

#[test]
fn locate_missing_explicit_or_env_file_is_an_error() {
    let fake = Fake::new(&[("PERSONAS_CONFIG", "/env.toml")], &["/env.toml"]);
    match fake.locate(Some("/missing.toml")) {
        Err(LoadError::NotFound(message)) => assert_eq!(
            message,
            "/missing.toml: config file not found (given with --config)"
        ),
        other => panic!("{other:?}"),
    }
    let fake = Fake::new(
        &[("PERSONAS_CONFIG", "/gone.toml"), ("HOME", "/h")],
        &["/h/.config/personas/config.toml"],
    );
    match fake.locate(None) {
        Err(error @ LoadError::NotFound(_)) => assert_eq!(
            error.to_string(),
            "/gone.toml: config file not found (named by $PERSONAS_CONFIG)"
        ),
        other => panic!("{other:?}"),
    }
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "personas-config-test-{}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn load_reads_files_and_reports_errors() {
    let good = TempFile::new("good.toml", "[[persona]]\nname = \"only\"\n");
    assert_eq!(
        locate(Some(&good.0)).unwrap(),
        ConfigSource::File(good.0.clone())
    );
    let config = load(&ConfigSource::File(good.0.clone())).unwrap();
    assert_eq!(config.personas[0].name, "only");

    let bad = TempFile::new("bad.toml", "indicator = \"x\"\n");
    match load(&ConfigSource::File(bad.0.clone())) {
        Err(LoadError::Invalid(errors)) => {
            let path = bad.0.display().to_string();
            assert_eq!(
                errors.to_string(),
                format!(
                    "{path}:1:1: no persona defined: add at least one [[persona]] table with a `name`\n\
                     {path}:1:13: invalid value `x` for `indicator`: expected `frame`, `badge` or `none`"
                )
            );
        }
        other => panic!("{other:?}"),
    }

    let missing = std::env::temp_dir().join("personas-config-test-does-not-exist.toml");
    match load(&ConfigSource::File(missing.clone())) {
        Err(error @ LoadError::Io { .. }) => {
            assert!(error
                .to_string()
                .starts_with(&format!("{}: ", missing.display())));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        locate(Some(&missing)),
        Err(LoadError::NotFound(_))
    ));
}

#[test]
fn display_forms() {
    assert_eq!(
        Action::Switch("work".to_string()).to_string(),
        "{ switch = \"work\" }"
    );
    assert_eq!(
        Action::Spawn(strings(&["foot", "-e"])).to_string(),
        "{ spawn = [\"foot\", \"-e\"] }"
    );
    assert_eq!(ConfigSource::Embedded.to_string(), EMBEDDED_NAME);
    assert_eq!(found("/a/b.toml").to_string(), "/a/b.toml");
    assert_eq!(combo("as", keysyms::KEY_Tab).to_string(), "Alt+Shift+Tab");
}

#[test]
fn keymaps_that_xkb_cannot_compile_are_errors() {
    assert_eq!(
        errors(&[
            "[input]",
            "binding_layout = \"nosuchlayout\"",
            "[[persona]]",
            "name = \"work\"",
            "keymap = { layout = \"de\", variant = \"nosuchvariant\" }",
        ]),
        vec![
            "2:18: binding layout `nosuchlayout` does not compile with xkb".to_string(),
            "5:10: this keymap does not compile with xkb (layout `de`, variant `nosuchvariant`, options ``)"
                .to_string(),
        ]
    );
    let ok = parse_ok(&[
        "[[persona]]",
        "name = \"work\"",
        "keymap = { layout = \"de\", variant = \"nodeadkeys\" }",
    ]);
    assert_eq!(ok.personas[0].keymap.layout, "de");
}

#[test]
fn key_repeat_settings() {
    let c = parse_ok(&[
        "[input]",
        "repeat_rate = 40",
        "repeat_delay = 250",
        "[[persona]]",
        "name = \"work\"",
    ]);
    assert_eq!((c.input.repeat_rate, c.input.repeat_delay), (40, 250));
    assert_eq!(
        errors(&[
            "[input]",
            "repeat_rate = 5000",
            "[[persona]]",
            "name = \"w\""
        ]),
        vec!["2:15: repeat_rate 5000 is out of range: it must be between 0 and 1000".to_string()]
    );
}

#[test]
fn gestures_are_configurable_and_checked() {
    let c = parse_ok(&[
        "[gestures]",
        "edge_size = 30",
        "distance = 80",
        "time_ms = 500",
        "[gestures.bind]",
        "\"edge-top\" = \"next\"",
        "\"swipe-4-down\" = { switch = \"work\" }",
        "[[persona]]",
        "name = \"work\"",
    ]);
    assert_eq!(
        (
            c.gestures.edge_size,
            c.gestures.distance,
            c.gestures.time_ms
        ),
        (30.0, 80.0, 500)
    );
    assert_eq!(
        c.gestures.bindings,
        vec![
            (Gesture::Edge(Direction::Up), Action::Next),
            (
                Gesture::Swipe {
                    fingers: 4,
                    direction: Direction::Down
                },
                Action::Switch("work".into())
            ),
        ]
    );
    assert_eq!(
        parse_ok(&["[[persona]]", "name = \"w\""]).gestures,
        GestureConfig::default()
    );
    let errs = errors(&[
        "[gestures]",
        "distance = 0",
        "[gestures.bind]",
        "\"swipe-9-left\" = \"next\"",
        "\"edge-left\" = \"fly\"",
        "[[persona]]",
        "name = \"w\"",
    ]);
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert_eq!(
        errs[0],
        "2:12: distance 0 is out of range: it must be between 1 and 5000"
    );
    assert!(
        errs[1].starts_with("4:1: unknown gesture `swipe-9-left`"),
        "{errs:?}"
    );
    assert!(
        errs[2].starts_with("5:15: unknown action `fly`"),
        "{errs:?}"
    );
}

#[test]
fn transfer_policy_values() {
    let c = parse_ok(&["[[persona]]", "name = \"work\"", "transfer = \"in\""]);
    assert!(c.personas[0].extra.transfer_in() && !c.personas[0].extra.transfer_out());
    let c = parse_ok(&["[[persona]]", "name = \"work\""]);
    assert!(c.personas[0].extra.transfer_in() && c.personas[0].extra.transfer_out());
    let errs = errors(&["[[persona]]", "name = \"work\"", "transfer = \"sideways\""]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("3:12:"), "{errs:?}");
}

#[test]
fn privileged_names_are_checked() {
    let errs = errors(&[
        "[[persona]]",
        "name = \"work\"",
        "privileged = [\"screencopy\", \"root\"]",
    ]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("3:14: unknown privileged protocol `root`"),
        "{errs:?}"
    );
}

#[test]
fn isolation_settings_are_checked_with_positions() {
    let errs = errors(&[
        "[[persona]]",
        "name = \"work\"",
        "isolation = \"chroot\"",
        "network = \"vpn\"",
        "home = \"relative/home\"",
        "devices = [\"/dev/null\", \"/dev/input/event3\", \"/dev/*\", \"/etc/shadow\"]",
        "share = [\"pipewire-0\", \"personas\", \"../bus\"]",
    ]);
    let expected = [
        "3:13: invalid value `chroot` for `isolation`: expected",
        "4:11: invalid value `vpn` for `network`: expected",
        "5:8: `home` must be an absolute path or start with `~/`",
        "6:11: device `/dev/input/event3` is never allowed (input devices)",
        "6:11: device pattern `/dev/*` is too broad",
        "6:11: device `/etc/shadow` is not under /dev/",
        "7:9: share `personas` would expose the compositor's control socket",
        "7:9: share `../bus` must be a single name",
    ];
    assert_eq!(errs.len(), expected.len(), "{errs:#?}");
    for (err, want) in errs.iter().zip(expected) {
        assert!(err.starts_with(want), "{err} does not start with {want}");
    }
}

#[test]
fn idle_actions() {
    let config = parse_ok(&[
        "[idle]",
        "dim_after = 120",
        "off_after = 0.5",
        "[[persona]]",
        "name = \"w\"",
    ]);
    assert_eq!(
        config.idle,
        IdleConfig {
            dim_after: Some(std::time::Duration::from_secs(120)),
            off_after: Some(std::time::Duration::from_millis(500)),
            lock_after: None,
        }
    );
    assert_eq!(
        parse_ok(&["[[persona]]", "name = \"w\""]).idle,
        IdleConfig::default(),
        "never by default"
    );
    assert_eq!(
        errors(&["[idle]", "dim_after = 0", "[[persona]]", "name = \"w\""]),
        ["2:13: dim_after 0 is out of range: it must be more than 0 and at most 86400 seconds"]
    );
    assert_eq!(
        errors(&[
            "[idle]",
            "off_after = \"5m\"",
            "[[persona]]",
            "name = \"w\""
        ]),
        ["2:13: `off_after` must be a number of seconds, found a string"]
    );
    assert_eq!(
        errors(&["[idle]", "lock = 5", "[[persona]]", "name = \"w\""]),
        ["2:1: unknown key `lock` in [idle]"]
    );
}

#[test]
fn device_settings_per_class() {
    let config = parse_ok(&[
        "[input.touchpad]",
        "tap = true",
        "natural_scroll = true",
        "disable_while_typing = false",
        "accel_profile = \"adaptive\"",
        "accel_speed = 0.3",
        "[input.mouse]",
        "left_handed = true",
        "accel_profile = \"flat\"",
        "accel_speed = -1",
        "[[persona]]",
        "name = \"a\"",
    ]);
    assert_eq!(
        config.input.touchpad,
        DeviceSettings {
            tap: Some(true),
            natural_scroll: Some(true),
            disable_while_typing: Some(false),
            left_handed: None,
            accel_profile: Some(AccelProfile::Adaptive),
            accel_speed: Some(0.3),
        }
    );
    assert_eq!(config.input.mouse.left_handed, Some(true));
    assert_eq!(config.input.mouse.accel_profile, Some(AccelProfile::Flat));
    assert_eq!(config.input.mouse.accel_speed, Some(-1.0));
    assert_eq!(config.input.mouse.tap, None, "unset: libinput's default");

    assert_eq!(
        errors(&[
            "[input.touchpad]",
            "tap = \"yes\"",
            "accel_speed = 2",
            "accel_profile = \"fast\"",
            "scroll_factor = 2",
            "[[persona]]",
            "name = \"a\"",
        ]),
        [
            "2:7: `tap` must be a boolean (true or false), found a string",
            "3:15: accel_speed 2 is out of range: it must be between -1.0 and 1.0",
            "4:17: invalid value `fast` for `accel_profile`: expected `flat` or `adaptive` \
             (did you mean `flat`?)",
            "5:1: unknown key `scroll_factor` in [input.touchpad]",
        ]
    );
}

#[test]
fn lock_screen_and_helpers() {
    let config = parse_ok(&[
        "lock = [\"swaylock\", \"-c\", \"000000\"]",
        "lock_keyboard = \"wvkbd-mobintl -L 300\"",
        "helpers = [[\"personas-bar\"], \"switcher --touch\"]",
        "[idle]",
        "lock_after = 600",
        "[[persona]]",
        "name = \"w\"",
    ]);
    assert_eq!(config.lock, Some(strings(&["swaylock", "-c", "000000"])));
    assert_eq!(
        config.lock_keyboard,
        Some(strings(&["sh", "-c", "wvkbd-mobintl -L 300"]))
    );
    assert_eq!(
        config.helpers,
        [
            strings(&["personas-bar"]),
            strings(&["sh", "-c", "switcher --touch"])
        ]
    );
    assert_eq!(
        config.idle.lock_after,
        Some(std::time::Duration::from_secs(600))
    );
    assert_eq!(
        errors(&["[idle]", "lock_after = 60", "[[persona]]", "name = \"w\""]),
        ["2:14: [idle] lock_after needs `lock`, the lock screen to run"]
    );
    assert_eq!(
        errors(&["helpers = [[\"\"], 3]", "[[persona]]", "name = \"w\""]),
        [
            "1:13: `helpers`: the program name is empty",
            "1:18: `helpers` must be an array of strings (argv) or a string (run with sh -c), found an integer"
        ]
    );
}
