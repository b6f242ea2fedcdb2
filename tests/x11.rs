//! X11 isolation in-process: the fixture's two personas each with an
//! Xwayland of their own (`xwayland = true`; the fixture starts none unless
//! asked), driven by X clients written with x11rb. The X servers are real
//! processes, so the loop waits for them (with a limit) instead of stepping.

mod common;
mod real;

use std::time::Duration;

use common::fixture::{key, two_personas_with, Fixture};
use personas::ipc::protocol::{Reply, Request};
use real::xwayland_pid as server_pid;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt as _, CreateWindowAux, EventMask, PropMode, WindowClass,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

const LIMIT: Duration = Duration::from_secs(20);

fn config() -> String {
    two_personas_with("work", "xwayland = true").replace(
        "name = \"personal\"",
        "name = \"personal\"\nxwayland = true",
    )
}

fn display(f: &Fixture, persona: &str) -> String {
    let id = f.state.personas.by_name(persona).unwrap();
    let persona = f.state.personas.get(id).unwrap();
    persona
        .xwayland
        .as_ref()
        .expect("an X server")
        .display_name()
}

/// An X client with one mapped window titled `title`, which listens for
/// keys and focus.
struct XClient {
    conn: RustConnection,
    window: u32,
}

impl XClient {
    fn open(display: &str, title: &str) -> XClient {
        let (conn, screen) = x11rb::connect(Some(display)).expect("connect to the X server");
        let screen = conn.setup().roots[screen].clone();
        let window = conn.generate_id().unwrap();
        conn.create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            window,
            screen.root,
            0,
            0,
            120,
            80,
            0,
            WindowClass::INPUT_OUTPUT,
            0,
            &CreateWindowAux::new()
                .background_pixel(screen.white_pixel)
                .event_mask(EventMask::KEY_PRESS | EventMask::FOCUS_CHANGE),
        )
        .unwrap();
        conn.change_property8(
            PropMode::REPLACE,
            window,
            AtomEnum::WM_NAME,
            AtomEnum::STRING,
            title.as_bytes(),
        )
        .unwrap();
        conn.map_window(window).unwrap();
        conn.flush().unwrap();
        XClient { conn, window }
    }

    /// Whether the X server gives it the keys now (the window manager set
    /// the server's input focus to it).
    fn has_x_focus(&self) -> bool {
        self.conn.get_input_focus().unwrap().reply().unwrap().focus == self.window
    }

    /// Key presses that reached it since last asked.
    fn key_presses(&self) -> usize {
        let mut presses = 0;
        while let Some(event) = self.conn.poll_for_event().unwrap() {
            if let Event::KeyPress(press) = event {
                assert_eq!(press.event, self.window);
                presses += 1;
            }
        }
        presses
    }
}

/// Connects an X client (in a thread: the compositor must run meanwhile,
/// as the first client starts the persona's server).
fn open(f: &mut Fixture, display: &str, title: &str) -> XClient {
    let (display, title) = (display.to_string(), title.to_string());
    let client = std::thread::spawn(move || XClient::open(&display, &title));
    wait(f, |_| client.is_finished());
    client.join().expect("the X client connected")
}

/// Titles of the X11 windows mapped in `persona`.
fn x11_titles(f: &Fixture, persona: &str) -> Vec<String> {
    let id = f.state.personas.by_name(persona).unwrap();
    let state = &f.state.personas.get(id).unwrap().state;
    state
        .focus_stack
        .iter()
        .filter_map(|w| w.x11_surface())
        .map(|x| x.title())
        .collect()
}

/// Runs the loop until `done` (the X servers are processes: no stepping),
/// then one more turn, which checks the compositor's invariants.
fn wait(f: &mut Fixture, done: impl FnMut(&mut Fixture) -> bool) {
    f.dispatch_until(LIMIT, done);
    f.dispatch();
}

