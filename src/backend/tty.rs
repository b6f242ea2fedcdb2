//! The tty backend: personas owns the display and input from a VT.
//!
//! A libseat session (seatd, logind or libseat's builtin backend as root) opens
//! the devices. Every GPU drives its connected connectors (the primary GPU's
//! built-in panel is the primary output), each through smithay's
//! `DrmCompositor`: on GBM buffers where the GPU has GL (`renderer = "auto"`
//! skips software GL unless it only shows another GPU's frames), drawn by
//! the primary GPU's GLES when it has it (a frame for another GPU is copied
//! over: `render::multi`, `render_gpu`), else by the GPU's own; a GPU
//! without GL draws on dumb buffers with pixman, which needs no GPU or GL.
//! libinput reads input through udev (udevd must run; see `open_input`). A
//! VT switch pauses the session: DRM master and input are given up and taken
//! back, and no persona, window or client notices more than frames that
//! wait.

use super::pacing::FlipState;
use std::path::{Path, PathBuf};

use std::time::Instant;

use smithay::backend::allocator::dmabuf::Dmabuf;
use smithay::backend::allocator::dumb::DumbAllocator;
use smithay::backend::allocator::format::FormatSet;
use smithay::backend::allocator::gbm::{GbmAllocator, GbmBufferFlags, GbmDevice};
use smithay::backend::allocator::Fourcc;
use smithay::backend::drm::compositor::{DrmCompositor, FrameFlags, PrimaryPlaneElement};
use smithay::backend::drm::exporter::gbm::GbmFramebufferExporter;
use smithay::backend::drm::{
    DrmDevice, DrmDeviceFd, DrmDeviceNotifier, DrmEvent, DrmEventMetadata, DrmEventTime,
};
use smithay::backend::drm::{DrmNode, NodeType};
use smithay::backend::egl::{EGLDevice, EGLDisplay};
use smithay::backend::input::InputEvent;
use smithay::backend::libinput::{LibinputInputBackend, LibinputSessionInterface};
use smithay::backend::renderer::element::memory::MemoryRenderBuffer;
use smithay::backend::renderer::element::solid::SolidColorBuffer;
use smithay::backend::renderer::element::{
    RenderElement, RenderElementPresentationState, RenderElementStates,
};
use smithay::backend::renderer::gles::GlesRenderer;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{Color32F, ImportDma};
use smithay::backend::session::libseat::LibSeatSession;
use smithay::backend::session::{Event as SessionEvent, Session};
use smithay::backend::udev::{UdevBackend, UdevEvent};
use smithay::input::keyboard::LedState;
use smithay::output::OutputModeSource;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{LoopHandle, RegistrationToken};
use smithay::reexports::drm::control::{connector, crtc, Device as ControlDevice, ModeTypeFlags};
use smithay::reexports::input::{
    self as input, DeviceCapability, DeviceConfigError, Led, Libinput,
};
use smithay::reexports::rustix::fs::{Dev, OFlags};
use smithay::utils::{DeviceFd, Transform};
use smithay::wayland::drm_syncobj::supports_syncobj_eventfd;

use super::Flip;
use crate::config::{
    AccelProfile, Config, InputConfig, RendererChoice, Transition as TransitionKind,
};
use crate::handlers::dmabuf::{GpuOffer, SurfaceFeedback};
use crate::persona::{OutputSpec, PersonaState};
use crate::render::effects::{self, Effects, Transition};
use crate::render::multi::{GpuManager, TtyApi, TtyRenderer};
use crate::render::{renderer_error, RenderError, Scene};
use crate::state::State;
use smithay::backend::renderer::multigpu::ApiDevice;

/// Why the tty backend could not start. Each names what is missing.
#[derive(Debug, thiserror::Error)]
pub enum TtyError {
    #[error(
        "no seat: could not open a libseat session ({0}). Run seatd (`apt install seatd`, \
         then `seatd -g video` and join that group) or start personas from a logind \
         session on a VT; as root, libseat's builtin backend needs no daemon"
    )]
    Session(String),
    #[error(
        "no DRM device: {0}. personas --backend tty needs a GPU with a KMS driver \
         (/dev/dri/card*); use --backend headless on machines without one"
    )]
    NoGpu(String),
    #[error("no usable output on {path}: no connected connector with a mode and a free CRTC")]
    NoOutput { path: String },
    #[error("no permission to open {path}: {reason}. Is this user in the seat (seatd's group, or a logind session on the active VT)?")]
    Open { path: String, reason: String },
    #[error("DRM: {0}")]
    Drm(String),
    #[error("libinput: {0}")]
    Input(String),
    #[error(transparent)]
    Render(#[from] RenderError),
}

type DumbCompositor = DrmCompositor<DumbAllocator, DrmDeviceFd, (), DrmDeviceFd>;
type GbmCompositor =
    DrmCompositor<GbmAllocator<DrmDeviceFd>, GbmFramebufferExporter<DrmDeviceFd>, (), DrmDeviceFd>;

/// The connector's compositor: GBM buffers for GLES, dumb ones for pixman.
enum GpuCompositor {
    Dumb(DumbCompositor),
    Gbm(GbmCompositor),
}

/// The same call on either compositor.
macro_rules! on_compositor {
    ($compositor:expr, $c:ident => $call:expr) => {
        match $compositor {
            GpuCompositor::Dumb($c) => $call,
            GpuCompositor::Gbm($c) => $call,
        }
    };
}

/// GLES on the GPU (its renderer is in the `GpuManager`, by `node`): its
/// GBM device, and the shaders and switch transition it draws with when it
/// draws screens.
struct Gles {
    node: DrmNode,
    /// On a software rasterizer (Mesa's llvmpipe).
    software: bool,
    /// Software GL used only to show what the primary GPU's hardware GLES
    /// draws (see [`software_gles_used`]).
    shows_only: bool,
    gbm: GbmDevice<DrmDeviceFd>,
    effects: Effects,
    transition: Option<Transition>,
}

impl Gles {
    /// GLES through EGL on the DRM device's GBM, added to `manager`.
    /// `Ok(None)`: it works, but on a software rasterizer, which `auto`
    /// leaves to pixman unless `drawn_elsewhere` (see [`software_gles_used`]).
    fn open(
        fd: &DrmDeviceFd,
        node: Option<DrmNode>,
        choice: RendererChoice,
        drawn_elsewhere: bool,
        manager: &mut GpuManager,
    ) -> Result<Option<Gles>, String> {
        let node = node.ok_or("not a DRM node")?;
        let gbm = GbmDevice::new(fd.clone()).map_err(|e| format!("GBM: {e}"))?;
        // SAFETY: the display is kept alive by what is made from it (the
        // manager's display of the same device shares it).
        let display = unsafe { EGLDisplay::new(gbm.clone()) }.map_err(|e| format!("EGL: {e}"))?;
        let software = EGLDevice::device_for_display(&display).is_ok_and(|d| d.is_software());
        if software && !software_gles_used(choice, drawn_elsewhere) {
            return Ok(None);
        }
        manager
            .as_mut()
            .add_node(node, gbm.clone())
            .map_err(|e| format!("EGL: {e}"))?;
        let effects = match manager.single_renderer(&node) {
            Ok(mut renderer) => Effects::compile(renderer.as_mut()).map_err(|e| e.to_string()),
            Err(err) => Err(format!("GLES: {err}")),
        };
        let effects = effects.inspect_err(|_| manager.as_mut().remove_node(&node))?;
        tracing::info!(software, "drawing with GLES");
        Ok(Some(Gles {
            node,
            software,
            shows_only: software && choice == RendererChoice::Auto,
            gbm,
            effects,
            transition: None,
        }))
    }

    /// Takes this GLES (and the frames copied to or from it) out of
    /// `manager`: its GPU is gone or draws with pixman now.
    fn forget(&self, manager: &mut GpuManager) {
        manager.as_mut().remove_node(&self.node);
        manager.forget_node(&self.node);
        // The manager lets go of the renderer (and its device) only when it
        // looks at its devices again: now, so a GPU unplugged is closed.
        if let Err(err) = manager.devices() {
            tracing::debug!("GPU list after {}: {err}", self.node);
        }
    }
}

/// The primary GPU's GLES is gone: software GL kept only to show its frames
/// goes too (drawing itself, pixman does as well).
fn forget_shows_only(gpus: &mut [Gpu], manager: &mut GpuManager) {
    for gpu in gpus {
        if let Some(gles) = gpu.gles.take_if(|gles| gles.shows_only) {
            gles.forget(manager);
        }
    }
}

/// Whether a GPU whose GLES is a software rasterizer uses it: always when
/// the config says `gles`; with `auto` only when another GPU's hardware GLES
/// draws its frames (`drawn_elsewhere`), so it merely shows them (a display
/// adapter without a GPU of its own). Drawing itself, pixman is as fast, and
/// needs no GL.
fn software_gles_used(choice: RendererChoice, drawn_elsewhere: bool) -> bool {
    match choice {
        RendererChoice::Gles => true,
        RendererChoice::Auto => drawn_elsewhere,
        RendererChoice::Pixman => false,
    }
}

/// The GPU whose GLES draws GPU `g`'s screens: the primary's when it has
/// GLES, unless that is software and `g`'s is not (the frames are copied
/// over), else `g`'s own; None: pixman.
fn render_gpu(gpus: &[Gpu], g: usize) -> Option<usize> {
    let gles = |g: usize| gpus.get(g).and_then(|gpu| gpu.gles.as_deref());
    let own = gles(g)?;
    match gles(0) {
        Some(primary) if !primary.software || own.software => Some(0),
        _ => Some(g),
    }
}

/// The renderer for a frame of `screen`: its render GPU's GLES, copying
/// the frame (in the screen's format) to the screen's GPU when that is
/// another.
fn renderer_for<'a>(
    manager: &'a mut GpuManager,
    gpus: &[Gpu],
    screen: &Screen,
) -> Result<TtyRenderer<'a>, RenderError> {
    let g = screen.gpu;
    let format = on_compositor!(&screen.compositor, c => c.format());
    let node = |g: usize| {
        gpus.get(g)
            .and_then(|gpu| gpu.gles.as_ref())
            .map(|gles| gles.node)
    };
    let (Some(from), Some(to)) = (render_gpu(gpus, g).and_then(node), node(g)) else {
        return Err(RenderError::Renderer("GLES is gone".into()));
    };
    let renderer = if from == to {
        manager.single_renderer(&from)
    } else {
        manager.renderer(&from, &to, format)
    };
    renderer.map_err(|e| RenderError::Renderer(e.to_string()))
}

/// GPU `node`'s own GLES renderer, for what is not a frame.
fn gles_of(manager: &mut GpuManager, node: DrmNode) -> Option<&mut GlesRenderer> {
    manager
        .devices_mut()
        .ok()?
        .find(|device| *device.node() == node)
        .map(|device| device.renderer_mut())
}

