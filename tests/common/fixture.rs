//! The in-process fixture: the compositor and wayland-client test clients driven
//! in one thread, one loop, without sleeps. Clients connect through socket pairs.

#![allow(dead_code)]

use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use personas::config::{Config, ConfigSource};
use personas::input::InputEvent;
use personas::ipc::protocol::{Reply, Request};
use personas::render::Screenshot;
use personas::state::{Options, State};
use smithay::reexports::calloop::EventLoop;

use super::client::TestClient;

/// No indicator, so windows fill the whole 320x200 output; the indicator has
/// its own tests.
pub const TWO_PERSONAS: &str = r##"
indicator = "none"
switch_notice = false
[headless]
size = "320x200"
[keys]
"Super+Ctrl+Right" = "next"
"Super+Ctrl+Left" = "prev"
"Super+Ctrl+1" = { switch = "work" }
"Super+Ctrl+2" = { switch = "personal" }
"Alt+Tab" = "focus-next-window"
[[persona]]
name = "work"
color = "#3366cc"
[[persona]]
name = "personal"
color = "#cc6633"
"##;

/// [`TWO_PERSONAS`] with `setting` (a TOML line) added to `persona`'s table.
pub fn two_personas_with(persona: &str, setting: &str) -> String {
    let name = format!("name = \"{persona}\"");
    TWO_PERSONAS.replace(&name, &format!("{name}\n{setting}"))
}

/// evdev key codes used by the tests.
pub mod key {
    pub const ESC: u32 = 1;
    pub const TAB: u32 = 15;
    pub const A: u32 = 30;
    pub const LEFTCTRL: u32 = 29;
    pub const LEFTSHIFT: u32 = 42;
    pub const LEFTALT: u32 = 56;
    pub const LEFTMETA: u32 = 125;
    pub const RIGHT: u32 = 106;
    pub const LEFT: u32 = 105;
    pub const KEY_1: u32 = 2;
    pub const KEY_2: u32 = 3;
}

pub struct Fixture {
    pub event_loop: EventLoop<'static, State>,
    pub state: State,
    /// `None` once a test killed the client.
    clients: Vec<Option<TestClient>>,
}

