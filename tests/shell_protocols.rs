//! The smaller shell protocols each persona offers: every global is there,
//! an xdg-foreign handle means something only in its own persona, and a
//! background persona's wp-fifo barriers are released at its throttle rate
//! (so a hidden Vulkan client slows down instead of stalling).

mod common;

use common::fixture::{assert_region, Fixture};

const RED: [u8; 4] = [255, 0, 0, 255];
const GREEN: [u8; 4] = [0, 255, 0, 255];

/// What toolkits look for, besides the core globals the other tests use.
const GLOBALS: &[&str] = &[
    "zwlr_layer_shell_v1",
    "zxdg_exporter_v2",
    "zxdg_importer_v2",
    "xdg_wm_dialog_v1",
    "xdg_toplevel_icon_manager_v1",
    "xdg_system_bell_v1",
    "wp_content_type_manager_v1",
    "wp_alpha_modifier_v1",
    "wp_fifo_manager_v1",
    "wp_commit_timing_manager_v1",
    "ext_foreign_toplevel_list_v1",
    "zwlr_foreign_toplevel_manager_v1",
    "wp_fractional_scale_manager_v1",
];

#[test]
fn every_persona_offers_the_shell_protocols() {
    let mut fx = Fixture::new();
    for persona in ["work", "personal"] {
        let c = fx.add_client(persona);
        for global in GLOBALS {
            assert_eq!(
                fx.client(c).count_globals(global),
                1,
                "{persona} offers {global} once"
            );
        }
    }
}

#[test]
fn an_xdg_foreign_handle_means_nothing_in_another_persona() {
    let mut fx = Fixture::new();
    let (app, _) = fx.open_window("work", RED);
    fx.client(app).export_toplevel(0);
    fx.roundtrip(app);
    let handles = fx.client(app).foreign_handles();
    assert_eq!(handles.len(), 1, "the exported toplevel got a handle");
    let handle = &handles[0];

    // A portal-like client in the other persona cannot import it...
    let (stranger, _) = fx.open_window("personal", GREEN);
    fx.client(stranger).import_toplevel(handle, 0);
    fx.roundtrip(stranger);
    assert_eq!(
        fx.client(stranger).imports_destroyed(),
        1,
        "the import names nothing there"
    );

    // ...one in the same persona can, and its dialog gets the app as parent.
    let (dialog, _) = fx.open_window("work", GREEN);
    fx.client(dialog).import_toplevel(handle, 0);
    fx.roundtrip(dialog);
    assert_eq!(fx.client(dialog).imports_destroyed(), 0);
    let work = fx.state.personas.by_name("work").unwrap();
    let state = &fx.state.personas.get(work).unwrap().state;
    let parented = state
        .space
        .elements()
        .filter_map(|w| w.toplevel())
        .filter(|t| t.parent().is_some())
        .count();
    assert_eq!(
        parented, 1,
        "the importing toplevel has the exported one as parent"
    );
}

#[test]
fn a_background_personas_fifo_barriers_are_released_at_its_throttle_rate() {
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("personal", RED);
    let size = (320, 200);
    // The first barrier is set; nothing waits on it yet.
    fx.client(c).fifo_draw(w, RED, size);
    fx.roundtrip(c);
    // This commit waits on it: a background persona shows nothing, so only
    // the throttle tick releases it.
    fx.client(c).fifo_draw(w, GREEN, size);
    fx.roundtrip(c);
    let held = fx.snapshot("personal");
    assert_region(&held, (0, 0, 320, 200), RED, "fifo_held_in_background");
    fx.state.throttled_background_frames();
    fx.roundtrip(c);
    let released = fx.snapshot("personal");
    assert_region(&released, (0, 0, 320, 200), GREEN, "fifo_released_by_tick");
}

#[test]
fn the_active_personas_fifo_barriers_are_released_by_its_frames() {
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("work", RED);
    let size = (320, 200);
    fx.client(c).fifo_draw(w, RED, size);
    fx.roundtrip(c);
    fx.client(c).fifo_draw(w, GREEN, size);
    let shot = fx.render();
    assert_region(&shot, (0, 0, 320, 200), RED, "fifo_frame_shows_first");
    let shot = fx.render();
    assert_region(
        &shot,
        (0, 0, 320, 200),
        GREEN,
        "fifo_next_frame_shows_second",
    );
}

