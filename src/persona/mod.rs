//! A persona: one Wayland display with its own globals, seat, output and windows.
//!
//! Every smithay handler is implemented on [`PersonaState`] (see `handlers/`), so a
//! request from a client of one persona can only ever reach that persona's state:
//! isolation comes from the structure, not from filters.

pub mod focus;
pub mod layers;
pub mod list;
pub mod outputs;
pub mod scale;
pub mod socket;
pub mod switch;
pub mod windows;
pub mod x11;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use smithay::desktop::{PopupGrab, PopupManager, Space, Window};
use smithay::input::{Seat, SeatState};
use smithay::output::{Mode, Output, PhysicalProperties, Scale, Subpixel};
use smithay::reexports::wayland_server::backend::{ClientData, ClientId, DisconnectReason};
use smithay::reexports::wayland_server::{Client, Display, DisplayHandle};
use smithay::utils::{Clock, Logical, Monotonic, Point, Size, Transform};
use smithay::wayland::compositor::{CompositorClientState, CompositorState};
use smithay::wayland::cursor_shape::CursorShapeManagerState;
use smithay::wayland::foreign_toplevel_list::{ForeignToplevelHandle, ForeignToplevelListState};
use smithay::wayland::input_method::InputMethodManagerState;
use smithay::wayland::keyboard_shortcuts_inhibit::KeyboardShortcutsInhibitState;
use smithay::wayland::output::OutputManagerState;
use smithay::wayland::pointer_constraints::PointerConstraintsState;
use smithay::wayland::pointer_gestures::PointerGesturesState;
use smithay::wayland::presentation::PresentationState;
use smithay::wayland::relative_pointer::RelativePointerManagerState;
use smithay::wayland::security_context::{
    SecurityContext, SecurityContextListenerSource, SecurityContextState,
};
use smithay::wayland::selection::data_device::DataDeviceState;
use smithay::wayland::selection::primary_selection::PrimarySelectionState;
use smithay::wayland::shell::xdg::decoration::XdgDecorationState;
use smithay::wayland::shell::xdg::XdgShellState;
use smithay::wayland::shm::ShmState;
use smithay::wayland::single_pixel_buffer::SinglePixelBufferState;
use smithay::wayland::tablet_manager::TabletManagerState;
use smithay::wayland::text_input::TextInputManagerState;
use smithay::wayland::viewporter::ViewporterState;
use smithay::wayland::xdg_activation::XdgActivationState;

use crate::config::{BackgroundFrames, Color, Config, Indicator, PersonaConfig};

/// Stable identity of a persona for the life of the process (names can be reused
/// after a reload removes and re-adds one).
pub type PersonaId = u32;

/// Errors while creating a persona.
#[derive(Debug, thiserror::Error)]
pub enum PersonaError {
    #[error("persona {name}: invalid keymap: {message}")]
    Keymap { name: String, message: String },
    #[error("persona {name}: {source}")]
    Socket {
        name: String,
        #[source]
        source: socket::SocketError,
    },
    #[error("persona {name}: cannot create its Wayland display: {source}")]
    Display {
        name: String,
        #[source]
        source: std::io::Error,
    },
}

/// Something a persona's handlers want the outer `State` to know about. Handlers
/// only see their own persona, so they leave notes here and the loop drains them.
#[derive(Debug, Clone, PartialEq)]
pub enum PersonaEvent {
    WindowOpened {
        app_id: Option<String>,
        title: Option<String>,
    },
    WindowClosed {
        app_id: Option<String>,
        title: Option<String>,
    },
    /// A client of this background persona asked to be activated.
    ActivationRequested,
    /// The persona's X server exited (or failed to start): start it again.
    XwaylandExited,
    /// A virtual pointer of this persona moved, clicked or scrolled.
    VirtualPointer(crate::input::InputEvent),
    /// A virtual pointer went to a place given as fractions of this
    /// persona's output.
    VirtualPointerAbsolute { x: f64, y: f64 },
    /// An idle notification or inhibitor came or went.
    IdleChanged,
    /// A client of this background persona rang the system bell.
    Bell,
    /// (System display) a lock screen asked to lock the session.
    LockRequested,
    /// (System display) the lock screen unlocked.
    Unlocked,
    /// (System display) a switcher asked for this persona.
    SwitchRequested(PersonaId),
}

