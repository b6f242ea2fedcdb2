//! Scoped capture, per persona: wlr-screencopy (what grim speaks) and
//! ext-image-copy-capture with output and toplevel sources. smithay 0.7 has
//! neither, so both are written here against wayland-server.
//!
//! The globals exist only in personas whose config grants `"screencopy"`, and
//! are hidden from sandboxed clients. A capture names this persona's output
//! (the only one its display has) or one of its windows; the handlers check
//! the request and queue it ([`PendingCapture`]), and the outer state, which
//! owns the renderer, renders the persona's own scene for it
//! (`state::capture`). Requests that wait for damage wait for a commit in
//! this persona: another persona's activity never wakes them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smithay::output::Output;
use smithay::reexports::wayland_protocols::ext::image_capture_source::v1::server::{
    ext_foreign_toplevel_image_capture_source_manager_v1::{
        self as toplevel_source_manager, ExtForeignToplevelImageCaptureSourceManagerV1,
    },
    ext_image_capture_source_v1::{self as capture_source, ExtImageCaptureSourceV1},
    ext_output_image_capture_source_manager_v1::{
        self as output_source_manager, ExtOutputImageCaptureSourceManagerV1,
    },
};
use smithay::reexports::wayland_protocols::ext::image_copy_capture::v1::server::{
    ext_image_copy_capture_cursor_session_v1::{
        self as cursor_session, ExtImageCopyCaptureCursorSessionV1,
    },
    ext_image_copy_capture_frame_v1::{self as ext_frame, ExtImageCopyCaptureFrameV1},
    ext_image_copy_capture_manager_v1::{self as ext_manager, ExtImageCopyCaptureManagerV1},
    ext_image_copy_capture_session_v1::{self as ext_session, ExtImageCopyCaptureSessionV1},
};
use smithay::reexports::wayland_protocols_wlr::screencopy::v1::server::{
    zwlr_screencopy_frame_v1::{self as wlr_frame, ZwlrScreencopyFrameV1},
    zwlr_screencopy_manager_v1::{self as wlr_manager, ZwlrScreencopyManagerV1},
};
use smithay::reexports::wayland_server::protocol::wl_buffer::WlBuffer;
use smithay::reexports::wayland_server::protocol::wl_shm;
use smithay::reexports::wayland_server::{
    Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource, WEnum,
};
use smithay::utils::{Physical, Rectangle, Size};
use smithay::wayland::foreign_toplevel_list::{ForeignToplevelHandle, ForeignToplevelWeakHandle};

use super::privileged::{not_sandboxed, PrivilegedGlobal};
use crate::persona::PersonaState;
use crate::render::capture::check_buffer;

/// What a capture shows.
#[derive(Debug, Clone)]
pub enum CaptureSource {
    /// One of the persona's virtual outputs, by name.
    Output(String),
    /// One of its windows, while it exists.
    Toplevel(ForeignToplevelWeakHandle),
}

/// Where a finished capture is reported.
#[derive(Debug)]
pub enum CaptureSink {
    Wlr {
        frame: ZwlrScreencopyFrameV1,
        with_damage: bool,
    },
    Ext {
        frame: ExtImageCopyCaptureFrameV1,
    },
}

/// How a capture failed, as the protocols can say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFailure {
    /// Rendering failed, or the buffer went bad.
    Unknown,
    /// The buffer no longer matches the source's size.
    Constraints,
    /// The source (a window) is gone.
    Stopped,
}

impl CaptureSink {
    pub fn alive(&self) -> bool {
        match self {
            CaptureSink::Wlr { frame, .. } => frame.is_alive(),
            CaptureSink::Ext { frame } => frame.is_alive(),
        }
    }

    /// Metadata and `ready`: the buffer holds the image (wholly damaged).
    /// `transform`: how the image is turned from upright (the output's, for
    /// an output captured in the panel's orientation).
    pub fn ready(
        &self,
        size: Size<i32, Physical>,
        transform: smithay::utils::Transform,
        time: Duration,
    ) {
        let (hi, lo, nsec) = split_time(time);
        match self {
            CaptureSink::Wlr { frame, with_damage } => {
                frame.flags(wlr_frame::Flags::empty());
                if *with_damage && frame.version() >= 2 {
                    frame.damage(0, 0, size.w as u32, size.h as u32);
                }
                frame.ready(hi, lo, nsec);
            }
            CaptureSink::Ext { frame } => {
                frame.transform(transform.into());
                frame.damage(0, 0, size.w, size.h);
                frame.presentation_time(hi, lo, nsec);
                frame.ready();
            }
        }
    }