#[test]
fn a_task_list_shows_and_manages_its_own_personas_windows_only() {
    let mut fx = Fixture::new();
    let mail = fx.add_bound_client("work");
    let m = fx
        .client(mail)
        .create_window_with(Some("Inbox"), Some("mail"));
    fx.roundtrip(mail);
    fx.client(mail).ack_and_draw(m, RED, (1, 1));
    let (editor, e) = {
        let c = fx.add_bound_client("work");
        let w = fx
            .client(c)
            .create_window_with(Some("notes.txt"), Some("editor"));
        fx.roundtrip(c);
        fx.client(c).ack_and_draw(w, GREEN, (1, 1));
        (c, w)
    };
    let stranger = fx.add_bound_client("personal");
    let s = fx
        .client(stranger)
        .create_window_with(Some("Diary"), Some("diary"));
    fx.roundtrip(stranger);
    fx.client(stranger).ack_and_draw(s, GREEN, (1, 1));
    fx.roundtrip_all();

    let panel = fx.add_bound_client("work");
    fx.client(panel).watch_wlr_toplevels();
    fx.roundtrip(panel);
    let tasks = fx.client(panel).foreign_toplevels();
    let mut names: Vec<(String, String)> = tasks
        .iter()
        .map(|t| (t.app_id.clone(), t.title.clone()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            ("editor".to_string(), "notes.txt".to_string()),
            ("mail".to_string(), "Inbox".to_string())
        ],
        "only work's windows, not personal's diary"
    );
    let activated = |tasks: &[common::client::ForeignToplevel], app: &str| {
        tasks
            .iter()
            .find(|t| t.app_id == app)
            .unwrap()
            .states
            .contains(&2)
    };
    assert!(
        activated(&tasks, "editor"),
        "the focused window is activated"
    );
    assert!(!activated(&tasks, "mail"));

    // Activating the mail window focuses it.
    let mail_task = tasks.iter().position(|t| t.app_id == "mail").unwrap();
    fx.client(panel).activate_toplevel(mail_task);
    fx.roundtrip_all();
    let tasks = fx.client(panel).foreign_toplevels();
    assert!(activated(&tasks, "mail"));
    assert!(!activated(&tasks, "editor"));
    assert!(fx.client(mail).window(m).activated());

    // Closing asks the editor to close; when it goes, its task is closed.
    let editor_task = tasks.iter().position(|t| t.app_id == "editor").unwrap();
    fx.client(panel).close_toplevel(editor_task);
    fx.roundtrip_all();
    assert!(
        fx.client(editor).window(e).closed,
        "the editor got xdg_toplevel.close"
    );
    fx.client(editor).close_window(e);
    fx.roundtrip_all();
    assert!(fx.client(panel).foreign_toplevels()[editor_task].closed);
    // A new window in the other persona never shows up here.
    let s2 = fx.client(stranger).create_window();
    fx.roundtrip(stranger);
    fx.client(stranger).ack_and_draw(s2, GREEN, (1, 1));
    fx.roundtrip_all();
    assert_eq!(fx.client(panel).foreign_toplevels().len(), 2);
}

#[test]
fn a_timed_commit_shows_at_its_time_with_nothing_else_drawing() {
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("work", RED);
    let shot = fx.render();
    assert_region(&shot, (0, 0, 320, 200), RED, "timed_before");
    fx.client(c).timed_draw(w, GREEN, (320, 200), 100);
    fx.roundtrip(c);
    let held = fx.snapshot("work");
    assert_region(&held, (0, 0, 320, 200), RED, "timed_held_until_its_time");
    // Only the compositor's own loop runs: no input, no other client.
    fx.dispatch_until(std::time::Duration::from_secs(5), |fx| {
        fx.snapshot("work").pixel(160, 100) == GREEN
    });
}
