//! The wlcs integration of personas: Debian's `wlcs` runner loads this
//! library and drives the compositor's real code — `personas::state::State`
//! on the headless backend — with one persona that has every privilege.
//!
//! The compositor runs on its own thread. Every call from the suite (a new
//! client, a window position, pointer and touch input) is handed to that
//! thread and waited for until it is handled and the clients are flushed, so
//! a test's next roundtrip always sees its effects. Nothing is kept in
//! process-wide state: the suite creates and drops servers over and over.
//!
//! Windows are placed freely (the suite positions them), not maximized as on
//! a tablet.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use personas::config::{Config, ConfigSource};
use personas::input::InputEvent;
use personas::state::{Options, State};
use smithay::reexports::calloop::channel::{self, Channel, Sender};
use smithay::reexports::calloop::EventLoop;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Client;
use wayland_sys::client::{wayland_client_handle, wl_display, wl_proxy};
use wayland_sys::common::{wl_fixed_t, wl_fixed_to_double};
use wayland_sys::ffi_dispatch;
use wlcs::ffi_display_server_api::{
    WlcsExtensionDescriptor, WlcsIntegrationDescriptor, WlcsServerIntegration,
};
use wlcs::ffi_wrappers::wlcs_server;
use wlcs::{extension_list, wlcs_server_integration, Wlcs};

wlcs_server_integration!(PersonasServer);

/// The persona the suite talks to: every privileged protocol granted, no
/// indicator (windows may sit at the output's edge), no gestures (a touch
/// near an edge is the client's).
pub const CONFIG: &str = r#"
indicator = "none"
switch_notice = false
[headless]
size = "1024x768"
[gestures.bind]
[[persona]]
name = "wlcs"
privileged = ["data-control", "virtual-keyboard", "virtual-pointer", "screencopy"]
"#;

/// Every global a persona with every privilege offers, with its version.
/// `tests::the_descriptor_lists_exactly_the_globals_offered` keeps it true.
pub static EXTENSIONS: &[WlcsExtensionDescriptor] = extension_list!(
    ("wl_compositor", 6),
    ("wl_subcompositor", 1),
    ("wl_shm", 2),
    ("wl_seat", 9),
    ("wl_output", 4),
    ("wl_data_device_manager", 3),
    ("xdg_wm_base", 6),
    ("zxdg_decoration_manager_v1", 1),
    ("zxdg_output_manager_v1", 3),
    ("zwp_primary_selection_device_manager_v1", 1),
    ("wp_viewporter", 1),
    ("wp_single_pixel_buffer_manager_v1", 1),
    ("wp_presentation", 2),
    ("zwp_relative_pointer_manager_v1", 1),
    ("zwp_pointer_constraints_v1", 1),
    ("zwp_keyboard_shortcuts_inhibit_manager_v1", 1),
    ("zwp_pointer_gestures_v1", 3),
    ("xdg_activation_v1", 1),
    ("zwp_text_input_manager_v3", 1),
    ("zwp_input_method_manager_v2", 1),
    ("zwp_tablet_manager_v2", 1),
    ("wp_cursor_shape_manager_v1", 2),
    ("ext_foreign_toplevel_list_v1", 1),
    ("wp_security_context_manager_v1", 1),
    ("zwlr_data_control_manager_v1", 2),
    ("ext_data_control_manager_v1", 1),
    ("zwp_virtual_keyboard_manager_v1", 1),
    ("zwlr_virtual_pointer_manager_v1", 2),
    ("zwlr_screencopy_manager_v1", 3),
    ("ext_image_copy_capture_manager_v1", 1),
    ("ext_output_image_capture_source_manager_v1", 1),
    ("ext_foreign_toplevel_image_capture_source_manager_v1", 1),
    ("ext_idle_notifier_v1", 2),
    ("zwp_idle_inhibit_manager_v1", 1),
    ("zwlr_layer_shell_v1", 4),
    ("zxdg_exporter_v2", 1),
    ("zxdg_importer_v2", 1),
    ("xdg_wm_dialog_v1", 1),
    ("xdg_toplevel_icon_manager_v1", 1),
    ("xdg_system_bell_v1", 1),
    ("wp_content_type_manager_v1", 1),
    ("wp_alpha_modifier_v1", 1),
    ("wp_fifo_manager_v1", 1),
    ("wp_commit_timing_manager_v1", 1),
    ("wp_fractional_scale_manager_v1", 1),
    ("zwlr_foreign_toplevel_manager_v1", 3),
);

static DESCRIPTOR: WlcsIntegrationDescriptor = WlcsIntegrationDescriptor {
    version: 1,
    num_extensions: EXTENSIONS.len(),
    supported_extensions: EXTENSIONS.as_ptr(),
};

/// What the suite asks of the compositor thread.
#[derive(Debug)]
pub enum Command {
    /// Serve `stream`; the suite knows the client by its own fd.
    NewClient { stream: UnixStream, client_fd: i32 },
    /// Put the window of a client's surface at a place on the output.
    PositionWindow {
        client_fd: i32,
        surface_id: u32,
        x: i32,
        y: i32,
    },
    /// Input, through the same path as a real device's.
    Input(InputEvent),
}

