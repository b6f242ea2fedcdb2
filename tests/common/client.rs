//! A synchronous, never-blocking Wayland test client.
//!
//! The compositor under test and any number of these clients run on ONE thread: the fixture
//! alternates server dispatches and client dispatches. Nothing here may therefore wait on the
//! socket (no `roundtrip`, no `blocking_dispatch`); [`TestClient::sync`] and
//! [`TestClient::is_synced`] are what the fixture builds its roundtrip from.
//!
//! Every method that sends requests flushes them before returning, so the server sees them on
//! its next dispatch. Events are only processed in [`TestClient::dispatch`].
#![allow(dead_code)]

mod dmabuf;
mod extras;
mod idle;
mod privileged;
mod shell;
mod system;

#[allow(unused_imports)]
pub use shell::{ForeignToplevel, LayerSpec};

#[allow(unused_imports)]
pub use system::ListedPersona;

#[allow(unused_imports)]
pub use dmabuf::Plane;

#[allow(unused_imports)]
pub use privileged::{CaptureId, CaptureResult};

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::Mutex;

use wayland_client::backend::{ObjectId, WaylandError};
use wayland_client::protocol::{
    wl_buffer::{self, WlBuffer},
    wl_callback::{self, WlCallback},
    wl_compositor::WlCompositor,
    wl_data_device::{self, WlDataDevice},
    wl_data_device_manager::{self, WlDataDeviceManager},
    wl_data_offer::{self, WlDataOffer},
    wl_data_source::{self, WlDataSource},
    wl_keyboard::{self, WlKeyboard},
    wl_output::{self, WlOutput},
    wl_pointer::{self, WlPointer},
    wl_registry::{self, WlRegistry},
    wl_seat::{self, WlSeat},
    wl_shm::{self, WlShm},
    wl_shm_pool::WlShmPool,
    wl_subcompositor::WlSubcompositor,
    wl_subsurface::WlSubsurface,
    wl_surface::{self, WlSurface},
    wl_touch::{self, WlTouch},
};
use wayland_client::{
    delegate_noop, event_created_child, Connection, Dispatch, DispatchError, EventQueue, Proxy,
    QueueHandle, WEnum,
};
use wayland_protocols::wp::presentation_time::client::{
    wp_presentation::WpPresentation,
    wp_presentation_feedback::{self, WpPresentationFeedback},
};
use wayland_protocols::wp::primary_selection::zv1::client::{
    zwp_primary_selection_device_manager_v1::ZwpPrimarySelectionDeviceManagerV1,
    zwp_primary_selection_device_v1::{self, ZwpPrimarySelectionDeviceV1},
    zwp_primary_selection_offer_v1::{self, ZwpPrimarySelectionOfferV1},
    zwp_primary_selection_source_v1::{self, ZwpPrimarySelectionSourceV1},
};
use wayland_protocols::wp::viewporter::client::wp_viewporter::WpViewporter;
use wayland_protocols::xdg::decoration::zv1::client::{
    zxdg_decoration_manager_v1::ZxdgDecorationManagerV1,
    zxdg_toplevel_decoration_v1::{self, ZxdgToplevelDecorationV1},
};
use wayland_protocols::xdg::shell::client::{
    xdg_popup::{self, XdgPopup},
    xdg_positioner::{self, XdgPositioner},
    xdg_surface::{self, XdgSurface},
    xdg_toplevel::{self, XdgToplevel},
    xdg_wm_base::{self, XdgWmBase},
};
use wayland_protocols::xdg::xdg_output::zv1::client::{
    zxdg_output_manager_v1::ZxdgOutputManagerV1,
    zxdg_output_v1::{self, ZxdgOutputV1},
};

/// Index into the client's surfaces (toplevels, popups and subsurfaces alike).
pub type WindowId = usize;

/// Reported for a surface the client does not know (e.g. one already destroyed).
pub const UNKNOWN_SURFACE: WindowId = usize::MAX;

/// Color popups are drawn with when they get configured.
pub const POPUP_COLOR: [u8; 4] = [0x20, 0x60, 0xff, 0xff];

/// Input and selection events, in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    KeyboardEnter {
        surface: WindowId,
        keys: Vec<u32>,
    },
    KeyboardLeave {
        surface: WindowId,
    },
    Key {
        key: u32,
        pressed: bool,
    },
    Modifiers {
        depressed: u32,
        latched: u32,
        locked: u32,
        group: u32,
    },
    Keymap {
        size: u32,
    },
    RepeatInfo {
        rate: i32,
        delay: i32,
    },
    PointerEnter {
        surface: WindowId,
        x: f64,
        y: f64,
    },
    PointerLeave {
        surface: WindowId,
    },
    PointerMotion {
        x: f64,
        y: f64,
    },
    PointerButton {
        button: u32,
        pressed: bool,
    },
    PointerFrame,
    TouchDown {
        surface: WindowId,
        id: i32,
        x: f64,
        y: f64,
    },
    TouchUp {
        id: i32,
    },
    TouchMotion {
        id: i32,
        x: f64,
        y: f64,
    },
    TouchFrame,
    TouchCancel,
    Selection {
        mimes: Option<Vec<String>>,
    },
    PrimarySelection {
        mimes: Option<Vec<String>>,
    },
    /// A data-control device (clipboard manager) saw a new clipboard.
    ControlSelection {
        mimes: Option<Vec<String>>,
    },
    /// A wl_data_source or primary selection source of this client was cancelled.
    SourceCancelled,
    Presented,
    Discarded,
    PointerAxis {
        horizontal: f64,
        vertical: f64,
    },
    RelativeMotion {
        dx: f64,
        dy: f64,
    },
    Locked,
    Unlocked,
    Confined,
    Unconfined,
    InhibitorActive,
    InhibitorInactive,
    /// ext_idle_notification_v1.idled of the notification with this token.
    Idled(u32),
    Resumed(u32),
    TabletProximityIn {
        surface: WindowId,
    },
    TabletProximityOut,
    TabletDown,
    TabletUp,
    TabletMotion {
        x: f64,
        y: f64,
    },
    TabletToolAdded,
    /// ext-foreign-toplevel-list: a toplevel announced (with its title once done).
    ListedToplevel {
        title: String,
    },
    ListedToplevelClosed,
    SwipeBegin {
        fingers: u32,
    },
    SwipeUpdate,
    SwipeEnd {
        cancelled: bool,
    },
    TextInputEnter,
    TextInputLeave,
    TextCommitted(String),
    InputMethodActivate,
    InputMethodDeactivate,
    DndEnter,
    DndLeave,
    DndDrop,
    SourceDropPerformed,
    SourceFinished,
}

/// One complete toplevel configure sequence (xdg_toplevel.configure + xdg_surface.configure).
#[derive(Debug, Clone, PartialEq)]
pub struct Configure {
    pub serial: u32,
    pub width: i32,
    pub height: i32,
    pub states: Vec<xdg_toplevel::State>,
}

/// One complete popup configure sequence (xdg_popup.configure + xdg_surface.configure).
#[derive(Debug, Clone, PartialEq)]
pub struct PopupConfigure {
    pub serial: u32,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Toplevel,
    Popup,
    Subsurface,
    /// A wlr layer surface (see `shell.rs`).
    Layer,
    /// An ext-session-lock surface (see `system.rs`).
    Lock,
}