pub type ClientId = usize;

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_config(TWO_PERSONAS)
    }

    pub fn with_config(toml: &str) -> Fixture {
        let config = Config::parse(toml, "test.toml").expect("test config is valid");
        let event_loop: EventLoop<'static, State> = EventLoop::try_new().unwrap();
        let state = State::new(
            Options {
                config,
                config_source: ConfigSource::File(PathBuf::from("/nonexistent/test.toml")),
                runtime_dir: None,
                test_input: true,
                launch_sessions: false,
                backend: None,
            },
            event_loop.handle(),
        )
        .expect("compositor starts");
        let mut fixture = Fixture {
            event_loop,
            state,
            clients: Vec::new(),
        };
        fixture.dispatch();
        fixture
    }

    /// Connects a new client to the named persona and waits for its globals.
    pub fn add_client(&mut self, persona: &str) -> ClientId {
        let id = self
            .state
            .personas
            .by_name(persona)
            .unwrap_or_else(|| panic!("no persona {persona}"));
        let (server, client) = UnixStream::pair().unwrap();
        self.state.accept_client(id, server);
        self.clients.push(Some(TestClient::new(client)));
        let cid = self.clients.len() - 1;
        self.roundtrip(cid);
        cid
    }

    /// Connects a client to the system display (as the compositor does for
    /// the helpers it starts) with every usual global bound.
    pub fn add_system_client(&mut self) -> ClientId {
        let id = self
            .state
            .personas
            .system_id()
            .expect("the system display exists");
        let (server, client) = UnixStream::pair().unwrap();
        self.state.accept_client(id, server);
        self.clients.push(Some(TestClient::new(client)));
        let cid = self.clients.len() - 1;
        self.roundtrip(cid);
        self.client(cid).bind_all();
        self.roundtrip(cid);
        self.roundtrip(cid);
        cid
    }

    /// A client connected some other way (through a listener the compositor
    /// serves); the stream is its end.
    pub fn adopt_client(&mut self, stream: UnixStream) -> ClientId {
        self.clients.push(Some(TestClient::new(stream)));
        self.clients.len() - 1
    }

    /// A client with every usual global bound.
    pub fn add_bound_client(&mut self, persona: &str) -> ClientId {
        let id = self.add_client(persona);
        self.client(id).bind_all();
        self.roundtrip(id);
        self.roundtrip(id);
        id
    }

    /// A client in `persona` with one mapped window filled with `color` at the
    /// size its configure asked for; returns (client, window).
    pub fn open_window(&mut self, persona: &str, color: [u8; 4]) -> (ClientId, usize) {
        let c = self.add_bound_client(persona);
        let w = self.add_window(c, color);
        (c, w)
    }

    /// Another mapped window of client `c`.
    pub fn add_window(&mut self, c: ClientId, color: [u8; 4]) -> usize {
        let w = self.client(c).create_window();
        self.roundtrip(c);
        self.client(c).ack_and_draw(w, color, (1, 1));
        self.roundtrip(c);
        w
    }

    /// Presses `keys` in order, then releases them in reverse.
    pub fn chord(&mut self, keys: &[u32]) {
        for &k in keys {
            self.key(k, true);
        }
        for &k in keys.iter().rev() {
            self.key(k, false);
        }
    }

    pub fn client(&mut self, id: ClientId) -> &mut TestClient {
        self.clients[id].as_mut().expect("client was killed")
    }

    /// Drops the client's connection abruptly, as a crashing client would.
    pub fn kill_client(&mut self, id: ClientId) {
        self.clients[id] = None;
        self.dispatch();
    }

    /// One turn of everything: the compositor's loop (no waiting), then every client.
    pub fn dispatch(&mut self) {
        for client in self.clients.iter_mut().flatten() {
            client.flush();
        }
        self.event_loop
            .dispatch(Some(Duration::ZERO), &mut self.state)
            .unwrap();
        self.state.refresh_and_flush();
        if let Err(broken) = self.state.check_invariants() {
            panic!("invariant broken: {broken}");
        }
        for client in self.clients.iter_mut().flatten() {
            client.dispatch();
        }
    }

    /// Runs the real event loop (blocking on its timers) until `done` holds;
    /// panics after `limit`. For what depends on the loop's own clocks.
    pub fn dispatch_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Fixture) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(start.elapsed() < limit, "not reached within {limit:?}");
            for client in self.clients.iter_mut().flatten() {
                client.flush();
            }
            self.event_loop
                .dispatch(Some(Duration::from_millis(20)), &mut self.state)
                .unwrap();
            self.state.refresh_and_flush();
            for client in self.clients.iter_mut().flatten() {
                client.dispatch();
            }
        }
    }

    /// Waits until the server has handled everything `id` sent so far, and the
    /// client has read every reply.
    pub fn roundtrip(&mut self, id: ClientId) {
        let token = self.client(id).sync();
        for _ in 0..1000 {
            // What the socket did not take yet (a big burst of requests).
            self.client(id).flush();
            self.dispatch();
            let client = self.client(id);
            if client.is_synced(token) || client.is_disconnected() {
                // One more turn so events queued after the sync reply arrive too.
                self.dispatch();
                return;
            }
        }
        panic!("client {id} did not get its sync reply");
    }

    /// `n` damage rectangles on window `w` of client `c`, sent in bursts the
    /// socket takes (libwayland 1.21 gives up on a full socket), the
    /// compositor reading between them; no commit.
    pub fn damage_many(&mut self, c: ClientId, w: usize, n: usize) {
        let mut left = n;
        while left > 0 {
            let burst = left.min(100);
            self.client(c).damage_many(w, burst);
            self.dispatch();
            left -= burst;
        }
    }

    pub fn roundtrip_all(&mut self) {
        for id in 0..self.clients.len() {
            if self.clients[id]
                .as_ref()
                .is_some_and(|c| !c.is_disconnected())
            {
                self.roundtrip(id);
            }
        }
    }

    pub fn request(&mut self, request: Request) -> Reply {
        let reply = self.state.handle_request(request);
        self.dispatch();
        reply
    }

    pub fn switch(&mut self, name: &str) {
        match self.request(Request::Switch { name: name.into() }) {
            Reply::Switched { to, .. } => assert_eq!(to, name),
            other => panic!("switch failed: {other:?}"),
        }
        self.roundtrip_all();
    }

    pub fn active(&self) -> String {
        self.state.personas.active().state.name.clone()
    }

    /// Presses or releases a key by evdev code, as a keyboard would.
    pub fn key(&mut self, code: u32, pressed: bool) {
        self.state.process_input(
            InputEvent::Key {
                keycode: code + 8,
                pressed,
            },
            Instant::now(),
        );
        self.dispatch();
    }

    /// An input event stamped `at` (gestures measure their speed with it).
    pub fn input_at(&mut self, event: InputEvent, at: Instant) {
        self.state.process_input(event, at);
        self.dispatch();
    }

    pub fn input(&mut self, event: InputEvent) {
        self.state.process_input(event, Instant::now());
        self.dispatch();
    }

    /// A one-finger tap (slot 0) at (`x`, `y`) on the output.
    pub fn touch_tap(&mut self, x: f64, y: f64) {
        self.input(InputEvent::TouchDown { slot: 0, x, y });
        self.input(InputEvent::TouchUp { slot: 0 });
    }

    /// Renders the active persona now (as the frame clock would) and reads the output.
    pub fn render(&mut self) -> Screenshot {
        self.roundtrip_all();
        self.state.render_frame();
        self.dispatch();
        self.state
            .backend
            .headless()
            .expect("headless")
            .screenshot()
            .unwrap()
    }

    /// The middle pixel (RGB) output `index` shows now, as the headless
    /// backend last drew it.
    pub fn output_middle(&mut self, index: usize) -> [u8; 3] {
        let shot = self.shown_on(index);
        let p = shot.pixel(shot.width / 2, shot.height / 2);
        [p[0], p[1], p[2]]
    }

    /// What output `index` shows, as the headless backend last drew it.
    pub fn shown_on(&mut self, index: usize) -> Screenshot {
        self.state
            .backend
            .headless()
            .expect("headless")
            .screenshot_of(index)
            .unwrap()
    }

    /// Renders a frame; what output `index` shows then.
    pub fn render_output(&mut self, index: usize) -> Screenshot {
        self.render();
        self.shown_on(index)
    }

    /// A background persona's kept content, as `screenshot --persona` gives it.
    pub fn snapshot(&mut self, persona: &str) -> Screenshot {
        let id = self.state.personas.by_name(persona).unwrap();
        let state = &self.state.personas.get(id).unwrap().state;
        self.state.backend.snapshot(state).unwrap()
    }
}

