//! Protocol fuzzing with the in-process fixture: clients that bind every
//! global and then send long random sequences of well-typed requests to
//! random live objects (random arguments, objects of other interfaces, fds of
//! random size, destroy orders, configures acked out of order), and clients
//! that write malformed wire messages. After each, the compositor must still
//! run, its invariants hold, and a well-behaved client in another persona
//! must still be served. A panic anywhere fails the test.
//!
//! `PERSONAS_FUZZ_CLIENTS` and `PERSONAS_FUZZ_REQUESTS` make runs longer
//! than CI's; `PERSONAS_FUZZ_SEED` replays one.

mod common;

use std::ffi::CString;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use common::fixture::Fixture;
use wayland_backend::client::{Backend, ObjectData, ObjectId, WaylandError};
use wayland_backend::protocol::{
    AllowNull, Argument, ArgumentType, Interface, Message, ANONYMOUS_INTERFACE,
};
use wayland_client::Proxy;

/// xorshift64*: small, seedable, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// Mostly small and edge values, which reach the interesting branches.
    fn int(&mut self) -> i32 {
        match self.below(8) {
            0 => 0,
            1 => -1,
            2 => i32::MIN,
            3 => i32::MAX,
            4 => self.below(4) as i32,
            5 => self.below(2000) as i32 - 1000,
            _ => self.next() as i32 % 5000,
        }
    }
}

/// Every global the fuzzer knows how to bind.
fn interfaces() -> Vec<&'static Interface> {
    use wayland_client::protocol::*;
    use wayland_protocols::wp;
    use wayland_protocols::xdg;
    vec![
        wl_compositor::WlCompositor::interface(),
        wl_subcompositor::WlSubcompositor::interface(),
        wl_shm::WlShm::interface(),
        wl_seat::WlSeat::interface(),
        wl_output::WlOutput::interface(),
        wl_data_device_manager::WlDataDeviceManager::interface(),
        xdg::shell::client::xdg_wm_base::XdgWmBase::interface(),
        xdg::decoration::zv1::client::zxdg_decoration_manager_v1::ZxdgDecorationManagerV1::interface(),
        xdg::xdg_output::zv1::client::zxdg_output_manager_v1::ZxdgOutputManagerV1::interface(),
        xdg::activation::v1::client::xdg_activation_v1::XdgActivationV1::interface(),
        wp::viewporter::client::wp_viewporter::WpViewporter::interface(),
        wp::presentation_time::client::wp_presentation::WpPresentation::interface(),
        wp::relative_pointer::zv1::client::zwp_relative_pointer_manager_v1::ZwpRelativePointerManagerV1::interface(),
        wp::pointer_constraints::zv1::client::zwp_pointer_constraints_v1::ZwpPointerConstraintsV1::interface(),
        wp::primary_selection::zv1::client::zwp_primary_selection_device_manager_v1::ZwpPrimarySelectionDeviceManagerV1::interface(),
        wp::keyboard_shortcuts_inhibit::zv1::client::zwp_keyboard_shortcuts_inhibit_manager_v1::ZwpKeyboardShortcutsInhibitManagerV1::interface(),
        wp::pointer_gestures::zv1::client::zwp_pointer_gestures_v1::ZwpPointerGesturesV1::interface(),
        wp::idle_inhibit::zv1::client::zwp_idle_inhibit_manager_v1::ZwpIdleInhibitManagerV1::interface(),
        wayland_protocols::ext::idle_notify::v1::client::ext_idle_notifier_v1::ExtIdleNotifierV1::interface(),
        wp::text_input::zv3::client::zwp_text_input_manager_v3::ZwpTextInputManagerV3::interface(),
        wp::tablet::zv2::client::zwp_tablet_manager_v2::ZwpTabletManagerV2::interface(),
        wp::cursor_shape::v1::client::wp_cursor_shape_manager_v1::WpCursorShapeManagerV1::interface(),
        wp::single_pixel_buffer::v1::client::wp_single_pixel_buffer_manager_v1::WpSinglePixelBufferManagerV1::interface(),
        wayland_protocols::ext::foreign_toplevel_list::v1::client::ext_foreign_toplevel_list_v1::ExtForeignToplevelListV1::interface(),
        wayland_protocols::ext::image_copy_capture::v1::client::ext_image_copy_capture_manager_v1::ExtImageCopyCaptureManagerV1::interface(),
        wayland_protocols::ext::image_capture_source::v1::client::ext_output_image_capture_source_manager_v1::ExtOutputImageCaptureSourceManagerV1::interface(),
        wayland_protocols_wlr::screencopy::v1::client::zwlr_screencopy_manager_v1::ZwlrScreencopyManagerV1::interface(),
        wayland_protocols_wlr::virtual_pointer::v1::client::zwlr_virtual_pointer_manager_v1::ZwlrVirtualPointerManagerV1::interface(),
        wayland_protocols_wlr::data_control::v1::client::zwlr_data_control_manager_v1::ZwlrDataControlManagerV1::interface(),
    ]
}