/// Client-side view of one surface created through the [`TestClient`] API.
#[derive(Debug)]
pub struct WindowState {
    pub role: Role,
    pub configures: Vec<Configure>,
    pub popup_configures: Vec<PopupConfigure>,
    /// Last xdg_toplevel.configure_bounds (xdg_wm_base v4+).
    pub configure_bounds: Option<(i32, i32)>,
    /// xdg_toplevel.close was received.
    pub closed: bool,
    /// xdg_popup.popup_done was received.
    pub popup_done: bool,
    /// Outputs the surface is currently on (wl_surface.enter minus wl_surface.leave).
    pub entered_outputs: usize,
    /// Mode of the last zxdg_toplevel_decoration_v1.configure, if a decoration was created.
    pub decoration_mode: Option<zxdg_toplevel_decoration_v1::Mode>,
    /// Frame callbacks that fired.
    pub frames_done: usize,
    /// Serial of the last configure this client acked.
    pub acked_serial: Option<u32>,
    /// Size of the last buffer committed.
    pub buffer_size: Option<(i32, i32)>,
    /// `close_window` was called.
    pub destroyed: bool,
    surface: WlSurface,
    xdg_surface: Option<XdgSurface>,
    toplevel: Option<XdgToplevel>,
    popup: Option<XdgPopup>,
    subsurface: Option<WlSubsurface>,
    decoration: Option<ZxdgToplevelDecorationV1>,
    layer: Option<
        wayland_protocols_wlr::layer_shell::v1::client::zwlr_layer_surface_v1::ZwlrLayerSurfaceV1,
    >,
    /// zwlr_layer_surface_v1.configure (and ext_session_lock_surface_v1)
    /// sizes, in order.
    pub layer_configures: Vec<(i32, i32)>,
    lock_surface: Option<
        wayland_protocols::ext::session_lock::v1::client::ext_session_lock_surface_v1::ExtSessionLockSurfaceV1,
    >,
    /// zwlr_layer_surface_v1.closed was received.
    pub layer_closed: bool,
    /// wl_surface.preferred_buffer_scale (v6).
    pub preferred_buffer_scale: Option<i32>,
    /// wp_fractional_scale_v1.preferred_scale, in 120ths.
    pub fractional_scale: Option<u32>,
    /// Role configure received, waiting for the xdg_surface.configure that completes it.
    pending_toplevel: (i32, i32, Vec<xdg_toplevel::State>),
    pending_popup: (i32, i32, i32, i32),
    /// Serial of the last xdg_surface.configure.
    last_serial: Option<u32>,
    /// Popups ack and redraw themselves on every configure, in this color.
    auto_draw: Option<[u8; 4]>,
    /// Size used when the role gives none (subsurfaces, popups configured with 0x0).
    default_size: (i32, i32),
}

impl WindowState {
    fn new(role: Role, surface: WlSurface) -> Self {
        WindowState {
            role,
            configures: Vec::new(),
            popup_configures: Vec::new(),
            configure_bounds: None,
            closed: false,
            popup_done: false,
            entered_outputs: 0,
            decoration_mode: None,
            frames_done: 0,
            acked_serial: None,
            buffer_size: None,
            destroyed: false,
            surface,
            xdg_surface: None,
            toplevel: None,
            popup: None,
            subsurface: None,
            decoration: None,
            layer: None,
            layer_configures: Vec::new(),
            lock_surface: None,
            layer_closed: false,
            preferred_buffer_scale: None,
            fractional_scale: None,
            pending_toplevel: (0, 0, Vec::new()),
            pending_popup: (0, 0, 0, 0),
            last_serial: None,
            auto_draw: None,
            default_size: (0, 0),
        }
    }

    /// Acks the latest configure once (acking a serial twice is an
    /// invalid_serial error in smithay).
    fn ack_latest(&mut self) {
        if let (Some(xdg), Some(serial)) = (&self.xdg_surface, self.last_serial) {
            if self.acked_serial != Some(serial) {
                xdg.ack_configure(serial);
                self.acked_serial = Some(serial);
            }
        }
        if let (Some(layer), Some(serial)) = (&self.layer, self.last_serial) {
            if self.acked_serial != Some(serial) {
                layer.ack_configure(serial);
                self.acked_serial = Some(serial);
            }
        }
        if let (Some(lock), Some(serial)) = (&self.lock_surface, self.last_serial) {
            if self.acked_serial != Some(serial) {
                lock.ack_configure(serial);
                self.acked_serial = Some(serial);
            }
        }
    }

    pub fn last_configure(&self) -> Option<&Configure> {
        self.configures.last()
    }

    pub fn last_popup_configure(&self) -> Option<&PopupConfigure> {
        self.popup_configures.last()
    }

    /// Whether any configure (toplevel or popup) arrived.
    pub fn is_configured(&self) -> bool {
        self.last_serial.is_some()
    }

    fn has_state(&self, state: xdg_toplevel::State) -> bool {
        self.last_configure()
            .is_some_and(|c| c.states.contains(&state))
    }

    pub fn activated(&self) -> bool {
        self.has_state(xdg_toplevel::State::Activated)
    }

    pub fn maximized(&self) -> bool {
        self.has_state(xdg_toplevel::State::Maximized)
    }

    pub fn fullscreen(&self) -> bool {
        self.has_state(xdg_toplevel::State::Fullscreen)
    }

    pub fn suspended(&self) -> bool {
        self.has_state(xdg_toplevel::State::Suspended)
    }
}

/// What the client knows about one wl_output (and its xdg_output, if bound).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputInfo {
    /// Registry name of the wl_output global.
    pub global_name: u32,
    /// wl_output.name (v4).
    pub name: Option<String>,
    pub description: Option<String>,
    /// Position from wl_output.geometry.
    pub position: (i32, i32),
    /// Transform from wl_output.geometry.
    pub transform: Option<wl_output::Transform>,
    /// Current mode (width, height, refresh in mHz).
    pub mode: Option<(i32, i32, i32)>,
    pub scale: i32,
    pub logical_position: Option<(i32, i32)>,
    pub logical_size: Option<(i32, i32)>,
    /// zxdg_output_v1.name.
    pub xdg_name: Option<String>,
    /// wl_output.done was received at least once.
    pub done: bool,
}

#[derive(Debug)]
struct OutputState {
    output: WlOutput,
    xdg: Option<ZxdgOutputV1>,
    info: OutputInfo,
    removed: bool,
}

/// User data of wl_callback objects.
#[derive(Debug, Clone, Copy)]
pub enum CallbackData {
    Sync(u32),
    Frame(WindowId),
}

/// Mime types announced for a data offer (either kind of selection).
#[derive(Debug, Default)]
pub struct OfferData(Mutex<Vec<String>>);

