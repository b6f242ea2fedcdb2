//! The privileged protocols as their clients use them: capture (wlr-screencopy,
//! ext-image-copy-capture) as a screenshot tool and a recorder, virtual-pointer
//! and virtual-keyboard as a remote desktop or on-screen keyboard, data-control
//! as a clipboard manager.

use std::fs::File;
use std::os::fd::{AsFd, FromRawFd};
use std::os::unix::fs::FileExt;

use wayland_client::protocol::{wl_buffer::WlBuffer, wl_pointer, wl_shm};
use wayland_client::{Connection, Dispatch, Proxy, QueueHandle, WEnum};
use wayland_protocols::ext::foreign_toplevel_list::v1::client::ext_foreign_toplevel_handle_v1::ExtForeignToplevelHandleV1;
use wayland_protocols::ext::image_capture_source::v1::client::{
    ext_foreign_toplevel_image_capture_source_manager_v1::ExtForeignToplevelImageCaptureSourceManagerV1,
    ext_image_capture_source_v1::ExtImageCaptureSourceV1,
    ext_output_image_capture_source_manager_v1::ExtOutputImageCaptureSourceManagerV1,
};
use wayland_protocols::ext::image_copy_capture::v1::client::{
    ext_image_copy_capture_frame_v1::{self, ExtImageCopyCaptureFrameV1},
    ext_image_copy_capture_manager_v1::{ExtImageCopyCaptureManagerV1, Options},
    ext_image_copy_capture_session_v1::{self, ExtImageCopyCaptureSessionV1},
};
use wayland_protocols_wlr::screencopy::v1::client::{
    zwlr_screencopy_frame_v1::{self, ZwlrScreencopyFrameV1},
    zwlr_screencopy_manager_v1::ZwlrScreencopyManagerV1,
};
use wayland_protocols_wlr::virtual_pointer::v1::client::{
    zwlr_virtual_pointer_manager_v1::ZwlrVirtualPointerManagerV1,
    zwlr_virtual_pointer_v1::ZwlrVirtualPointerV1,
};

use super::{ClientState, TestClient};

pub type CaptureId = usize;

/// Where a capture stands.
#[derive(Debug, Clone, PartialEq)]
pub enum CaptureResult {
    Pending,
    /// RGBA bytes, `width` x `height`, and the damage the compositor reported.
    Ready {
        width: u32,
        height: u32,
        rgba: Vec<u8>,
        damage: Vec<(i32, i32, i32, i32)>,
    },
    /// `failed`; for ext, the reason's number.
    Failed(Option<u32>),
    /// The ext session said `stopped`.
    Stopped,
}

#[derive(Debug)]
pub(super) struct CaptureState {
    with_damage: bool,
    /// Make the buffer this much wider than asked (a bad buffer).
    wrong_size: i32,
    size: Option<(i32, i32)>,
    file: Option<File>,
    damage: Vec<(i32, i32, i32, i32)>,
    result: CaptureResult,
}

impl CaptureState {
    fn new(with_damage: bool, wrong_size: i32) -> CaptureState {
        CaptureState {
            with_damage,
            wrong_size,
            size: None,
            file: None,
            damage: Vec::new(),
            result: CaptureResult::Pending,
        }
    }

    /// A memfd buffer of the (possibly wrong) size.
    fn buffer(&mut self, state: &ClientState, qh: &QueueHandle<ClientState>) -> WlBuffer {
        let (w, h) = self.size.expect("size known");
        let w = w + self.wrong_size;
        let stride = w * 4;
        // SAFETY: memfd_create with a valid C string; owned by the File at once.
        let fd = unsafe { libc::memfd_create(c"personas-capture".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0);
        let file = unsafe { File::from_raw_fd(fd) };
        file.set_len((stride * h) as u64).unwrap();
        let shm = state.shm.as_ref().expect("wl_shm bound");
        let pool = shm.create_pool(file.as_fd(), stride * h, qh, ());
        let buffer = pool.create_buffer(0, w, h, stride, wl_shm::Format::Xrgb8888, qh, ());
        pool.destroy();
        self.file = Some(file);
        buffer
    }

    fn ready(&mut self) {
        let (w, h) = self.size.expect("size known");
        let mut bgra = vec![0u8; (w * h * 4) as usize];
        self.file
            .as_ref()
            .expect("buffer made")
            .read_exact_at(&mut bgra, 0)
            .unwrap();
        let rgba = bgra
            .chunks_exact(4)
            .flat_map(|p| [p[2], p[1], p[0], p[3]])
            .collect();
        self.result = CaptureResult::Ready {
            width: w as u32,
            height: h as u32,
            rgba,
            damage: std::mem::take(&mut self.damage),
        };
    }
}

impl TestClient {
    pub fn capture_result(&self, id: CaptureId) -> CaptureResult {
        self.state.captures[id].result.clone()
    }