/// Object data of every fuzzer object: events are taken and dropped, new
/// objects in events (offers, toplevel handles) are remembered.
struct Sink {
    created: Arc<Mutex<Vec<ObjectId>>>,
    globals: Arc<Mutex<Vec<(u32, String, u32)>>>,
}

impl ObjectData for Sink {
    fn event(
        self: Arc<Self>,
        backend: &Backend,
        msg: Message<ObjectId, OwnedFd>,
    ) -> Option<Arc<dyn ObjectData>> {
        let info = backend.info(msg.sender_id.clone()).ok()?;
        if info.interface.name == "wl_registry" && msg.opcode == 0 {
            if let [Argument::Uint(name), Argument::Str(Some(iface)), Argument::Uint(version)] =
                &msg.args[..]
            {
                self.globals.lock().unwrap().push((
                    *name,
                    iface.to_string_lossy().into_owned(),
                    *version,
                ));
            }
        }
        for arg in &msg.args {
            if let Argument::NewId(id) = arg {
                self.created.lock().unwrap().push(id.clone());
            }
        }
        let creates = info
            .interface
            .events
            .get(msg.opcode as usize)?
            .child_interface;
        creates.map(|_| self.clone() as Arc<dyn ObjectData>)
    }

    fn destroyed(&self, _object_id: ObjectId) {}
}

struct FuzzClient {
    backend: Backend,
    sink: Arc<Sink>,
    /// Live objects: (id, interface, version).
    objects: Vec<(ObjectId, &'static Interface, u32)>,
    fds: Vec<OwnedFd>,
    /// Small, plausible numbers only: such a client gets further before its
    /// first protocol error, into deeper states.
    sane: bool,
}

impl FuzzClient {
    fn new(stream: UnixStream) -> FuzzClient {
        let backend = Backend::connect(stream).expect("a backend");
        let sink = Arc::new(Sink {
            created: Default::default(),
            globals: Default::default(),
        });
        FuzzClient {
            backend,
            sink,
            objects: Vec::new(),
            fds: Vec::new(),
            sane: false,
        }
    }