impl OfferData {
    fn mimes(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// What a selection source of this client serves.
#[derive(Debug)]
pub struct SourceData {
    mime: String,
    data: Vec<u8>,
}

/// Data being written to a receiver's pipe. The fd is non-blocking and written a bit on each
/// dispatch, because the receiver runs on this same thread and a full pipe must not block.
#[derive(Debug)]
struct PendingWrite {
    fd: OwnedFd,
    data: Vec<u8>,
    offset: usize,
}

/// Dispatch state of a [`TestClient`].
#[derive(Debug, Default)]
pub struct ClientState {
    globals: Vec<(u32, String, u32)>,
    idle_inhibitors: Vec<wayland_protocols::wp::idle_inhibit::zv1::client::zwp_idle_inhibitor_v1::ZwpIdleInhibitorV1>,
    bound_all: bool,
    dmabuf: dmabuf::DmabufSeen,
    compositor: Option<WlCompositor>,
    subcompositor: Option<WlSubcompositor>,
    shm: Option<WlShm>,
    wm_base: Option<XdgWmBase>,
    seat: Option<WlSeat>,
    keyboard: Option<WlKeyboard>,
    pointer: Option<WlPointer>,
    touch: Option<WlTouch>,
    data_device_manager: Option<WlDataDeviceManager>,
    data_device: Option<WlDataDevice>,
    primary_manager: Option<ZwpPrimarySelectionDeviceManagerV1>,
    primary_device: Option<ZwpPrimarySelectionDeviceV1>,
    xdg_output_manager: Option<ZxdgOutputManagerV1>,
    presentation: Option<WpPresentation>,
    viewporter: Option<WpViewporter>,
    decoration_manager: Option<ZxdgDecorationManagerV1>,
    windows: Vec<WindowState>,
    outputs: Vec<OutputState>,
    events: Vec<Event>,
    next_sync: u32,
    synced: HashSet<u32>,
    keyboard_enter_serial: Option<u32>,
    selection_offer: Option<WlDataOffer>,
    primary_offer: Option<ZwpPrimarySelectionOfferV1>,
    dnd_offer: Option<WlDataOffer>,
    /// Accept every drag that enters (the first offered mime, action copy).
    accept_drags: bool,
    /// Serial of the latest wl_pointer.button press (to start a drag with).
    button_serial: Option<u32>,
    text_input:
        Option<wayland_protocols::wp::text_input::zv3::client::zwp_text_input_v3::ZwpTextInputV3>,
    input_method: Option<
        wayland_protocols_misc::zwp_input_method_v2::client::zwp_input_method_v2::ZwpInputMethodV2,
    >,
    /// input_method.done events seen (the serial for input_method.commit).
    input_method_serial: u32,
    tablet_seat:
        Option<wayland_protocols::wp::tablet::zv2::client::zwp_tablet_seat_v2::ZwpTabletSeatV2>,
    pending_writes: Vec<PendingWrite>,
    protocol_error: Option<(u32, String, String)>,
    captures: Vec<privileged::CaptureState>,
    /// xdg-foreign and wp-fifo objects (see `shell.rs`).
    shell: shell::ShellObjects,
    /// The session lock and personas-control objects (see `system.rs`).
    system: system::SystemObjects,
    /// A clipboard manager's data-control manager and device.
    control: Option<(
        wayland_protocols_wlr::data_control::v1::client::zwlr_data_control_manager_v1::ZwlrDataControlManagerV1,
        wayland_protocols_wlr::data_control::v1::client::zwlr_data_control_device_v1::ZwlrDataControlDeviceV1,
    )>,
    control_offer: Option<
        wayland_protocols_wlr::data_control::v1::client::zwlr_data_control_offer_v1::ZwlrDataControlOfferV1,
    >,
    screencopy_manager: Option<
        wayland_protocols_wlr::screencopy::v1::client::zwlr_screencopy_manager_v1::ZwlrScreencopyManagerV1,
    >,
    /// Windows listed by ext-foreign-toplevel-list, in the order they came.
    listed: Vec<
        wayland_protocols::ext::foreign_toplevel_list::v1::client::ext_foreign_toplevel_handle_v1::ExtForeignToplevelHandleV1,
    >,
}

impl ClientState {
    fn bind_output(
        &mut self,
        registry: &WlRegistry,
        name: u32,
        version: u32,
        qh: &QueueHandle<Self>,
    ) {
        let idx = self.outputs.len();
        let output = registry.bind::<WlOutput, usize, Self>(name, version.min(4), qh, idx);
        let xdg = self
            .xdg_output_manager
            .as_ref()
            .map(|m| m.get_xdg_output(&output, qh, idx));
        self.outputs.push(OutputState {
            output,
            xdg,
            info: OutputInfo {
                global_name: name,
                scale: 1,
                ..Default::default()
            },
            removed: false,
        });
    }

    fn surface_window(surface: &WlSurface) -> WindowId {
        surface
            .data::<WindowId>()
            .copied()
            .unwrap_or(UNKNOWN_SURFACE)
    }

    fn window_mut(&mut self, id: WindowId) -> &mut WindowState {
        let window = self
            .windows
            .get_mut(id)
            .unwrap_or_else(|| panic!("no window {id}"));
        assert!(!window.destroyed, "window {id} was closed");
        window
    }

    /// Acks the latest configure (if not acked yet) and commits a buffer of one color.
    fn ack_and_draw(
        &mut self,
        id: WindowId,
        color: [u8; 4],
        fallback: (i32, i32),
        frame: bool,
        qh: &QueueHandle<Self>,
    ) {
        let shm = self.shm.clone().expect("wl_shm not bound: call bind_all");
        let window = self.window_mut(id);
        let or_fallback = |w: i32, h: i32| {
            (
                if w > 0 { w } else { fallback.0 },
                if h > 0 { h } else { fallback.1 },
            )
        };
        let size = match window.role {
            Role::Toplevel => {
                let c = window
                    .last_configure()
                    .unwrap_or_else(|| panic!("window {id}: drawing before the first configure"));
                or_fallback(c.width, c.height)
            }
            Role::Popup => {
                let c = window
                    .last_popup_configure()
                    .unwrap_or_else(|| panic!("popup {id}: drawing before the first configure"));
                or_fallback(c.width, c.height)
            }
            Role::Subsurface => fallback,
            Role::Layer | Role::Lock => {
                let &(w, h) = window
                    .layer_configures
                    .last()
                    .unwrap_or_else(|| panic!("layer {id}: drawing before the first configure"));
                or_fallback(w, h)
            }
        };
        window.ack_latest();
        if frame {
            window.surface.frame(qh, CallbackData::Frame(id));
        }
        attach_color_buffer(&shm, &window.surface, color, size, qh);
        window.buffer_size = Some(size);
        window.surface.commit();
    }

    /// Writes as much pending selection data as the pipes take; closes finished ones.
    fn service_writes(&mut self) {
        self.pending_writes.retain_mut(|w| {
            while w.offset < w.data.len() {
                let rest = &w.data[w.offset..];
                // SAFETY: valid fd and buffer for the duration of the call.
                let n = unsafe { libc::write(w.fd.as_raw_fd(), rest.as_ptr().cast(), rest.len()) };
                if n < 0 {
                    let err = io::Error::last_os_error();
                    match err.kind() {
                        io::ErrorKind::WouldBlock => return true,
                        io::ErrorKind::Interrupted => continue,
                        // The receiver went away (EPIPE): nothing left to do.
                        _ => return false,
                    }
                }
                w.offset += n as usize;
            }
            false
        });
    }

    fn queue_write(&mut self, fd: OwnedFd, data: &[u8]) {
        set_nonblocking(&fd);
        self.pending_writes.push(PendingWrite {
            fd,
            data: data.to_vec(),
            offset: 0,
        });
        self.service_writes();
    }
}

fn set_nonblocking(fd: &impl AsRawFd) {
    // SAFETY: plain fcntl on an fd we own.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        assert!(flags >= 0, "fcntl: {}", io::Error::last_os_error());
        let r = libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        assert!(r >= 0, "fcntl: {}", io::Error::last_os_error());
    }
}

/// Attaches (without committing) a `size` ARGB8888 buffer filled with `color` ([r, g, b, a]).
///
/// The memory is a fresh memfd per buffer; the pool is destroyed at once (the buffer keeps the
/// memory alive) and the buffer destroys itself on release.
fn attach_color_buffer(
    shm: &WlShm,
    surface: &WlSurface,
    color: [u8; 4],
    size: (i32, i32),
    qh: &QueueHandle<ClientState>,
) {
    let (w, h) = size;
    assert!(w > 0 && h > 0, "buffer size must be positive, got {w}x{h}");
    let stride = w * 4;
    let len = (stride * h) as usize;
    // SAFETY: memfd_create with a valid C string; the fd is owned by the File right away.
    let fd = unsafe { libc::memfd_create(c"personas-test-buffer".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create: {}", io::Error::last_os_error());
    let mut file = unsafe { File::from_raw_fd(fd) };
    let [r, g, b, a] = color;
    // ARGB8888 is a little-endian u32, so the bytes in memory are B, G, R, A.
    let pixel = u32::from_be_bytes([a, r, g, b]).to_le_bytes();
    let row: Vec<u8> = pixel.repeat(w as usize);
    let mut data = Vec::with_capacity(len);
    for _ in 0..h {
        data.extend_from_slice(&row);
    }
    file.write_all(&data).expect("writing shm buffer");
    let pool = shm.create_pool(file.as_fd(), len as i32, qh, ());
    // An opaque color is sent as XRGB, as real clients do, so the compositor
    // knows what it covers.
    let format = if a == 0xff {
        wl_shm::Format::Xrgb8888
    } else {
        wl_shm::Format::Argb8888
    };
    let buffer = pool.create_buffer(0, w, h, stride, format, qh, ());
    pool.destroy();
    surface.attach(Some(&buffer), 0, 0);
    if surface.version() >= 4 {
        surface.damage_buffer(0, 0, w, h);
    } else {
        surface.damage(0, 0, w, h);
    }
}

/// Buffers a misbehaving client may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadBuffer {
    /// A wl_buffer that claims more bytes than its pool has.
    LargerThanPool,
    /// A valid buffer whose backing file is truncated to nothing after creation.
    TruncatedPool,
}

fn attach_bad_buffer(
    shm: &WlShm,
    surface: &WlSurface,
    kind: BadBuffer,
    size: (i32, i32),
    qh: &QueueHandle<ClientState>,
) {
    let (w, h) = size;
    let stride = w * 4;
    let len = (stride * h) as usize;
    // SAFETY: as in attach_color_buffer.
    let fd = unsafe { libc::memfd_create(c"personas-bad-buffer".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create: {}", io::Error::last_os_error());
    let file = unsafe { File::from_raw_fd(fd) };
    file.set_len(len as u64).unwrap();
    let pool_len = match kind {
        BadBuffer::LargerThanPool => len as i32 / 2,
        BadBuffer::TruncatedPool => len as i32,
    };
    let pool = shm.create_pool(file.as_fd(), pool_len, qh, ());
    let buffer = pool.create_buffer(0, w, h, stride, wl_shm::Format::Argb8888, qh, ());
    pool.destroy();
    if kind == BadBuffer::TruncatedPool {
        file.set_len(0).unwrap();
    }
    surface.attach(Some(&buffer), 0, 0);
    surface.damage(0, 0, w, h);
    surface.commit();
}

/// A Wayland client for in-process tests; see the module docs.
pub struct TestClient {
    conn: Connection,
    queue: EventQueue<ClientState>,
    qh: QueueHandle<ClientState>,
    registry: WlRegistry,
    state: ClientState,
    expect_error: bool,
    /// Why the connection is dead, if it is.
    dead: Option<String>,
    /// Read end of the pipe of a selection being received, and the bytes so far.
    receiving: Option<(OwnedFd, Vec<u8>)>,
}

impl TestClient {
    /// Connects over `stream` and creates the registry. No roundtrip: the globals arrive on
    /// later dispatches.
    pub fn new(stream: UnixStream) -> TestClient {
        let conn = Connection::from_socket(stream).expect("wayland connection from socket");
        let queue = conn.new_event_queue();
        let qh = queue.handle();
        let registry = conn.display().get_registry(&qh, ());
        let mut client = TestClient {
            conn,
            queue,
            qh,
            registry,
            state: ClientState::default(),
            expect_error: false,
            dead: None,
            receiving: None,
        };
        client.flush();
        client
    }

    /// Non-blocking: reads whatever the socket holds, dispatches it, serves pending selection
    /// writes and flushes the requests. Panics on a protocol error or a lost connection unless
    /// [`expect_protocol_error`](Self::expect_protocol_error) was called.
    pub fn dispatch(&mut self) {
        self.flush();
        while self.dead.is_none() {
            if let Err(err) = self.queue.dispatch_pending(&mut self.state) {
                match err {
                    DispatchError::Backend(e) => self.fail(e),
                    DispatchError::BadMessage {
                        sender_id,
                        interface,
                        opcode,
                    } => panic!(
                        "test client got a bad message: {interface} {sender_id} opcode {opcode}"
                    ),
                }
                return;
            }
            if !self.read_socket() {
                break;
            }
        }
        self.state.service_writes();
        self.flush();
    }

    /// Reads what the socket holds into the queue (without dispatching). Returns whether
    /// anything may have been read.
    fn read_socket(&mut self) -> bool {
        if self.dead.is_some() {
            return false;
        }
        // None: events are already queued; the caller dispatches them.
        let Some(guard) = self.queue.prepare_read() else {
            return true;
        };
        match guard.read() {
            // libwayland's read (the system backend, which winit's client
            // side switches on) answers 0 where the Rust one says WouldBlock.
            Ok(n) => n > 0,
            Err(WaylandError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }

    /// Sends the queued requests.
    ///
    /// Reads the socket first (queueing, not dispatching): once the server has closed the
    /// connection, writing fails with EPIPE and the backend would never read the protocol
    /// error the server sent before closing.
    pub fn flush(&mut self) {
        self.read_socket();
        if self.dead.is_some() {
            return;
        }
        match self.conn.flush() {
            Ok(()) => {}
            Err(WaylandError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => self.fail(e),
        }
    }

    fn fail(&mut self, err: WaylandError) {
        let protocol = match &err {
            WaylandError::Protocol(p) => Some(p.clone()),
            WaylandError::Io(_) => self.conn.protocol_error(),
        };
        if let Some(p) = protocol {
            let msg = format!(
                "protocol error on {}#{} code {}: {}",
                p.object_interface, p.object_id, p.code, p.message
            );
            self.state.protocol_error = Some((p.code, p.object_interface, p.message));
            self.dead = Some(msg);
        } else {
            self.dead = Some(format!("connection lost: {err}"));
        }
        if !self.expect_error {
            panic!("test client: {}", self.dead.as_ref().unwrap());
        }
    }

    /// Sends wl_display.sync; [`is_synced`](Self::is_synced) tells when its done arrived.
    pub fn sync(&mut self) -> u32 {
        let token = self.state.next_sync;
        self.state.next_sync += 1;
        self.conn
            .display()
            .sync(&self.qh, CallbackData::Sync(token));
        self.flush();
        token
    }

    pub fn is_synced(&self, token: u32) -> bool {
        self.state.synced.contains(&token)
    }

    /// Current globals: (name, interface, version).
    pub fn globals(&self) -> Vec<(u32, String, u32)> {
        self.state.globals.clone()
    }

    pub fn count_globals(&self, interface: &str) -> usize {
        self.state
            .globals
            .iter()
            .filter(|g| g.1 == interface)
            .count()
    }

    fn bind<I>(&self, max_version: u32) -> Option<I>
    where
        I: Proxy + 'static,
        ClientState: Dispatch<I, ()>,
    {
        let interface = I::interface().name;
        let &(name, _, version) = self.state.globals.iter().find(|g| g.1 == interface)?;
        Some(
            self.registry
                .bind::<I, (), ClientState>(name, version.min(max_version), &self.qh, ()),
        )
    }

    fn bind_required<I>(&self, max_version: u32) -> I
    where
        I: Proxy + 'static,
        ClientState: Dispatch<I, ()>,
    {
        self.bind(max_version).unwrap_or_else(|| {
            panic!(
                "global {} missing: call bind_all after the globals arrived",
                I::interface().name
            )
        })
    }

    /// Binds what a normal client uses. wl_compositor, wl_shm and xdg_wm_base are required;
    /// the rest is bound when advertised. The seat's keyboard/pointer/touch are created when
    /// its capabilities arrive; wl_outputs advertised later are bound as they appear.
    pub fn bind_all(&mut self) {
        if self.state.bound_all {
            return;
        }
        let compositor = self.bind_required::<WlCompositor>(6);
        let shm = self.bind_required::<WlShm>(1);
        let wm_base = self.bind_required::<XdgWmBase>(6);
        let subcompositor = self.bind::<WlSubcompositor>(1);
        let seat = self.bind::<WlSeat>(9);
        let data_device_manager = self.bind::<WlDataDeviceManager>(3);
        let primary_manager = self.bind::<ZwpPrimarySelectionDeviceManagerV1>(1);
        let xdg_output_manager = self.bind::<ZxdgOutputManagerV1>(3);
        let presentation = self.bind::<WpPresentation>(1);
        let viewporter = self.bind::<WpViewporter>(1);
        let decoration_manager = self.bind::<ZxdgDecorationManagerV1>(1);
        let st = &mut self.state;
        st.compositor = Some(compositor);
        st.shm = Some(shm);
        st.wm_base = Some(wm_base);
        st.subcompositor = subcompositor;
        st.seat = seat;
        st.data_device_manager = data_device_manager;
        st.primary_manager = primary_manager;
        st.xdg_output_manager = xdg_output_manager;
        st.presentation = presentation;
        st.viewporter = viewporter;
        st.decoration_manager = decoration_manager;
        if let Some(seat) = &st.seat {
            st.data_device = st
                .data_device_manager
                .as_ref()
                .map(|m| m.get_data_device(seat, &self.qh, ()));
            st.primary_device = st
                .primary_manager
                .as_ref()
                .map(|m| m.get_device(seat, &self.qh, ()));
        }
        let outputs: Vec<(u32, u32)> = st
            .globals
            .iter()
            .filter(|g| g.1 == WlOutput::interface().name)
            .map(|g| (g.0, g.2))
            .collect();
        for (name, version) in outputs {
            st.bind_output(&self.registry, name, version, &self.qh);
        }
        st.bound_all = true;
        self.flush();
    }

    fn new_surface(&mut self, role: Role) -> (WindowId, WlSurface) {
        let id = self.state.windows.len();
        let surface = self
            .state
            .compositor
            .as_ref()
            .expect("wl_compositor not bound: call bind_all")
            .create_surface(&self.qh, id);
        self.state
            .windows
            .push(WindowState::new(role, surface.clone()));
        (id, surface)
    }

    fn wm_base(&self) -> XdgWmBase {
        self.state
            .wm_base
            .clone()
            .expect("xdg_wm_base not bound: call bind_all")
    }

    /// A toplevel: wl_surface + xdg_surface + xdg_toplevel, initial commit without buffer.
    pub fn create_window(&mut self) -> WindowId {
        self.create_window_with(None, None)
    }

    /// Like [`create_window`](Self::create_window), with title and app_id set before the
    /// initial commit (so the compositor knows them when it first configures the window).
    pub fn create_window_with(&mut self, title: Option<&str>, app_id: Option<&str>) -> WindowId {
        let wm_base = self.wm_base();
        let (id, surface) = self.new_surface(Role::Toplevel);
        let xdg_surface = wm_base.get_xdg_surface(&surface, &self.qh, id);
        let toplevel = xdg_surface.get_toplevel(&self.qh, id);
        if let Some(title) = title {
            toplevel.set_title(title.to_owned());
        }
        if let Some(app_id) = app_id {
            toplevel.set_app_id(app_id.to_owned());
        }
        surface.commit();
        let window = &mut self.state.windows[id];
        window.xdg_surface = Some(xdg_surface);
        window.toplevel = Some(toplevel);
        self.flush();
        id
    }

    fn toplevel(&mut self, id: WindowId) -> XdgToplevel {
        self.state
            .window_mut(id)
            .toplevel
            .clone()
            .unwrap_or_else(|| panic!("window {id} is not a toplevel"))
    }

    /// Not followed by a commit.
    pub fn set_title(&mut self, id: WindowId, title: &str) {
        self.toplevel(id).set_title(title.to_owned());
        self.flush();
    }

    /// Not followed by a commit.
    pub fn set_app_id(&mut self, id: WindowId, app_id: &str) {
        self.toplevel(id).set_app_id(app_id.to_owned());
        self.flush();
    }

    pub fn set_fullscreen(&mut self, id: WindowId) {
        self.toplevel(id).set_fullscreen(None);
        self.flush();
    }

    pub fn unset_fullscreen(&mut self, id: WindowId) {
        self.toplevel(id).unset_fullscreen();
        self.flush();
    }

    /// Acks the latest configure (unless already acked) and commits a full-size buffer of
    /// `color` ([r, g, b, a]). The size is that of the last configure, with `fallback` for a
    /// dimension the configure left to the client (0). For a subsurface the size is `fallback`.
    pub fn ack_and_draw(&mut self, id: WindowId, color: [u8; 4], fallback: (i32, i32)) {
        self.state
            .ack_and_draw(id, color, fallback, false, &self.qh);
        self.flush();
    }

    /// Like [`ack_and_draw`](Self::ack_and_draw), with a frame callback in the same commit.
    pub fn draw_with_frame(&mut self, id: WindowId, color: [u8; 4], fallback: (i32, i32)) {
        self.state.ack_and_draw(id, color, fallback, true, &self.qh);
        self.flush();
    }

    /// Acks the latest configure but draws at `size` whatever it said, as a
    /// fixed-size client does.
    pub fn draw_fixed(&mut self, id: WindowId, color: [u8; 4], size: (i32, i32)) {
        let shm = self
            .state
            .shm
            .clone()
            .expect("wl_shm not bound: call bind_all");
        let window = self.state.window_mut(id);
        window.ack_latest();
        attach_color_buffer(&shm, &window.surface, color, size, &self.qh);
        window.buffer_size = Some(size);
        window.surface.commit();
        self.flush();
    }

    /// Acks the latest configure and commits a malformed buffer.
    pub fn draw_bad_buffer(&mut self, id: WindowId, kind: BadBuffer, size: (i32, i32)) {
        let shm = self
            .state
            .shm
            .clone()
            .expect("wl_shm not bound: call bind_all");
        let window = self.state.window_mut(id);
        window.ack_latest();
        attach_bad_buffer(&shm, &window.surface, kind, size, &self.qh);
        self.flush();
    }

    /// Sends `n` wl_surface.damage requests on the window, without a commit.
    pub fn damage_many(&mut self, id: WindowId, n: usize) {
        let surface = self.state.window_mut(id).surface.clone();
        for i in 0..n {
            surface.damage((i % 97) as i32, (i / 97) as i32, 1, 1);
        }
        self.flush();
    }

    /// Makes subsurface `id` synchronized: its commits wait for its parent's.
    pub fn set_sync(&mut self, id: WindowId) {
        if let Some(subsurface) = &self.state.windows[id].subsurface {
            subsurface.set_sync();
        }
        self.flush();
    }

    /// Requests a frame callback for the next commit (does not commit).
    pub fn request_frame(&mut self, id: WindowId) {
        let surface = self.state.window_mut(id).surface.clone();
        surface.frame(&self.qh, CallbackData::Frame(id));
        self.flush();
    }

    pub fn commit(&mut self, id: WindowId) {
        self.state.window_mut(id).surface.commit();
        self.flush();
    }

    /// Number of frame callbacks that fired for `id`.
    pub fn frames_done(&self, id: WindowId) -> usize {
        self.window(id).frames_done
    }

    /// Destroys the decoration, role object, xdg_surface/subsurface and the surface.
    pub fn close_window(&mut self, id: WindowId) {
        let window = self.state.window_mut(id);
        if let Some(d) = window.decoration.take() {
            d.destroy();
        }
        if let Some(t) = window.toplevel.take() {
            t.destroy();
        }
        if let Some(p) = window.popup.take() {
            p.destroy();
        }
        if let Some(x) = window.xdg_surface.take() {
            x.destroy();
        }
        if let Some(s) = window.subsurface.take() {
            s.destroy();
        }
        window.surface.destroy();
        window.destroyed = true;
        self.flush();
    }

    /// A popup on `parent` (a toplevel or popup) of `size`, anchored at the bottom-left corner
    /// of `anchor_rect` (x, y, w, h in the parent's window geometry) and growing towards the
    /// bottom-right, sliding/flipping when constrained (like a dropdown menu). It is acked and
    /// drawn in [`POPUP_COLOR`] on each configure.
    pub fn create_popup(
        &mut self,
        parent: WindowId,
        size: (i32, i32),
        anchor_rect: (i32, i32, i32, i32),
    ) -> WindowId {
        self.create_popup_with(parent, size, anchor_rect, false)
    }

    /// A popup as [`create_popup`](Self::create_popup) that takes an explicit grab
    /// with the serial of the latest pointer button press.
    pub fn create_grabbing_popup(
        &mut self,
        parent: WindowId,
        size: (i32, i32),
        anchor_rect: (i32, i32, i32, i32),
    ) -> WindowId {
        self.create_popup_with(parent, size, anchor_rect, true)
    }

    fn create_popup_with(
        &mut self,
        parent: WindowId,
        size: (i32, i32),
        anchor_rect: (i32, i32, i32, i32),
        grab: bool,
    ) -> WindowId {
        let parent_layer = self.state.window_mut(parent).layer.clone();
        let parent_xdg = self.state.window_mut(parent).xdg_surface.clone();
        assert!(
            parent_xdg.is_some() || parent_layer.is_some(),
            "popup parent {parent} has no xdg_surface or layer surface"
        );
        let wm_base = self.wm_base();
        let (id, surface) = self.new_surface(Role::Popup);
        let xdg_surface = wm_base.get_xdg_surface(&surface, &self.qh, id);
        let positioner = wm_base.create_positioner(&self.qh, ());
        positioner.set_size(size.0, size.1);
        let (x, y, w, h) = anchor_rect;
        positioner.set_anchor_rect(x, y, w, h);
        positioner.set_anchor(xdg_positioner::Anchor::BottomLeft);
        positioner.set_gravity(xdg_positioner::Gravity::BottomRight);
        positioner.set_constraint_adjustment(
            xdg_positioner::ConstraintAdjustment::SlideX
                | xdg_positioner::ConstraintAdjustment::SlideY
                | xdg_positioner::ConstraintAdjustment::FlipY,
        );
        // A layer surface's popup has no xdg parent: the layer surface adopts it.
        let popup = xdg_surface.get_popup(parent_xdg.as_ref(), &positioner, &self.qh, id);
        if let Some(layer) = &parent_layer {
            layer.get_popup(&popup);
        }
        positioner.destroy();
        if grab {
            let seat = self.state.seat.clone().expect("no wl_seat");
            let serial = self
                .state
                .button_serial
                .expect("no button press to grab with");
            popup.grab(&seat, serial);
        }
        surface.commit();
        let window = &mut self.state.windows[id];
        window.xdg_surface = Some(xdg_surface);
        window.popup = Some(popup);
        window.auto_draw = Some(POPUP_COLOR);
        window.default_size = size;
        self.flush();
        id
    }

    /// A desync wl_subsurface of `parent` at `pos`, drawn with `color` at `size` and committed.
    /// The parent is committed too, since the position (and, per spec, the new child) only
    /// take effect on the parent's next commit.
    pub fn create_subsurface(
        &mut self,
        parent: WindowId,
        pos: (i32, i32),
        size: (i32, i32),
        color: [u8; 4],
    ) -> WindowId {
        let parent_surface = self.state.window_mut(parent).surface.clone();
        let subcompositor = self
            .state
            .subcompositor
            .clone()
            .expect("wl_subcompositor not bound");
        let (id, surface) = self.new_surface(Role::Subsurface);
        let subsurface = subcompositor.get_subsurface(&surface, &parent_surface, &self.qh, ());
        subsurface.set_position(pos.0, pos.1);
        subsurface.set_desync();
        let window = &mut self.state.windows[id];
        window.subsurface = Some(subsurface);
        window.default_size = size;
        self.state.ack_and_draw(id, color, size, false, &self.qh);
        parent_surface.commit();
        self.flush();
        id
    }

    pub fn window(&self, id: WindowId) -> &WindowState {
        self.state
            .windows
            .get(id)
            .unwrap_or_else(|| panic!("no window {id}"))
    }

    /// Creates a zxdg_toplevel_decoration_v1 for the toplevel `id` (before its first buffer,
    /// as the protocol requires). Its configure is recorded in `decoration_mode`.
    pub fn create_decoration(&mut self, id: WindowId) {
        let manager = self
            .state
            .decoration_manager
            .clone()
            .expect("zxdg_decoration_manager_v1 not bound");
        let toplevel = self.toplevel(id);
        let decoration = manager.get_toplevel_decoration(&toplevel, &self.qh, id);
        self.state.windows[id].decoration = Some(decoration);
        self.flush();
    }

    pub fn events(&self) -> &[Event] {
        &self.state.events
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.state.events)
    }

    /// Drops what the client logged (events, all but the latest configure of
    /// each window), for long runs that measure the compositor's memory.
    pub fn forget_history(&mut self) {
        self.state.events.clear();
        for window in &mut self.state.windows {
            let keep = window.configures.len().saturating_sub(1);
            window.configures.drain(..keep);
            let keep = window.popup_configures.len().saturating_sub(1);
            window.popup_configures.drain(..keep);
        }
    }

    fn selection_serial(&self) -> u32 {
        self.state
            .keyboard_enter_serial
            .expect("setting a selection needs a keyboard enter serial: no keyboard focus yet")
    }

    /// Offers `data` as `mime` on the clipboard, with the serial of the latest keyboard enter.
    pub fn set_selection(&mut self, mime: &str, data: &[u8]) {
        let serial = self.selection_serial();
        let manager = self
            .state
            .data_device_manager
            .clone()
            .expect("wl_data_device_manager not bound");
        let device = self.state.data_device.clone().expect("no wl_data_device");
        let source = manager.create_data_source(
            &self.qh,
            SourceData {
                mime: mime.to_owned(),
                data: data.to_vec(),
            },
        );
        source.offer(mime.to_owned());
        device.set_selection(Some(&source), serial);
        self.flush();
    }

    /// Offers `data` as `mime` as primary selection, with the serial of the latest keyboard
    /// enter.
    pub fn set_primary_selection(&mut self, mime: &str, data: &[u8]) {
        let serial = self.selection_serial();
        let manager = self
            .state
            .primary_manager
            .clone()
            .expect("zwp_primary_selection_device_manager_v1 not bound");
        let device = self
            .state
            .primary_device
            .clone()
            .expect("no zwp_primary_selection_device_v1");
        let source = manager.create_source(
            &self.qh,
            SourceData {
                mime: mime.to_owned(),
                data: data.to_vec(),
            },
        );
        source.offer(mime.to_owned());
        device.set_selection(Some(&source), serial);
        self.flush();
    }

    /// Mime types of the current clipboard offer, or None when there is none.
    pub fn selection_mimes(&self) -> Option<Vec<String>> {
        let offer = self.state.selection_offer.as_ref()?;
        Some(offer.data::<OfferData>().unwrap().mimes())
    }

    /// Mime types of the current primary selection offer, or None when there is none.
    pub fn primary_selection_mimes(&self) -> Option<Vec<String>> {
        let offer = self.state.primary_offer.as_ref()?;
        Some(offer.data::<OfferData>().unwrap().mimes())
    }

    /// A pipe whose write end is handed to `send` (and closed here right after: the request
    /// keeps a duplicate until it is flushed), so that EOF comes when the source is done.
    fn start_receive(&mut self, send: impl FnOnce(std::os::fd::BorrowedFd<'_>)) {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two fds that we then own.
        let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        assert!(r == 0, "pipe2: {}", io::Error::last_os_error());
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        set_nonblocking(&read);
        send(write.as_fd());
        drop(write);
        self.receiving = Some((read, Vec::new()));
        self.flush();
    }

    /// Asks the clipboard owner for the current selection as `mime`; collect the bytes with
    /// [`read_received`](Self::read_received). Panics when there is no selection offer.
    pub fn receive_selection(&mut self, mime: &str) {
        let offer = self
            .state
            .selection_offer
            .clone()
            .expect("receive_selection: no selection offer");
        self.start_receive(|fd| offer.receive(mime.to_owned(), fd));
    }

    /// Same as [`receive_selection`](Self::receive_selection) for the primary selection.
    pub fn receive_primary_selection(&mut self, mime: &str) {
        let offer = self
            .state
            .primary_offer
            .clone()
            .expect("receive_primary_selection: no primary selection offer");
        self.start_receive(|fd| offer.receive(mime.to_owned(), fd));
    }

    /// Non-blocking: the received bytes once the sender closed the pipe, None before (or when
    /// no receive is in progress). Dispatch the server and the source client in between.
    pub fn read_received(&mut self) -> Option<Vec<u8>> {
        let (fd, buf) = self.receiving.as_mut()?;
        let mut chunk = [0u8; 4096];
        loop {
            // SAFETY: valid fd and buffer.
            let n = unsafe { libc::read(fd.as_raw_fd(), chunk.as_mut_ptr().cast(), chunk.len()) };
            if n > 0 {
                buf.extend_from_slice(&chunk[..n as usize]);
            } else if n == 0 {
                break;
            } else {
                let err = io::Error::last_os_error();
                match err.kind() {
                    io::ErrorKind::WouldBlock => return None,
                    io::ErrorKind::Interrupted => {}
                    _ => panic!("reading the received selection: {err}"),
                }
            }
        }
        self.receiving.take().map(|(_, buf)| buf)
    }

    /// From now on a protocol error or lost connection is recorded instead of panicking.
    pub fn expect_protocol_error(&mut self) {
        self.expect_error = true;
    }

    /// (code, interface, message) of the protocol error the server sent, if any.
    pub fn protocol_error(&self) -> Option<(u32, String, String)> {
        self.state.protocol_error.clone()
    }

    /// Whether the connection is dead (protocol error or closed by the server).
    pub fn is_disconnected(&self) -> bool {
        self.dead.is_some()
    }

    /// Bound outputs still advertised.
    pub fn outputs(&self) -> Vec<OutputInfo> {
        self.state
            .outputs
            .iter()
            .filter(|o| !o.removed)
            .map(|o| o.info.clone())
            .collect()
    }

    /// Protocol id of the surface of `id` (equal ids across personas show their isolation).
    pub fn surface_id(&self, id: WindowId) -> ObjectId {
        self.window(id).surface.id()
    }

    /// wp_presentation.feedback for the next commit of `id`; the outcome is recorded as
    /// [`Event::Presented`] or [`Event::Discarded`].
    pub fn request_presentation_feedback(&mut self, id: WindowId) {
        let presentation = self
            .state
            .presentation
            .clone()
            .expect("wp_presentation not bound");
        let surface = self.state.window_mut(id).surface.clone();
        presentation.feedback(&surface, &self.qh, ());
        self.flush();
    }

    /// For tests that need a protocol object this API does not cover.
    pub fn wl_surface(&self, id: WindowId) -> WlSurface {
        self.window(id).surface.clone()
    }
}

// ---- Dispatch implementations ----

delegate_noop!(ClientState: WlCompositor);
delegate_noop!(ClientState: WlSubcompositor);
delegate_noop!(ClientState: WlSubsurface);
delegate_noop!(ClientState: WlShmPool);
delegate_noop!(ClientState: ignore WlShm);
delegate_noop!(ClientState: XdgPositioner);
delegate_noop!(ClientState: WlDataDeviceManager);
delegate_noop!(ClientState: ZwpPrimarySelectionDeviceManagerV1);
delegate_noop!(ClientState: ZxdgOutputManagerV1);
delegate_noop!(ClientState: ignore WpPresentation);
delegate_noop!(ClientState: WpViewporter);
delegate_noop!(ClientState: ZxdgDecorationManagerV1);

impl Dispatch<WlRegistry, ()> for ClientState {
    fn event(
        state: &mut Self,
        registry: &WlRegistry,
        event: wl_registry::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        match event {
            wl_registry::Event::Global {
                name,
                interface,
                version,
            } => {
                // A real client binds hotplugged outputs; so do we once bind_all was called.
                if state.bound_all && interface == WlOutput::interface().name {
                    state.bind_output(registry, name, version, qh);
                }
                state.globals.push((name, interface, version));
            }
            wl_registry::Event::GlobalRemove { name } => {
                state.globals.retain(|g| g.0 != name);
                for o in state
                    .outputs
                    .iter_mut()
                    .filter(|o| o.info.global_name == name && !o.removed)
                {
                    o.removed = true;
                    if let Some(xdg) = o.xdg.take() {
                        xdg.destroy();
                    }
                    if o.output.version() >= 3 {
                        o.output.release();
                    }
                }
            }
            _ => {}
        }
    }
}

impl Dispatch<WlCallback, CallbackData> for ClientState {
    fn event(
        state: &mut Self,
        _: &WlCallback,
        event: wl_callback::Event,
        data: &CallbackData,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_callback::Event::Done { .. } = event {
            match *data {
                CallbackData::Sync(token) => {
                    state.synced.insert(token);
                }
                CallbackData::Frame(id) => state.windows[id].frames_done += 1,
            }
        }
    }
}

impl Dispatch<WlSurface, WindowId> for ClientState {
    fn event(
        state: &mut Self,
        _: &WlSurface,
        event: wl_surface::Event,
        id: &WindowId,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let window = &mut state.windows[*id];
        match event {
            wl_surface::Event::Enter { .. } => window.entered_outputs += 1,
            wl_surface::Event::Leave { .. } => {
                window.entered_outputs = window.entered_outputs.saturating_sub(1)
            }
            wl_surface::Event::PreferredBufferScale { factor } => {
                window.preferred_buffer_scale = Some(factor)
            }
            _ => {}
        }
    }
}

impl Dispatch<WlBuffer, ()> for ClientState {
    fn event(
        _: &mut Self,
        buffer: &WlBuffer,
        event: wl_buffer::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_buffer::Event::Release = event {
            buffer.destroy();
        }
    }
}

impl Dispatch<XdgWmBase, ()> for ClientState {
    fn event(
        _: &mut Self,
        wm_base: &XdgWmBase,
        event: xdg_wm_base::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_wm_base::Event::Ping { serial } = event {
            wm_base.pong(serial);
        }
    }
}

impl Dispatch<XdgSurface, WindowId> for ClientState {
    fn event(
        state: &mut Self,
        _: &XdgSurface,
        event: xdg_surface::Event,
        id: &WindowId,
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        let xdg_surface::Event::Configure { serial } = event else {
            return;
        };
        let window = &mut state.windows[*id];
        if window.destroyed {
            return;
        }
        window.last_serial = Some(serial);
        match window.role {
            Role::Toplevel => {
                let (width, height, states) = window.pending_toplevel.clone();
                window.configures.push(Configure {
                    serial,
                    width,
                    height,
                    states,
                });
            }
            Role::Popup => {
                let (x, y, width, height) = window.pending_popup;
                window.popup_configures.push(PopupConfigure {
                    serial,
                    x,
                    y,
                    width,
                    height,
                });
            }
            Role::Subsurface | Role::Layer | Role::Lock => {}
        }
        if let Some(color) = window.auto_draw {
            let fallback = window.default_size;
            state.ack_and_draw(*id, color, fallback, false, qh);
        }
    }
}

impl Dispatch<XdgToplevel, WindowId> for ClientState {
    fn event(
        state: &mut Self,
        _: &XdgToplevel,
        event: xdg_toplevel::Event,
        id: &WindowId,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let window = &mut state.windows[*id];
        match event {
            xdg_toplevel::Event::Configure {
                width,
                height,
                states,
            } => {
                let states = states
                    .chunks_exact(4)
                    .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                    .filter_map(|s| xdg_toplevel::State::try_from(s).ok())
                    .collect();
                window.pending_toplevel = (width, height, states);
            }
            xdg_toplevel::Event::Close => window.closed = true,
            xdg_toplevel::Event::ConfigureBounds { width, height } => {
                window.configure_bounds = Some((width, height))
            }
            _ => {}
        }
    }
}

impl Dispatch<XdgPopup, WindowId> for ClientState {
    fn event(
        state: &mut Self,
        _: &XdgPopup,
        event: xdg_popup::Event,
        id: &WindowId,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let window = &mut state.windows[*id];
        match event {
            xdg_popup::Event::Configure {
                x,
                y,
                width,
                height,
            } => window.pending_popup = (x, y, width, height),
            xdg_popup::Event::PopupDone => window.popup_done = true,
            _ => {}
        }
    }
}

impl Dispatch<ZxdgToplevelDecorationV1, WindowId> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZxdgToplevelDecorationV1,
        event: zxdg_toplevel_decoration_v1::Event,
        id: &WindowId,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zxdg_toplevel_decoration_v1::Event::Configure {
            mode: WEnum::Value(mode),
        } = event
        {
            state.windows[*id].decoration_mode = Some(mode);
        }
    }
}

impl Dispatch<WlOutput, usize> for ClientState {
    fn event(
        state: &mut Self,
        _: &WlOutput,
        event: wl_output::Event,
        idx: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let info = &mut state.outputs[*idx].info;
        match event {
            wl_output::Event::Geometry {
                x, y, transform, ..
            } => {
                info.position = (x, y);
                info.transform = transform.into_result().ok();
            }
            wl_output::Event::Mode {
                flags: WEnum::Value(flags),
                width,
                height,
                refresh,
            } if flags.contains(wl_output::Mode::Current) => {
                info.mode = Some((width, height, refresh))
            }
            wl_output::Event::Scale { factor } => info.scale = factor,
            wl_output::Event::Name { name } => info.name = Some(name),
            wl_output::Event::Description { description } => info.description = Some(description),
            wl_output::Event::Done => info.done = true,
            _ => {}
        }
    }
}

impl Dispatch<ZxdgOutputV1, usize> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZxdgOutputV1,
        event: zxdg_output_v1::Event,
        idx: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let info = &mut state.outputs[*idx].info;
        match event {
            zxdg_output_v1::Event::LogicalPosition { x, y } => info.logical_position = Some((x, y)),
            zxdg_output_v1::Event::LogicalSize { width, height } => {
                info.logical_size = Some((width, height))
            }
            zxdg_output_v1::Event::Name { name } => info.xdg_name = Some(name),
            _ => {}
        }
    }
}

impl Dispatch<WlSeat, ()> for ClientState {
    fn event(
        state: &mut Self,
        seat: &WlSeat,
        event: wl_seat::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        let wl_seat::Event::Capabilities {
            capabilities: WEnum::Value(caps),
        } = event
        else {
            return;
        };
        let can_release = seat.version() >= 3;
        if caps.contains(wl_seat::Capability::Keyboard) {
            state
                .keyboard
                .get_or_insert_with(|| seat.get_keyboard(qh, ()));
        } else if let Some(k) = state.keyboard.take() {
            if can_release {
                k.release();
            }
        }
        if caps.contains(wl_seat::Capability::Pointer) {
            state
                .pointer
                .get_or_insert_with(|| seat.get_pointer(qh, ()));
        } else if let Some(p) = state.pointer.take() {
            if can_release {
                p.release();
            }
        }
        if caps.contains(wl_seat::Capability::Touch) {
            state.touch.get_or_insert_with(|| seat.get_touch(qh, ()));
        } else if let Some(t) = state.touch.take() {
            if can_release {
                t.release();
            }
        }
    }
}

impl Dispatch<WlKeyboard, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &WlKeyboard,
        event: wl_keyboard::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let event = match event {
            // The keymap fd is closed by dropping it.
            wl_keyboard::Event::Keymap { size, .. } => Event::Keymap { size },
            wl_keyboard::Event::Enter {
                serial,
                surface,
                keys,
            } => {
                state.keyboard_enter_serial = Some(serial);
                Event::KeyboardEnter {
                    surface: Self::surface_window(&surface),
                    keys: keys
                        .chunks_exact(4)
                        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                        .collect(),
                }
            }
            wl_keyboard::Event::Leave { surface, .. } => Event::KeyboardLeave {
                surface: Self::surface_window(&surface),
            },
            wl_keyboard::Event::Key {
                key,
                state: key_state,
                ..
            } => Event::Key {
                key,
                pressed: matches!(key_state, WEnum::Value(wl_keyboard::KeyState::Pressed)),
            },
            wl_keyboard::Event::Modifiers {
                mods_depressed,
                mods_latched,
                mods_locked,
                group,
                ..
            } => Event::Modifiers {
                depressed: mods_depressed,
                latched: mods_latched,
                locked: mods_locked,
                group,
            },
            wl_keyboard::Event::RepeatInfo { rate, delay } => Event::RepeatInfo { rate, delay },
            _ => return,
        };
        state.events.push(event);
    }
}

impl Dispatch<WlPointer, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &WlPointer,
        event: wl_pointer::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let event = match event {
            wl_pointer::Event::Enter {
                surface,
                surface_x,
                surface_y,
                ..
            } => Event::PointerEnter {
                surface: Self::surface_window(&surface),
                x: surface_x,
                y: surface_y,
            },
            wl_pointer::Event::Leave { surface, .. } => Event::PointerLeave {
                surface: Self::surface_window(&surface),
            },
            wl_pointer::Event::Motion {
                surface_x,
                surface_y,
                ..
            } => Event::PointerMotion {
                x: surface_x,
                y: surface_y,
            },
            wl_pointer::Event::Button {
                button,
                state: button_state,
                serial,
                ..
            } => {
                if matches!(button_state, WEnum::Value(wl_pointer::ButtonState::Pressed)) {
                    state.button_serial = Some(serial);
                }
                Event::PointerButton {
                    button,
                    pressed: matches!(button_state, WEnum::Value(wl_pointer::ButtonState::Pressed)),
                }
            }
            wl_pointer::Event::Frame => Event::PointerFrame,
            wl_pointer::Event::Axis { axis, value, .. } => match axis {
                WEnum::Value(wl_pointer::Axis::HorizontalScroll) => Event::PointerAxis {
                    horizontal: value,
                    vertical: 0.0,
                },
                _ => Event::PointerAxis {
                    horizontal: 0.0,
                    vertical: value,
                },
            },
            _ => return,
        };
        state.events.push(event);
    }
}