    pub fn failed(&self, failure: CaptureFailure) {
        match self {
            CaptureSink::Wlr { frame, .. } => frame.failed(),
            CaptureSink::Ext { frame } => frame.failed(match failure {
                CaptureFailure::Unknown => ext_frame::FailureReason::Unknown,
                CaptureFailure::Constraints => ext_frame::FailureReason::BufferConstraints,
                CaptureFailure::Stopped => ext_frame::FailureReason::Stopped,
            }),
        }
    }
}

fn split_time(time: Duration) -> (u32, u32, u32) {
    let secs = time.as_secs();
    ((secs >> 32) as u32, secs as u32, time.subsec_nanos())
}

/// A copy the outer state carries out.
#[derive(Debug)]
pub struct PendingCapture {
    pub source: CaptureSource,
    /// The part of the source image, in its pixels.
    pub region: Rectangle<i32, Physical>,
    pub buffer: WlBuffer,
    pub sink: CaptureSink,
    /// Wait until the persona's content changed since `seen`.
    pub wait_for_change: bool,
    /// The persona's content generation this client (wlr) or session (ext)
    /// last got; 0 before the first copy.
    pub seen: Arc<AtomicU64>,
}

impl PersonaState {
    /// The size of a source's image now; `None` when it is gone.
    pub fn capture_size(&self, source: &CaptureSource) -> Option<Size<i32, Physical>> {
        match source {
            CaptureSource::Output(name) => {
                let size = self.output_named(name)?.current_mode()?.size;
                Some(size)
            }
            CaptureSource::Toplevel(handle) => {
                let window = self.window_for_handle(&handle.upgrade()?)?;
                let size = window.geometry().size;
                (size.w > 0 && size.h > 0).then(|| (size.w, size.h).into())
            }
        }
    }

    /// The window a task-list handle stands for.
    pub fn window_for_handle(
        &self,
        handle: &ForeignToplevelHandle,
    ) -> Option<smithay::desktop::Window> {
        self.foreign_toplevels
            .iter()
            .find(|(_, h)| h.identifier() == handle.identifier())
            .map(|(window, _)| window.clone())
    }
}

/// The capture globals of a persona granted `"screencopy"`.
pub fn create_globals(
    dh: &DisplayHandle,
) -> Vec<smithay::reexports::wayland_server::backend::GlobalId> {
    vec![
        dh.create_global::<PersonaState, ZwlrScreencopyManagerV1, _>(3, PrivilegedGlobal),
        dh.create_global::<PersonaState, ExtImageCopyCaptureManagerV1, _>(1, PrivilegedGlobal),
        dh.create_global::<PersonaState, ExtOutputImageCaptureSourceManagerV1, _>(
            1,
            PrivilegedGlobal,
        ),
        dh.create_global::<PersonaState, ExtForeignToplevelImageCaptureSourceManagerV1, _>(
            1,
            PrivilegedGlobal,
        ),
    ]
}

// ---- wlr-screencopy ----

/// Per wlr frame.
pub struct WlrFrame {
    /// The output's name.
    output: String,
    region: Rectangle<i32, Physical>,
    used: AtomicBool,
    seen: Arc<AtomicU64>,
}

impl GlobalDispatch<ZwlrScreencopyManagerV1, PrivilegedGlobal> for PersonaState {
    fn bind(
        _state: &mut Self,
        _dh: &DisplayHandle,
        _client: &Client,
        resource: New<ZwlrScreencopyManagerV1>,
        _global_data: &PrivilegedGlobal,
        data_init: &mut DataInit<'_, Self>,
    ) {
        // What this client last got, for copy_with_damage.
        data_init.init(resource, Arc::new(AtomicU64::new(0)));
    }

    fn can_view(client: Client, _global_data: &PrivilegedGlobal) -> bool {
        not_sandboxed(&client)
    }
}