    pub fn capture_pending(&self, id: CaptureId) -> bool {
        self.state.captures[id].result == CaptureResult::Pending
    }

    fn new_capture(&mut self, with_damage: bool, wrong_size: i32) -> CaptureId {
        self.state
            .captures
            .push(CaptureState::new(with_damage, wrong_size));
        self.state.captures.len() - 1
    }

    /// One manager per client, as recorders do: the compositor tracks what
    /// each has seen.
    fn screencopy_manager(&mut self) -> ZwlrScreencopyManagerV1 {
        if let Some(manager) = self.state.screencopy_manager.clone() {
            return manager;
        }
        let manager = self.bind_required::<ZwlrScreencopyManagerV1>(3);
        self.state.screencopy_manager = Some(manager.clone());
        manager
    }

    /// wlr-screencopy of the client's first output (copy_with_damage when
    /// `with_damage`); `wrong_size` widens the buffer by that many pixels.
    pub fn screencopy(&mut self, with_damage: bool, wrong_size: i32) -> CaptureId {
        let manager = self.screencopy_manager();
        let output = self.state.outputs[0].output.clone();
        let id = self.new_capture(with_damage, wrong_size);
        manager.capture_output(1, &output, &self.qh, id);
        self.flush();
        id
    }

    /// wlr-screencopy of a region (in the output's logical coordinates) of
    /// the client's first output.
    pub fn screencopy_region(&mut self, region: (i32, i32, i32, i32)) -> CaptureId {
        let manager = self.screencopy_manager();
        let output = self.state.outputs[0].output.clone();
        let id = self.new_capture(false, 0);
        let (x, y, w, h) = region;
        manager.capture_output_region(1, &output, x, y, w, h, &self.qh, id);
        self.flush();
        id
    }

    /// ext-image-copy-capture of the first output, or of the `toplevel`-th
    /// window listed by ext-foreign-toplevel-list.
    pub fn image_copy(&mut self, toplevel: Option<usize>, wrong_size: i32) -> CaptureId {
        let manager = self.bind_required::<ExtImageCopyCaptureManagerV1>(1);
        let source: ExtImageCaptureSourceV1 = match toplevel {
            None => {
                let sources = self.bind_required::<ExtOutputImageCaptureSourceManagerV1>(1);
                let output = self.state.outputs[0].output.clone();
                sources.create_source(&output, &self.qh, ())
            }
            Some(index) => {
                let sources =
                    self.bind_required::<ExtForeignToplevelImageCaptureSourceManagerV1>(1);
                let handle: ExtForeignToplevelHandleV1 = self.state.listed[index].clone();
                sources.create_source(&handle, &self.qh, ())
            }
        };
        let id = self.new_capture(false, wrong_size);
        manager.create_session(&source, Options::empty(), &self.qh, id);
        self.flush();
        id
    }