/// The physical output a persona's virtual output mirrors.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    pub name: String,
    /// The mode: the panel's pixels, in its own orientation.
    pub size: Size<i32, smithay::utils::Physical>,
    pub refresh_mhz: i32,
    /// Logical pixels per physical one (config `scale`; 1 unless set):
    /// the persona's virtual output is `size / scale` logical pixels.
    pub scale: f64,
    /// How the panel is mounted (a tablet turned on its side: `_90`).
    /// Everything the compositor lays out, draws and hit-tests lives in the
    /// display space this makes upright; the renderer turns it back.
    pub transform: Transform,
}

impl OutputSpec {
    pub fn frame_duration(&self) -> Duration {
        Duration::from_micros(1_000_000_000 / self.refresh_mhz.max(1) as u64)
    }

    /// The output's size in display space (width and height swapped for
    /// 90° and 270°).
    pub fn display_size(&self) -> Size<i32, smithay::utils::Physical> {
        self.transform.transform_size(self.size)
    }

    /// A point on the panel (as an input device mapped to it reports it) in
    /// display space: the inverse of what the renderer does with
    /// `OutputDamageTracker` and this transform.
    pub fn to_display(&self, x: f64, y: f64) -> (f64, f64) {
        panel_to_display(self.transform, self.size, x, y)
    }
}

/// [`OutputSpec::to_display`] on the two values it needs (both `Copy`, so
/// the input path need not clone the spec for every event).
pub fn panel_to_display(
    transform: Transform,
    panel: Size<i32, smithay::utils::Physical>,
    x: f64,
    y: f64,
) -> (f64, f64) {
    let size = Size::<f64, smithay::utils::Physical>::from((panel.w as f64, panel.h as f64));
    let p =
        transform.transform_point_in(Point::<f64, smithay::utils::Physical>::from((x, y)), &size);
    (p.x, p.y)
}

/// The most clients one persona serves at once: a runaway or hostile
/// program cannot exhaust the compositor's fds for every persona.
pub const MAX_CLIENTS: usize = 256;

/// The most objects one client may hold (surfaces, buffers, callbacks,
/// regions, …; busy real clients hold a few thousand): past it the client gets
/// `wl_display.error no_memory` and is disconnected, so no client can grow the
/// compositor's memory without bound. Enforced by our patched wayland-backend
/// (vendor/README.md).
pub const MAX_CLIENT_OBJECTS: usize = 65_536;

/// The process at the other end of a Unix socket, for log lines.
fn peer_pid(stream: &std::os::unix::net::UnixStream) -> Option<i32> {
    use std::os::fd::AsRawFd;
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt fills a ucred of the size given.
    let ok = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    } == 0;
    (ok && cred.pid > 0).then_some(cred.pid)
}

/// Per-client data: every client belongs to exactly one persona's display.
pub struct ClientState {
    /// The persona and process, for log lines about the client.
    pub persona: String,
    pub pid: Option<i32>,
    pub compositor_state: CompositorClientState,
    /// Set for clients that came through a security-context listener.
    pub security_context: Option<SecurityContext>,
    /// The persona's live-client counter, shared by all its clients.
    connected: Arc<AtomicUsize>,
}

impl ClientData for ClientState {
    fn initialized(&self, _client_id: ClientId) {}
    fn disconnected(&self, client_id: ClientId, reason: DisconnectReason) {
        self.connected.fetch_sub(1, Ordering::Relaxed);
        match reason {
            DisconnectReason::ProtocolError(err) => tracing::warn!(
                persona = %self.persona,
                pid = ?self.pid,
                "client disconnected for a protocol error: {} on {}@{} (code {})",
                err.message,
                err.object_interface,
                err.object_id,
                err.code,
            ),
            DisconnectReason::ConnectionClosed => {
                tracing::debug!(persona = %self.persona, pid = ?self.pid, ?client_id, "client disconnected")
            }
        }
    }
}