impl Dispatch<WlTouch, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &WlTouch,
        event: wl_touch::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let event = match event {
            wl_touch::Event::Down {
                surface, id, x, y, ..
            } => Event::TouchDown {
                surface: Self::surface_window(&surface),
                id,
                x,
                y,
            },
            wl_touch::Event::Up { id, .. } => Event::TouchUp { id },
            wl_touch::Event::Motion { id, x, y, .. } => Event::TouchMotion { id, x, y },
            wl_touch::Event::Frame => Event::TouchFrame,
            wl_touch::Event::Cancel => Event::TouchCancel,
            _ => return,
        };
        state.events.push(event);
    }
}

impl Dispatch<WlDataDevice, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &WlDataDevice,
        event: wl_data_device::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            wl_data_device::Event::Enter { id, serial, .. } => {
                if let (true, Some(offer)) = (state.accept_drags, &id) {
                    let mime = offer
                        .data::<OfferData>()
                        .unwrap()
                        .mimes()
                        .into_iter()
                        .next();
                    offer.accept(serial, mime);
                    if offer.version() >= 3 {
                        offer.set_actions(
                            wl_data_device_manager::DndAction::Copy,
                            wl_data_device_manager::DndAction::Copy,
                        );
                    }
                }
                if let Some(old) = std::mem::replace(&mut state.dnd_offer, id) {
                    old.destroy();
                }
                state.events.push(Event::DndEnter);
            }
            wl_data_device::Event::Leave => {
                if let Some(old) = state.dnd_offer.take() {
                    old.destroy();
                }
                state.events.push(Event::DndLeave);
            }
            wl_data_device::Event::Drop => state.events.push(Event::DndDrop),
            wl_data_device::Event::Selection { id } => {
                if let Some(old) = std::mem::replace(&mut state.selection_offer, id.clone()) {
                    if Some(&old) != id.as_ref() {
                        old.destroy();
                    }
                }
                let mimes = id.map(|o| o.data::<OfferData>().unwrap().mimes());
                state.events.push(Event::Selection { mimes });
            }
            _ => {}
        }
    }

    event_created_child!(ClientState, WlDataDevice, [
        wl_data_device::EVT_DATA_OFFER_OPCODE => (WlDataOffer, OfferData::default()),
    ]);
}

