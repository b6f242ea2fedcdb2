//! One process serves every persona, so a client that floods its socket or
//! piles up objects must cost only itself: each dispatch reads a client's
//! socket at most once (our wayland-backend patch, vendor/README.md), and a
//! client past `MAX_CLIENT_OBJECTS` is disconnected with `no_memory`.
//!
//! The in-process tests count exactly; the last test runs the real binary
//! with a client writing without pause into one persona and checks that a
//! client of the other persona keeps its frame rate (a ratio of two rates
//! measured in the same run, with a wide margin: the point is "served", not
//! "fast").

mod common;

mod real;

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::fixture::Fixture;
use personas::persona::MAX_CLIENT_OBJECTS;

/// The patched backend's read buffer: what one dispatch may take from a client.
const READ_SIZE: usize = 4096;

/// A client speaking raw wire messages, to send exactly what a test needs
/// and nothing a client library would add.
struct Raw {
    stream: UnixStream,
    inbox: Vec<u8>,
    closed: bool,
}

/// One decoded event: (object, opcode, body).
type RawEvent = (u32, u16, Vec<u8>);

fn message(object: u32, opcode: u16, args: &[u32]) -> Vec<u8> {
    let size = 8 + 4 * args.len();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&object.to_ne_bytes());
    out.extend_from_slice(&(((size as u32) << 16) | u32::from(opcode)).to_ne_bytes());
    for arg in args {
        out.extend_from_slice(&arg.to_ne_bytes());
    }
    out
}

/// A wire string argument: length with the NUL, then the bytes padded to 4.
fn string_arg(text: &str) -> Vec<u32> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    let len = bytes.len() as u32;
    bytes.resize(bytes.len().div_ceil(4) * 4, 0);
    let mut words = vec![len];
    words.extend(
        bytes
            .chunks(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]])),
    );
    words
}

impl Raw {
    fn new(stream: UnixStream) -> Raw {
        stream.set_nonblocking(true).unwrap();
        Raw {
            stream,
            inbox: Vec::new(),
            closed: false,
        }
    }

    fn in_fixture(fx: &mut Fixture, persona: &str) -> Raw {
        let id = fx.state.personas.by_name(persona).unwrap();
        let (server, client) = UnixStream::pair().unwrap();
        fx.state.accept_client(id, server);
        Raw::new(client)
    }

    /// Writes `bytes`, letting `turn` run whenever the socket is full.
    fn write_all(&mut self, bytes: &[u8], mut turn: impl FnMut(&mut Raw)) {
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.stream.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == ErrorKind::WouldBlock => turn(self),
                Err(e) => panic!("raw client write: {e}"),
            }
        }
    }

    /// Reads what the socket holds; returns the complete events in it.
    fn events(&mut self) -> Vec<RawEvent> {
        let mut buf = [0u8; 65536];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.closed = true;
                    break;
                }
                Ok(n) => self.inbox.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => {
                    self.closed = true;
                    break;
                }
            }
        }
        let mut events = Vec::new();
        while self.inbox.len() >= 8 {
            let word = |at: usize| u32::from_ne_bytes(self.inbox[at..at + 4].try_into().unwrap());
            let (object, head) = (word(0), word(4));
            let size = (head >> 16) as usize;
            if self.inbox.len() < size {
                break;
            }
            events.push((object, head as u16, self.inbox[8..size].to_vec()));
            self.inbox.drain(..size);
        }
        events
    }

    /// The `wl_registry.global` name of `interface` among `events`.
    fn global_name(events: &[RawEvent], registry: u32, interface: &str) -> Option<u32> {
        events.iter().find_map(|(object, opcode, body)| {
            let word = |at: usize| u32::from_ne_bytes(body[at..at + 4].try_into().unwrap());
            if *object != registry || *opcode != 0 {
                return None;
            }
            let len = word(4) as usize;
            let name = std::str::from_utf8(&body[8..8 + len - 1]).ok()?;
            (name == interface).then(|| word(0))
        })
    }
}

/// wl_display.sync(new_id) for each id: one `done` and one `delete_id` each.
fn syncs(ids: std::ops::Range<u32>) -> Vec<u8> {
    ids.flat_map(|id| message(1, 0, &[id])).collect()
}