/// Per-surface feedback for a screen of `gpu`: only the primary GPU's
/// screens drawn with GLES can scan out the buffers clients make. Only
/// `offered` formats are suggested (the dmabuf globals take no other).
fn surface_feedback(
    manager: &mut GpuManager,
    gpus: &[Gpu],
    offered: Option<&FormatSet>,
    gpu: usize,
    compositor: &GpuCompositor,
) -> Option<SurfaceFeedback> {
    let GpuCompositor::Gbm(compositor) = compositor else {
        return None;
    };
    let owner = gpus.get(gpu).filter(|_| gpu == 0)?;
    let (gles, node) = (owner.gles.as_ref()?, owner.node?);
    let renderer = gles_of(manager, gles.node)?;
    // Nothing offered: clients still bound to an earlier global take only
    // its formats, which are unknown here.
    let offered = offered?;
    let render: FormatSet = renderer
        .dmabuf_formats()
        .intersection(offered)
        .copied()
        .collect();
    let planes = compositor.surface().planes();
    let formats: FormatSet = planes
        .primary
        .iter()
        .chain(&planes.overlay)
        .flat_map(|plane| plane.formats.iter().copied())
        .collect();
    SurfaceFeedback::new(node.dev_id(), render, formats)
        .map_err(|err| tracing::warn!("no scan-out feedback: {err}"))
        .ok()
}

/// A DRM device and what draws on it.
struct Gpu {
    /// Stable while GPUs come and go (their index in `gpus` shifts): what
    /// its page-flip events name.
    id: u64,
    /// Its page-flip event source, removed with it.
    events: Option<RegistrationToken>,
    fd: DrmDeviceFd,
    drm: DrmDevice,
    /// `card0`, …: what tells apart connectors of the same name.
    card: String,
    /// GLES on this GPU, when it has it (and the config does not say pixman).
    gles: Option<Box<Gles>>,
    /// Its render node (else its primary node): the main device clients
    /// are told, and the mark on dmabufs it imported, which are the ones
    /// it may scan out directly.
    node: Option<DrmNode>,
    /// GBM for the cursor plane's buffers (the pointer, the badge) of
    /// pixman screens: GBM works without GL (GLES screens use `gles.gbm`).
    cursor_gbm: Option<GbmDevice<DrmDeviceFd>>,
}

impl Gpu {
    /// Opens the device at `path` through the session, with GLES unless
    /// the config says pixman or the GPU has none.
    /// `drawn_elsewhere`: the primary GPU has hardware GLES, which would
    /// draw this one's screens.
    fn open(
        id: u64,
        session: &mut LibSeatSession,
        path: &Path,
        config: &Config,
        drawn_elsewhere: bool,
        manager: &mut GpuManager,
    ) -> Result<(Gpu, DrmDeviceNotifier), TtyError> {
        let fd = session
            .open(
                path,
                OFlags::RDWR | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK,
            )
            .map_err(|err| TtyError::Open {
                path: path.display().to_string(),
                reason: err.to_string(),
            })?;
        let fd = DrmDeviceFd::new(DeviceFd::from(fd));
        let (drm, events) = match DrmDevice::new(fd.clone(), true) {
            Ok(drm) => drm,
            Err(err) => {
                let device = fd.device_fd();
                drop(fd);
                close_device(session, device);
                return Err(TtyError::Drm(err.to_string()));
            }
        };
        tracing::info!(gpu = %path.display(), atomic = drm.is_atomic(), "DRM device opened");
        let node = DrmNode::from_file(&fd).ok().map(|node| {
            node.node_with_type(NodeType::Render)
                .and_then(Result::ok)
                .unwrap_or(node)
        });
        let gles = match config.renderer {
            RendererChoice::Pixman => None,
            choice => match Gles::open(&fd, node, choice, drawn_elsewhere, manager) {
                Ok(gles) => gles.map(Box::new),
                Err(err) => {
                    tracing::warn!(gpu = %path.display(), "no GLES ({err}); drawing with pixman on dumb buffers");
                    None
                }
            },
        };
        if gles.is_none() {
            tracing::info!(gpu = %path.display(), "drawing with pixman");
        }
        let cursor_gbm = match &gles {
            Some(gles) => Some(gles.gbm.clone()),
            None => GbmDevice::new(fd.clone())
                .inspect_err(
                    |err| tracing::info!(gpu = %path.display(), "no cursor plane: GBM: {err}"),
                )
                .ok(),
        };
        let card = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok((
            Gpu {
                id,
                events: None,
                fd,
                drm,
                card,
                cursor_gbm,
                gles,
                node,
            },
            events,
        ))
    }

    /// Lets go of the GPU (its GLES leaves the manager); its device, for
    /// `close_device` once nothing else holds it.
    fn release(self, manager: &mut GpuManager) -> DeviceFd {
        if let Some(gles) = &self.gles {
            gles.forget(manager);
        }
        self.fd.device_fd()
    }
}

/// A connector being driven.
struct Screen {
    /// Its GPU, in `TtyBackend::gpus`.
    gpu: usize,
    connector: connector::Handle,
    /// Page flips of other CRTCs (a screen dropped meanwhile) are not ours.
    crtc: crtc::Handle,
    compositor: GpuCompositor,
    spec: OutputSpec,
    /// Its frame waiting for a page flip, and one it missed meanwhile.
    flip: FlipState,
    /// Off (DPMS) or black from `blank`, and nothing drawn since.
    blanked: bool,
    /// The veil drawn over everything while dimmed.
    dim_veil: SolidColorBuffer,
    /// Feedback for surfaces shown here, where clients' buffers may be
    /// scanned out (GLES screens of the primary GPU).
    feedback: Option<SurfaceFeedback>,
    /// A built-in panel.
    internal: bool,
    /// Turned off by hand (`output NAME off`) while others show.
    off: bool,
}

impl Screen {
    /// DPMS off: the CRTC and its planes disabled until the next frame.
    fn dpms_off(&mut self) -> Result<(), String> {
        on_compositor!(&mut self.compositor, c => c.clear()).map_err(|e| e.to_string())?;
        tracing::info!(output = %self.spec.name, "output off (DPMS)");
        Ok(())
    }
}

pub struct TtyBackend {
    pub spec: OutputSpec,
    session: LibSeatSession,
    /// Where GPUs plugged in later register their page-flip events.
    event_loop: LoopHandle<'static, State>,
    /// The next GPU's [`Gpu::id`].
    next_gpu_id: u64,
    /// GPUs plugged in while another VT was in front (none can be opened
    /// then): added when the session is back.
    added_while_paused: Vec<(Dev, PathBuf)>,
    libinput: Libinput,
    /// pixman: the frames (and captures) when there is no GLES.
    renderer: PixmanRenderer,
    /// The GLES of every GPU that has it.
    gpu_manager: GpuManager,
    /// The GPUs, the primary first.
    gpus: Vec<Gpu>,
    /// The connectors driven, the primary (built-in panel) first.
    screens: Vec<Screen>,
    /// The veil when there is no screen.
    no_veil: SolidColorBuffer,
    /// The compositor's own pointer arrow.
    arrow: MemoryRenderBuffer,
    /// Connectors changed while a flip was pending: looked at after it.
    reconnect: bool,
    /// A screen failed while others queued their frame: the next frame
    /// draws it again.
    retry: bool,
    /// Another VT is in front: nothing is drawn until the session comes back.
    paused: bool,
    /// Input devices, for settings (on reload too) and keyboard LEDs.
    devices: Vec<smithay::reexports::input::Device>,
    /// What the keyboards' LEDs show.
    leds: LedState,
    /// See [`TtyBackend::frames_scanned_out`].
    scanned_out: u64,
    /// See [`TtyBackend::frames_badge_on_plane`].
    badge_on_plane: u64,
    /// The timer that gives up on a page flip that does not come.
    flip_watchdog: Option<RegistrationToken>,
    /// Page flip events seen, and (`PERSONAS_TEST_LOSE_PAGE_FLIP=N`, for
    /// the VM test) the one to lose as a broken driver would.
    flips_seen: u64,
    lose_flip: Option<u64>,
    /// The lid is closed: built-in panels are not driven while another
    /// output is connected.
    lid_closed: bool,
    /// Outputs turned off by hand, by name (kept if they are replugged).
    off_outputs: Vec<String>,
    /// The formats clients are offered (see `set_offered_formats`).
    offered: Option<FormatSet>,
    /// The primary GPU went: every screen is made anew (by the next
    /// `connect_screens`, once no flip is pending).
    rebuild_screens: bool,
}

/// Now on the monotonic clock, which page flip events are timed with.
fn monotonic_now() -> std::time::Duration {
    smithay::utils::Clock::<smithay::utils::Monotonic>::new()
        .now()
        .into()
}