impl Dispatch<WlDataOffer, OfferData> for ClientState {
    fn event(
        _: &mut Self,
        _: &WlDataOffer,
        event: wl_data_offer::Event,
        data: &OfferData,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_data_offer::Event::Offer { mime_type } = event {
            data.0.lock().unwrap().push(mime_type);
        }
    }
}

impl Dispatch<WlDataSource, SourceData> for ClientState {
    fn event(
        state: &mut Self,
        source: &WlDataSource,
        event: wl_data_source::Event,
        data: &SourceData,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            // For another mime the fd is dropped (closed) below: the receiver gets nothing.
            wl_data_source::Event::Send { mime_type, fd } if mime_type == data.mime => {
                state.queue_write(fd, &data.data);
            }
            wl_data_source::Event::Cancelled => {
                source.destroy();
                state.events.push(Event::SourceCancelled);
            }
            wl_data_source::Event::DndDropPerformed => {
                state.events.push(Event::SourceDropPerformed)
            }
            wl_data_source::Event::DndFinished => state.events.push(Event::SourceFinished),
            _ => {}
        }
    }
}

impl Dispatch<ZwpPrimarySelectionDeviceV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwpPrimarySelectionDeviceV1,
        event: zwp_primary_selection_device_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwp_primary_selection_device_v1::Event::Selection { id } = event {
            if let Some(old) = std::mem::replace(&mut state.primary_offer, id.clone()) {
                if Some(&old) != id.as_ref() {
                    old.destroy();
                }
            }
            let mimes = id.map(|o| o.data::<OfferData>().unwrap().mimes());
            state.events.push(Event::PrimarySelection { mimes });
        }
    }

    event_created_child!(ClientState, ZwpPrimarySelectionDeviceV1, [
        zwp_primary_selection_device_v1::EVT_DATA_OFFER_OPCODE
            => (ZwpPrimarySelectionOfferV1, OfferData::default()),
    ]);
}