impl Dispatch<ZwlrScreencopyManagerV1, Arc<AtomicU64>> for PersonaState {
    fn request(
        state: &mut Self,
        _client: &Client,
        _manager: &ZwlrScreencopyManagerV1,
        request: wlr_manager::Request,
        seen: &Arc<AtomicU64>,
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        let (frame, output, asked) = match request {
            wlr_manager::Request::CaptureOutput { frame, output, .. } => (frame, output, None),
            wlr_manager::Request::CaptureOutputRegion {
                frame,
                output,
                x,
                y,
                width,
                height,
                ..
            } => {
                // A region that is empty or reaches past i32 is no region.
                let sane = width > 0
                    && height > 0
                    && x.checked_add(width).is_some()
                    && y.checked_add(height).is_some();
                let asked = if sane {
                    Rectangle::<i32, Physical>::new((x, y).into(), (width, height).into())
                } else {
                    Rectangle::default()
                };
                (frame, output, Some(asked))
            }
            _ => return,
        };
        let name = Output::from_resource(&output)
            .map(|o| o.name())
            .unwrap_or_default();
        let full = state
            .capture_size(&CaptureSource::Output(name.clone()))
            .map(Rectangle::from_size);
        // Scale 1: the output's logical coordinates are its pixels, upright;
        // the image is in the panel's orientation (as wlroots does it).
        let transform = state
            .output_named(&name)
            .map_or(smithay::utils::Transform::Normal, |o| o.current_transform());
        let region = match (full, asked) {
            (Some(full), None) => Some(full),
            (Some(full), Some(asked)) => {
                let upright = transform.transform_size(full.size);
                asked
                    .intersection(Rectangle::from_size(upright))
                    .map(|r| transform.invert().transform_rect_in(r, &upright))
            }
            (None, _) => None,
        }
        .filter(|r| !r.is_empty() && Output::from_resource(&output).is_some());
        let frame = data_init.init(
            frame,
            WlrFrame {
                output: name,
                region: region.unwrap_or_default(),
                used: AtomicBool::new(false),
                seen: seen.clone(),
            },
        );
        match region {
            Some(region) => {
                let (w, h) = (region.size.w as u32, region.size.h as u32);
                frame.buffer(wl_shm::Format::Xrgb8888, w, h, w.saturating_mul(4));
                if frame.version() >= 3 {
                    frame.buffer_done();
                }
            }
            None => frame.failed(),
        }
    }
}

impl Dispatch<ZwlrScreencopyFrameV1, WlrFrame> for PersonaState {
    fn request(
        state: &mut Self,
        _client: &Client,
        frame: &ZwlrScreencopyFrameV1,
        request: wlr_frame::Request,
        data: &WlrFrame,
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        let (buffer, with_damage) = match request {
            wlr_frame::Request::Copy { buffer } => (buffer, false),
            wlr_frame::Request::CopyWithDamage { buffer } => (buffer, true),
            _ => return,
        };
        if data.used.swap(true, Ordering::Relaxed) {
            frame.post_error(
                wlr_frame::Error::AlreadyUsed,
                "the frame was already copied",
            );
            return;
        }
        if data.region.is_empty() {
            // `failed` was sent; nothing to copy.
            return;
        }
        if let Err(err) = check_buffer(&buffer, data.region.size) {
            frame.post_error(wlr_frame::Error::InvalidBuffer, err.to_string());
            return;
        }
        state.captures.push(PendingCapture {
            source: CaptureSource::Output(data.output.clone()),
            region: data.region,
            buffer,
            sink: CaptureSink::Wlr {
                frame: frame.clone(),
                with_damage,
            },
            wait_for_change: with_damage,
            seen: data.seen.clone(),
        });
    }
}

// ---- ext-image-capture-source ----

/// What an `ext_image_capture_source_v1` names; `None` when it named
/// something already gone.
pub struct SourceData(Option<CaptureSource>);

impl GlobalDispatch<ExtOutputImageCaptureSourceManagerV1, PrivilegedGlobal> for PersonaState {
    fn bind(
        _state: &mut Self,
        _dh: &DisplayHandle,
        _client: &Client,
        resource: New<ExtOutputImageCaptureSourceManagerV1>,
        _global_data: &PrivilegedGlobal,
        data_init: &mut DataInit<'_, Self>,
    ) {
        data_init.init(resource, ());
    }

    fn can_view(client: Client, _global_data: &PrivilegedGlobal) -> bool {
        not_sandboxed(&client)
    }
}

impl Dispatch<ExtOutputImageCaptureSourceManagerV1, ()> for PersonaState {
    fn request(
        _state: &mut Self,
        _client: &Client,
        _manager: &ExtOutputImageCaptureSourceManagerV1,
        request: output_source_manager::Request,
        _data: &(),
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let output_source_manager::Request::CreateSource { source, output } = request {
            let named = Output::from_resource(&output).map(|o| CaptureSource::Output(o.name()));
            data_init.init(source, SourceData(named));
        }
    }
}