/// How long a queued frame may wait for its page flip before the flip is
/// taken as lost (a driver or GPU that stopped answering): far longer than
/// any refresh (and than a flip in an emulated machine under load), short
/// enough that a stuck screen comes back by itself.
const FLIP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl TtyBackend {
    /// Opens the seat, the primary GPU and input, and registers their event
    /// sources on `event_loop`.
    pub fn new(config: &Config, event_loop: &LoopHandle<'static, State>) -> Result<Self, TtyError> {
        let (session, notifier) =
            LibSeatSession::new().map_err(|err| TtyError::Session(err.to_string()))?;
        let seat = session.seat();
        tracing::info!(%seat, "libseat session opened");

        let path = primary_gpu(&seat)?;
        let mut session = session;
        let mut gpu_manager = GpuManager::new(TtyApi::default())
            .map_err(|err| TtyError::Render(RenderError::Renderer(err.to_string())))?;
        let (primary, primary_events) =
            Gpu::open(0, &mut session, &path, config, false, &mut gpu_manager)?;
        let hardware = primary.gles.as_ref().is_some_and(|g| !g.software);
        let mut gpus = vec![primary];
        let mut notifiers = vec![primary_events];
        // Other GPUs drive their own connectors (a laptop's external ports on
        // a discrete GPU).
        let others = smithay::backend::udev::all_gpus(&seat)
            .ok()
            .filter(|gpus| !gpus.is_empty())
            .unwrap_or_else(|| device_nodes("/dev/dri", "card").unwrap_or_default());
        for other in others {
            if other == path {
                continue;
            }
            let id = gpus.len() as u64;
            match Gpu::open(id, &mut session, &other, config, hardware, &mut gpu_manager) {
                Ok((gpu, events)) => {
                    gpus.push(gpu);
                    notifiers.push(events);
                }
                Err(err) => tracing::warn!(gpu = %other.display(), "not used: {err}"),
            }
        }
        let renderer = crate::render::pixman_renderer()?;
        let mut backend = TtyBackend {
            spec: OutputSpec {
                name: String::new(),
                size: (1, 1).into(),
                refresh_mhz: 60_000,
                scale: 1.0,
                transform: Transform::Normal,
            },
            session: session.clone(),
            event_loop: event_loop.clone(),
            next_gpu_id: gpus.len() as u64,
            added_while_paused: Vec::new(),
            libinput: open_input(&session, &seat)?,
            renderer,
            gpu_manager,
            gpus,
            screens: Vec::new(),
            no_veil: SolidColorBuffer::new((1, 1), crate::render::DIM_VEIL),
            arrow: crate::render::cursor::arrow(),
            reconnect: false,
            retry: false,
            paused: false,
            devices: Vec::new(),
            leds: LedState::default(),
            scanned_out: 0,
            badge_on_plane: 0,
            flip_watchdog: None,
            flips_seen: 0,
            lid_closed: false,
            off_outputs: Vec::new(),
            offered: None,
            rebuild_screens: false,
            lose_flip: std::env::var("PERSONAS_TEST_LOSE_PAGE_FLIP")
                .ok()
                .and_then(|n| n.parse().ok()),
        };
        backend.connect_screens(config)?;
        if backend.screens.is_empty() {
            return Err(TtyError::NoOutput {
                path: path.display().to_string(),
            });
        }

        let failed = |what: &str, err: String| TtyError::Drm(format!("{what} event source: {err}"));
        event_loop
            .insert_source(notifier, |event, _, state: &mut State| {
                state.on_session_event(event)
            })
            .map_err(|e| failed("session", e.to_string()))?;
        for (g, events) in notifiers.into_iter().enumerate() {
            let token = backend.watch_gpu(g, events).map_err(|e| failed("DRM", e))?;
            backend.gpus[g].events = Some(token);
        }
        event_loop
            .insert_source(
                LibinputInputBackend::new(backend.libinput.clone()),
                |event, _, state: &mut State| {
                    match &event {
                        InputEvent::DeviceAdded { device } => state.input_device_added(device),
                        InputEvent::DeviceRemoved { device } => {
                            if let Some(tty) = state.tty() {
                                tty.devices.retain(|d| d != device);
                            }
                        }
                        _ => {}
                    }
                    state.process_input_event(event)
                },
            )
            .map_err(|e| failed("libinput", e.to_string()))?;
        // Connector changes (hotplug, a mode change) arrive as udev events on
        // the DRM device; without udevd none come, and the screen stays as found.
        match UdevBackend::new(&seat) {
            Ok(udev) => {
                event_loop
                    .insert_source(udev, |event, _, state: &mut State| match event {
                        UdevEvent::Changed { .. } => state.on_connectors_changed(),
                        UdevEvent::Removed { device_id } => state.on_gpu_removed(device_id),
                        UdevEvent::Added { device_id, path } => state.on_gpu_added(device_id, path),
                    })
                    .map_err(|e| failed("udev", e.to_string()))?;
            }
            Err(err) => tracing::warn!("no udev monitor, output hotplug is not seen: {err}"),
        }
        Ok(backend)
    }

    /// Registers GPU `g`'s page-flip events, which name it by its id.
    fn watch_gpu(&self, g: usize, events: DrmDeviceNotifier) -> Result<RegistrationToken, String> {
        let id = self.gpus[g].id;
        self.event_loop
            .insert_source(
                events,
                move |event, meta: &mut Option<DrmEventMetadata>, state: &mut State| match event {
                    DrmEvent::VBlank(crtc) => state.on_page_flip(id, crtc, meta.as_ref()),
                    DrmEvent::Error(err) => tracing::error!("DRM device error: {err}"),
                },
            )
            .map_err(|e| e.to_string())
    }

    /// A GPU was plugged in (an external GPU, a USB display adapter):
    /// opened as those found at start were; its connectors are set up by
    /// the next `connect_screens`. Returns whether it was added (not
    /// already ours; while paused it waits for the session).
    fn add_gpu(
        &mut self,
        device_id: Dev,
        path: PathBuf,
        config: &Config,
    ) -> Result<bool, TtyError> {
        // udev also tells of the render node that comes with the card.
        let primary_node =
            DrmNode::from_dev_id(device_id).is_ok_and(|node| node.ty() == NodeType::Primary);
        if !primary_node || self.gpus.iter().any(|gpu| gpu.drm.device_id() == device_id) {
            return Ok(false);
        }
        // As at start (udev's `all_gpus`): another seat's GPU is not ours.
        let seat = self.session.seat();
        if let Some(other) = udev_seat(device_id).filter(|s| *s != seat) {
            tracing::info!(gpu = %path.display(), seat = %other, "a new GPU belongs to another seat; left alone");
            return Ok(false);
        }
        if self.paused {
            tracing::info!(gpu = %path.display(), "GPU plugged in while away; added when back");
            self.added_while_paused.retain(|(id, _)| *id != device_id);
            self.added_while_paused.push((device_id, path));
            return Ok(false);
        }
        // As at start: a hardware GLES on the primary draws its screens.
        let hardware = self
            .gpus
            .first()
            .and_then(|gpu| gpu.gles.as_ref())
            .is_some_and(|gles| !gles.software);
        let id = self.next_gpu_id;
        self.next_gpu_id += 1;
        let (gpu, events) = Gpu::open(
            id,
            &mut self.session,
            &path,
            config,
            hardware,
            &mut self.gpu_manager,
        )?;
        tracing::info!(gpu = %gpu.card, "GPU plugged in");
        self.gpus.push(gpu);
        let g = self.gpus.len() - 1;
        match self.watch_gpu(g, events) {
            Ok(token) => self.gpus[g].events = Some(token),
            Err(err) => {
                // Its flips would never be seen: not used at all.
                let gpu = self.gpus.remove(g);
                let card = gpu.card.clone();
                let device = gpu.release(&mut self.gpu_manager);
                close_device(&mut self.session, device);
                return Err(TtyError::Drm(format!("{card}: page-flip events: {err}")));
            }
        }
        Ok(true)
    }

    /// Finds the connectors to drive and sets up those that are new (or have
    /// a new mode); `spec` follows the primary. Returns whether anything
    /// changed.
    fn connect_screens(&mut self, config: &Config) -> Result<bool, TtyError> {
        if std::mem::take(&mut self.rebuild_screens) {
            self.screens.clear();
        }
        let mut found: Vec<(usize, Choice)> = Vec::new();
        // Connector names of the GPUs before (connected or not): the same
        // name on a later GPU says its card, always the same way.
        let mut earlier: Vec<String> = Vec::new();
        for (g, gpu) in self.gpus.iter().enumerate() {
            let current: Vec<_> = self
                .screens
                .iter()
                .filter(|s| s.gpu == g)
                .map(|s| (s.connector, s.crtc))
                .collect();
            let choices = match pick_connectors(&gpu.drm, config, &current, &earlier, &gpu.card) {
                Ok(choices) => choices,
                // The primary GPU must answer; another may have gone away.
                Err(err) if g > 0 => {
                    tracing::warn!(gpu = %gpu.card, "{err}");
                    continue;
                }
                Err(err) => return Err(err),
            };
            found.extend(choices.into_iter().map(|c| (g, c)));
            earlier.extend(all_connector_names(&gpu.drm));
        }
        let off_outputs = &self.off_outputs;
        without_closed_panels(
            &mut found,
            self.lid_closed,
            |(_, c)| c.internal,
            |(_, c)| off_outputs.contains(&c.name),
        );
        for name in config.outputs.keys() {
            if !found.iter().any(|(_, c)| &c.name == name)
                && name != crate::backend::headless::OUTPUT_NAME
            {
                tracing::warn!(output = %name, "the config names an output that is not connected");
            }
        }
        let same = |s: &Screen, g: usize, c: &Choice| {
            s.gpu == g
                && s.connector == c.connector
                && s.crtc == c.crtc
                && s.spec.size == c.mode_size()
                && s.spec.name == c.name
        };
        // Gone or changed first, so their CRTCs are free for the new ones;
        // the kept ones stay in place while new ones are made (a GPU whose
        // screens draw with GLES keeps it).
        let before = self.screens.len();
        self.screens.retain(|s| {
            let kept = found.iter().any(|(g, c)| same(s, *g, c));
            if !kept {
                tracing::warn!(output = %s.spec.name, "output disconnected or changed");
            }
            kept
        });
        let mut changed = self.screens.len() != before;
        for (g, choice) in &found {
            if self.screens.iter().any(|s| same(s, *g, choice)) {
                continue;
            }
            changed = true;
            match self.new_screen(*g, choice, config) {
                Ok(screen) => self.screens.push(screen),
                Err(err) => tracing::error!(output = %choice.name, "output skipped: {err}"),
            }
        }
        // In the order found: the primary first.
        self.screens.sort_by_key(|s| {
            found
                .iter()
                .position(|(g, c)| same(s, *g, c))
                .unwrap_or(usize::MAX)
        });
        if let Some(primary) = self.screens.first() {
            self.spec = primary.spec.clone();
        }
        Ok(changed)
    }

    /// The lid closed or opened. Returns whether the screens changed (a
    /// change waiting for a pending flip is made after it).
    pub fn set_lid(&mut self, closed: bool, config: &Config) -> bool {
        self.lid_closed = closed;
        if self.paused {
            // Resuming looks at the connectors again.
            return false;
        }
        if self.flip_pending() {
            self.reconnect = true;
            return false;
        }
        match self.connect_screens(config) {
            Ok(changed) => changed,
            Err(err) => {
                tracing::error!("outputs after the lid: {err}");
                false
            }
        }
    }

    /// Turns output `name` off (DPMS; not drawn) or on again (drawn whole
    /// by the next frame); false if no such output is driven.
    pub fn set_output_off(&mut self, name: &str, off: bool) -> bool {
        self.off_outputs.retain(|n| n != name);
        if off {
            self.off_outputs.push(name.to_string());
        }
        let Some(screen) = self.screens.iter_mut().find(|s| s.spec.name == name) else {
            return false;
        };
        screen.off = off;
        true
    }

    /// Whether output `name` is turned off by hand.
    pub fn output_off(&self, name: &str) -> bool {
        self.screens.iter().any(|s| s.spec.name == name && s.off)
    }

    /// Whether a closed lid leaves nothing to see: every screen driven is a
    /// built-in panel or turned off (or none is).
    pub fn lid_blanks(&self) -> bool {
        self.screens.iter().all(|s| s.internal || s.off)
    }

    /// Whether output `name` has the backlight: a built-in panel, or the
    /// primary where there is none (a backlight found on such a machine
    /// belongs to it).
    pub fn has_backlight(&self, name: &str) -> bool {
        if self.screens.iter().any(|s| s.internal) {
            self.screens
                .iter()
                .any(|s| s.internal && s.spec.name == name)
        } else {
            !self.lid_closed && self.spec.name == name
        }
    }

    /// A GPU was unplugged: its screens go (a flip they waited for never
    /// comes), and with it everything of it. Returns its device, if it was
    /// one of ours, to be closed (`close_device`) once nothing else holds
    /// it (the kernel then frees it, and a GPU plugged in again gets its
    /// names back).
    fn gpu_removed(&mut self, device_id: Dev) -> Option<DeviceFd> {
        self.added_while_paused.retain(|(id, _)| *id != device_id);
        let g = self
            .gpus
            .iter()
            .position(|gpu| gpu.drm.device_id() == device_id)?;
        let gpu = self.gpus.remove(g);
        tracing::warn!(gpu = %gpu.card, "GPU removed; its outputs are gone");
        if let Some(token) = gpu.events {
            self.event_loop.remove(token);
        }
        let device = gpu.release(&mut self.gpu_manager);
        self.screens.retain(|s| s.gpu != g);
        for screen in &mut self.screens {
            if screen.gpu > g {
                screen.gpu -= 1;
            }
        }
        if g == 0 {
            // The next GPU is the primary now: what draws each screen, and
            // which can scan out clients' buffers, is decided again.
            forget_shows_only(&mut self.gpus, &mut self.gpu_manager);
            // Made anew once no flip is pending on them.
            self.rebuild_screens = true;
            self.reconnect = true;
        }
        if let Some(primary) = self.screens.first() {
            self.spec = primary.spec.clone();
        }
        Some(device)
    }

    /// Sets up `choice`'s connector: its mode, transform and compositor.
    fn new_screen(
        &mut self,
        gpu: usize,
        choice: &Choice,
        config: &Config,
    ) -> Result<Screen, TtyError> {
        let name = choice.name.clone();
        let mode = choice.mode;
        let transform = config.output_transform(&name);
        let size = choice.mode_size();
        let compositor = self.compositor(gpu, choice, size, transform)?;
        let feedback = surface_feedback(
            &mut self.gpu_manager,
            &self.gpus,
            self.offered.as_ref(),
            gpu,
            &compositor,
        );
        if let Some(r) = render_gpu(&self.gpus, gpu).filter(|r| *r != gpu) {
            tracing::info!(
                output = %name,
                drawn_by = %self.gpus[r].card,
                "drawn by another GPU's GLES, each frame copied over"
            );
        }
        let refresh = mode.vrefresh() as i32 * 1000;
        tracing::info!(
            output = %name,
            width = size.w,
            height = size.h,
            refresh_hz = mode.vrefresh(),
            "output connected"
        );
        let spec = OutputSpec {
            name,
            size,
            refresh_mhz: if refresh > 0 { refresh } else { 60_000 },
            scale: 1.0,
            transform,
        };
        let dim_veil =
            SolidColorBuffer::new(spec.display_size().to_logical(1), crate::render::DIM_VEIL);
        Ok(Screen {
            gpu,
            connector: choice.connector,
            crtc: choice.crtc,
            compositor,
            spec,
            flip: FlipState::default(),
            blanked: false,
            dim_veil,
            feedback,
            internal: choice.internal,
            off: self.off_outputs.contains(&choice.name),
        })
    }

    /// The formats clients are offered (`None`: none yet): the screens'
    /// surface feedback is made again to suggest none other.
    pub fn set_offered_formats(&mut self, formats: Option<&FormatSet>) {
        self.offered = formats.cloned();
        for screen in &mut self.screens {
            screen.feedback = surface_feedback(
                &mut self.gpu_manager,
                &self.gpus,
                self.offered.as_ref(),
                screen.gpu,
                &screen.compositor,
            );
        }
    }

    /// The feedback for surfaces on screen `index`, if it can scan them out.
    pub fn feedback(&self, index: usize) -> Option<&SurfaceFeedback> {
        self.screens.get(index)?.feedback.as_ref()
    }

    /// The screen named `name`'s output.
    pub fn spec_named(&self, name: &str) -> Option<&OutputSpec> {
        self.screens
            .iter()
            .map(|s| &s.spec)
            .find(|s| s.name == name)
    }

    /// The screen the overview and the notice show on (see
    /// `Backend::front_output`).
    pub fn front_index(&self) -> usize {
        self.screens.iter().position(|s| !s.off).unwrap_or(0)
    }

    pub fn front_spec(&self) -> &OutputSpec {
        self.screens
            .get(self.front_index())
            .map_or(&self.spec, |s| &s.spec)
    }

    /// Every screen's output, the primary first.
    pub fn specs(&self) -> Vec<OutputSpec> {
        self.screens.iter().map(|s| s.spec.clone()).collect()
    }

    /// The compositor for a new screen: GBM buffers when drawing with GLES
    /// (if that fails, GLES is given up for pixman), else dumb buffers.
    fn compositor(
        &mut self,
        g: usize,
        choice: &Choice,
        size: smithay::utils::Size<i32, smithay::utils::Physical>,
        transform: Transform,
    ) -> Result<GpuCompositor, TtyError> {
        let name = &choice.name;
        let surface = |drm: &mut DrmDevice| {
            drm.create_surface(choice.crtc, choice.mode, &[choice.connector])
                .map_err(|err| TtyError::Drm(format!("{name}: {err}")))
        };
        let mode = OutputModeSource::Static {
            size,
            scale: 1.0.into(),
            transform,
        };
        let formats = [Fourcc::Xrgb8888, Fourcc::Argb8888];
        // Other screens drawn with this GPU's GLES, or another GPU whose
        // screens it draws: it is kept for them if this screen fails.
        let relied_on = self.screens.iter().any(|s| {
            matches!(s.compositor, GpuCompositor::Gbm(_))
                && (s.gpu == g || render_gpu(&self.gpus, s.gpu) == Some(g))
        });
        let gpu = &mut self.gpus[g];
        // The buffers are this GPU's whichever GPU draws into them, in the
        // formats its own GLES renders (a frame drawn elsewhere is copied).
        let gles = gpu.gles.as_ref().and_then(|gles| {
            let formats = gles_of(&mut self.gpu_manager, gles.node)?
                .egl_context()
                .dmabuf_render_formats()
                .clone();
            Some((gles, formats))
        });
        if let Some((gles, render_formats)) = gles {
            let made = GbmCompositor::new(
                mode.clone(),
                surface(&mut gpu.drm)?,
                None,
                GbmAllocator::new(
                    gles.gbm.clone(),
                    GbmBufferFlags::RENDERING | GbmBufferFlags::SCANOUT,
                ),
                // Client buffers this GPU imported may be scanned out.
                GbmFramebufferExporter::new(gles.gbm.clone(), gpu.node),
                formats,
                render_formats,
                gpu.drm.cursor_size(),
                Some(gles.gbm.clone()),
            );
            match made {
                Ok(compositor) => return Ok(GpuCompositor::Gbm(compositor)),
                Err(err) if relied_on => {
                    // Other screens draw with this GLES: this one is left dark
                    // rather than all of them changing renderer.
                    return Err(TtyError::Drm(format!(
                        "{name}: GBM buffers for GLES: {err}"
                    )));
                }
                Err(err) => {
                    tracing::warn!(output = %name, "GBM buffers for GLES failed ({err}); drawing with pixman");
                    if let Some(gles) = gpu.gles.take() {
                        gles.forget(&mut self.gpu_manager);
                    }
                    // (None of the others' screens is drawn yet, or the
                    // primary would be relied on.)
                    if g == 0 {
                        forget_shows_only(&mut self.gpus, &mut self.gpu_manager);
                    }
                }
            }
        }
        let gpu = &mut self.gpus[g];
        DumbCompositor::new(
            mode,
            surface(&mut gpu.drm)?,
            None,
            DumbAllocator::new(gpu.fd.clone()),
            gpu.fd.clone(),
            formats,
            self.renderer.dmabuf_formats(),
            gpu.drm.cursor_size(),
            gpu.cursor_gbm.clone(),
        )
        .map(GpuCompositor::Dumb)
        .map_err(|err| TtyError::Drm(format!("{name}: {err}")))
    }

    /// GPU buffers from the primary GPU: its render node as the main
    /// device, the formats of what draws there (GLES, or pixman's linear
    /// ones), explicit sync where the device has `syncobj_eventfd`.
    pub fn gpu_offer(&mut self) -> Result<GpuOffer, String> {
        let gpu = self.gpus.first().ok_or("no GPU")?;
        let main = gpu
            .node
            .ok_or_else(|| format!("{}: not a DRM node", gpu.card))?;
        // A window may show on any GPU's outputs: only what every
        // renderer drawing them imports is offered (with one GPU, or one
        // GLES drawing for all, all of its formats).
        let mut formats: Option<FormatSet> = None;
        for g in 0..self.gpus.len() {
            let node = render_gpu(&self.gpus, g)
                .and_then(|r| self.gpus[r].gles.as_ref())
                .map(|gles| gles.node);
            let theirs = match node.and_then(|node| gles_of(&mut self.gpu_manager, node)) {
                Some(gles) => gles.dmabuf_formats(),
                None => self.renderer.dmabuf_formats(),
            };
            formats = Some(match formats {
                Some(ours) => ours.intersection(&theirs).copied().collect(),
                None => theirs,
            });
        }
        let formats = formats.unwrap_or_default();
        let gpu = &self.gpus[0];
        if formats.iter().next().is_none() {
            return Err("no buffer format that every GPU imports".into());
        }
        let syncobj = supports_syncobj_eventfd(&gpu.fd).then(|| gpu.fd.clone());
        if syncobj.is_none() {
            tracing::info!(
                gpu = %gpu.card,
                "no drm-syncobj: the device has no syncobj_eventfd (it needs Linux 6.6 and a driver with syncobj)"
            );
        }
        tracing::info!(
            main_device = %main,
            formats = formats.iter().count(),
            explicit_sync = syncobj.is_some(),
            "linux-dmabuf offered"
        );
        GpuOffer::new(main.dev_id(), formats, syncobj).map_err(|e| format!("format table: {e}"))
    }

    /// Imports a client's dmabuf into the primary GPU's renderer, and marks
    /// it as that GPU's (its screens may then scan it out directly).
    pub fn import_dmabuf(&mut self, dmabuf: &Dmabuf) -> Result<(), RenderError> {
        let Some(gpu) = self.gpus.first() else {
            return Err(RenderError::Renderer("no GPU".into()));
        };
        let gles = gpu
            .gles
            .as_ref()
            .and_then(|gles| gles_of(&mut self.gpu_manager, gles.node));
        match gles {
            Some(gles) => {
                gles.import_dmabuf(dmabuf, None).map_err(renderer_error)?;
                // The primary GPU's own: its screens may scan it out, and
                // the renderer drawing for other GPUs takes it from there.
                dmabuf.set_node(gpu.node);
            }
            // pixman checked it; left unmarked, whichever GLES draws it
            // (another GPU's, drawing its own screens) imports it itself.
            None => drop(
                self.renderer
                    .import_dmabuf(dmabuf, None)
                    .map_err(renderer_error)?,
            ),
        }
        Ok(())
    }

    /// Frames in which a client's buffer was scanned out as it is, on the
    /// primary plane: nothing was composited for that screen.
    pub fn frames_scanned_out(&self) -> u64 {
        self.scanned_out
    }

    /// Frames in which the badge indicator was on a plane of its own (the
    /// cursor plane, free while the pointer is elsewhere or hidden), so it
    /// forced no compositing over what is under it.
    pub fn frames_badge_on_plane(&self) -> u64 {
        self.badge_on_plane
    }

    /// Whether screen `index` is drawn with GLES (its GPU's).
    fn is_gles(&self, index: usize) -> bool {
        self.screens
            .get(index)
            .is_some_and(|s| matches!(s.compositor, GpuCompositor::Gbm(_)))
    }

    /// Draws `persona` (the active one) on every screen that is not waiting
    /// for a page flip, with its render GPU's transition if one runs; what
    /// each drew, by view. Each screen is paced by its own flips, so a slow
    /// one (or one whose flip is late) holds no other back.
    pub fn render_persona(
        &mut self,
        persona: &PersonaState,
        views: &[crate::persona::outputs::View],
        overlay: &crate::render::Overlay,
        dim: bool,
    ) -> Result<Vec<(RenderElementStates, Flip)>, RenderError> {
        let arrow = (!overlay.cursor_hidden).then(|| self.arrow.clone());
        let mut drawn = Vec::with_capacity(views.len());
        // Each GPU's transition, where it is at, the same for all the
        // screens it draws.
        let now = Instant::now();
        let transitions: Vec<(bool, Option<f32>)> = self
            .gpus
            .iter()
            .map(|gpu| {
                let t = gpu.gles.as_ref().and_then(|g| g.transition.as_ref());
                (t.is_some(), t.and_then(|t| t.progress(now)))
            })
            .collect();
        for view in views {
            if view.index >= self.screens.len() {
                break;
            }
            if self.reconnect && self.flip_pending() {
                // Connectors changed: no new frame until every flip is in
                // and the screens are set up again.
                self.screens[view.index].flip.owe();
                drawn.push((RenderElementStates::default(), Flip::Pending));
                continue;
            }
            let (running, progress) = render_gpu(&self.gpus, self.screens[view.index].gpu)
                .map_or((false, None), |r| transitions[r]);
            // One screen failing (a texture its GPU cannot take) costs that
            // screen this frame, not the others theirs.
            let drawn_view = self.render_view(
                persona,
                view,
                overlay,
                dim,
                arrow.as_ref(),
                running,
                progress,
            );
            let (states, flip) = match drawn_view {
                Ok(drawn) => {
                    self.count_badge(persona, view.index, &drawn);
                    drawn
                }
                Err(err) => {
                    tracing::warn!(output = %view.spec.name, "drawing failed: {err}");
                    (RenderElementStates::default(), Flip::Failed)
                }
            };
            if flip == Flip::Failed {
                // Still showing what it showed: it owes this frame.
                self.screens[view.index].flip.owe();
            }
            drawn.push((persona.render_ids.borrow().unscope(states), flip));
        }
        // A transition over has had its last frame everywhere.
        for (gpu, (running, progress)) in self.gpus.iter_mut().zip(transitions) {
            if let Some(gles) = gpu.gles.as_mut().filter(|_| running && progress.is_none()) {
                gles.transition = None;
            }
        }
        // A screen failed while another queued its frame: that flip paces
        // the retry.
        let flips = || drawn.iter().map(|(_, flip)| *flip);
        self.retry = flips().any(|f| f == Flip::Failed) && flips().any(|f| f == Flip::Queued);
        Ok(drawn)
    }

    /// Counts a queued frame whose badge the display put on a plane of its
    /// own (the cursor plane) instead of drawing it into the frame.
    fn count_badge(
        &mut self,
        persona: &PersonaState,
        index: usize,
        (states, flip): &(RenderElementStates, Flip),
    ) {
        let buffers = persona.indicator_buffers.borrow();
        let on_plane = *flip == Flip::Queued
            && buffers.badge_id(index).is_some_and(|id| {
                states
                    .element_render_state(id.clone())
                    .is_some_and(|state| {
                        state.presentation_state == RenderElementPresentationState::ZeroCopy
                    })
            });
        self.badge_on_plane += u64::from(on_plane);
    }

    /// Draws what `view` shows of `persona` on its screen; `running` and
    /// `progress`: its render GPU's transition.
    #[allow(clippy::too_many_arguments)]
    fn render_view(
        &mut self,
        persona: &PersonaState,
        view: &crate::persona::outputs::View,
        overlay: &crate::render::Overlay,
        dim: bool,
        arrow: Option<&MemoryRenderBuffer>,
        running: bool,
        progress: Option<f32>,
    ) -> Result<(RenderElementStates, Flip), RenderError> {
        let index = view.index;
        let veil = dim.then(|| self.screens[index].dim_veil.clone());
        let overlay = overlay.on_view(index);
        if !self.is_gles(index) {
            let scene = crate::render::persona_scene_in(
                &mut self.renderer,
                persona,
                view,
                Some(&overlay),
                veil.as_ref(),
                arrow,
            )?;
            return self.draw(index, &scene);
        }
        let screen = &mut self.screens[index];
        let mut renderer = renderer_for(&mut self.gpu_manager, &self.gpus, screen)?;
        let Some(gles) =
            render_gpu(&self.gpus, screen.gpu).and_then(|r| self.gpus[r].gles.as_deref_mut())
        else {
            return Err(RenderError::Renderer("GLES is gone".into()));
        };
        let scene = effects::persona_scene_in(
            &mut renderer,
            &mut gles.effects,
            persona,
            view,
            Some(&overlay),
            veil.as_ref(),
            arrow,
            gles.transition.as_ref().zip(progress),
        )?;
        if running {
            // Everything moves or fades (and after the last step,
            // everything is new): drawn whole.
            on_compositor!(&mut screen.compositor, c => c.reset_buffer_ages());
        }
        Self::draw_with(
            &mut renderer,
            screen,
            self.paused,
            &mut self.scanned_out,
            &scene,
        )
    }

    /// Draws the overview with the frame's renderer.
    pub fn render_overview(
        &mut self,
        personas: &crate::persona::list::Personas,
        overview: &mut crate::state::overview::Overview,
        cells: &[crate::render::overview::Cell],
        dim: bool,
    ) -> Result<Flip, RenderError> {
        if self.flip_pending() {
            // Drawn on every screen at once, after the last flip.
            self.owe_all();
            return Ok(Flip::Pending);
        }
        if self.screens.is_empty() {
            return Ok(Flip::Nothing);
        }
        let at = self.front_index();
        let veil = dim.then(|| self.screens[at].dim_veil.clone());
        self.end_transition();
        use crate::state::overview::overview_scene_for;
        // The others show its background.
        let background: Scene<SolidElement> = Scene {
            elements: Vec::new(),
            clear: crate::render::overview::OVERVIEW_BACKGROUND,
        };
        let mut flips = Vec::with_capacity(self.screens.len());
        for index in (0..self.screens.len()).filter(|i| *i != at) {
            let (_, flip) = if self.is_gles(index) {
                self.draw_gles(index, &background)?
            } else {
                self.draw(index, &background)?
            };
            flips.push(flip);
        }
        let (_, flip) = if self.is_gles(at) {
            let screen = &mut self.screens[at];
            let mut renderer = renderer_for(&mut self.gpu_manager, &self.gpus, screen)?;
            let scene =
                overview_scene_for(personas, overview, cells, &mut renderer, veil.as_ref())?;
            Self::draw_with(
                &mut renderer,
                screen,
                self.paused,
                &mut self.scanned_out,
                &scene,
            )?
        } else {
            let scene =
                overview_scene_for(personas, overview, cells, &mut self.renderer, veil.as_ref())?;
            self.draw(at, &scene)?
        };
        flips.push(flip);
        Ok(Flip::combine(flips))
    }

    /// A switch away from `from` begins: with GLES, it is drawn once more
    /// to leave from; pixman cuts straight to the new persona.
    pub fn begin_transition(
        &mut self,
        from: &PersonaState,
        kind: TransitionKind,
    ) -> Result<(), RenderError> {
        // Each GPU drawing with GLES leaves from the old persona as the
        // screens it draws showed it.
        let views = from.views();
        for g in 0..self.gpus.len() {
            let mine: Vec<_> = views
                .iter()
                .filter(|v| {
                    self.screens
                        .get(v.index)
                        .is_some_and(|s| render_gpu(&self.gpus, s.gpu) == Some(g))
                        && self.is_gles(v.index)
                })
                .cloned()
                .collect();
            let Some(gles) = self.gpus[g].gles.as_deref_mut() else {
                continue;
            };
            gles.transition = None;
            if mine.is_empty() {
                continue;
            }
            // The frames' renderer, whose textures of the windows are there.
            let mut renderer = self
                .gpu_manager
                .single_renderer(&gles.node)
                .map_err(|e| RenderError::Renderer(e.to_string()))?;
            let transition =
                Transition::begin(&mut renderer, &mut gles.effects, from, kind, &mine)?;
            gles.transition = Some(transition);
        }
        Ok(())
    }

    /// Any transition running stops; the next frame is drawn whole.
    pub fn end_transition(&mut self) {
        for gpu in &mut self.gpus {
            if let Some(gles) = gpu.gles.as_mut() {
                gles.transition = None;
            }
        }
        self.reset_damage();
    }

    /// Whether a transition (or a screen that failed) wants further frames.
    pub fn animating(&self) -> bool {
        self.retry
            || self
                .gpus
                .iter()
                .any(|g| g.gles.as_ref().is_some_and(|g| g.transition.is_some()))
    }

    /// Draws `scene` with pixman on screen `index` and queues it for scan-out.
    pub fn draw<E: RenderElement<PixmanRenderer>>(
        &mut self,
        index: usize,
        scene: &Scene<E>,
    ) -> Result<(RenderElementStates, Flip), RenderError> {
        let renderer = &mut self.renderer;
        let paused = self.paused;
        let Some(screen) = self.screens.get_mut(index) else {
            return Ok((RenderElementStates::default(), Flip::Nothing));
        };
        Self::draw_on(
            screen,
            paused,
            &mut self.scanned_out,
            |compositor| match compositor {
                GpuCompositor::Dumb(c) => c
                    .render_frame(renderer, &scene.elements, scene.clear, FrameFlags::DEFAULT)
                    .map(|r| (r.states, r.is_empty, false))
                    .map_err(|e| format!("{e:?}")),
                GpuCompositor::Gbm(_) => Err("a pixman frame for a GBM screen".into()),
            },
        )
    }

    /// Draws `scene` (one that any GLES renderer draws: solid colour) with
    /// GLES on screen `index` and queues it for scan-out.
    fn draw_gles<E>(
        &mut self,
        index: usize,
        scene: &Scene<E>,
    ) -> Result<(RenderElementStates, Flip), RenderError>
    where
        E: for<'a> RenderElement<TtyRenderer<'a>>,
    {
        let Some(screen) = self.screens.get_mut(index) else {
            return Ok((RenderElementStates::default(), Flip::Nothing));
        };
        let mut renderer = renderer_for(&mut self.gpu_manager, &self.gpus, screen)?;
        Self::draw_with(
            &mut renderer,
            screen,
            self.paused,
            &mut self.scanned_out,
            scene,
        )
    }

    /// Draws `scene` with `renderer` (GLES) on `screen` and queues it for
    /// scan-out.
    fn draw_with<'a, E: RenderElement<TtyRenderer<'a>>>(
        renderer: &mut TtyRenderer<'a>,
        screen: &mut Screen,
        paused: bool,
        scanned_out: &mut u64,
        scene: &Scene<E>,
    ) -> Result<(RenderElementStates, Flip), RenderError> {
        Self::draw_on(screen, paused, scanned_out, |compositor| match compositor {
            GpuCompositor::Gbm(c) => c
                .render_frame(renderer, &scene.elements, scene.clear, FrameFlags::DEFAULT)
                .map(|r| {
                    // A fence the kernel can wait on goes with the flip;
                    // without one (Mesa's llvmpipe has none) the frame
                    // must be finished before it is flipped, or a part
                    // drawn later never reaches the screen.
                    let direct = match &r.primary_element {
                        PrimaryPlaneElement::Swapchain(element) => {
                            if !element.sync.is_exportable() {
                                let _ = element.sync.wait();
                            }
                            false
                        }
                        PrimaryPlaneElement::Element(_) => true,
                    };
                    (r.states, r.is_empty, direct)
                })
                .map_err(|e| format!("{e:?}")),
            GpuCompositor::Dumb(_) => Err("a GLES frame for a dumb-buffer screen".into()),
        })
    }

    /// Renders with `render` on `screen` and queues the frame for scan-out;
    /// `render` says whether the frame is empty and whether a client's
    /// buffer is the frame (counted in `scanned_out` once queued).
    fn draw_on<F>(
        screen: &mut Screen,
        paused: bool,
        scanned_out: &mut u64,
        render: F,
    ) -> Result<(RenderElementStates, Flip), RenderError>
    where
        F: FnOnce(&mut GpuCompositor) -> Result<(RenderElementStates, bool, bool), String>,
    {
        if !screen.flip.may_draw() {
            return Ok((RenderElementStates::default(), Flip::Pending));
        }
        if paused {
            return Ok((RenderElementStates::default(), Flip::Nothing));
        }
        if screen.off {
            if !screen.blanked {
                if let Err(err) = screen.dpms_off() {
                    tracing::warn!(output = %screen.spec.name, "DPMS off failed: {err}");
                }
                screen.blanked = true;
            }
            return Ok((RenderElementStates::default(), Flip::Nothing));
        }
        let name = &screen.spec.name;
        if unplugged(on_compositor!(&screen.compositor, c => c.surface().device_fd())) {
            // Its buffers' memory is gone with it: a frame written there
            // would fault. udev's word that it went comes right after.
            tracing::debug!(output = %name, "its GPU is unplugged; not drawn");
            return Ok((RenderElementStates::default(), Flip::Nothing));
        }
        if std::mem::take(&mut screen.blanked) {
            // Back on: the first frame is drawn whole.
            on_compositor!(&mut screen.compositor, c => c.reset_buffers());
        }
        let (states, is_empty, direct) = match render(&mut screen.compositor) {
            Ok(rendered) => rendered,
            Err(err) => {
                // This frame is lost; the next is drawn whole on fresh buffers.
                tracing::warn!(output = %name, "drawing the frame failed: {err}");
                on_compositor!(&mut screen.compositor, c => c.reset_buffers());
                return Ok((RenderElementStates::default(), Flip::Failed));
            }
        };
        if is_empty {
            return Ok((states, Flip::Nothing));
        }
        match on_compositor!(&mut screen.compositor, c => c.queue_frame(()).map_err(|e| e.to_string()))
        {
            Ok(()) => {
                tracing::trace!(output = %name, direct, "frame queued for a page flip");
                screen.flip.queued(monotonic_now());
                *scanned_out += u64::from(direct);
                Ok((states, Flip::Queued))
            }
            Err(err) => {
                // A failed flip loses this frame only; the next one starts whole.
                tracing::warn!(output = %name, "page flip failed: {err}");
                on_compositor!(&mut screen.compositor, c => c.reset_buffers());
                Ok((states, Flip::Failed))
            }
        }
    }

    /// A page flip of `crtc` came. Returns that screen's name and whether
    /// it owes a frame (None: no screen waited for it, one dropped since).
    ///
    /// A flip that comes after the watchdog took its frame as shown is
    /// counted for the next frame, if one was queued meanwhile: that frame's
    /// timing is off by one, and a commit the kernel refuses while the late
    /// flip was pending is drawn again a refresh later. (The event's
    /// timestamp cannot tell them apart: virtio-gpu, which has no vblank
    /// interrupts, stamps flips earlier than the frame was queued.)
    fn frame_submitted(&mut self, gpu: usize, crtc: crtc::Handle) -> Option<(String, bool)> {
        let screen = self
            .screens
            .iter_mut()
            .find(|s| s.gpu == gpu && s.crtc == crtc)?;
        let owed = screen.flip.flipped()?;
        if let Err(err) = on_compositor!(&mut screen.compositor, c => c.frame_submitted().map(|_| ()).map_err(|e| e.to_string()))
        {
            tracing::warn!(output = %screen.spec.name, "frame submission: {err}");
        }
        Some((screen.spec.name.clone(), owed))
    }

    /// Whether a frame waits for a page flip on any screen.
    pub fn flip_pending(&self) -> bool {
        self.screens.iter().any(|s| s.flip.pending())
    }

    /// Whether every screen waits for a page flip (none can draw now).
    pub fn all_flips_pending(&self) -> bool {
        !self.screens.is_empty() && self.screens.iter().all(|s| s.flip.pending())
    }

    /// Whether a screen missed a frame while it waited for its flip.
    pub fn owes_frames(&self) -> bool {
        self.screens.iter().any(|s| s.flip.owed())
    }

    /// A frame was asked for that no screen could draw.
    pub fn owe_all(&mut self) {
        for screen in &mut self.screens {
            screen.flip.owe();
        }
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Everything is drawn again: after a switch (object ids are per display,
    /// so one persona's damage state means nothing for another), a VT switch
    /// or a mode change.
    pub fn reset_damage(&mut self) {
        for screen in &mut self.screens {
            on_compositor!(&mut screen.compositor, c => c.reset_buffer_ages());
        }
    }

    /// The outputs powered off: DPMS off (the CRTCs and their planes
    /// disabled), then nothing until the next frame, whose flip turns each
    /// back on. A driver that refuses gets a black frame instead.
    /// Returns false if a screen still waits for its flip (blanked after it).
    pub fn blank(&mut self) -> Result<bool, RenderError> {
        if self.paused {
            return Ok(true);
        }
        let mut all = true;
        for index in 0..self.screens.len() {
            let screen = &mut self.screens[index];
            if screen.flip.pending() {
                all = false;
                continue;
            }
            if screen.blanked {
                continue;
            }
            match screen.dpms_off() {
                Ok(()) => {
                    screen.blanked = true;
                    screen.flip.quit();
                    continue;
                }
                Err(err) => {
                    tracing::warn!(output = %screen.spec.name, "DPMS off failed ({err}); showing black")
                }
            }
            let scene: Scene<SolidElement> = Scene {
                elements: Vec::new(),
                clear: Color32F::BLACK,
            };
            on_compositor!(&mut self.screens[index].compositor, c => c.reset_buffer_ages());
            let (_, flip) = if self.is_gles(index) {
                self.draw_gles(index, &scene)?
            } else {
                self.draw(index, &scene)?
            };
            self.screens[index].blanked = flip == Flip::Queued;
        }
        Ok(all)
    }

    /// Turns the screen of connector `name`; false if none is driven.
    pub fn set_transform(&mut self, name: &str, transform: Transform) -> bool {
        let Some(index) = self.screens.iter().position(|s| s.spec.name == name) else {
            return false;
        };
        if index == 0 {
            self.spec.transform = transform;
        }
        let screen = &mut self.screens[index];
        screen.spec.transform = transform;
        screen.blanked = false;
        screen
            .dim_veil
            .resize(screen.spec.display_size().to_logical(1));
        let mode = OutputModeSource::Static {
            size: screen.spec.size,
            scale: 1.0.into(),
            transform,
        };
        on_compositor!(&mut screen.compositor, c => {
            c.set_output_mode_source(mode);
            c.reset_buffers();
        });
        true
    }

    /// The primary output's veil.
    pub fn dim_veil(&self) -> &SolidColorBuffer {
        self.screens.first().map_or(&self.no_veil, |s| &s.dim_veil)
    }

    pub fn arrow(&self) -> &MemoryRenderBuffer {
        &self.arrow
    }

    /// Captures draw with the primary GPU's GLES when it has it (its
    /// clients' GPU buffers are imported there), else with pixman.
    pub fn readback(&mut self) -> crate::render::AnyReadback<'_> {
        let node = self
            .gpus
            .first()
            .and_then(|g| g.gles.as_ref())
            .map(|g| g.node);
        // The renderer of its frames, whose textures of the windows are there.
        match node.and_then(|node| self.gpu_manager.single_renderer(&node).ok()) {
            Some(gles) => crate::render::AnyReadback::Tty(gles),
            None => crate::render::AnyReadback::Pixman(&mut self.renderer),
        }
    }

    /// Lights the keyboards' lock LEDs.
    pub fn show_leds(&mut self, leds: LedState) {
        if leds == self.leds {
            return;
        }
        self.leds = leds;
        let lit = led_bits(leds);
        for device in &mut self.devices {
            if device.has_capability(DeviceCapability::Keyboard) {
                device.led_update(lit);
            }
        }
    }

    /// Applies `[input.touchpad]` / `[input.mouse]` to every device (reload).
    pub fn configure_devices(&mut self, input: &InputConfig) {
        for device in &mut self.devices {
            configure_device(device, input);
        }
    }

    /// Ctrl+Alt+F`vt`: hands the display to another VT.
    pub fn change_vt(&mut self, vt: i32) {
        if let Err(err) = self.session.change_vt(vt) {
            tracing::warn!("switching to VT {vt} failed: {err}");
        }
    }

    /// A pending flip stays pending: its event still comes (smithay delivers
    /// it while paused), or `resume` settles it.
    fn pause(&mut self) {
        tracing::info!("session paused: display and input given up");
        self.paused = true;
        for screen in &mut self.screens {
            screen.blanked = false;
        }
        self.libinput.suspend();
        for gpu in &mut self.gpus {
            gpu.drm.pause();
        }
    }

    /// Returns whether the screens changed while away. A flip that never
    /// came is settled first, so the first frame back is not stuck behind it.
    fn resume(&mut self, config: &Config) -> bool {
        tracing::info!("session active again");
        // The connectors are looked at below.
        self.reconnect = false;
        for screen in &mut self.screens {
            // Everything is drawn again, whole.
            if screen.flip.settle() {
                let _ = on_compositor!(&mut screen.compositor, c => c.frame_submitted().map(|_| ()).map_err(|e| e.to_string()));
            }
            screen.blanked = false;
        }
        if self.libinput.resume().is_err() {
            tracing::error!("libinput did not resume; input may be missing");
        }
        for gpu in &mut self.gpus {
            if let Err(err) = gpu.drm.activate(false) {
                tracing::error!(gpu = %gpu.card, "taking the display back failed: {err}");
            }
        }
        self.paused = false;
        for (device_id, path) in std::mem::take(&mut self.added_while_paused) {
            if let Err(err) = self.add_gpu(device_id, path.clone(), config) {
                tracing::warn!(gpu = %path.display(), "not used: {err}");
            }
        }
        let changed = match self.connect_screens(config) {
            Ok(changed) => changed,
            Err(err) => {
                tracing::error!("outputs lost while away: {err}");
                false
            }
        };
        for screen in &mut self.screens {
            on_compositor!(&mut screen.compositor, c => {
                if let Err(err) = c.reset_state() {
                    tracing::warn!("resetting the output state failed: {err}");
                }
                c.reset_buffers();
            });
        }
        changed
    }
}

/// Closes `device` through the seat, which holds it open until told (so a
/// GPU unplugged stays allocated in the kernel); a device still used
/// elsewhere is closed when the last user lets go, and by the seat at exit.
fn close_device(session: &mut LibSeatSession, device: DeviceFd) {
    match device.try_into() {
        Ok(fd) => {
            if let Err(err) = session.close(fd) {
                tracing::debug!("closing a GPU's device: {err}");
            }
        }
        Err(_) => tracing::info!("a GPU's device is still used; the seat closes it at exit"),
    }
}

/// The seat udev gives the character device `device_id` (`ID_SEAT`; an
/// untagged device, or any without udevd, is seat0's, as for smithay's
/// `all_gpus`), or None when sysfs does not know it (gone already: then
/// opening it fails).
fn udev_seat(device_id: Dev) -> Option<String> {
    use smithay::reexports::udev;
    let device = udev::Device::from_devnum(udev::DeviceType::Character, device_id).ok()?;
    let seat = device.property_value("ID_SEAT");
    Some(seat.map_or_else(|| "seat0".into(), |s| s.to_string_lossy().into_owned()))
}

/// Whether the DRM device was unplugged: the kernel answers every ioctl
/// with ENODEV from then on (this one is among the cheapest).
fn unplugged(device: &DrmDeviceFd) -> bool {
    use smithay::reexports::drm::{Device as _, DriverCapability};
    matches!(
        device.get_driver_capability(DriverCapability::DumbBuffer),
        Err(err) if err.raw_os_error() == Some(libc::ENODEV)
    )
}

/// The lit LEDs of `leds`.
fn led_bits(leds: LedState) -> Led {
    let mut lit = Led::empty();
    for (on, led) in [
        (leds.caps, Led::CAPSLOCK),
        (leds.num, Led::NUMLOCK),
        (leds.scroll, Led::SCROLLLOCK),
    ] {
        if on == Some(true) {
            lit |= led;
        }
    }
    lit
}

/// The config's settings for `device`'s class: touchpads (they can tap),
/// else mice and other pointers. Unset settings keep libinput's defaults.
fn configure_device(device: &mut smithay::reexports::input::Device, input: &InputConfig) {
    let settings = if device.config_tap_finger_count() > 0 {
        &input.touchpad
    } else if device.has_capability(DeviceCapability::Pointer) {
        &input.mouse
    } else {
        return;
    };
    let name = device.name().to_string();
    let report = |what: &str, result: Result<(), DeviceConfigError>| {
        if let Err(err) = result {
            tracing::warn!(device = %name, "{what} not applied: {err:?}");
        }
    };
    // What the config leaves out goes back to the device's default (a
    // setting removed before a reload is undone); what the device cannot do
    // is left alone.
    if device.config_tap_finger_count() > 0 {
        let on = settings.tap.unwrap_or(device.config_tap_default_enabled());
        report("tap", device.config_tap_set_enabled(on));
    }
    if device.config_scroll_has_natural_scroll() {
        let on = settings
            .natural_scroll
            .unwrap_or(device.config_scroll_default_natural_scroll_enabled());
        report(
            "natural_scroll",
            device.config_scroll_set_natural_scroll_enabled(on),
        );
    }
    if device.config_dwt_is_available() {
        let on = settings
            .disable_while_typing
            .unwrap_or(device.config_dwt_default_enabled());
        report("disable_while_typing", device.config_dwt_set_enabled(on));
    }
    if device.config_left_handed_is_available() {
        let on = settings
            .left_handed
            .unwrap_or(device.config_left_handed_default());
        report("left_handed", device.config_left_handed_set(on));
    }
    if device.config_accel_is_available() {
        let profile = match settings.accel_profile {
            Some(AccelProfile::Flat) => Some(input::AccelProfile::Flat),
            Some(AccelProfile::Adaptive) => Some(input::AccelProfile::Adaptive),
            None => device.config_accel_default_profile(),
        };
        if let Some(profile) = profile {
            report("accel_profile", device.config_accel_set_profile(profile));
        }
        let speed = settings
            .accel_speed
            .unwrap_or(device.config_accel_default_speed());
        report("accel_speed", device.config_accel_set_speed(speed));
    }
}

/// The DRM element type for a frame with no elements (a black screen).
type SolidElement = smithay::backend::renderer::element::solid::SolidColorRenderElement;

/// A connector worth driving, with its CRTC and mode.
struct Choice {
    connector: connector::Handle,
    crtc: crtc::Handle,
    mode: smithay::reexports::drm::control::Mode,
    name: String,
    /// A built-in panel (eDP, LVDS, DSI): the one under the lid.
    internal: bool,
}

impl Choice {
    fn mode_size(&self) -> smithay::utils::Size<i32, smithay::utils::Physical> {
        let (w, h) = self.mode.size();
        (w as i32, h as i32).into()
    }
}

/// Every connector's name on `drm`, connected or not.
fn all_connector_names(drm: &DrmDevice) -> Vec<String> {
    let Ok(resources) = drm.resource_handles() else {
        return Vec::new();
    };
    resources
        .connectors()
        .iter()
        .filter_map(|&handle| drm.get_connector(handle, false).ok())
        .map(|info| connector_name(&info))
        .collect()
}

/// Whether `info` is a built-in panel.
fn is_internal(info: &connector::Info) -> bool {
    matches!(
        info.interface(),
        connector::Interface::EmbeddedDisplayPort
            | connector::Interface::LVDS
            | connector::Interface::DSI
    )
}

/// With the lid closed, the built-in panels leave the layout if another
/// output shows (a docked laptop; not one turned off by hand); if none
/// does, they stay (and the compositor turns the display off).
fn without_closed_panels<T>(
    found: &mut Vec<T>,
    lid_closed: bool,
    internal: impl Fn(&T) -> bool,
    off: impl Fn(&T) -> bool,
) {
    if lid_closed && found.iter().any(|c| !internal(c) && !off(c)) {
        found.retain(|c| !internal(c));
    }
}

/// The output name as the kernel and other compositors give it: `eDP-1`, `Virtual-1`.
fn connector_name(info: &connector::Info) -> String {
    format!("{}-{}", info.interface().as_str(), info.interface_id())
}

/// A built-in panel first (it is what a tablet or laptop shows), then the
/// Every connected connector with a mode and a free CRTC (a connector
/// keeps the CRTC it has in `current`), the built-in panel first (it is
/// what a tablet or laptop shows), then in the kernel's order; each with
/// the mode the config names, else its preferred one.
fn pick_connectors(
    drm: &DrmDevice,
    config: &Config,
    current: &[(connector::Handle, crtc::Handle)],
    taken: &[String],
    card: &str,
) -> Result<Vec<Choice>, TtyError> {
    let resources = drm
        .resource_handles()
        .map_err(|err| TtyError::Drm(format!("reading resources: {err}")))?;
    let mut connected: Vec<connector::Info> = resources
        .connectors()
        .iter()
        .filter_map(|&handle| drm.get_connector(handle, true).ok())
        .filter(|info| info.state() == connector::State::Connected && !info.modes().is_empty())
        .collect();
    connected.sort_by_key(|info| !is_internal(info));
    // A CRTC held by a connector that is gone is free again.
    let current: Vec<(connector::Handle, crtc::Handle)> = current
        .iter()
        .copied()
        .filter(|(conn, _)| connected.iter().any(|info| info.handle() == *conn))
        .collect();
    let mut chosen: Vec<Choice> = Vec::new();
    for info in &connected {
        let mut name = connector_name(info);
        if taken.contains(&name) {
            name = format!("{card}-{name}");
        }
        let taken = |crtc: &crtc::Handle| {
            chosen.iter().any(|c| c.crtc == *crtc)
                || current
                    .iter()
                    .any(|(conn, used)| used == crtc && *conn != info.handle())
        };
        let possible: Vec<crtc::Handle> = info
            .encoders()
            .iter()
            .filter_map(|&e| drm.get_encoder(e).ok())
            .flat_map(|enc| resources.filter_crtcs(enc.possible_crtcs()))
            .collect();
        let own = current
            .iter()
            .find(|(conn, _)| *conn == info.handle())
            .map(|(_, crtc)| *crtc)
            .filter(|crtc| possible.contains(crtc) && !taken(crtc));
        let Some(crtc) = own.or_else(|| possible.iter().copied().find(|c| !taken(c))) else {
            tracing::warn!(output = %name, "no free CRTC can drive this connector; skipped");
            continue;
        };
        let wanted = config.outputs.get(&name).and_then(|o| o.mode);
        chosen.push(Choice {
            connector: info.handle(),
            crtc,
            mode: pick_mode(info.modes(), wanted, &name),
            name,
            internal: is_internal(info),
        });
    }
    Ok(chosen)
}

fn pick_mode(
    modes: &[smithay::reexports::drm::control::Mode],
    wanted: Option<crate::config::Mode>,
    name: &str,
) -> smithay::reexports::drm::control::Mode {
    if let Some(want) = wanted {
        let fits = |m: &&smithay::reexports::drm::control::Mode| {
            let (w, h) = m.size();
            w as u32 == want.width && h as u32 == want.height
        };
        let best = modes
            .iter()
            .filter(fits)
            .min_by_key(|m| match want.refresh_mhz {
                Some(r) => (m.vrefresh() as i64 * 1000 - r as i64).abs(),
                None => -(m.vrefresh() as i64),
            });
        match best {
            Some(mode) => return *mode,
            None => tracing::warn!(output = %name, ?want, "no such mode; using the preferred one"),
        }
    }
    modes
        .iter()
        .find(|m| m.mode_type().contains(ModeTypeFlags::PREFERRED))
        .or_else(|| modes.first())
        .copied()
        .expect("connectors without modes are skipped")
}

/// The GPU to drive: udev's primary GPU of the seat, else the first
/// `/dev/dri/card*` (no udevd, as in a minimal VM).
fn primary_gpu(seat: &str) -> Result<PathBuf, TtyError> {
    if let Ok(Some(path)) = smithay::backend::udev::primary_gpu(seat) {
        return Ok(path);
    }
    device_nodes("/dev/dri", "card")
        .map_err(|err| TtyError::NoGpu(format!("/dev/dri: {err}")))?
        .into_iter()
        .next()
        .ok_or_else(|| TtyError::NoGpu("/dev/dri has no card*".into()))
}

/// The nodes in `dir` whose names start with `prefix`, sorted.
fn device_nodes(dir: &str, prefix: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut nodes: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    nodes.sort();
    Ok(nodes)
}

/// libinput on the seat: through udev when udevd runs (hotplug included),
/// else every event device by path. Even by path libinput wants udev's
/// database entry of each device, so without udevd it usually refuses them
/// all: the warning says so.
fn open_input(session: &LibSeatSession, seat: &str) -> Result<Libinput, TtyError> {
    let interface = LibinputSessionInterface::from(session.clone());
    if Path::new("/run/udev/control").exists() {
        let mut libinput = Libinput::new_with_udev(interface);
        libinput
            .udev_assign_seat(seat)
            .map_err(|()| TtyError::Input(format!("assigning seat {seat} failed")))?;
        return Ok(libinput);
    }
    tracing::warn!(
        "no udevd (/run/udev/control): opening /dev/input/event* by path; libinput \
         rejects devices udev has not seen, so input may be missing: start systemd-udevd"
    );
    let mut libinput = Libinput::new_from_path(interface);
    let events = device_nodes("/dev/input", "event")
        .map_err(|err| TtyError::Input(format!("/dev/input: {err}")))?;
    for path in events {
        match libinput.path_add_device(&path.to_string_lossy()) {
            Some(device) => {
                tracing::info!(path = %path.display(), name = device.name(), "input device")
            }
            None => tracing::warn!(path = %path.display(), "libinput could not open this device"),
        }
    }
    Ok(libinput)
}

impl State {
    /// A keyboard, mouse, touchpad, … appeared: the config's settings, and
    /// the active persona's LEDs.
    fn input_device_added(&mut self, device: &smithay::reexports::input::Device) {
        let input = self.config.input.clone();
        let Some(tty) = self.tty() else { return };
        let mut device = device.clone();
        configure_device(&mut device, &input);
        if device.has_capability(DeviceCapability::Keyboard) {
            device.led_update(led_bits(tty.leds));
        }
        tty.devices.push(device);
    }

    pub(crate) fn tty(&mut self) -> Option<&mut TtyBackend> {
        match &mut self.backend {
            super::Backend::Tty(tty) => Some(tty),
            _ => None,
        }
    }

    /// Another VT came to the front, or this one came back.
    fn on_session_event(&mut self, event: SessionEvent) {
        let config = self.config.clone();
        let Some(tty) = self.tty() else { return };
        match event {
            SessionEvent::PauseSession => {
                tty.pause();
                // Keys and buttons held when the VT went away are released
                // there; nothing may stay pressed here.
                self.release_all_input();
            }
            SessionEvent::ActivateSession => {
                let gpus = tty.gpus.len();
                let changed = tty.resume(&config);
                if self.tty().is_some_and(|tty| tty.gpus.len() != gpus) {
                    // GPUs plugged in while away.
                    self.refresh_gpu_offer();
                }
                // A frame whose flip never came is not presented.
                self.forget_flights(|_| true);
                if changed {
                    self.output_spec_changed();
                    self.outputs_replugged();
                }
                self.personas.active_mut().state.needs_redraw = true;
                self.redraw_now();
            }
        }
    }

    /// The page flip of the queued frame happened at `meta`'s time.
    fn on_page_flip(&mut self, id: u64, crtc: crtc::Handle, meta: Option<&DrmEventMetadata>) {
        tracing::trace!(gpu = id, ?crtc, "page flip");
        let Some(tty) = self.tty() else { return };
        let Some(gpu) = tty.gpus.iter().position(|gpu| gpu.id == id) else {
            return;
        };
        tty.flips_seen += 1;
        if Some(tty.flips_seen) == tty.lose_flip {
            tracing::warn!(
                "page flip {} lost on purpose (PERSONAS_TEST_LOSE_PAGE_FLIP)",
                tty.flips_seen
            );
            return;
        }
        self.flip_landed(gpu, crtc, meta);
    }

    /// A queued frame's page flip came (or is taken as come).
    fn flip_landed(&mut self, gpu: usize, crtc: crtc::Handle, meta: Option<&DrmEventMetadata>) {
        let Some(tty) = self.tty() else { return };
        let Some((output, owed)) = tty.frame_submitted(gpu, crtc) else {
            tracing::debug!(
                ?crtc,
                "a page flip that no frame waits for (a screen since replaced)"
            );
            return;
        };
        // (While away, `resume` looks at the connectors anyway.)
        let reconnect = !tty.paused && !tty.flip_pending() && std::mem::take(&mut tty.reconnect);
        let now = self.now();
        let at = match meta.map(|m| m.time) {
            Some(DrmEventTime::Monotonic(t)) if !t.is_zero() && t <= now => t,
            _ => now,
        };
        let seq = meta.map_or(0, |m| m.sequence as u64);
        // No flip is pending now: connector changes waiting for that are
        // looked at before the next frame is drawn.
        if reconnect {
            self.reconnect_outputs();
        }
        self.frame_presented(Some(&output), owed || reconnect, at, seq);
    }

    /// A frame was queued: a page flip that has not come [`FLIP_TIMEOUT`]
    /// after its frame was queued is taken as lost (a driver or GPU that
    /// stopped answering) — logged, and the frame as shown — so the screen
    /// does not stay frozen (nothing is drawn while a flip is pending).
    /// One timer watches every screen: armed when none is, it looks at
    /// each pending screen's own age when it fires and re-arms for the
    /// youngest, so queueing a frame costs no timer of its own.
    pub(crate) fn watch_flip(&mut self) {
        if self.tty().is_some_and(|tty| tty.flip_watchdog.is_none()) {
            self.arm_flip_watchdog(FLIP_TIMEOUT);
        }
    }

    /// Arms the watchdog (none is armed: see `watch_flip`).
    fn arm_flip_watchdog(&mut self, after: std::time::Duration) {
        if self.tty().is_none() {
            return;
        }
        let timer = Timer::from_duration(after);
        let token = self
            .loop_handle
            .insert_source(timer, |_, _, state: &mut State| {
                let Some(tty) = state.tty() else {
                    return TimeoutAction::Drop;
                };
                // A frame drawn below arms a watchdog of its own.
                tty.flip_watchdog = None;
                if tty.paused {
                    // Away on another VT: resuming settles a flip that never came.
                    return TimeoutAction::Drop;
                }
                let now = monotonic_now();
                let mut late = Vec::new();
                let mut next: Option<std::time::Duration> = None;
                for screen in tty.screens.iter().filter(|s| s.flip.pending()) {
                    let age = screen
                        .flip
                        .queued_at()
                        .map_or(FLIP_TIMEOUT, |q| now.saturating_sub(q));
                    if age >= FLIP_TIMEOUT {
                        late.push((screen.gpu, screen.crtc, screen.spec.name.clone()));
                    } else {
                        let left = FLIP_TIMEOUT - age;
                        next = Some(next.map_or(left, |n| n.min(left)));
                    }
                }
                for (gpu, crtc, name) in late {
                    tracing::warn!(
                        output = %name,
                        "no page flip {} ms after the frame was queued: taking it as shown",
                        FLIP_TIMEOUT.as_millis()
                    );
                    state.flip_landed(gpu, crtc, None);
                }
                if let Some(left) = next {
                    // A frame drawn above armed the full timeout: the
                    // screens still waiting are due sooner.
                    if let Some(token) = state.tty().and_then(|t| t.flip_watchdog.take()) {
                        state.loop_handle.remove(token);
                    }
                    state.arm_flip_watchdog(left);
                }
                TimeoutAction::Drop
            });
        match token {
            Ok(token) => {
                if let Some(tty) = self.tty() {
                    tty.flip_watchdog = Some(token);
                }
            }
            Err(err) => tracing::warn!("no page-flip watchdog: {err}"),
        }
    }

    /// Connectors changed: a panel plugged or unplugged, or a new mode.
    fn on_connectors_changed(&mut self) {
        let Some(tty) = self.tty() else { return };
        if tty.paused {
            return;
        }
        if tty.flip_pending() {
            // Replacing the screen under a pending flip would mix up flips.
            tracing::debug!("connectors changed; looked at after the pending flip");
            tty.reconnect = true;
            return;
        }
        if self.reconnect_outputs() {
            self.redraw_now();
        }
    }

    /// Sets the screens up as the connectors now are; returns whether they
    /// changed (then every persona's outputs follow and a redraw is queued).
    fn reconnect_outputs(&mut self) -> bool {
        let config = self.config.clone();
        let Some(tty) = self.tty() else { return false };
        match tty.connect_screens(&config) {
            Ok(true) => {
                // A screen that could not have GBM buffers may have cost its
                // GPU its GLES: what every GPU draws may be less now.
                self.refresh_gpu_offer();
                self.output_spec_changed();
                self.outputs_replugged();
                true
            }
            Ok(false) => false,
            Err(err) => {
                tracing::error!("output change: {err}");
                false
            }
        }
    }

    /// A GPU was plugged in: its outputs come as connectors do, and what
    /// clients are offered allows for its renderer.
    fn on_gpu_added(&mut self, device_id: Dev, path: PathBuf) {
        let config = self.config.clone();
        let Some(tty) = self.tty() else { return };
        match tty.add_gpu(device_id, path.clone(), &config) {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(gpu = %path.display(), "GPU plugged in, not used: {err}");
                return;
            }
        }
        self.refresh_gpu_offer();
        self.on_connectors_changed();
    }

    /// A GPU went away: its outputs go; a frame waiting only for its flips
    /// is done.
    fn on_gpu_removed(&mut self, device_id: Dev) {
        let Some(tty) = self.tty() else { return };
        let waited = tty.flip_pending();
        let Some(device) = tty.gpu_removed(device_id) else {
            return;
        };
        let settled = waited && !tty.flip_pending();
        // Connector changes that waited for the flips it took with it (or,
        // while away, for the session to come back).
        let reconnect = !tty.paused && !tty.flip_pending() && std::mem::take(&mut tty.reconnect);
        // The primary GPU gone: clients are offered the next one (and let
        // go of the old device, as explicit sync's global does).
        self.refresh_gpu_offer();
        if let Some(tty) = self.tty() {
            close_device(&mut tty.session, device);
        }
        if reconnect {
            self.reconnect_outputs();
        }
        self.output_spec_changed();
        // Frames queued on its screens are never shown.
        self.forget_gone_flights();
        if settled {
            let now = self.now();
            self.frame_presented(None, true, now, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{software_gles_used, without_closed_panels};
    use crate::config::RendererChoice;

    #[test]
    fn software_gl_is_used_by_auto_only_to_show_what_a_real_gpu_drew() {
        // A display adapter beside a GPU: it shows the GPU's frames.
        assert!(software_gles_used(RendererChoice::Auto, true));
        // On its own it would draw with llvmpipe: pixman instead.
        assert!(!software_gles_used(RendererChoice::Auto, false));
        assert!(software_gles_used(RendererChoice::Gles, false));
        assert!(!software_gles_used(RendererChoice::Pixman, true));
    }

    /// (name, built-in)
    fn left(found: &[(&str, bool)], lid_closed: bool) -> Vec<String> {
        let mut found = found.to_vec();
        without_closed_panels(
            &mut found,
            lid_closed,
            |(_, internal)| *internal,
            |(name, _)| *name == "DP-2",
        );
        found
            .into_iter()
            .map(|(name, _)| name.to_string())
            .collect()
    }

    #[test]
    fn a_closed_lid_leaves_the_panel_out_only_where_a_monitor_is() {
        let docked = [("eDP-1", true), ("HDMI-A-1", false)];
        assert_eq!(left(&docked, false), ["eDP-1", "HDMI-A-1"]);
        assert_eq!(left(&docked, true), ["HDMI-A-1"]);
        // Alone, the panel stays (the compositor turns the display off).
        assert_eq!(left(&[("eDP-1", true)], true), ["eDP-1"]);
        assert_eq!(left(&[("DP-1", false)], true), ["DP-1"]);
        // A monitor turned off by hand shows nothing: the panel stays.
        assert_eq!(
            left(&[("eDP-1", true), ("DP-2", false)], true),
            ["eDP-1", "DP-2"]
        );
    }
}