/// Asserts every pixel of `shot` in `rect` (x, y, w, h) is `rgba`; on a mismatch
/// writes `<name>.actual.png` and `<name>.expected.png` under target/test-pixels.
pub fn assert_region(shot: &Screenshot, rect: (u32, u32, u32, u32), rgba: [u8; 4], name: &str) {
    let (x0, y0, w, h) = rect;
    let mut bad = None;
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            let px = shot.pixel(x, y);
            if px != rgba {
                bad = Some((x, y, px));
                break;
            }
        }
        if bad.is_some() {
            break;
        }
    }
    if let Some((x, y, px)) = bad {
        let mut expected = shot.clone();
        for yy in y0..y0 + h {
            for xx in x0..x0 + w {
                let i = ((yy * shot.width + xx) * 4) as usize;
                expected.rgba[i..i + 4].copy_from_slice(&rgba);
            }
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-pixels");
        std::fs::create_dir_all(&dir).unwrap();
        let write = |shot: &Screenshot, suffix: &str| {
            let path = dir.join(format!("{name}.{suffix}.png"));
            let png =
                personas::ipc::protocol::encode_png(shot.width, shot.height, &shot.rgba).unwrap();
            std::fs::write(&path, png).unwrap();
            path
        };
        let a = write(shot, "actual");
        let e = write(&expected, "expected");
        panic!(
            "{name}: pixel ({x},{y}) is {px:?}, expected {rgba:?}; see {} and {}",
            a.display(),
            e.display()
        );
    }
}