/// All protocol state of one persona. Handlers get `&mut PersonaState` and nothing else.
pub struct PersonaState {
    pub id: PersonaId,
    pub name: String,
    pub color: Color,
    pub display_handle: DisplayHandle,
    pub compositor_state: CompositorState,
    pub xdg_shell_state: XdgShellState,
    pub xdg_decoration_state: XdgDecorationState,
    pub shm_state: ShmState,
    pub seat_state: SeatState<PersonaState>,
    /// List entries counted per object (handlers::limits).
    pub growth: crate::handlers::limits::Growth,
    /// shm pools and buffers its clients hold (handlers::limits).
    pub shm_budget: crate::handlers::limits::ShmBudget,
    pub data_device_state: DataDeviceState,
    pub primary_selection_state: PrimarySelectionState,
    pub output_manager_state: OutputManagerState,
    pub viewporter_state: ViewporterState,
    pub single_pixel_buffer_state: SinglePixelBufferState,
    pub presentation_state: PresentationState,
    pub relative_pointer_state: RelativePointerManagerState,
    pub pointer_constraints_state: PointerConstraintsState,
    pub keyboard_shortcuts_inhibit_state: KeyboardShortcutsInhibitState,
    pub pointer_gestures_state: PointerGesturesState,
    pub xdg_activation_state: XdgActivationState,
    pub text_input_state: TextInputManagerState,
    pub input_method_state: InputMethodManagerState,
    pub tablet_manager_state: TabletManagerState,
    pub cursor_shape_state: CursorShapeManagerState,
    pub foreign_toplevel_list_state: ForeignToplevelListState,
    pub layer_shell_state: smithay::wayland::shell::wlr_layer::WlrLayerShellState,
    pub fractional_scale_state: smithay::wayland::fractional_scale::FractionalScaleManagerState,
    pub xdg_extras: crate::handlers::xdg_extras::XdgExtras,
    /// wlr-foreign-toplevel-management: task lists and their handles.
    pub wlr_toplevels: crate::handlers::wlr_foreign_toplevel::WlrToplevels,
    pub timing: crate::handlers::timing::Timing,
    /// Surfaces whose commits use wp-fifo or wp-commit-timing.
    pub barrier_surfaces: Vec<
        smithay::reexports::wayland_server::Weak<
            smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
        >,
    >,
    /// A timed commit came: the loop looks for its time.
    pub timing_wake: bool,
    /// A layer surface holding the keyboard (exclusive, or on demand after
    /// a click) instead of the focused window.
    pub layer_focus: Option<smithay::reexports::wayland_server::protocol::wl_surface::WlSurface>,
    pub security_context_state: SecurityContextState,
    /// Privileged protocols, present only when the persona's config grants them.
    pub data_control_state: Option<smithay::wayland::selection::wlr_data_control::DataControlState>,
    pub ext_data_control_state:
        Option<smithay::wayland::selection::ext_data_control::DataControlState>,
    pub virtual_keyboard_state:
        Option<smithay::wayland::virtual_keyboard::VirtualKeyboardManagerState>,
    /// Listeners created through security-context, for the outer loop to serve.
    /// Capture and virtual-pointer globals (see `handlers::privileged`).
    pub privileged_globals: Vec<smithay::reexports::wayland_server::backend::GlobalId>,
    /// Captures waiting for the renderer (see `handlers::capture`).
    pub captures: Vec<crate::handlers::capture::PendingCapture>,
    /// linux-dmabuf and drm-syncobj (see `handlers::dmabuf`).
    pub gpu: crate::handlers::dmabuf::GpuBuffers,
    /// Bumped by every commit in this persona: captures that wait for damage
    /// wait for this to move.
    pub content_generation: u64,
    pub security_listeners: Vec<(SecurityContextListenerSource, SecurityContext)>,
    /// This persona's mapped windows as ext-foreign-toplevel-list shows them.
    pub foreign_toplevels: Vec<(Window, ForeignToplevelHandle)>,
    /// Tablet tools in proximity of this persona's surfaces (they leave on switch-out).
    pub tools_in_proximity: Vec<smithay::backend::input::TabletToolDescriptor>,
    pub seat: Seat<PersonaState>,
    pub space: Space<Window>,
    pub popups: PopupManager,
    /// The popup chain holding this persona's input grab, ended on switch-out.
    pub popup_grab: Option<PopupGrab<PersonaState>>,
    /// The virtual output of the primary physical output.
    pub output: Output,
    /// The primary virtual output's wl_output global (it goes when another
    /// output becomes the primary).
    pub output_global: smithay::reexports::wayland_server::backend::GlobalId,
    /// The virtual outputs of the other physical outputs (`outputs.rs`).
    pub more_outputs: Vec<outputs::VirtualOutput>,
    /// The physical outputs mirror the primary: every window is on it.
    pub mirror: bool,
    /// Mapped toplevels, least recently focused first; the last one is focused.
    pub focus_stack: Vec<Window>,
    /// Where this persona's touch points are, by slot (cancelled on switch-out).
    pub touch_points: std::collections::HashMap<i32, Point<f64, Logical>>,
    /// This persona's own cursor position, kept while it is in the background.
    pub pointer_location: Point<f64, Logical>,
    /// The cursor its clients asked for (drawn on a real display).
    pub cursor: smithay::input::pointer::CursorImageStatus,
    /// Its keyboard's lock LEDs (Caps, Num, Scroll): the physical ones show
    /// the active persona's.
    pub leds: smithay::input::keyboard::LedState,
    /// The surface (and its origin) the pointer was last focused on.
    pub pointer_focus: Option<(
        smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
        Point<f64, Logical>,
    )>,
    /// The content generation the pointer focus was last checked at.
    pub pointer_checked: u64,
    /// Only the active persona is composited and receives input.
    pub active: bool,
    /// The mime types of the clipboard a client of this persona set.
    pub clipboard_mimes: Vec<String>,
    /// And of its primary selection (offered to an X server started later).
    pub primary_mimes: Vec<String>,
    /// A background client asked to be activated; cleared when this persona
    /// comes to the front.
    pub attention: bool,
    pub background_frames: BackgroundFrames,
    /// Set by handlers when the active persona's scene changed.
    pub needs_redraw: bool,
    pub events: Vec<PersonaEvent>,
    /// What the system display's panels take of each output (by name):
    /// top, right, bottom, left, in display pixels.
    pub reserved: Vec<(String, [i32; 4])>,
    /// The pointer is on a system display panel over this persona (which
    /// then has no pointer focus).
    pub pointer_on_panel: bool,
    /// Only on the system display: its lock and control globals (`system/`).
    pub system: Option<Box<crate::system::SystemDisplay>>,
    /// ext-idle-notify notifications of its clients (handlers::idle).
    pub idle: Vec<crate::handlers::idle::IdleNotification>,
    /// Surfaces with an idle inhibitor.
    pub idle_inhibitors: Vec<smithay::reexports::wayland_server::protocol::wl_surface::WlSurface>,
    pub idle_inhibit_state: smithay::wayland::idle_inhibit::IdleInhibitManagerState,
    pub clock: Clock<Monotonic>,
    /// This persona's own render element ids (see `render/scoped.rs`).
    pub render_ids: std::cell::RefCell<crate::render::scoped::ScopedIds>,
    /// How many windows, from the top, the last drawing of the primary view
    /// looked at (those under a covering window are not): what a switch's
    /// frame walks for frame callbacks.
    pub drawn_windows: std::cell::Cell<usize>,
    /// How the compositor marks this persona on screen (see `render/indicator.rs`).
    pub indicator: Indicator,
    /// Pixels the frame indicator takes on each side: the persona's output is
    /// that much smaller than the physical one, so no client pixel is under it.
    pub inset: i32,
    /// Config `fullscreen_over_frame`.
    pub fullscreen_over_frame: bool,
    /// Windows keep the size and place they are given instead of filling the
    /// output: for the conformance suite's integration, which places them.
    pub free_placement: bool,
    /// The physical output this persona's output sits in.
    pub output_spec: OutputSpec,
    pub indicator_buffers: std::cell::RefCell<crate::render::indicator::IndicatorBuffers>,
    /// The window manager of this persona's X server, while it runs.
    pub xwm: Option<smithay::xwayland::X11Wm>,
    /// The persona's Xwayland as a client of its display.
    pub xwayland_client: Option<Client>,
    /// The loop it runs in (`xwayland/`), for X selection transfers.
    pub x11_loop: Option<smithay::reexports::calloop::LoopHandle<'static, PersonaState>>,
    pub xwayland_shell_state: smithay::wayland::xwayland_shell::XWaylandShellState,
}

