//! Desktop integration: the example configs are valid, the committed man
//! page is the one the command line generates, completions come out for
//! every shell, and the session and unit files start the binary we build.

use std::path::{Path, PathBuf};
use std::process::Command;

use personas::config::{self, ConfigSource};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_example_config_is_valid() {
    let dir = root().join("assets/examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let config = config::load(&ConfigSource::File(path.clone()))
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        assert!(
            config.personas.len() >= 2,
            "{}: two personas or more",
            path.display()
        );
        seen += 1;
    }
    assert_eq!(
        seen, 5,
        "laptop, tablet, kiosk-child, nested-weston and nested-cage"
    );
}

fn personas(args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_personas"))
        .args(args)
        .output()
        .expect("personas runs");
    assert!(
        output.status.success(),
        "personas {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn the_committed_man_page_is_the_generated_one() {
    let generated = personas(&["man"]);
    let committed = std::fs::read(root().join("assets/personas.1")).unwrap_or_default();
    if generated != committed {
        let fresh = root().join("target/personas.1");
        std::fs::write(&fresh, &generated).unwrap();
        panic!(
            "assets/personas.1 is stale: the command line changed. Run `personas man > assets/personas.1` \
             (the new one is in {})",
            fresh.display()
        );
    }
    let text = String::from_utf8(generated).unwrap();
    for part in [".TH personas 1", "completions", "validate", "msg"] {
        assert!(text.contains(part), "the man page has {part}");
    }
}

#[test]
fn completions_come_out_for_every_shell() {
    for (shell, mark) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef personas"),
        ("fish", "complete -c personas"),
        ("elvish", "personas"),
        ("powershell", "personas"),
    ] {
        let script = String::from_utf8(personas(&["completions", shell])).unwrap();
        assert!(script.contains(mark), "{shell} completion has {mark:?}");
        assert!(
            script.contains("validate"),
            "{shell} completion knows the subcommands"
        );
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_personas"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert!(!bad.status.success(), "an unknown shell is refused");
}

fn key_of(path: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{} has no {key}", path.display()))
        .to_owned()
}

#[test]
fn the_session_file_and_the_unit_start_personas() {
    let desktop = root().join("assets/personas.desktop");
    assert_eq!(key_of(&desktop, "Exec"), "personas");
    assert_eq!(key_of(&desktop, "Type"), "Application");
    let text = std::fs::read_to_string(&desktop).unwrap();
    assert!(text.starts_with("[Desktop Entry]\n"));
    let unit = root().join("assets/personas.service");
    assert_eq!(key_of(&unit, "ExecStart"), "/usr/bin/personas");
    assert_eq!(key_of(&unit, "BindsTo"), "graphical-session.target");
}