fn count_done(events: &[RawEvent]) -> usize {
    // wl_callback.done is opcode 0 on a callback; wl_display's own events
    // (error 0, delete_id 1) are on object 1.
    events
        .iter()
        .filter(|(o, op, _)| *o != 1 && *op == 0)
        .count()
}

/// A client that sent far more than one read's worth gets one read per
/// dispatch; a client of the other persona is answered in the same turn
/// while most of the flood still waits.
#[test]
fn a_flooding_client_gets_one_read_per_dispatch() {
    let mut fx = Fixture::new();
    let victim = fx.add_bound_client("work");
    let mut flood = Raw::in_fixture(&mut fx, "personal");
    const SYNCS: u32 = 5000;
    let bytes = syncs(2..2 + SYNCS);
    flood.write_all(&bytes, |_| panic!("the socket holds 60 kB"));

    fx.dispatch();
    let first = count_done(&flood.events());
    assert!(
        (1..=READ_SIZE / 12).contains(&first),
        "one dispatch answered {first} of {SYNCS} syncs; one read holds at most {}",
        READ_SIZE / 12
    );

    // The other persona's client: its sync is answered in the next turn.
    let token = fx.client(victim).sync();
    fx.dispatch();
    assert!(
        fx.client(victim).is_synced(token),
        "the victim waited behind the flood"
    );
    let mut answered = first + count_done(&flood.events());
    assert!(answered < SYNCS as usize, "the flood was not spread out");

    let mut turns = 2;
    while answered < SYNCS as usize {
        fx.dispatch();
        answered += count_done(&flood.events());
        turns += 1;
        assert!(turns < 1000, "the flood stalled at {answered}");
    }
    assert_eq!(answered, SYNCS as usize);
    assert!(
        turns >= bytes.len() / READ_SIZE,
        "{} bytes took only {turns} dispatches",
        bytes.len()
    );
    assert!(!flood.closed, "a busy client is served, not dropped");
}

/// Up to `MAX_CLIENT_OBJECTS` objects are served; the next one ends the
/// client with `no_memory`, and only that client.
#[test]
fn a_client_past_the_object_limit_is_disconnected() {
    let mut fx = Fixture::new();
    let (victim, _) = fx.open_window("work", [0, 255, 0, 255]);
    // Registry 2, compositor 3.
    let mut raw = raw_with_global(&mut fx, "personal", "wl_compositor", 1);

    // Client ids are dense, so the highest id is the live count: display 1,
    // registry 2, compositor 3, regions 4..=MAX-1.
    let max = MAX_CLIENT_OBJECTS as u32;
    let regions: Vec<u8> = (4..max).flat_map(|id| message(3, 1, &[id])).collect();
    let mut turn = |raw: &mut Raw| {
        fx.dispatch();
        assert!(raw.events().iter().all(|(o, op, _)| !(*o == 1 && *op == 0)));
    };
    raw.write_all(&regions, &mut turn);
    // The object that reaches the limit is still allowed (a sync, answered).
    raw.write_all(&message(1, 0, &[max]), &mut turn);
    let mut events = Vec::new();
    while count_done(&events) == 0 {
        fx.dispatch();
        events.extend(raw.events());
        assert!(!raw.closed, "closed at the limit: {events:?}");
    }
    // The callback is gone; a region takes its place, then one more is refused.
    let last = [message(3, 1, &[max]), message(3, 1, &[max + 1])].concat();
    assert!(
        !served_after(&mut fx, &mut raw, &last, max + 2),
        "the object past the limit ends the client"
    );

    fx.roundtrip(victim);
    let c = fx.add_bound_client("personal");
    fx.roundtrip(c);
}