/// A persona: its display (the client connections) and its state.
pub struct Persona {
    pub display: Display<PersonaState>,
    pub state: PersonaState,
    pub socket: Option<socket::PersonaSocket>,
    pub config: PersonaConfig,
    clients: Arc<AtomicUsize>,
    /// Its X server, when it has one (`xwayland/`).
    pub xwayland: Option<crate::xwayland::Xwayland>,
}

impl Persona {
    /// Creates the display and every global of a persona. The listening socket is
    /// separate ([`Persona::listen`]) so the test fixture can run without one.
    pub fn new(
        id: PersonaId,
        config: &PersonaConfig,
        global: &Config,
        output_spec: &OutputSpec,
    ) -> Result<Persona, PersonaError> {
        let background_frames = global.background_frames;
        let mut display: Display<PersonaState> =
            Display::new().map_err(|err| PersonaError::Display {
                name: config.name.clone(),
                source: std::io::Error::other(err),
            })?;
        display
            .backend()
            .handle()
            .set_default_max_client_objects(Some(MAX_CLIENT_OBJECTS));
        let dh = display.handle();
        let clock = Clock::<Monotonic>::new();

        let compositor_state = CompositorState::new_v6::<PersonaState>(&dh);
        let xdg_shell_state = XdgShellState::new::<PersonaState>(&dh);
        let xdg_decoration_state = XdgDecorationState::new::<PersonaState>(&dh);
        let shm_state = ShmState::new::<PersonaState>(&dh, vec![]);
        let mut seat_state = SeatState::new();
        let data_device_state = DataDeviceState::new::<PersonaState>(&dh);
        let primary_selection_state = PrimarySelectionState::new::<PersonaState>(&dh);
        let output_manager_state = OutputManagerState::new_with_xdg_output::<PersonaState>(&dh);
        let viewporter_state = ViewporterState::new::<PersonaState>(&dh);
        let single_pixel_buffer_state = SinglePixelBufferState::new::<PersonaState>(&dh);
        let presentation_state = PresentationState::new::<PersonaState>(&dh, clock.id() as u32);
        let relative_pointer_state = RelativePointerManagerState::new::<PersonaState>(&dh);
        let pointer_constraints_state = PointerConstraintsState::new::<PersonaState>(&dh);
        let keyboard_shortcuts_inhibit_state =
            KeyboardShortcutsInhibitState::new::<PersonaState>(&dh);
        let pointer_gestures_state = PointerGesturesState::new::<PersonaState>(&dh);
        let xdg_activation_state = XdgActivationState::new::<PersonaState>(&dh);
        let text_input_state = TextInputManagerState::new::<PersonaState>(&dh);
        // Every client of the persona may be its input method (an on-screen
        // keyboard is an ordinary app); it reaches only this persona.
        let input_method_state =
            InputMethodManagerState::new::<PersonaState, _>(&dh, |_client| true);
        let tablet_manager_state = TabletManagerState::new::<PersonaState>(&dh);
        let cursor_shape_state = CursorShapeManagerState::new::<PersonaState>(&dh);
        let foreign_toplevel_list_state = ForeignToplevelListState::new::<PersonaState>(&dh);
        // Panels and launchers are the persona's own; a sandboxed client
        // (security-context) may not draw over other apps.
        let layer_shell_state =
            smithay::wayland::shell::wlr_layer::WlrLayerShellState::new_with_filter::<
                PersonaState,
                _,
            >(&dh, crate::handlers::privileged::not_sandboxed);
        let privileged = crate::handlers::privileged::privileged_states(
            &dh,
            &config.extra.privileged,
            &primary_selection_state,
        );
        // Sandboxed clients may not create nested contexts.
        let security_context_state =
            SecurityContextState::new::<PersonaState, _>(&dh, |client: &Client| {
                client
                    .get_data::<ClientState>()
                    .is_none_or(|data| data.security_context.is_none())
            });

        let xdg_extras = crate::handlers::xdg_extras::XdgExtras::new(&dh);
        // Seen only by the persona's Xwayland (smithay filters it).
        let xwayland_shell_state =
            smithay::wayland::xwayland_shell::XWaylandShellState::new::<PersonaState>(&dh);
        crate::handlers::wlr_foreign_toplevel::create_global(&dh);
        let timing = crate::handlers::timing::Timing::new(&dh);
        let fractional_scale_state =
            smithay::wayland::fractional_scale::FractionalScaleManagerState::new::<PersonaState>(
                &dh,
            );
        let mut seat = seat_state.new_wl_seat(&dh, "seat0");
        let xkb = config.keymap.xkb_config();
        seat.add_keyboard(xkb, global.input.repeat_delay, global.input.repeat_rate)
            .map_err(|err| PersonaError::Keymap {
                name: config.name.clone(),
                message: err.to_string(),
            })?;
        seat.add_pointer();
        seat.add_touch();

        let output = Output::new(
            output_spec.name.clone(),
            PhysicalProperties {
                size: (0, 0).into(),
                subpixel: Subpixel::Unknown,
                make: "personas".into(),
                model: format!("{} virtual output", config.name),
            },
        );
        let output_global = output.create_global::<PersonaState>(&dh);
        dh.create_global::<PersonaState, smithay::reexports::wayland_protocols::ext::idle_notify::v1::server::ext_idle_notifier_v1::ExtIdleNotifierV1, ()>(
            crate::handlers::idle::IDLE_NOTIFIER_VERSION,
            (),
        );
        let idle_inhibit_state =
            smithay::wayland::idle_inhibit::IdleInhibitManagerState::new::<PersonaState>(&dh);
        let inset = inset_for(global.indicator);
        let mode = Mode {
            size: persona_size(output_spec, inset),
            refresh: output_spec.refresh_mhz,
        };
        output.change_current_state(
            Some(mode),
            Some(output_spec.transform),
            Some(output_scale(output_spec)),
            Some((0, 0).into()),
        );
        output.set_preferred(mode);
        let mut space = Space::default();
        space.map_output(&output, (0, 0));

        let center = Point::from((mode.size.w as f64 / 2.0, mode.size.h as f64 / 2.0));
        let state = PersonaState {
            id,
            name: config.name.clone(),
            color: config.color,
            display_handle: dh,
            compositor_state,
            xdg_shell_state,
            xdg_decoration_state,
            shm_state,
            seat_state,
            growth: Default::default(),
            shm_budget: Default::default(),
            data_device_state,
            primary_selection_state,
            output_manager_state,
            viewporter_state,
            single_pixel_buffer_state,
            presentation_state,
            relative_pointer_state,
            pointer_constraints_state,
            keyboard_shortcuts_inhibit_state,
            pointer_gestures_state,
            xdg_activation_state,
            text_input_state,
            input_method_state,
            tablet_manager_state,
            cursor_shape_state,
            foreign_toplevel_list_state,
            layer_shell_state,
            fractional_scale_state,
            xdg_extras,
            wlr_toplevels: Default::default(),
            timing,
            barrier_surfaces: Vec::new(),
            timing_wake: false,
            layer_focus: None,
            foreign_toplevels: Vec::new(),
            security_context_state,
            security_listeners: Vec::new(),
            data_control_state: privileged.data_control,
            ext_data_control_state: privileged.ext_data_control,
            virtual_keyboard_state: privileged.virtual_keyboard,
            privileged_globals: privileged.globals,
            captures: Vec::new(),
            gpu: Default::default(),
            content_generation: 1,
            tools_in_proximity: Vec::new(),
            seat,
            space,
            popups: PopupManager::default(),
            popup_grab: None,
            output,
            focus_stack: Vec::new(),
            touch_points: Default::default(),
            pointer_location: center,
            cursor: smithay::input::pointer::CursorImageStatus::default_named(),
            leds: Default::default(),
            pointer_focus: None,
            pointer_checked: 0,
            active: false,
            attention: false,
            clipboard_mimes: Vec::new(),
            primary_mimes: Vec::new(),
            background_frames: config.effective_background_frames(background_frames),
            needs_redraw: false,
            events: Vec::new(),
            reserved: Vec::new(),
            pointer_on_panel: false,
            system: None,
            idle: Vec::new(),
            idle_inhibitors: Vec::new(),
            idle_inhibit_state,
            clock,
            render_ids: Default::default(),
            drawn_windows: Default::default(),
            indicator: global.indicator,
            inset,
            fullscreen_over_frame: config.extra.fullscreen_over_frame,
            free_placement: false,
            output_spec: output_spec.clone(),
            output_global,
            more_outputs: Vec::new(),
            mirror: false,
            indicator_buffers: std::cell::RefCell::new(
                crate::render::indicator::IndicatorBuffers::new(config.color),
            ),
            xwm: None,
            xwayland_client: None,
            x11_loop: None,
            xwayland_shell_state,
        };
        Ok(Persona {
            display,
            state,
            socket: None,
            config: config.clone(),
            clients: Arc::new(AtomicUsize::new(0)),
            xwayland: None,
        })
    }

