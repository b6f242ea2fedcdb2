//! Soak and churn with the in-process fixture: many switches while clients
//! in four personas keep committing frames, and many clients connecting and
//! going away. What the compositor holds — open fds, clients, windows,
//! mapped elements, pending captures — must come back to its baseline
//! exactly; RSS is printed for the record, never asserted (it is noisy).
//!
//! CI runs a reduced size; `PERSONAS_SOAK_SWITCHES` and
//! `PERSONAS_SOAK_CYCLES` give the full one (10 000 switches, 1 000 cycles).

mod common;

use common::fixture::Fixture;

const FOUR_PERSONAS: &str = r##"
indicator = "frame"
switch_notice = true
[headless]
size = "320x200"
[[persona]]
name = "a"
[[persona]]
name = "b"
[[persona]]
name = "c"
[[persona]]
name = "d"
"##;

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the compositor holds that must not grow: (open fds, clients,
/// windows, mapped elements, captures waiting).
fn held(fx: &Fixture) -> (usize, usize, usize, usize, usize) {
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count());
    let (mut clients, mut windows, mut elements, mut captures) = (0, 0, 0, 0);
    for persona in fx.state.personas.iter() {
        clients += persona.client_count();
        windows += persona.state.window_count();
        elements += persona.state.space.elements().count();
        captures += persona.state.captures.len();
    }
    (fds, clients, windows, elements, captures)
}

/// Lets everything in flight land: a frame drawn, buffers released and
/// destroyed by their clients.
fn settle(fx: &mut Fixture) {
    for _ in 0..2 {
        fx.render();
        fx.roundtrip_all();
        fx.dispatch();
    }
}

/// What is held equals `expected`. smithay closes a dropped shm pool's fd
/// on a thread of its own, so the count may lag a moment: it gets a second
/// (polled) to arrive, and must then be exact.
fn assert_holds(fx: &Fixture, expected: (usize, usize, usize, usize, usize), what: &str) {
    let mut now = held(fx);
    for _ in 0..200 {
        if now == expected {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        now = held(fx);
    }
    assert_eq!(
        now, expected,
        "{what}: (fds, clients, windows, elements, captures)"
    );
}

/// fds are counted for the whole process: the tests here take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn switches_under_load_hold_nothing_extra() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let switches = env_number("PERSONAS_SOAK_SWITCHES", 400);
    let mut fx = Fixture::with_config(FOUR_PERSONAS);
    settle(&mut fx);
    let baseline = held(&fx);
    let rss_before = rss_kib();
    // 20 clients, five per persona, each with a window.
    let mut windows = Vec::new();
    for i in 0..20 {
        let color = [40 * (i % 6) as u8, 255, 0, 255];
        windows.push(fx.open_window(NAMES[i % 4], color));
    }
    settle(&mut fx);
    let loaded = held(&fx);
    assert_eq!((loaded.1, loaded.2), (baseline.1 + 20, baseline.2 + 20));
    for n in 0..switches {
        fx.switch(NAMES[n % 4]);
        // A quarter of the clients commit a new frame each turn.
        for (k, (c, w)) in windows.iter().enumerate() {
            if (k + n) % 4 == 0 {
                let color = [(n % 256) as u8, k as u8, 128, 255];
                fx.client(*c).ack_and_draw(*w, color, (1, 1));
            }
        }
        fx.dispatch();
        // The test clients keep what they receive; drop it, so that RSS
        // shows the compositor rather than the clients' logs.
        for (c, _) in &windows {
            fx.client(*c).forget_history();
        }
        if n % 100 == 99 {
            settle(&mut fx);
            assert_holds(&fx, loaded, &format!("after {} switches", n + 1));
        }
    }
    settle(&mut fx);
    assert_holds(&fx, loaded, &format!("after {switches} switches"));
    for (c, _) in windows {
        fx.kill_client(c);
    }
    settle(&mut fx);
    assert_holds(&fx, baseline, "all clients gone");
    eprintln!(
        "soak: {switches} switches, 20 clients: RSS {rss_before} KiB before, {} KiB after",
        rss_kib()
    );
}

#[test]
fn clients_that_come_and_go_leave_nothing_behind() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let cycles = env_number("PERSONAS_SOAK_CYCLES", 200);
    let mut fx = Fixture::with_config(FOUR_PERSONAS);
    // One client that stays, so the persona is never empty.
    fx.open_window("a", [0, 0, 255, 255]);
    settle(&mut fx);
    let baseline = held(&fx);
    let rss_before = rss_kib();
    for n in 0..cycles {
        let (c, w) = fx.open_window(NAMES[n % 4], [255, 0, 0, 255]);
        if n % 3 == 0 {
            // Some leave cleanly, the others just vanish.
            fx.client(c).close_window(w);
            fx.roundtrip(c);
        }
        fx.kill_client(c);
        settle(&mut fx);
        assert_holds(&fx, baseline, &format!("after cycle {n}"));
    }
    eprintln!(
        "churn: {cycles} connect/disconnect cycles: RSS {rss_before} KiB before, {} KiB after",
        rss_kib()
    );
}