impl GlobalDispatch<ExtForeignToplevelImageCaptureSourceManagerV1, PrivilegedGlobal>
    for PersonaState
{
    fn bind(
        _state: &mut Self,
        _dh: &DisplayHandle,
        _client: &Client,
        resource: New<ExtForeignToplevelImageCaptureSourceManagerV1>,
        _global_data: &PrivilegedGlobal,
        data_init: &mut DataInit<'_, Self>,
    ) {
        data_init.init(resource, ());
    }

    fn can_view(client: Client, _global_data: &PrivilegedGlobal) -> bool {
        not_sandboxed(&client)
    }
}

impl Dispatch<ExtForeignToplevelImageCaptureSourceManagerV1, ()> for PersonaState {
    fn request(
        _state: &mut Self,
        _client: &Client,
        _manager: &ExtForeignToplevelImageCaptureSourceManagerV1,
        request: toplevel_source_manager::Request,
        _data: &(),
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let toplevel_source_manager::Request::CreateSource {
            source,
            toplevel_handle,
        } = request
        {
            // The handle is one of this display's: another persona's windows
            // cannot even be named.
            let named = ForeignToplevelHandle::from_resource(&toplevel_handle)
                .map(|handle| CaptureSource::Toplevel(handle.downgrade()));
            data_init.init(source, SourceData(named));
        }
    }
}

impl Dispatch<ExtImageCaptureSourceV1, SourceData> for PersonaState {
    fn request(
        _state: &mut Self,
        _client: &Client,
        _source: &ExtImageCaptureSourceV1,
        _request: capture_source::Request,
        _data: &SourceData,
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
    }
}

// ---- ext-image-copy-capture ----

/// Per capture session.
pub struct ExtSession {
    /// `None`: nothing can be captured (a cursor session, a gone source).
    source: Option<CaptureSource>,
    seen: Arc<AtomicU64>,
    frame: Mutex<Option<ExtImageCopyCaptureFrameV1>>,
}

/// Per capture frame.
pub struct ExtFrame {
    session: ExtImageCopyCaptureSessionV1,
    source: Option<CaptureSource>,
    seen: Arc<AtomicU64>,
    buffer: Mutex<Option<WlBuffer>>,
    captured: AtomicBool,
}

/// Buffer constraints: the size, shm formats, done.
fn send_constraints(session: &ExtImageCopyCaptureSessionV1, size: Size<i32, Physical>) {
    session.buffer_size(size.w as u32, size.h as u32);
    session.shm_format(wl_shm::Format::Xrgb8888);
    session.shm_format(wl_shm::Format::Argb8888);
    session.done();
}

impl GlobalDispatch<ExtImageCopyCaptureManagerV1, PrivilegedGlobal> for PersonaState {
    fn bind(
        _state: &mut Self,
        _dh: &DisplayHandle,
        _client: &Client,
        resource: New<ExtImageCopyCaptureManagerV1>,
        _global_data: &PrivilegedGlobal,
        data_init: &mut DataInit<'_, Self>,
    ) {
        data_init.init(resource, ());
    }

    fn can_view(client: Client, _global_data: &PrivilegedGlobal) -> bool {
        not_sandboxed(&client)
    }
}

impl Dispatch<ExtImageCopyCaptureManagerV1, ()> for PersonaState {
    fn request(
        state: &mut Self,
        _client: &Client,
        manager: &ExtImageCopyCaptureManagerV1,
        request: ext_manager::Request,
        _data: &(),
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        match request {
            ext_manager::Request::CreateSession {
                session,
                source,
                options,
            } => {
                if let WEnum::Unknown(bits) = options {
                    manager.post_error(
                        ext_manager::Error::InvalidOption,
                        format!("unknown options {bits:#x}"),
                    );
                    return;
                }
                // Cursors are never painted: the compositor draws none into
                // the persona's scene.
                let named = source.data::<SourceData>().and_then(|d| d.0.clone());
                let size = named.as_ref().and_then(|s| state.capture_size(s));
                let session = data_init.init(
                    session,
                    ExtSession {
                        source: named,
                        seen: Arc::new(AtomicU64::new(0)),
                        frame: Mutex::new(None),
                    },
                );
                match size {
                    Some(size) => send_constraints(&session, size),
                    None => session.stopped(),
                }
            }
            ext_manager::Request::CreatePointerCursorSession { session, .. } => {
                data_init.init(session, AtomicBool::new(false));
            }
            _ => {}
        }
    }
}