    /// Opens `$XDG_RUNTIME_DIR/personas/<name>/wayland-0`.
    pub fn listen(&mut self, runtime_dir: &std::path::Path) -> Result<(), PersonaError> {
        let socket =
            socket::PersonaSocket::bind(runtime_dir, &self.state.name).map_err(|source| {
                PersonaError::Socket {
                    name: self.state.name.clone(),
                    source,
                }
            })?;
        self.socket = Some(socket);
        Ok(())
    }

    /// Connects a client (from a listening socket or a socket pair) to this persona.
    pub fn insert_client(
        &mut self,
        stream: std::os::unix::net::UnixStream,
    ) -> std::io::Result<Client> {
        self.insert_client_with(stream, None)
    }

    /// Connects a client, marked with the security context it came through.
    pub fn insert_client_with(
        &mut self,
        stream: std::os::unix::net::UnixStream,
        security_context: Option<SecurityContext>,
    ) -> std::io::Result<Client> {
        let connected = self.clients.load(Ordering::Relaxed);
        if connected >= MAX_CLIENTS {
            return Err(std::io::Error::other(format!(
                "{} has {connected} clients already (the most one persona may have)",
                self.state.name
            )));
        }
        let data = ClientState {
            compositor_state: CompositorClientState::default(),
            security_context,
            connected: self.clients.clone(),
            persona: self.state.name.clone(),
            pid: peer_pid(&stream),
        };
        let client = self
            .display
            .handle()
            .insert_client(stream, Arc::new(data))?;
        self.clients.fetch_add(1, Ordering::Relaxed);
        Ok(client)
    }