type Request = (Command, mpsc::SyncSender<()>);

/// A running compositor: its thread and the way to talk to it.
pub struct Server {
    sender: Sender<Request>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts the compositor thread; returns once it serves.
    pub fn start() -> Server {
        let (sender, channel) = channel::channel::<Request>();
        let (ready_tx, ready_rx) = mpsc::sync_channel(0);
        let thread = std::thread::Builder::new()
            .name("personas-wlcs".into())
            .spawn(move || serve(channel, ready_tx))
            .expect("the compositor thread starts");
        ready_rx
            .recv()
            .expect("the compositor thread came up (see its panic above)");
        Server {
            sender,
            thread: Some(thread),
        }
    }

    /// Hands `command` to the compositor and waits until it is handled and
    /// the clients have been flushed.
    pub fn run(&self, command: Command) {
        run_on(&self.sender, command);
    }

    /// A new client; returns the suite's end of its socket.
    pub fn new_client(&self) -> std::io::Result<OwnedFd> {
        let (ours, theirs) = UnixStream::pair()?;
        let client_fd = ours.as_raw_fd();
        self.run(Command::NewClient {
            stream: theirs,
            client_fd,
        });
        Ok(ours.into())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Dropping the sender closes the channel, which ends the loop.
        let (sender, _) = channel::channel::<Request>();
        drop(std::mem::replace(&mut self.sender, sender));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Hands `command` to the compositor thread and waits until it is handled
/// and the clients have been flushed (or the thread is gone).
fn run_on(sender: &Sender<Request>, command: Command) {
    let (done_tx, done_rx) = mpsc::sync_channel(1);
    if sender.send((command, done_tx)).is_ok() {
        let _ = done_rx.recv();
    }
}

fn serve(channel: Channel<Request>, ready: mpsc::SyncSender<()>) {
    let config = Config::parse(CONFIG, "wlcs.toml").expect("the wlcs config is valid");
    let mut event_loop: EventLoop<'static, State> = EventLoop::try_new().expect("an event loop");
    let mut state = State::new(
        Options {
            config,
            config_source: ConfigSource::Embedded,
            runtime_dir: None,
            test_input: true,
            launch_sessions: false,
            backend: None,
        },
        event_loop.handle(),
    )
    .expect("the compositor starts");
    state.personas.active_mut().state.free_placement = true;

    let mut clients: HashMap<i32, Client> = HashMap::new();
    event_loop
        .handle()
        .insert_source(channel, move |event, _, state: &mut State| match event {
            channel::Event::Msg((command, done)) => {
                handle(state, &mut clients, command);
                state.refresh_and_flush();
                let _ = done.send(());
            }
            channel::Event::Closed => state.running = false,
        })
        .expect("the command channel is watched");
    let _ = ready.send(());
    while state.running {
        state.refresh_and_flush();
        if event_loop
            .dispatch(Some(Duration::from_millis(16)), &mut state)
            .is_err()
        {
            break;
        }
    }
    state.shutdown();
}

fn handle(state: &mut State, clients: &mut HashMap<i32, Client>, command: Command) {
    match command {
        Command::NewClient { stream, client_fd } => {
            match state.personas.active_mut().insert_client(stream) {
                Ok(client) => {
                    clients.insert(client_fd, client);
                }
                Err(err) => eprintln!("wlcs_personas: client not added: {err}"),
            }
        }
        Command::PositionWindow {
            client_fd,
            surface_id,
            x,
            y,
        } => {
            let Some(client) = clients.get(&client_fd) else {
                return;
            };
            let persona = state.personas.active_mut();
            let handle = persona.display.handle();
            if let Ok(surface) = client.object_from_protocol_id::<WlSurface>(&handle, surface_id) {
                persona.state.position_window(&surface, (x, y).into());
                persona.state.refresh_pointer_focus();
            }
        }
        Command::Input(event) => state.process_input(event, Instant::now()),
    }
}

/// The integration wlcs drives.
pub struct PersonasServer {
    server: Option<Server>,
}

impl Wlcs for PersonasServer {
    type Pointer = Device;
    type Touch = Device;

    fn new() -> Self {
        PersonasServer { server: None }
    }

    fn start(&mut self) {
        self.server = Some(Server::start());
    }

    fn stop(&mut self) {
        self.server = None;
    }

    fn create_client_socket(&self) -> std::io::Result<OwnedFd> {
        match &self.server {
            Some(server) => server.new_client(),
            None => Err(std::io::Error::from(std::io::ErrorKind::NotConnected)),
        }
    }

    // The signature is wlcs's; the pointers are its live client objects.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn position_window_absolute(
        &self,
        display: *mut wl_display,
        surface: *mut wl_proxy,
        x: i32,
        y: i32,
    ) {
        let Some(server) = &self.server else {
            return;
        };
        // SAFETY: wlcs hands us its live client display and surface proxy.
        let (client_fd, surface_id) = unsafe {
            (
                ffi_dispatch!(wayland_client_handle(), wl_display_get_fd, display),
                ffi_dispatch!(wayland_client_handle(), wl_proxy_get_id, surface),
            )
        };
        server.run(Command::PositionWindow {
            client_fd,
            surface_id,
            x,
            y,
        });
    }

    fn create_pointer(&mut self) -> Option<Device> {
        Some(Device::new(self.server.as_ref()?))
    }

    fn create_touch(&mut self) -> Option<Device> {
        Some(Device::new(self.server.as_ref()?))
    }

    fn get_descriptor(&self) -> &WlcsIntegrationDescriptor {
        &DESCRIPTOR
    }
}

/// A pointer or touch device of the suite. Each touch device is one touch
/// point (its slot).
pub struct Device {
    sender: Sender<Request>,
    slot: i32,
}

/// Slots for touch devices; a plain counter, no state to reset.
static NEXT_SLOT: AtomicI32 = AtomicI32::new(0);

impl Device {
    fn new(server: &Server) -> Device {
        Device {
            sender: server.sender.clone(),
            slot: NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % 64,
        }
    }