impl Dispatch<ExtImageCopyCaptureCursorSessionV1, AtomicBool> for PersonaState {
    fn request(
        _state: &mut Self,
        _client: &Client,
        cursor: &ExtImageCopyCaptureCursorSessionV1,
        request: cursor_session::Request,
        taken: &AtomicBool,
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let cursor_session::Request::GetCaptureSession { session } = request {
            if taken.swap(true, Ordering::Relaxed) {
                cursor.post_error(
                    cursor_session::Error::DuplicateSession,
                    "get_capture_session was already sent",
                );
                return;
            }
            // No cursor image is captured (none is part of the scene): the
            // session ends at once, which the protocol allows at any time.
            let session = data_init.init(
                session,
                ExtSession {
                    source: None,
                    seen: Arc::new(AtomicU64::new(0)),
                    frame: Mutex::new(None),
                },
            );
            session.stopped();
        }
    }
}

impl Dispatch<ExtImageCopyCaptureSessionV1, ExtSession> for PersonaState {
    fn request(
        _state: &mut Self,
        _client: &Client,
        session: &ExtImageCopyCaptureSessionV1,
        request: ext_session::Request,
        data: &ExtSession,
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let ext_session::Request::CreateFrame { frame } = request {
            let mut current = data.frame.lock().unwrap_or_else(|e| e.into_inner());
            if current.as_ref().is_some_and(|f| f.is_alive()) {
                session.post_error(
                    ext_session::Error::DuplicateFrame,
                    "the previous frame was not destroyed",
                );
                return;
            }
            let frame = data_init.init(
                frame,
                ExtFrame {
                    session: session.clone(),
                    source: data.source.clone(),
                    seen: data.seen.clone(),
                    buffer: Mutex::new(None),
                    captured: AtomicBool::new(false),
                },
            );
            *current = Some(frame);
        }
    }
}

impl Dispatch<ExtImageCopyCaptureFrameV1, ExtFrame> for PersonaState {
    fn request(
        state: &mut Self,
        _client: &Client,
        frame: &ExtImageCopyCaptureFrameV1,
        request: ext_frame::Request,
        data: &ExtFrame,
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        let captured = data.captured.load(Ordering::Relaxed);
        match request {
            ext_frame::Request::AttachBuffer { buffer } => {
                if captured {
                    frame.post_error(ext_frame::Error::AlreadyCaptured, "already captured");
                    return;
                }
                *data.buffer.lock().unwrap_or_else(|e| e.into_inner()) = Some(buffer);
            }
            ext_frame::Request::DamageBuffer {
                x,
                y,
                width,
                height,
            } => {
                if captured {
                    frame.post_error(ext_frame::Error::AlreadyCaptured, "already captured");
                } else if x < 0 || y < 0 || width <= 0 || height <= 0 {
                    frame.post_error(
                        ext_frame::Error::InvalidBufferDamage,
                        format!("invalid damage {x},{y} {width}x{height}"),
                    );
                }
                // Otherwise nothing to do: every capture rewrites the whole buffer.
            }
            ext_frame::Request::Capture => {
                if captured {
                    frame.post_error(ext_frame::Error::AlreadyCaptured, "already captured");
                    return;
                }
                let Some(buffer) = data
                    .buffer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone()
                else {
                    frame.post_error(ext_frame::Error::NoBuffer, "capture without a buffer");
                    return;
                };
                data.captured.store(true, Ordering::Relaxed);
                let Some(source) = data.source.clone() else {
                    frame.failed(ext_frame::FailureReason::Stopped);
                    return;
                };
                let Some(size) = state.capture_size(&source) else {
                    frame.failed(ext_frame::FailureReason::Stopped);
                    if data.session.is_alive() {
                        data.session.stopped();
                    }
                    return;
                };
                if check_buffer(&buffer, size).is_err() {
                    frame.failed(ext_frame::FailureReason::BufferConstraints);
                    if data.session.is_alive() {
                        send_constraints(&data.session, size);
                    }
                    return;
                }
                state.captures.push(PendingCapture {
                    source,
                    region: Rectangle::from_size(size),
                    buffer,
                    sink: CaptureSink::Ext {
                        frame: frame.clone(),
                    },
                    // The first frame of a session is captured at once.
                    wait_for_change: data.seen.load(Ordering::Relaxed) != 0,
                    seen: data.seen.clone(),
                });
            }
            _ => {}
        }
    }
}