    /// Moves a (new, per call) virtual pointer to a fraction of the output,
    /// and optionally clicks `button`.
    pub fn virtual_pointer(&mut self, x: f64, y: f64, click: Option<u32>) {
        let manager = self.bind_required::<ZwlrVirtualPointerManagerV1>(2);
        let pointer = manager.create_virtual_pointer(None, &self.qh, ());
        pointer.motion_absolute(0, (x * 1000.0) as u32, (y * 1000.0) as u32, 1000, 1000);
        pointer.frame();
        if let Some(button) = click {
            pointer.button(1, button, wl_pointer::ButtonState::Pressed);
            pointer.frame();
            pointer.button(2, button, wl_pointer::ButtonState::Released);
            pointer.frame();
        }
        pointer.axis(3, wl_pointer::Axis::VerticalScroll, 15.0);
        pointer.frame();
        pointer.destroy();
        self.flush();
    }
}

impl Dispatch<ZwlrScreencopyFrameV1, CaptureId> for ClientState {
    fn event(
        state: &mut Self,
        frame: &ZwlrScreencopyFrameV1,
        event: zwlr_screencopy_frame_v1::Event,
        id: &CaptureId,
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        let mut capture = std::mem::replace(&mut state.captures[*id], CaptureState::new(false, 0));
        match event {
            zwlr_screencopy_frame_v1::Event::Buffer { width, height, .. } => {
                capture.size = Some((width as i32, height as i32));
            }
            zwlr_screencopy_frame_v1::Event::BufferDone => {
                let buffer = capture.buffer(state, qh);
                if capture.with_damage {
                    frame.copy_with_damage(&buffer);
                } else {
                    frame.copy(&buffer);
                }
            }
            zwlr_screencopy_frame_v1::Event::Damage {
                x,
                y,
                width,
                height,
            } => capture
                .damage
                .push((x as i32, y as i32, width as i32, height as i32)),
            zwlr_screencopy_frame_v1::Event::Ready { .. } => {
                capture.ready();
                frame.destroy();
            }
            zwlr_screencopy_frame_v1::Event::Failed => {
                capture.result = CaptureResult::Failed(None);
                frame.destroy();
            }
            _ => {}
        }
        state.captures[*id] = capture;
    }
}

impl Dispatch<ExtImageCopyCaptureSessionV1, CaptureId> for ClientState {
    fn event(
        state: &mut Self,
        session: &ExtImageCopyCaptureSessionV1,
        event: ext_image_copy_capture_session_v1::Event,
        id: &CaptureId,
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        let mut capture = std::mem::replace(&mut state.captures[*id], CaptureState::new(false, 0));
        match event {
            ext_image_copy_capture_session_v1::Event::BufferSize { width, height } => {
                capture.size = Some((width as i32, height as i32));
            }
            ext_image_copy_capture_session_v1::Event::Done
                if capture.result == CaptureResult::Pending && capture.file.is_none() =>
            {
                let buffer = capture.buffer(state, qh);
                let frame = session.create_frame(qh, *id);
                frame.attach_buffer(&buffer);
                let (w, h) = capture.size.unwrap();
                frame.damage_buffer(0, 0, w, h);
                frame.capture();
            }
            ext_image_copy_capture_session_v1::Event::Stopped => {
                capture.result = CaptureResult::Stopped;
            }
            _ => {}
        }
        state.captures[*id] = capture;
    }
}

impl Dispatch<ExtImageCopyCaptureFrameV1, CaptureId> for ClientState {
    fn event(
        state: &mut Self,
        frame: &ExtImageCopyCaptureFrameV1,
        event: ext_image_copy_capture_frame_v1::Event,
        id: &CaptureId,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let capture = &mut state.captures[*id];
        match event {
            ext_image_copy_capture_frame_v1::Event::Damage {
                x,
                y,
                width,
                height,
            } => capture.damage.push((x, y, width, height)),
            ext_image_copy_capture_frame_v1::Event::Ready => {
                capture.ready();
                frame.destroy();
            }
            ext_image_copy_capture_frame_v1::Event::Failed { reason } => {
                capture.result = CaptureResult::Failed(Some(match reason {
                    WEnum::Value(r) => r as u32,
                    WEnum::Unknown(r) => r,
                }));
                frame.destroy();
            }
            _ => {}
        }
    }
}

macro_rules! no_events {
    ($($ty:ty),*) => {$(
        impl Dispatch<$ty, ()> for ClientState {
            fn event(_: &mut Self, _: &$ty, _: <$ty as Proxy>::Event, _: &(), _: &Connection, _: &QueueHandle<Self>) {}
        }
    )*};
}
no_events!(
    ZwlrScreencopyManagerV1,
    ExtImageCopyCaptureManagerV1,
    ExtOutputImageCaptureSourceManagerV1,
    ExtForeignToplevelImageCaptureSourceManagerV1,
    ExtImageCaptureSourceV1,
    ZwlrVirtualPointerManagerV1,
    ZwlrVirtualPointerV1
);

use std::sync::Mutex as StdMutex;
use wayland_protocols_wlr::data_control::v1::client::{
    zwlr_data_control_device_v1::{self, ZwlrDataControlDeviceV1},
    zwlr_data_control_manager_v1::ZwlrDataControlManagerV1,
    zwlr_data_control_offer_v1::{self, ZwlrDataControlOfferV1},
    zwlr_data_control_source_v1::{self, ZwlrDataControlSourceV1},
};

impl TestClient {
    /// As a clipboard manager: a data-control device on the seat; selections
    /// arrive as [`super::Event::ControlSelection`].
    pub fn enable_data_control(&mut self) {
        let manager = self.bind_required::<ZwlrDataControlManagerV1>(2);
        let seat = self.state.seat.clone().expect("no wl_seat");
        let device = manager.get_data_device(&seat, &self.qh, ());
        self.state.control = Some((manager, device));
        self.flush();
    }

