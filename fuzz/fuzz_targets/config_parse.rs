//! Any text given as a config: parsed or refused with positioned errors,
//! never a panic. Every error points inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use personas::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = Config::parse(text, "fuzz.toml") {
        let lines = text.lines().count().max(1) + 1;
        for error in &errors.0 {
            assert!(error.line >= 1 && error.line <= lines, "{error:?} outside the text");
        }
    }
});
