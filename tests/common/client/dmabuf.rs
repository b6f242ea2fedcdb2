//! linux-dmabuf for the GPU-buffer tests: the default feedback as a client
//! reads it, and buffers made from plain fds. Bound on first use.

use std::os::fd::{AsFd, BorrowedFd};

use wayland_client::protocol::wl_buffer::WlBuffer;
use wayland_client::{delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols::wp::linux_dmabuf::zv1::client::{
    zwp_linux_buffer_params_v1::{self, ZwpLinuxBufferParamsV1},
    zwp_linux_dmabuf_feedback_v1::{self, ZwpLinuxDmabufFeedbackV1},
    zwp_linux_dmabuf_v1::ZwpLinuxDmabufV1,
};

use super::{ClientState, TestClient, WindowId};

/// What the default feedback said, and how buffer requests were answered.
#[derive(Debug, Default, Clone)]
pub struct DmabufSeen {
    pub main_device: Option<u64>,
    /// (format, modifier) per format-table entry.
    pub table: Vec<(u32, u64)>,
    /// Tranches of the latest feedback as (target device, flags,
    /// (format, modifier) pairs).
    pub tranches: Vec<Tranche>,
    pub done: usize,
    pub created: Vec<WlBuffer>,
    pub failed: usize,
    /// The tranche being described, and those of a feedback not yet done.
    pending: Tranche,
    incoming: Vec<Tranche>,
    /// The same, for the surface feedback asked for with
    /// [`TestClient::request_surface_feedback`] (its buffers fields unused).
    pub surface: Option<Box<DmabufSeen>>,
}

pub type Tranche = (u64, u32, Vec<(u32, u64)>);

/// Which feedback object an event is for.
#[derive(Debug, Clone, Copy)]
pub enum FeedbackOf {
    Default,
    Surface,
}

/// The layout of one single-plane buffer.
pub struct Plane<'a> {
    pub fd: BorrowedFd<'a>,
    pub stride: u32,
    pub format: u32,
    pub modifier: u64,
    pub size: (i32, i32),
}

impl TestClient {
    /// Asks for the default feedback (linux-dmabuf v4); it arrives in
    /// [`TestClient::dmabuf`].
    pub fn request_dmabuf_feedback(&mut self) {
        let dmabuf = self.bind_required::<ZwpLinuxDmabufV1>(4);
        dmabuf.get_default_feedback(&self.qh, FeedbackOf::Default);
        self.flush();
    }

    /// Asks for window `id`'s surface feedback; it arrives in
    /// [`DmabufSeen::surface`].
    pub fn request_surface_feedback(&mut self, id: WindowId) {
        let dmabuf = self.bind_required::<ZwpLinuxDmabufV1>(4);
        let surface = self.state.windows[id].surface.clone();
        self.state.dmabuf.surface = Some(Box::default());
        dmabuf.get_surface_feedback(&surface, &self.qh, FeedbackOf::Surface);
        self.flush();
    }

    pub fn dmabuf(&self) -> &DmabufSeen {
        &self.state.dmabuf
    }

    /// `create` (answered by `created` or `failed`) or, with `immed`,
    /// `create_immed`, which returns the buffer at once.
    pub fn create_dmabuf(&mut self, plane: Plane<'_>, immed: bool) -> Option<WlBuffer> {
        let dmabuf = self.bind_required::<ZwpLinuxDmabufV1>(4);
        let params = dmabuf.create_params(&self.qh, ());
        params.add(
            plane.fd.as_fd(),
            0,
            0,
            plane.stride,
            (plane.modifier >> 32) as u32,
            plane.modifier as u32,
        );
        let flags = zwp_linux_buffer_params_v1::Flags::empty();
        let (w, h) = plane.size;
        let buffer = if immed {
            Some(params.create_immed(w, h, plane.format, flags, &self.qh, ()))
        } else {
            params.create(w, h, plane.format, flags);
            None
        };
        self.flush();
        buffer
    }

    /// Attaches `buffer` to window `id` (acking its configure) and commits.
    pub fn attach_buffer(&mut self, id: WindowId, buffer: &WlBuffer, size: (i32, i32)) {
        let window = self.state.window_mut(id);
        window.ack_latest();
        window.surface.attach(Some(buffer), 0, 0);
        window.surface.damage_buffer(0, 0, size.0, size.1);
        window.buffer_size = Some(size);
        window.surface.commit();
        self.flush();
    }
}

impl Dispatch<ZwpLinuxDmabufFeedbackV1, FeedbackOf> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwpLinuxDmabufFeedbackV1,
        event: zwp_linux_dmabuf_feedback_v1::Event,
        of: &FeedbackOf,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let seen = match of {
            FeedbackOf::Default => &mut state.dmabuf,
            FeedbackOf::Surface => state
                .dmabuf
                .surface
                .as_deref_mut()
                .expect("asked for surface feedback"),
        };
        match event {
            zwp_linux_dmabuf_feedback_v1::Event::MainDevice { device } => {
                seen.main_device = device.try_into().ok().map(u64::from_ne_bytes);
            }
            zwp_linux_dmabuf_feedback_v1::Event::FormatTable { fd, size } => {
                use std::os::unix::fs::FileExt;
                let file = std::fs::File::from(fd);
                let mut bytes = vec![0u8; size as usize];
                file.read_exact_at(&mut bytes, 0)
                    .expect("the format table is readable");
                seen.table = bytes
                    .chunks_exact(16)
                    .map(|e| {
                        (
                            u32::from_ne_bytes(e[0..4].try_into().unwrap()),
                            u64::from_ne_bytes(e[8..16].try_into().unwrap()),
                        )
                    })
                    .collect();
            }
            zwp_linux_dmabuf_feedback_v1::Event::TrancheTargetDevice { device } => {
                seen.pending.0 = device
                    .try_into()
                    .map(u64::from_ne_bytes)
                    .unwrap_or(u64::MAX);
            }
            zwp_linux_dmabuf_feedback_v1::Event::TrancheFlags { flags } => {
                seen.pending.1 = flags.into_result().map_or(u32::MAX, |f| f.bits());
            }
            zwp_linux_dmabuf_feedback_v1::Event::TrancheFormats { indices } => {
                for index in indices.chunks_exact(2) {
                    let index = u16::from_ne_bytes([index[0], index[1]]) as usize;
                    let entry = *seen
                        .table
                        .get(index)
                        .expect("a tranche index inside the table");
                    seen.pending.2.push(entry);
                }
            }
            zwp_linux_dmabuf_feedback_v1::Event::TrancheDone => {
                let tranche = std::mem::take(&mut seen.pending);
                seen.incoming.push(tranche);
            }
            zwp_linux_dmabuf_feedback_v1::Event::Done => {
                seen.tranches = std::mem::take(&mut seen.incoming);
                seen.done += 1;
            }
            _ => {}
        }
    }
}

impl Dispatch<ZwpLinuxBufferParamsV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        params: &ZwpLinuxBufferParamsV1,
        event: zwp_linux_buffer_params_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_linux_buffer_params_v1::Event::Created { buffer } => {
                state.dmabuf.created.push(buffer);
                params.destroy();
            }
            zwp_linux_buffer_params_v1::Event::Failed => {
                state.dmabuf.failed += 1;
                params.destroy();
            }
            _ => {}
        }
    }

    wayland_client::event_created_child!(ClientState, ZwpLinuxBufferParamsV1, [
        zwp_linux_buffer_params_v1::EVT_CREATED_OPCODE => (WlBuffer, ()),
    ]);
}

delegate_noop!(ClientState: ignore ZwpLinuxDmabufV1);