    /// Reads and handles whatever this persona's clients sent.
    pub fn dispatch(&mut self) {
        if let Err(err) = self.display.dispatch_clients(&mut self.state) {
            tracing::warn!(persona = %self.state.name, "dispatching clients failed: {err}");
        }
    }

    /// Applies the client's commits that waited on something now done (a
    /// fifo barrier, a commit time, a buffer's fence).
    pub fn blocker_cleared(&mut self, client: &smithay::reexports::wayland_server::Client) {
        use smithay::wayland::compositor::CompositorHandler;
        let dh = self.display.handle();
        self.state
            .client_compositor_state(client)
            .blocker_cleared(&mut self.state, &dh);
    }

    pub fn flush(&mut self) {
        if let Err(err) = self.display.flush_clients() {
            tracing::debug!(persona = %self.state.name, "flushing clients failed: {err}");
        }
    }

    pub fn client_count(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    /// Applies settings that can change on reload without restarting the persona.
    pub fn apply_config(&mut self, config: &PersonaConfig, global: &Config) {
        let background_frames = global.background_frames;
        self.state
            .indicator_buffers
            .borrow_mut()
            .set_color(config.color);
        self.state.set_indicator(global.indicator);
        if let Some(keyboard) = self.state.seat.get_keyboard() {
            keyboard.change_repeat_info(global.input.repeat_rate, global.input.repeat_delay);
        }
        self.state.color = config.color;
        self.state.fullscreen_over_frame = config.extra.fullscreen_over_frame;
        if self.state.update_frame_cover() {
            self.state.update_activation();
        }
        self.state.background_frames = config.effective_background_frames(background_frames);
        if config.keymap != self.config.keymap {
            if let Some(keyboard) = self.state.seat.get_keyboard() {
                if let Err(err) =
                    keyboard.set_xkb_config(&mut self.state, config.keymap.xkb_config())
                {
                    tracing::warn!(persona = %config.name, "keymap not changed: {err:?}");
                }
            }
        }
        self.config = config.clone();
    }
}

/// The frame indicator's width on each side.
pub const FRAME_WIDTH: i32 = 4;

fn inset_for(indicator: Indicator) -> i32 {
    match indicator {
        Indicator::Frame => FRAME_WIDTH,
        Indicator::Badge | Indicator::None => 0,
    }
}

/// The wl_output scale of an output of `spec`.
pub(crate) fn output_scale(spec: &OutputSpec) -> Scale {
    if spec.scale == spec.scale.round() {
        Scale::Integer(spec.scale as i32)
    } else {
        Scale::Fractional(spec.scale)
    }
}

fn persona_size(spec: &OutputSpec, inset: i32) -> Size<i32, smithay::utils::Physical> {
    (
        (spec.size.w - 2 * inset).max(1),
        (spec.size.h - 2 * inset).max(1),
    )
        .into()
}

impl PersonaState {
    /// Changes the indicator (on reload): the output shrinks or grows, and
    /// every window is told its new size.
    pub fn set_indicator(&mut self, indicator: Indicator) {
        if indicator == self.indicator {
            return;
        }
        self.indicator = indicator;
        self.inset = inset_for(indicator);
        self.apply_output_mode();
        self.update_activation();
    }