impl Dispatch<ZwpPrimarySelectionOfferV1, OfferData> for ClientState {
    fn event(
        _: &mut Self,
        _: &ZwpPrimarySelectionOfferV1,
        event: zwp_primary_selection_offer_v1::Event,
        data: &OfferData,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwp_primary_selection_offer_v1::Event::Offer { mime_type } = event {
            data.0.lock().unwrap().push(mime_type);
        }
    }
}

impl Dispatch<ZwpPrimarySelectionSourceV1, SourceData> for ClientState {
    fn event(
        state: &mut Self,
        source: &ZwpPrimarySelectionSourceV1,
        event: zwp_primary_selection_source_v1::Event,
        data: &SourceData,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_primary_selection_source_v1::Event::Send { mime_type, fd }
                if mime_type == data.mime =>
            {
                state.queue_write(fd, &data.data);
            }
            zwp_primary_selection_source_v1::Event::Cancelled => {
                source.destroy();
                state.events.push(Event::SourceCancelled);
            }
            _ => {}
        }
    }
}

impl Dispatch<WpPresentationFeedback, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &WpPresentationFeedback,
        event: wp_presentation_feedback::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            wp_presentation_feedback::Event::Presented { .. } => {
                state.events.push(Event::Presented)
            }
            wp_presentation_feedback::Event::Discarded => state.events.push(Event::Discarded),
            _ => {}
        }
    }
}