/// A real `personas`: while a client writes requests without pause into the
/// background persona, the active persona's client keeps (at least half of)
/// the frame rate it had before.
#[test]
fn a_flooded_persona_does_not_slow_another_one() {
    let c = real::Compositor::start("[[persona]]\nname = \"work\"\n[[persona]]\nname = \"home\"\n");
    let socket = |p: &str| c.path(&format!("runtime/personas/{p}/wayland-0"));

    let mut client = common::client::TestClient::new(UnixStream::connect(socket("work")).unwrap());
    let ready = |client: &mut common::client::TestClient, token: u32| {
        let start = Instant::now();
        while !client.is_synced(token) {
            assert!(start.elapsed() < Duration::from_secs(10), "no roundtrip");
            std::thread::sleep(Duration::from_millis(1));
            client.dispatch();
        }
    };
    let t = client.sync();
    ready(&mut client, t);
    client.bind_all();
    let t = client.sync();
    ready(&mut client, t);
    let w = client.create_window();
    let t = client.sync();
    ready(&mut client, t);
    client.draw_with_frame(w, [0, 0, 255, 255], (64, 64));
    let frames_in = |client: &mut common::client::TestClient, window: Duration| {
        let start = Instant::now();
        let first = client.frames_done(w);
        let mut seen = first;
        while start.elapsed() < window {
            std::thread::sleep(Duration::from_millis(1));
            client.dispatch();
            let now = client.frames_done(w);
            if now != seen {
                seen = now;
                client.draw_with_frame(w, [0, 0, 255, 255], (64, 64));
            }
        }
        seen - first
    };
    frames_in(&mut client, Duration::from_millis(300));
    let window = Duration::from_secs(2);
    let calm = frames_in(&mut client, window);

    // The attacker: an xdg_positioner and set_size on it, for ever.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attacker = {
        let stop = stop.clone();
        let mut raw = Raw::new(UnixStream::connect(socket("home")).unwrap());
        std::thread::spawn(move || {
            raw.write_all(&[message(1, 1, &[2]), message(1, 0, &[3])].concat(), |_| {});
            let mut events = Vec::new();
            while count_done(&events) == 0 {
                std::thread::sleep(Duration::from_millis(1));
                events.extend(raw.events());
            }
            let wm_base = Raw::global_name(&events, 2, "xdg_wm_base").expect("xdg_wm_base");
            let mut bind = vec![wm_base];
            bind.extend(string_arg("xdg_wm_base"));
            bind.extend([1, 3]);
            let setup = [message(2, 0, &bind), message(3, 1, &[4])].concat();
            raw.write_all(&setup, |_| {});
            let chunk: Vec<u8> = (0..4096).flat_map(|_| message(4, 1, &[10, 10])).collect();
            let mut sent = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                raw.write_all(&chunk, |raw| {
                    raw.events();
                    std::thread::yield_now();
                });
                sent += 4096;
            }
            (sent, raw.closed)
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let flooded = frames_in(&mut client, window);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (sent, closed) = attacker.join().unwrap();
    eprintln!(
        "frames in {window:?}: {calm} calm, {flooded} while {sent} requests flooded the other persona"
    );
    assert!(!closed, "the attacker sends valid requests");
    assert!(sent > 100_000, "the flood was real: {sent} requests");
    assert!(calm >= 20, "the calm rate is measurable: {calm}");
    assert!(
        flooded * 3 >= calm,
        "{flooded} frames under attack against {calm} calm"
    );
}

/// A raw client in `persona` with `interface` bound as object 3 (after
/// registry 2); returns the client.
fn raw_with_global(fx: &mut Fixture, persona: &str, interface: &str, version: u32) -> Raw {
    let mut raw = Raw::in_fixture(fx, persona);
    raw.write_all(&[message(1, 1, &[2]), message(1, 0, &[3])].concat(), |_| {});
    let mut events = Vec::new();
    while count_done(&events) == 0 {
        fx.dispatch();
        events.extend(raw.events());
    }
    let name = Raw::global_name(&events, 2, interface).expect(interface);
    let mut bind = vec![name];
    bind.extend(string_arg(interface));
    bind.extend([version, 3]);
    raw.write_all(&message(2, 0, &bind), |_| {});
    raw
}

/// Sends `bytes`, then a sync; true if the client was answered, false if it
/// was disconnected with `no_memory` first.
fn served_after(fx: &mut Fixture, raw: &mut Raw, bytes: &[u8], sync_id: u32) -> bool {
    raw.write_all(bytes, |_| {});
    raw.write_all(&message(1, 0, &[sync_id]), |_| {});
    let mut error = None;
    for _ in 0..10_000 {
        fx.dispatch();
        for (object, opcode, body) in raw.events() {
            if object == 1 && opcode == 0 {
                error = Some(u32::from_ne_bytes(body[4..8].try_into().unwrap()));
            } else if object == sync_id && opcode == 0 {
                return true;
            }
        }
        if raw.closed {
            assert_eq!(error, Some(2), "disconnected with no_memory");
            return false;
        }
    }
    panic!("neither answered nor disconnected");
}

/// Lists that grow without new objects have limits too: a region's
/// rectangles and a selection source's mime types end the client past
/// theirs; only that client.
#[test]
fn growing_lists_end_only_their_client() {
    use personas::handlers::limits::{MAX_MIME_TYPES, MAX_REGION_RECTS};
    let mut fx = Fixture::new();
    let (victim, _) = fx.open_window("work", [0, 255, 0, 255]);

    // wl_compositor.create_region(4), then wl_region.add (opcode 1).
    let mut raw = raw_with_global(&mut fx, "personal", "wl_compositor", 4);
    let mut rects = message(3, 1, &[4]);
    for i in 0..MAX_REGION_RECTS {
        rects.extend(message(4, 1, &[i, i, 1, 1]));
    }
    assert!(served_after(&mut fx, &mut raw, &rects, 5), "at the limit");
    assert!(!served_after(
        &mut fx,
        &mut raw,
        &message(4, 2, &[0, 0, 1, 1]),
        5
    ));

    // A region destroyed and made again starts from zero.
    let mut raw = raw_with_global(&mut fx, "personal", "wl_compositor", 4);
    let mut rects = message(3, 1, &[4]);
    rects.extend((0..MAX_REGION_RECTS).flat_map(|i| message(4, 1, &[i, 0, 1, 1])));
    rects.extend(message(4, 0, &[]));
    rects.extend(message(3, 1, &[4]));
    rects.extend((0..10).flat_map(|i| message(4, 1, &[i, 0, 1, 1])));
    assert!(served_after(&mut fx, &mut raw, &rects, 5), "counted afresh");
    drop(raw);

    // wl_data_device_manager.create_data_source(4), then offer (opcode 0).
    let mut raw = raw_with_global(&mut fx, "personal", "wl_data_device_manager", 3);
    let mut offers = message(3, 0, &[4]);
    for i in 0..MAX_MIME_TYPES {
        offers.extend(message(4, 0, &string_arg(&format!("text/x-{i}"))));
    }
    assert!(served_after(&mut fx, &mut raw, &offers, 5), "at the limit");
    let one_more = message(4, 0, &string_arg("text/plain"));
    assert!(!served_after(&mut fx, &mut raw, &one_more, 5));

    // The same for the primary selection's sources.
    let mut raw = raw_with_global(
        &mut fx,
        "personal",
        "zwp_primary_selection_device_manager_v1",
        1,
    );
    let mut offers = message(3, 0, &[4]);
    for i in 0..=MAX_MIME_TYPES {
        offers.extend(message(4, 0, &string_arg(&format!("text/x-{i}"))));
    }
    assert!(!served_after(&mut fx, &mut raw, &offers, 5));

    fx.roundtrip(victim);
    let c = fx.add_bound_client("personal");
    fx.roundtrip(c);
    // Every object counted is gone with its client.
    for persona in fx.state.personas.iter() {
        assert!(
            persona.state.growth.is_empty(),
            "counts of dead objects kept: {:?}",
            persona.state.growth
        );
    }
}

/// Damage past `MAX_DAMAGE_RECTS` becomes the whole surface instead of a
/// list that grows with every request.
#[test]
fn damage_is_kept_bounded() {
    use personas::handlers::limits::MAX_DAMAGE_RECTS;
    use smithay::wayland::compositor::{with_states, SurfaceAttributes};
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("work", [0, 255, 0, 255]);
    let damage = |fx: &Fixture| {
        let persona = fx.state.personas.by_name("work").unwrap();
        let window = fx
            .state
            .personas
            .get(persona)
            .unwrap()
            .state
            .space
            .elements()
            .next()
            .unwrap()
            .clone();
        with_states(window.toplevel().unwrap().wl_surface(), |states| {
            let mut attrs = states.cached_state.get::<SurfaceAttributes>();
            (attrs.pending().damage.len(), attrs.current().damage.len())
        })
    };
    fx.damage_many(c, w, 10_000);
    fx.roundtrip(c);
    let (pending, _) = damage(&fx);
    assert!(
        (1..=MAX_DAMAGE_RECTS).contains(&pending),
        "{pending} rectangles pending"
    );
    // Committed without a new buffer, damage stays current until one comes.
    for _ in 0..20 {
        fx.damage_many(c, w, MAX_DAMAGE_RECTS / 2);
        fx.client(c).commit(w);
    }
    fx.roundtrip(c);
    let (_, current) = damage(&fx);
    assert!(
        (1..=MAX_DAMAGE_RECTS).contains(&current),
        "{current} rectangles current"
    );
    // And the window still draws.
    fx.client(c).ack_and_draw(w, [255, 0, 0, 255], (1, 1));
    fx.roundtrip(c);
    let shot = fx.render();
    common::fixture::assert_region(
        &shot,
        (100, 80, 20, 20),
        [255, 0, 0, 255],
        "redrawn after damage",
    );
}

/// Wire data no request can be read from ends the client with the error
/// libwayland would send, not with a silently closed socket.
#[test]
fn malformed_messages_are_answered_with_an_error() {
    let mut fx = Fixture::new();
    let (victim, _) = fx.open_window("personal", [0, 255, 0, 255]);
    let mut header_only = 1u32.to_ne_bytes().to_vec();
    // wl_display.sync claiming a size shorter than its own header.
    header_only.extend((4u32 << 16).to_ne_bytes());
    for (bytes, code, text) in [
        (message(42, 0, &[]), 0, "invalid object 42"),
        (
            message(1, 99, &[]),
            1,
            "invalid method 99, object wl_display@1",
        ),
        (header_only, 1, "invalid arguments for wl_display@1.sync"),
    ] {
        let mut raw = Raw::in_fixture(&mut fx, "work");
        raw.write_all(&bytes, |_| {});
        let mut error = None;
        for _ in 0..10 {
            fx.dispatch();
            for (object, opcode, body) in raw.events() {
                if object == 1 && opcode == 0 {
                    let word = |at: usize| u32::from_ne_bytes(body[at..at + 4].try_into().unwrap());
                    let len = word(8) as usize;
                    let message = String::from_utf8_lossy(&body[12..12 + len - 1]).into_owned();
                    error = Some((word(4), message));
                }
            }
            if raw.closed {
                break;
            }
        }
        assert!(raw.closed, "{text}: still connected");
        assert_eq!(error, Some((code, text.to_string())));
    }
    fx.roundtrip(victim);
}

/// A sync subsurface's commits wait for its parent's, and smithay merges
/// their damage without a bound: past the limit it becomes the whole
/// surface once, then nothing more, until the parent commits.
#[test]
fn damage_held_by_a_sync_subsurface_is_kept_bounded() {
    use personas::handlers::limits::MAX_DAMAGE_RECTS;
    use smithay::wayland::compositor::{get_children, with_states, SurfaceAttributes};
    let mut fx = Fixture::new();
    let (c, w) = fx.open_window("work", [0, 255, 0, 255]);
    let sub = fx
        .client(c)
        .create_subsurface(w, (10, 10), (20, 20), [255, 0, 0, 255]);
    fx.client(c).set_sync(sub);
    fx.roundtrip(c);
    let pending = |fx: &Fixture| {
        let persona = fx.state.personas.by_name("work").unwrap();
        let state = &fx.state.personas.get(persona).unwrap().state;
        let window = state.space.elements().next().unwrap();
        let child = get_children(window.toplevel().unwrap().wl_surface())[0].clone();
        with_states(&child, |s| {
            s.cached_state
                .get::<SurfaceAttributes>()
                .pending()
                .damage
                .len()
        })
    };
    // Commits of damage the parent never applies.
    for _ in 0..(2 * MAX_DAMAGE_RECTS / 100 + 1) {
        fx.damage_many(c, sub, 100);
        fx.client(c).commit(sub);
    }
    fx.roundtrip(c);
    fx.damage_many(c, sub, 100);
    fx.roundtrip(c);
    assert!(
        pending(&fx) <= 1,
        "{} rectangles pending past the limit",
        pending(&fx)
    );
    fx.client(c).commit(sub);
    fx.damage_many(c, sub, 100);
    fx.roundtrip(c);
    assert_eq!(pending(&fx), 0, "the whole surface is already held");
    // The parent's commit applies it all; counting starts over.
    fx.client(c).commit(w);
    fx.roundtrip(c);
    fx.damage_many(c, sub, 10);
    fx.roundtrip(c);
    assert_eq!(pending(&fx), 10);
}