/// Presses and releases A, then runs the loop until `done` (a key that
/// never arrives fails the wait).
fn type_a(f: &mut Fixture, mut done: impl FnMut() -> bool) {
    f.key(key::A, true);
    f.key(key::A, false);
    wait(f, |_| done());
}

#[test]
fn each_persona_has_its_own_x_server_windows_and_keys() {
    let mut f = Fixture::with_config(&config());
    // Each has its display at once; a server starts with its first client.
    assert!(f.state.personas.iter().all(|p| p.xwayland.is_some()));
    assert!(f.state.personas.iter().all(|p| p.state.xwm.is_none()));
    let (work_display, personal_display) = (display(&f, "work"), display(&f, "personal"));
    assert_ne!(work_display, personal_display);

    let work = open(&mut f, &work_display, "work-x");
    let personal = open(&mut f, &personal_display, "personal-x");
    wait(&mut f, |f| {
        x11_titles(f, "work") == ["work-x"] && x11_titles(f, "personal") == ["personal-x"]
    });
    // Each window is its persona's only; the other persona's server never
    // had it.
    assert_eq!(x11_titles(&f, "work"), ["work-x"]);
    assert_eq!(x11_titles(&f, "personal"), ["personal-x"]);

    // work is on screen: its X window has the keyboard, personal's hears
    // nothing.
    wait(&mut f, |_| work.has_x_focus());
    let mut work_keys = 0;
    type_a(&mut f, || {
        work_keys += work.key_presses();
        work_keys > 0
    });
    assert_eq!(work_keys, 1);
    assert_eq!(personal.key_presses(), 0);

    // After a switch, the other way round.
    f.switch("personal");
    wait(&mut f, |_| personal.has_x_focus() && !work.has_x_focus());
    let mut personal_keys = 0;
    type_a(&mut f, || {
        personal_keys += personal.key_presses();
        personal_keys > 0
    });
    assert_eq!(personal_keys, 1);
    assert_eq!(work.key_presses(), 0);

    // A closed X client's window leaves its persona.
    drop(work);
    wait(&mut f, |f| x11_titles(f, "work").is_empty());
    assert_eq!(x11_titles(&f, "personal"), ["personal-x"]);
}

#[test]
fn keys_follow_the_persona_focus_between_x_windows() {
    let mut f = Fixture::with_config(&config());
    let display = display(&f, "work");
    let first = open(&mut f, &display, "first");
    wait(&mut f, |f| x11_titles(f, "work") == ["first"]);
    let second = open(&mut f, &display, "second");
    // The newest window is focused (last in the stack).
    wait(&mut f, |f| x11_titles(f, "work") == ["first", "second"]);
    let count = |f: &mut Fixture, to: &XClient, other: &XClient| {
        let mut got = 0;
        type_a(f, || {
            got += to.key_presses();
            got > 0
        });
        (got, other.key_presses())
    };
    wait(&mut f, |_| second.has_x_focus());
    assert_eq!(count(&mut f, &second, &first), (1, 0));
    // Alt+Tab: the first window has the focus, and the keys.
    f.chord(&[key::LEFTALT, key::TAB]);
    wait(&mut f, |f| x11_titles(f, "work") == ["second", "first"]);
    wait(&mut f, |_| first.has_x_focus());
    // Alt went to an X window (the one focused before Tab, unless the X
    // server saw the new focus first): read until it is there.
    let mut alt = 0;
    wait(&mut f, |_| {
        alt += first.key_presses() + second.key_presses();
        alt > 0
    });
    assert_eq!(count(&mut f, &first, &second), (1, 0));
}