    /// As a clipboard manager: sets the clipboard, with no focus or serial.
    pub fn control_set_selection(&mut self, mime: &str, data: &[u8]) {
        let (manager, device) = self
            .state
            .control
            .clone()
            .expect("enable_data_control first");
        let source = manager.create_data_source(&self.qh, (mime.to_owned(), data.to_vec()));
        source.offer(mime.to_owned());
        device.set_selection(Some(&source));
        self.flush();
    }

    /// Asks for the selection the data-control device last saw, as `mime`;
    /// collect it with `read_received`.
    pub fn control_receive(&mut self, mime: &str) {
        let offer = self
            .state
            .control_offer
            .clone()
            .expect("no data-control offer");
        self.start_receive(|fd| offer.receive(mime.to_owned(), fd));
    }
}

impl Dispatch<ZwlrDataControlDeviceV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwlrDataControlDeviceV1,
        event: zwlr_data_control_device_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwlr_data_control_device_v1::Event::Selection { id } = event {
            let mimes = id.as_ref().map(|offer| {
                offer
                    .data::<StdMutex<Vec<String>>>()
                    .unwrap()
                    .lock()
                    .unwrap()
                    .clone()
            });
            state.control_offer = id;
            state.events.push(super::Event::ControlSelection { mimes });
        }
    }

    wayland_client::event_created_child!(ClientState, ZwlrDataControlDeviceV1, [
        zwlr_data_control_device_v1::EVT_DATA_OFFER_OPCODE => (ZwlrDataControlOfferV1, StdMutex::new(Vec::new())),
    ]);
}

impl Dispatch<ZwlrDataControlOfferV1, StdMutex<Vec<String>>> for ClientState {
    fn event(
        _: &mut Self,
        _: &ZwlrDataControlOfferV1,
        event: zwlr_data_control_offer_v1::Event,
        mimes: &StdMutex<Vec<String>>,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwlr_data_control_offer_v1::Event::Offer { mime_type } = event {
            mimes.lock().unwrap().push(mime_type);
        }
    }
}

impl Dispatch<ZwlrDataControlSourceV1, (String, Vec<u8>)> for ClientState {
    fn event(
        _: &mut Self,
        _: &ZwlrDataControlSourceV1,
        event: zwlr_data_control_source_v1::Event,
        data: &(String, Vec<u8>),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwlr_data_control_source_v1::Event::Send { mime_type, fd } = event {
            if mime_type == data.0 {
                let mut file = File::from(fd);
                let _ = std::io::Write::write_all(&mut file, &data.1);
            }
        }
    }
}

impl Dispatch<ZwlrDataControlManagerV1, ()> for ClientState {
    fn event(
        _: &mut Self,
        _: &ZwlrDataControlManagerV1,
        _: <ZwlrDataControlManagerV1 as Proxy>::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

use wayland_protocols_misc::zwp_virtual_keyboard_v1::client::{
    zwp_virtual_keyboard_manager_v1::ZwpVirtualKeyboardManagerV1,
    zwp_virtual_keyboard_v1::ZwpVirtualKeyboardV1,
};

impl TestClient {
    /// As an on-screen keyboard: a virtual keyboard with a US keymap taps
    /// evdev `key`.
    pub fn virtual_key_tap(&mut self, key: u32) {
        use smithay::input::keyboard::xkb;
        let manager = self.bind_required::<ZwpVirtualKeyboardManagerV1>(1);
        let seat = self.state.seat.clone().expect("no wl_seat");
        let keyboard = manager.create_virtual_keyboard(&seat, &self.qh, ());
        let context = xkb::Context::new(xkb::CONTEXT_NO_FLAGS);
        let keymap = xkb::Keymap::new_from_names(
            &context,
            "",
            "",
            "us",
            "",
            None,
            xkb::KEYMAP_COMPILE_NO_FLAGS,
        )
        .expect("a us keymap");
        let mut text = keymap
            .get_as_string(xkb::KEYMAP_FORMAT_TEXT_V1)
            .into_bytes();
        text.push(0);
        // SAFETY: as for the capture buffers.
        let fd = unsafe { libc::memfd_create(c"personas-keymap".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0);
        let file = unsafe { File::from_raw_fd(fd) };
        file.write_all_at(&text, 0).unwrap();
        keyboard.keymap(1, file.as_fd(), text.len() as u32);
        keyboard.key(1, key, 1);
        keyboard.key(2, key, 0);
        keyboard.destroy();
        self.flush();
    }
}

no_events!(ZwpVirtualKeyboardManagerV1, ZwpVirtualKeyboardV1);