    /// With `fullscreen_over_frame`, a focused fullscreen window gets the
    /// whole screen, frame included; otherwise (the default) fullscreen stays
    /// inside the frame. True when the persona's output changed size.
    pub fn update_frame_cover(&mut self) -> bool {
        let covered = self.fullscreen_over_frame
            && self
                .focused_window()
                .is_some_and(|w| windows::is_fullscreen(w, true));
        let inset = if covered {
            0
        } else {
            inset_for(self.indicator)
        };
        if inset == self.inset {
            return false;
        }
        self.inset = inset;
        self.apply_output_mode();
        true
    }

    /// The persona's part of the output in display space: the output less
    /// the inset, upright.
    pub fn display_size(&self) -> Size<i32, smithay::utils::Physical> {
        self.output_spec
            .transform
            .transform_size(persona_size(&self.output_spec, self.inset))
    }

    /// The virtual output takes the physical size less the inset.
    fn apply_output_mode(&mut self) {
        let mode = Mode {
            size: persona_size(&self.output_spec, self.inset),
            refresh: self.output_spec.refresh_mhz,
        };
        self.output.change_current_state(
            Some(mode),
            Some(self.output_spec.transform),
            Some(output_scale(&self.output_spec)),
            None,
        );
        self.output.set_preferred(mode);
        self.space.map_output(&self.output, (0, 0));
        self.apply_more_outputs();
        self.layers_changed();
        self.send_scales();
    }

    /// Where a point given as fractions of this persona's output is, in
    /// display space.
    pub fn to_output_fraction(&self, x: f64, y: f64) -> (f64, f64) {
        let size = self.display_size();
        (
            self.inset as f64 + x.clamp(0.0, 1.0) * size.w as f64,
            self.inset as f64 + y.clamp(0.0, 1.0) * size.h as f64,
        )
    }

    /// A point in display space (the primary output's, and beyond it the
    /// other outputs' where the layout puts them), in this persona's space:
    /// the primary's pixels divided by its scale.
    pub fn from_output(&self, x: f64, y: f64) -> Point<f64, Logical> {
        let scale = self.output_spec.scale.max(f64::EPSILON);
        let p = Point::from((
            (x - self.inset as f64) / scale,
            (y - self.inset as f64) / scale,
        ));
        self.confine(p, p)
    }
}