    fn send(
        &mut self,
        sender: ObjectId,
        opcode: u16,
        args: Vec<Argument<ObjectId, std::os::fd::RawFd>>,
        child: Option<(&'static Interface, u32)>,
    ) -> Option<ObjectId> {
        let msg = Message {
            sender_id: sender,
            opcode,
            args: args.into(),
        };
        let data: Arc<dyn ObjectData> = self.sink.clone();
        self.backend.send_request(msg, Some(data), child).ok()
    }

    /// Reads what arrived; false once the compositor disconnected us.
    fn pump(&mut self) -> bool {
        let _ = self.backend.flush();
        if let Some(guard) = self.backend.prepare_read() {
            match guard.read() {
                Ok(_) => {}
                Err(WaylandError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return false,
            }
        }
        !matches!(self.backend.flush(), Err(WaylandError::Protocol(_)))
            && self.backend.dispatch_inner_queue().is_ok()
    }

    fn registry(&mut self) {
        let display = self.backend.display_id();
        let registry = self.send(
            display,
            1,
            vec![Argument::NewId(ObjectId::null())],
            Some((
                wayland_client::protocol::wl_registry::WlRegistry::interface(),
                1,
            )),
        );
        if let Some(registry) = registry {
            self.objects.push((
                registry,
                wayland_client::protocol::wl_registry::WlRegistry::interface(),
                1,
            ));
        }
    }

    fn bind_globals(&mut self, rng: &mut Rng) {
        let Some(registry) = self
            .objects
            .iter()
            .find(|(_, i, _)| i.name == "wl_registry")
            .map(|(id, _, _)| id.clone())
        else {
            return;
        };
        let known = interfaces();
        let globals = self.sink.globals.lock().unwrap().clone();
        for (name, iface, version) in globals {
            let Some(interface) = known.iter().find(|i| i.name == iface) else {
                continue;
            };
            let version = 1 + rng.below(version.min(interface.version) as usize) as u32;
            let id = self.send(
                registry.clone(),
                0,
                vec![
                    Argument::Uint(name),
                    Argument::Str(Some(Box::new(CString::new(iface).unwrap()))),
                    Argument::Uint(version),
                    Argument::NewId(ObjectId::null()),
                ],
                Some((interface, version)),
            );
            if let Some(id) = id {
                self.objects.push((id, interface, version));
            }
        }
    }

    /// A memfd of random size, sometimes shorter than anything will claim.
    fn fd(&mut self, rng: &mut Rng) -> std::os::fd::RawFd {
        // SAFETY: memfd_create with a valid name; owned at once.
        let fd = unsafe { libc::memfd_create(c"personas-fuzz".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0);
        let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
        let size = [0usize, 4, 4096, 65536, rng.below(300_000)][rng.below(5)];
        file.set_len(size as u64).unwrap();
        let _ = file.write_all(&[0x7f; 16]);
        let owned = OwnedFd::from(file);
        let raw = owned.as_raw_fd();
        self.fds.push(owned);
        raw
    }

    /// One random request to one random live object.
    fn random_request(&mut self, rng: &mut Rng) {
        // Events may have created objects (offers, handles): adopt them.
        for id in std::mem::take(&mut *self.sink.created.lock().unwrap()) {
            if let Ok(info) = self.backend.info(id.clone()) {
                self.objects.push((id, info.interface, info.version));
            }
        }
        self.objects
            .retain(|(id, _, _)| self.backend.info(id.clone()).is_ok());
        if self.objects.is_empty() {
            return;
        }
        let (sender, interface, version) = self.objects[rng.below(self.objects.len())].clone();
        if interface.name == "wl_registry" || interface.name == "wl_display" {
            return;
        }
        let usable: Vec<(usize, &wayland_backend::protocol::MessageDesc)> = interface
            .requests
            .iter()
            .enumerate()
            .filter(|(_, r)| r.since <= version)
            .collect();
        if usable.is_empty() {
            return;
        }
        let (opcode, request) = usable[rng.below(usable.len())];
        // Destructors now and then, not all the time.
        if request.is_destructor && !rng.chance(15) {
            return;
        }
        let mut args = Vec::new();
        let mut objects_used = 0;
        for arg in request.signature {
            let sane = self.sane;
            let int = |rng: &mut Rng| {
                if sane {
                    rng.below(64) as i32
                } else {
                    rng.int()
                }
            };
            args.push(match arg {
                ArgumentType::Int => Argument::Int(int(rng)),
                ArgumentType::Uint => Argument::Uint(int(rng) as u32),
                ArgumentType::Fixed => Argument::Fixed(int(rng).wrapping_mul(256)),
                ArgumentType::Str(allow) => {
                    if *allow == AllowNull::Yes && rng.chance(20) {
                        Argument::Str(None)
                    } else {
                        let len = rng.below(24);
                        let text: String = (0..len)
                            .map(|_| (b' ' + rng.below(94) as u8) as char)
                            .collect();
                        Argument::Str(Some(Box::new(CString::new(text).unwrap())))
                    }
                }
                ArgumentType::Object(allow) => {
                    let wanted = request.arg_interfaces.get(objects_used).copied();
                    objects_used += 1;
                    let candidates: Vec<ObjectId> = self
                        .objects
                        .iter()
                        .filter(|(_, i, _)| wanted.is_none_or(|w| w.name == i.name))
                        .map(|(id, _, _)| id.clone())
                        .collect();
                    if candidates.is_empty() && *allow == AllowNull::No {
                        // The client library refuses to send that at all.
                        return;
                    }
                    if candidates.is_empty() || (*allow == AllowNull::Yes && rng.chance(20)) {
                        Argument::Object(ObjectId::null())
                    } else {
                        Argument::Object(candidates[rng.below(candidates.len())].clone())
                    }
                }
                ArgumentType::NewId => Argument::NewId(ObjectId::null()),
                ArgumentType::Array => {
                    let len = rng.below(64);
                    Argument::Array(Box::new((0..len).map(|_| rng.next() as u8).collect()))
                }
                ArgumentType::Fd => Argument::Fd(self.fd(rng)),
            });
        }
        let child = request
            .child_interface
            .filter(|i| !std::ptr::eq(*i, &ANONYMOUS_INTERFACE))
            .map(|i| (i, version));
        if let Some(id) = self.send(sender.clone(), opcode as u16, args, child) {
            if let Some((interface, version)) = child {
                self.objects.push((id, interface, version));
            }
        }
        if request.is_destructor {
            self.objects.retain(|(id, _, _)| *id != sender);
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether a well-behaved client of `persona` still gets answers.
fn still_served(fx: &mut Fixture, persona: &str) {
    let c = fx.add_bound_client(persona);
    let w = fx.client(c).create_window();
    fx.roundtrip(c);
    fx.client(c).ack_and_draw(w, [0, 0, 255, 255], (1, 1));
    fx.roundtrip(c);
    assert!(
        fx.client(c).window(w).is_configured(),
        "{persona} not served"
    );
    fx.kill_client(c);
}

#[test]
fn random_requests_end_in_protocol_errors_not_in_a_crash() {
    let clients = env_number("PERSONAS_FUZZ_CLIENTS", 40);
    let requests = env_number("PERSONAS_FUZZ_REQUESTS", 400);
    let seed = env_number("PERSONAS_FUZZ_SEED", 0x5eed_1234_abcd);
    let config = common::fixture::two_personas_with("work", "privileged = [\"data-control\", \"virtual-keyboard\", \"virtual-pointer\", \"screencopy\"]");
    let mut fx = Fixture::with_config(&config);
    let (victim, _) = fx.open_window("personal", [0, 255, 0, 255]);
    let mut rng = Rng(seed);
    let (mut sent, mut disconnected) = (0u64, 0u64);
    for round in 0..clients {
        let id = fx.state.personas.by_name("work").unwrap();
        let (server, client) = UnixStream::pair().unwrap();
        client.set_nonblocking(true).unwrap();
        fx.state.accept_client(id, server);
        let mut fuzz = FuzzClient::new(client);
        fuzz.sane = round % 2 == 1;
        fuzz.registry();
        for _ in 0..3 {
            fuzz.pump();
            fx.dispatch();
        }
        fuzz.pump();
        fuzz.bind_globals(&mut rng);
        let mut alive = true;
        for i in 0..requests {
            fuzz.random_request(&mut rng);
            sent += 1;
            if i % 8 == 0 {
                fx.dispatch();
                if !fuzz.pump() {
                    alive = false;
                    break;
                }
            }
        }
        fx.dispatch();
        if !alive || !fuzz.pump() {
            disconnected += 1;
        }
        drop(fuzz);
        fx.dispatch();
        fx.state
            .check_invariants()
            .unwrap_or_else(|e| panic!("seed {seed:#x} round {round}: {e}"));
        if round % 10 == 0 {
            fx.roundtrip(victim);
        }
    }
    still_served(&mut fx, "personal");
    still_served(&mut fx, "work");
    eprintln!(
        "fuzz: {clients} clients, {sent} requests, {disconnected} disconnected by a protocol error (seed {seed:#x})"
    );
    assert!(
        disconnected > 0,
        "random requests should provoke protocol errors"
    );
}

#[test]
fn malformed_wire_messages_cost_only_their_client() {
    let mut fx = Fixture::new();
    let (victim, _) = fx.open_window("personal", [0, 255, 0, 255]);
    let mut rng = Rng(env_number("PERSONAS_FUZZ_SEED", 0xbad_c0de));
    let rounds = env_number("PERSONAS_FUZZ_CLIENTS", 40);
    for _ in 0..rounds {
        let id = fx.state.personas.by_name("work").unwrap();
        let (server, mut client) = UnixStream::pair().unwrap();
        client.set_nonblocking(true).unwrap();
        fx.state.accept_client(id, server);
        let mut bytes = Vec::new();
        for _ in 0..1 + rng.below(8) {
            // A header (object id, size << 16 | opcode), then a body that
            // may or may not match the size it claims.
            let object = [1u32, 2, 3, 0, 0xffff_ffff, rng.next() as u32][rng.below(6)];
            let opcode = [0u16, 1, 2, 99][rng.below(4)];
            let size = [0u16, 4, 7, 8, 12, 64, 0xfffc][rng.below(7)];
            bytes.extend_from_slice(&object.to_ne_bytes());
            bytes.extend_from_slice(&((u32::from(size) << 16) | u32::from(opcode)).to_ne_bytes());
            let body = rng.below(48);
            bytes.extend((0..body).map(|_| rng.next() as u8));
        }
        let _ = client.write_all(&bytes);
        fx.dispatch();
        fx.dispatch();
        drop(client);
        fx.dispatch();
        fx.state.check_invariants().unwrap();
    }
    fx.roundtrip(victim);
    still_served(&mut fx, "work");
}

impl FuzzClient {
    fn object(&self, interface: &str) -> ObjectId {
        self.objects
            .iter()
            .rev()
            .find(|(_, i, _)| i.name == interface)
            .map(|(id, _, _)| id.clone())
            .unwrap_or_else(|| panic!("no {interface}"))
    }

    /// Sends `interface`'s request `opcode`; a new object it creates is kept.
    fn request(
        &mut self,
        interface: &str,
        opcode: u16,
        args: Vec<Argument<ObjectId, std::os::fd::RawFd>>,
    ) -> Option<ObjectId> {
        let sender = self.object(interface);
        let (_, iface, version) = self
            .objects
            .iter()
            .find(|(id, _, _)| *id == sender)
            .cloned()
            .unwrap();
        let child = iface.requests[opcode as usize]
            .child_interface
            .map(|i| (i, version));
        let id = self.send(sender, opcode, args, child)?;
        if let Some((i, v)) = child {
            self.objects.push((id.clone(), i, v));
        }
        Some(id)
    }
}

/// A client with every global of `work` bound, for one crafted sequence.
fn crafted(fx: &mut Fixture) -> FuzzClient {
    let id = fx.state.personas.by_name("work").unwrap();
    let (server, client) = UnixStream::pair().unwrap();
    client.set_nonblocking(true).unwrap();
    fx.state.accept_client(id, server);
    let mut c = FuzzClient::new(client);
    c.registry();
    for _ in 0..3 {
        c.pump();
        fx.dispatch();
    }
    c.pump();
    c.bind_globals(&mut Rng(1));
    // Bound at their highest versions the crafted requests need.
    c.objects.sort_by_key(|(_, _, v)| *v);
    c
}

/// Sends, lets the compositor handle it, and tells whether the client was
/// disconnected for it (the compositor itself must survive either way).
fn disconnected_after(fx: &mut Fixture, c: &mut FuzzClient) -> bool {
    for _ in 0..4 {
        c.pump();
        fx.dispatch();
    }
    fx.state.check_invariants().unwrap();
    !c.pump()
}

use wayland_backend::protocol::Argument as A;

/// Each of these once took the compositor down (a panic or an endless
/// loop in smithay 0.7 or here); each must now cost only its client.
#[test]
fn requests_that_once_crashed_the_compositor() {
    let config = common::fixture::two_personas_with(
        "work",
        "privileged = [\"virtual-pointer\", \"screencopy\"]",
    );
    let mut fx = Fixture::with_config(&config);
    let (victim, _) = fx.open_window("personal", [0, 255, 0, 255]);

    // wl_shm_pool.resize(0): smithay unwraps a zero NonZeroUsize.
    let mut c = crafted(&mut fx);
    let fd = c.fd(&mut Rng(2));
    let pool = c.request(
        "wl_shm",
        0,
        vec![A::NewId(ObjectId::null()), A::Fd(fd), A::Int(4096)],
    );
    assert!(pool.is_some());
    c.request("wl_shm_pool", 2, vec![A::Int(0)]);
    assert!(disconnected_after(&mut fx, &mut c), "resize(0) is an error");

    // wl_subsurface.place_above(its own surface): smithay inserts past the end.
    let mut c = crafted(&mut fx);
    let parent = c
        .request("wl_compositor", 0, vec![A::NewId(ObjectId::null())])
        .unwrap();
    let child = c
        .request("wl_compositor", 0, vec![A::NewId(ObjectId::null())])
        .unwrap();
    c.request(
        "wl_subcompositor",
        1,
        vec![
            A::NewId(ObjectId::null()),
            A::Object(child.clone()),
            A::Object(parent),
        ],
    );
    c.request("wl_subsurface", 2, vec![A::Object(child)]);
    assert!(
        disconnected_after(&mut fx, &mut c),
        "placing relative to itself is bad_surface"
    );

    // An xdg_popup that is its own parent: smithay walks the chain forever.
    let mut c = crafted(&mut fx);
    let surface = c
        .request("wl_compositor", 0, vec![A::NewId(ObjectId::null())])
        .unwrap();
    let xdg = c
        .request(
            "xdg_wm_base",
            2,
            vec![A::NewId(ObjectId::null()), A::Object(surface)],
        )
        .unwrap();
    let positioner = c
        .request("xdg_wm_base", 1, vec![A::NewId(ObjectId::null())])
        .unwrap();
    c.request("xdg_positioner", 1, vec![A::Int(10), A::Int(10)]);
    c.request(
        "xdg_positioner",
        2,
        vec![A::Int(0), A::Int(0), A::Int(1), A::Int(1)],
    );
    c.request(
        "xdg_surface",
        2,
        vec![
            A::NewId(ObjectId::null()),
            A::Object(xdg),
            A::Object(positioner),
        ],
    );
    assert!(
        disconnected_after(&mut fx, &mut c),
        "a popup cannot parent itself"
    );

    // A damage rectangle of negative size: a debug assertion in smithay.
    let mut c = crafted(&mut fx);
    c.request("wl_compositor", 0, vec![A::NewId(ObjectId::null())]);
    c.request(
        "wl_surface",
        2,
        vec![A::Int(0), A::Int(0), A::Int(-5), A::Int(i32::MIN)],
    );
    c.request("wl_surface", 6, vec![]);
    disconnected_after(&mut fx, &mut c);

    // A virtual pointer scrolling i32::MAX detents: an overflow here.
    let mut c = crafted(&mut fx);
    c.request(
        "zwlr_virtual_pointer_manager_v1",
        0,
        vec![A::Object(ObjectId::null()), A::NewId(ObjectId::null())],
    );
    c.request(
        "zwlr_virtual_pointer_v1",
        7,
        vec![A::Uint(0), A::Uint(0), A::Fixed(256), A::Int(i32::MAX)],
    );
    c.request("zwlr_virtual_pointer_v1", 4, vec![]);
    disconnected_after(&mut fx, &mut c);

    // A screencopy region reaching past i32: an overflow here.
    let mut c = crafted(&mut fx);
    let output = c.object("wl_output");
    c.request(
        "zwlr_screencopy_manager_v1",
        1,
        vec![
            A::NewId(ObjectId::null()),
            A::Int(0),
            A::Object(output),
            A::Int(i32::MAX),
            A::Int(0),
            A::Int(i32::MAX),
            A::Int(10),
        ],
    );
    disconnected_after(&mut fx, &mut c);

    fx.roundtrip(victim);
    still_served(&mut fx, "work");
}

/// One client (or one program opening clients) cannot take what every
/// persona shares: the address space (shm pools) and the fds (clients).
#[test]
fn limits_cost_only_what_is_over_them() {
    use personas::handlers::compositor::MAX_SHM_POOL;
    use personas::persona::MAX_CLIENTS;
    let mut fx = Fixture::new();
    let (victim, _) = fx.open_window("personal", [0, 255, 0, 255]);

    let mut c = crafted(&mut fx);
    let fd = c.fd(&mut Rng(3));
    c.request(
        "wl_shm",
        0,
        vec![
            A::NewId(ObjectId::null()),
            A::Fd(fd),
            A::Int(MAX_SHM_POOL + 1),
        ],
    );
    assert!(
        disconnected_after(&mut fx, &mut c),
        "a pool over the cap is refused"
    );
    let mut c = crafted(&mut fx);
    let fd = c.fd(&mut Rng(4));
    c.request(
        "wl_shm",
        0,
        vec![A::NewId(ObjectId::null()), A::Fd(fd), A::Int(4096)],
    );
    c.request("wl_shm_pool", 2, vec![A::Int(MAX_SHM_POOL + 1)]);
    assert!(
        disconnected_after(&mut fx, &mut c),
        "growing a pool over the cap is refused"
    );

    // shm pools and buffers hold mappings, which the kernel counts per
    // process: a client may hold so many, a persona so many.
    use personas::handlers::limits::{
        MAX_SHM_BUFFERS_PER_CLIENT, MAX_SHM_PER_PERSONA, MAX_SHM_POOLS_PER_CLIENT,
    };
    let pools = |fx: &mut Fixture, c: &mut FuzzClient, n: u32| {
        let fd = c.fd(&mut Rng(5));
        for i in 0..n {
            c.request(
                "wl_shm",
                0,
                vec![A::NewId(ObjectId::null()), A::Fd(fd), A::Int(4096)],
            );
            if i % 64 == 0 {
                c.pump();
                fx.dispatch();
            }
        }
        // A read carries at most 28 fds: let every request arrive.
        for _ in 0..n / 16 {
            c.pump();
            fx.dispatch();
        }
    };
    let mut c = crafted(&mut fx);
    pools(&mut fx, &mut c, MAX_SHM_POOLS_PER_CLIENT);
    assert!(
        !disconnected_after(&mut fx, &mut c),
        "pools up to the limit"
    );
    pools(&mut fx, &mut c, 1);
    assert!(disconnected_after(&mut fx, &mut c), "one pool too many");
    let mut c = crafted(&mut fx);
    pools(&mut fx, &mut c, 1);
    for _ in 0..MAX_SHM_BUFFERS_PER_CLIENT {
        // wl_shm_pool.create_buffer(id, offset, width, height, stride, format)
        let args = [0, 1, 1, 4, 0].map(A::Int);
        let mut args = args.to_vec();
        args.insert(0, A::NewId(ObjectId::null()));
        args[5] = A::Uint(0);
        c.request("wl_shm_pool", 0, args);
    }
    for _ in 0..16 {
        c.pump();
        fx.dispatch();
    }
    assert!(
        !disconnected_after(&mut fx, &mut c),
        "buffers up to the limit"
    );
    c.request(
        "wl_shm_pool",
        0,
        vec![
            A::NewId(ObjectId::null()),
            A::Int(0),
            A::Int(1),
            A::Int(1),
            A::Int(4),
            A::Uint(0),
        ],
    );
    assert!(disconnected_after(&mut fx, &mut c), "one buffer too many");
    // Clients each under their limit, together filling the persona's
    // budget: the next request costs the client holding the most, not the
    // small one asking.
    let mut held = Vec::new();
    let per_client = MAX_SHM_POOLS_PER_CLIENT;
    let hogs = MAX_SHM_PER_PERSONA / per_client as usize - 1;
    for _ in 0..hogs {
        let mut c = crafted(&mut fx);
        pools(&mut fx, &mut c, per_client);
        assert!(
            !disconnected_after(&mut fx, &mut c),
            "within the persona's budget"
        );
        held.push(c);
    }
    let mut near = crafted(&mut fx);
    pools(&mut fx, &mut near, per_client - 12);
    let mut small = crafted(&mut fx);
    pools(&mut fx, &mut small, 12);
    assert!(!disconnected_after(&mut fx, &mut near) && !disconnected_after(&mut fx, &mut small));
    let mut c = crafted(&mut fx);
    pools(&mut fx, &mut c, 1);
    assert!(
        !disconnected_after(&mut fx, &mut c),
        "a small client is served when the budget is full"
    );
    let mut gone = 0;
    for h in held.iter_mut() {
        if disconnected_after(&mut fx, h) {
            gone += 1;
        }
    }
    assert_eq!(gone, 1, "one of the biggest holders made room");
    assert!(!disconnected_after(&mut fx, &mut near), "not the biggest");
    assert!(!disconnected_after(&mut fx, &mut small), "not the biggest");
    held.push(near);
    held.push(small);
    held.push(c);
    fx.roundtrip(victim);
    still_served(&mut fx, "personal");
    drop(held);
    for _ in 0..3 {
        fx.dispatch();
    }
    let work = fx.state.personas.by_name("work").unwrap();
    assert_eq!(
        fx.state
            .personas
            .get(work)
            .unwrap()
            .state
            .shm_budget
            .total(),
        0,
        "everything given back"
    );
    let mut c = crafted(&mut fx);
    pools(&mut fx, &mut c, 1);
    assert!(!disconnected_after(&mut fx, &mut c), "room again");
    drop(c);
    fx.dispatch();
    fx.dispatch();

    // Clients up to the limit are served; the next one is turned away.
    let work = fx.state.personas.by_name("work").unwrap();
    let mut kept = Vec::new();
    while fx.state.personas.get(work).unwrap().client_count() < MAX_CLIENTS {
        let (server, client) = UnixStream::pair().unwrap();
        fx.state.accept_client(work, server);
        kept.push(client);
    }
    let (server, mut refused) = UnixStream::pair().unwrap();
    fx.state.accept_client(work, server);
    fx.dispatch();
    refused.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 1];
    use std::io::Read;
    assert_eq!(
        refused.read(&mut buf).ok(),
        Some(0),
        "the connection over the limit is closed"
    );
    assert_eq!(
        fx.state.personas.get(work).unwrap().client_count(),
        MAX_CLIENTS
    );
    // Another persona is not affected, and room comes back.
    fx.roundtrip(victim);
    still_served(&mut fx, "personal");
    drop(kept);
    fx.dispatch();
    fx.dispatch();
    still_served(&mut fx, "work");
}