#[test]
fn a_reload_starts_and_ends_a_persona_x_server() {
    let mut f = Fixture::with_config(&config());
    let work_display = display(&f, "work");
    let client = open(&mut f, &work_display, "work-x");
    wait(&mut f, |f| x11_titles(f, "work") == ["work-x"]);
    let has_server = |f: &Fixture, name: &str| {
        let id = f.state.personas.by_name(name).unwrap();
        let persona = f.state.personas.get(id).unwrap();
        persona.xwayland.as_ref().is_some_and(|x| !x.off)
    };
    let before = display(&f, "work");

    let off = two_personas_with("work", "xwayland = false").replace(
        "name = \"personal\"",
        "name = \"personal\"\nxwayland = true",
    );
    let off = personas::config::Config::parse(&off, "test.toml").unwrap();
    f.state.apply_config(off).unwrap();
    f.dispatch();
    assert!(!has_server(&f, "work"));
    assert!(x11_titles(&f, "work").is_empty());
    assert!(has_server(&f, "personal"));
    // No server, and `list` shows none; the number stays the persona's.
    let Reply::Personas { personas } = f.request(Request::List) else {
        panic!("list");
    };
    assert!(personas
        .iter()
        .find(|p| p.name == "work")
        .unwrap()
        .x11
        .is_none());
    assert!(personas
        .iter()
        .find(|p| p.name == "personal")
        .unwrap()
        .x11
        .is_some());
    drop(client);

    let on = personas::config::Config::parse(&config(), "test.toml").unwrap();
    f.state.apply_config(on).unwrap();
    assert_eq!(display(&f, "work"), before);
    assert!(has_server(&f, "work"));
    let again = open(&mut f, &before, "again");
    wait(&mut f, |f| x11_titles(f, "work") == ["again"]);
    drop(again);
}

#[test]
fn menus_place_themselves_and_take_no_focus() {
    let mut f = Fixture::with_config(&config());
    let display = display(&f, "work");
    let app = open(&mut f, &display, "app");
    wait(&mut f, |_| app.has_x_focus());
    // An override-redirect window, as a menu or tooltip is.
    let conn = &app.conn;
    let root = conn.setup().roots[0].root;
    let menu = conn.generate_id().unwrap();
    conn.create_window(
        x11rb::COPY_DEPTH_FROM_PARENT,
        menu,
        root,
        30,
        40,
        50,
        20,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::new()
            .override_redirect(1)
            .background_pixel(conn.setup().roots[0].black_pixel),
    )
    .unwrap();
    conn.map_window(menu).unwrap();
    conn.flush().unwrap();
    let placed = |f: &Fixture| {
        let id = f.state.personas.by_name("work").unwrap();
        let state = &f.state.personas.get(id).unwrap().state;
        state.space.elements().find_map(|w| {
            let x11 = w.x11_surface()?;
            (x11.is_override_redirect() && x11.wl_surface().is_some())
                .then(|| state.space.element_location(w))
                .flatten()
        })
    };
    wait(&mut f, |f| placed(f).is_some());
    assert_eq!(placed(&f), Some((30, 40).into()));
    // Not a window of the persona's: not listed, and the app keeps the keys.
    assert_eq!(x11_titles(&f, "work"), ["app"]);
    assert!(app.has_x_focus());
    conn.unmap_window(menu).unwrap();
    conn.flush().unwrap();
    wait(&mut f, |f| placed(f).is_none());
}

#[test]
fn a_server_starts_with_its_first_client_and_again_after_it_dies() {
    let mut f = Fixture::with_config(&config());
    let work = display(&f, "work");
    // No client, no server: an idle persona costs no X server.
    f.dispatch();
    assert_eq!(server_pid(&work), None);
    let first = open(&mut f, &work, "first");
    wait(&mut f, |f| x11_titles(f, "work") == ["first"]);
    let pid = server_pid(&work).expect("the first client started a server");
    assert_eq!(server_pid(&display(&f, "personal")), None);

    // SAFETY: a signal to the X server this test's compositor started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait(&mut f, |f| x11_titles(f, "work").is_empty());
    drop(first);
    // The next client starts a new server on the same display.
    let second = open(&mut f, &work, "second");
    wait(&mut f, |f| x11_titles(f, "work") == ["second"]);
    assert!(server_pid(&work).is_some_and(|p| p != pid));
    drop(second);
}