    fn input(&self, event: InputEvent) {
        run_on(&self.sender, Command::Input(event));
    }
}

fn fixed(value: wl_fixed_t) -> f64 {
    wl_fixed_to_double(value)
}

impl wlcs::Pointer for Device {
    fn move_absolute(&mut self, x: wl_fixed_t, y: wl_fixed_t) {
        self.input(InputEvent::PointerMotionAbsolute {
            x: fixed(x),
            y: fixed(y),
        });
    }

    fn move_relative(&mut self, dx: wl_fixed_t, dy: wl_fixed_t) {
        let (dx, dy) = (fixed(dx), fixed(dy));
        self.input(InputEvent::PointerMotion {
            dx,
            dy,
            dx_unaccel: dx,
            dy_unaccel: dy,
            utime: 0,
        });
    }

    fn button_up(&mut self, button: i32) {
        self.input(InputEvent::PointerButton {
            button: button as u32,
            pressed: false,
        });
    }

    fn button_down(&mut self, button: i32) {
        self.input(InputEvent::PointerButton {
            button: button as u32,
            pressed: true,
        });
    }
}

/// Touch positions arrive as whole pixels: wlcs's `Touch::down_at(int, int)`
/// hands its ints on unconverted, whatever the header's `wl_fixed_t` says.
fn touch_pixels(value: wl_fixed_t) -> f64 {
    f64::from(value)
}

impl wlcs::Touch for Device {
    fn touch_down(&mut self, x: wl_fixed_t, y: wl_fixed_t) {
        self.input(InputEvent::TouchDown {
            slot: self.slot,
            x: touch_pixels(x),
            y: touch_pixels(y),
        });
    }

    fn touch_move(&mut self, x: wl_fixed_t, y: wl_fixed_t) {
        self.input(InputEvent::TouchMotion {
            slot: self.slot,
            x: touch_pixels(x),
            y: touch_pixels(y),
        });
    }

    fn touch_up(&mut self) {
        self.input(InputEvent::TouchUp { slot: self.slot });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use wayland_client::protocol::wl_registry;
    use wayland_client::{Connection, Dispatch, QueueHandle};

    #[derive(Default)]
    struct Globals(Vec<(String, u32)>);

    impl Dispatch<wl_registry::WlRegistry, ()> for Globals {
        fn event(
            state: &mut Self,
            _: &wl_registry::WlRegistry,
            event: wl_registry::Event,
            _: &(),
            _: &Connection,
            _: &QueueHandle<Self>,
        ) {
            if let wl_registry::Event::Global {
                interface, version, ..
            } = event
            {
                state.0.push((interface, version));
            }
        }
    }

    fn globals_of(server: &Server) -> Vec<(String, u32)> {
        let fd = server.new_client().expect("a client socket");
        let connection = Connection::from_socket(UnixStream::from(fd)).expect("connects");
        let mut queue = connection.new_event_queue();
        connection.display().get_registry(&queue.handle(), ());
        let mut globals = Globals::default();
        // The server answers on its own thread; a roundtrip blocks for it.
        queue.roundtrip(&mut globals).expect("roundtrip");
        globals.0.sort();
        globals.0
    }

    #[test]
    fn the_descriptor_lists_exactly_the_globals_offered() {
        let server = Server::start();
        let offered = globals_of(&server);
        let mut described: Vec<(String, u32)> = EXTENSIONS
            .iter()
            .map(|e| {
                // SAFETY: extension_list! makes NUL-terminated static names.
                let name = unsafe { CStr::from_ptr(e.name) };
                (name.to_string_lossy().into_owned(), e.version)
            })
            .collect();
        described.sort();
        assert_eq!(described, offered);
    }

    /// wlcs starts and stops a server for every test, in one process: a
    /// thousand of them leave nothing behind that breaks the next.
    #[test]
    fn a_thousand_servers_in_one_process() {
        let before = open_fds();
        for round in 0..1000 {
            let server = Server::start();
            if round % 250 == 0 {
                assert!(!globals_of(&server).is_empty(), "round {round}");
            }
        }
        let after = open_fds();
        assert!(after <= before + 2, "fds {before} → {after}");
    }

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
    }
}
