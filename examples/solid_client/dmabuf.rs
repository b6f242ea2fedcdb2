//! solid_client's GPU path (`--dmabuf`): the color goes into a buffer on the
//! GPU that linux-dmabuf's feedback names as the main device, handed over as
//! a dmabuf, as an EGL or Vulkan client's frames are. A dumb buffer of the
//! device's primary node is the one kind any KMS driver can allocate
//! without a 3D driver (virtio-gpu in the VM test); it is linear, so the
//! format table must offer XRGB8888 with the LINEAR modifier or, from a
//! driver without modifiers, the implicit one (which a dumb buffer has).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;

use smithay::reexports::drm::buffer::{Buffer, DrmFourcc};
use smithay::reexports::drm::control::Device as ControlDevice;
use smithay::reexports::rustix::fs::{major, minor};
use wayland_client::protocol::wl_buffer::WlBuffer;
use wayland_client::{Connection, Dispatch, QueueHandle};
use wayland_protocols::wp::linux_dmabuf::zv1::client::{
    zwp_linux_buffer_params_v1::{self, ZwpLinuxBufferParamsV1},
    zwp_linux_dmabuf_feedback_v1::{self, ZwpLinuxDmabufFeedbackV1},
    zwp_linux_dmabuf_v1::ZwpLinuxDmabufV1,
};

use super::App;

/// DRM_FORMAT_MOD_LINEAR.
const LINEAR: u64 = 0;
/// DRM_FORMAT_MOD_INVALID: the driver's implicit layout.
const IMPLICIT: u64 = 0x00ff_ffff_ffff_ffff;

/// The DRM device's primary node, for dumb buffers.
struct Card(File);

impl AsFd for Card {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}
impl smithay::reexports::drm::Device for Card {}
impl ControlDevice for Card {}

/// The default feedback as it arrives, and the card once it is done.
#[derive(Default)]
pub struct Gpu {
    main_device: Option<u64>,
    table: Vec<(u32, u64)>,
    offered: Vec<(u32, u64)>,
    done: bool,
    card: Option<Card>,
    /// LINEAR, or IMPLICIT where only that is offered.
    modifier: u64,
}

impl Gpu {
    /// Asks for the default feedback; `ready` tells when it came.
    pub fn start(dmabuf: &ZwpLinuxDmabufV1, qh: &QueueHandle<App>) {
        dmabuf.get_default_feedback(qh, ());
    }

    pub fn ready(&self) -> bool {
        self.done
    }

    /// Checks the feedback and opens the main device's card.
    pub fn open(&mut self) -> Result<(), String> {
        let device = self
            .main_device
            .ok_or("the feedback named no main device")?;
        let name = format!("{}:{}", major(device), minor(device));
        let xrgb = DrmFourcc::Xrgb8888 as u32;
        self.modifier = if self.offered.contains(&(xrgb, LINEAR)) {
            LINEAR
        } else if self.offered.contains(&(xrgb, IMPLICIT)) {
            IMPLICIT
        } else {
            return Err(format!(
                "XRGB8888 is offered neither LINEAR nor with an implicit modifier ({} formats)",
                self.offered.len()
            ));
        };
        let path = card_of(&name).map_err(|e| format!("the card of {name}: {e}"))?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!(
            "dmabuf feedback: main device {name} ({}), {} format/modifier pairs, XRGB8888 {} offered",
            path.display(),
            self.offered.len(),
            if self.modifier == LINEAR { "LINEAR" } else { "with the implicit modifier" },
        );
        self.card = Some(Card(file));
        Ok(())
    }

    /// A `w`x`h` dumb buffer filled with `color`, asked for as a wl_buffer;
    /// `params` answers `created` (then it is attached) or `failed`.
    pub fn draw(
        &mut self,
        dmabuf: &ZwpLinuxDmabufV1,
        (w, h): (i32, i32),
        color: u32,
        qh: &QueueHandle<App>,
    ) -> io::Result<()> {
        let card = self.card.as_ref().expect("opened before drawing");
        let mut buffer = card.create_dumb_buffer((w as u32, h as u32), DrmFourcc::Xrgb8888, 32)?;
        {
            let mut map = card.map_dumb_buffer(&mut buffer)?;
            let pixel = (0xff00_0000 | color).to_le_bytes();
            for chunk in map.as_mut().chunks_exact_mut(4) {
                chunk.copy_from_slice(&pixel);
            }
        }
        let fd = card.buffer_to_prime_fd(buffer.handle(), (libc::O_CLOEXEC | libc::O_RDWR) as u32);
        let pitch = buffer.pitch();
        // The dmabuf holds the memory; the handle is not needed any more.
        card.destroy_dumb_buffer(buffer)?;
        let fd = fd?;
        let params = dmabuf.create_params(qh, ());
        let modifier = self.modifier;
        params.add(
            fd.as_fd(),
            0,
            0,
            pitch,
            (modifier >> 32) as u32,
            modifier as u32,
        );
        params.create(
            w,
            h,
            DrmFourcc::Xrgb8888 as u32,
            zwp_linux_buffer_params_v1::Flags::empty(),
        );
        Ok(())
    }
}

/// `/dev/dri/cardN` of the DRM device whose node is `maj:min`.
fn card_of(node: &str) -> io::Result<PathBuf> {
    let dir = format!("/sys/dev/char/{node}/device/drm");
    for entry in std::fs::read_dir(&dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with("card") {
            return Ok(PathBuf::from("/dev/dri").join(name));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!("no card in {dir}"),
    ))
}

impl Dispatch<ZwpLinuxDmabufFeedbackV1, ()> for App {
    fn event(
        app: &mut Self,
        _: &ZwpLinuxDmabufFeedbackV1,
        event: zwp_linux_dmabuf_feedback_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let gpu = &mut app.gpu;
        match event {
            zwp_linux_dmabuf_feedback_v1::Event::MainDevice { device } => {
                gpu.main_device = device.try_into().ok().map(u64::from_ne_bytes);
            }
            zwp_linux_dmabuf_feedback_v1::Event::FormatTable { fd, size } => {
                gpu.table = read_table(fd.as_fd(), size as usize).unwrap_or_else(|e| {
                    eprintln!("solid_client: the format table: {e}");
                    std::process::exit(1);
                });
            }
            zwp_linux_dmabuf_feedback_v1::Event::TrancheFormats { indices } => {
                for index in indices.chunks_exact(2) {
                    let index = u16::from_ne_bytes([index[0], index[1]]) as usize;
                    if let Some(&entry) = gpu.table.get(index) {
                        gpu.offered.push(entry);
                    }
                }
            }
            zwp_linux_dmabuf_feedback_v1::Event::Done => gpu.done = true,
            _ => {}
        }
    }
}

/// The format table: 16-byte entries of a u32 format, padding, a u64 modifier.
fn read_table(fd: BorrowedFd<'_>, size: usize) -> io::Result<Vec<(u32, u64)>> {
    use std::os::unix::fs::FileExt;
    let file = File::from(fd.try_clone_to_owned()?);
    let mut bytes = vec![0u8; size];
    file.read_exact_at(&mut bytes, 0)?;
    Ok(bytes
        .chunks_exact(16)
        .map(|e| {
            (
                u32::from_ne_bytes(e[0..4].try_into().unwrap()),
                u64::from_ne_bytes(e[8..16].try_into().unwrap()),
            )
        })
        .collect())
}

impl Dispatch<ZwpLinuxBufferParamsV1, ()> for App {
    fn event(
        app: &mut Self,
        params: &ZwpLinuxBufferParamsV1,
        event: zwp_linux_buffer_params_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_linux_buffer_params_v1::Event::Created { buffer } => {
                params.destroy();
                println!("dmabuf buffer created");
                app.show(&buffer);
            }
            zwp_linux_buffer_params_v1::Event::Failed => {
                eprintln!("solid_client: the compositor could not import the dmabuf");
                std::process::exit(1);
            }
            _ => {}
        }
    }

    wayland_client::event_created_child!(App, ZwpLinuxBufferParamsV1, [
        zwp_linux_buffer_params_v1::EVT_CREATED_OPCODE => (WlBuffer, ()),
    ]);
}

wayland_client::delegate_noop!(App: ignore ZwpLinuxDmabufV1);

/// The surface's own feedback (user data of its feedback object): logged
/// when it has a scan-out tranche, which the compositor sends while the
/// surface is, or could be, scanned out directly.
#[derive(Default)]
pub struct SurfaceFeedback {
    scanout: bool,
    formats: usize,
}

impl Gpu {
    /// Asks for `surface`'s feedback.
    pub fn watch_surface(
        dmabuf: &ZwpLinuxDmabufV1,
        surface: &wayland_client::protocol::wl_surface::WlSurface,
        qh: &QueueHandle<App>,
    ) {
        dmabuf.get_surface_feedback(
            surface,
            qh,
            std::sync::Mutex::new(SurfaceFeedback::default()),
        );
    }
}

impl Dispatch<ZwpLinuxDmabufFeedbackV1, std::sync::Mutex<SurfaceFeedback>> for App {
    fn event(
        _: &mut Self,
        _: &ZwpLinuxDmabufFeedbackV1,
        event: zwp_linux_dmabuf_feedback_v1::Event,
        seen: &std::sync::Mutex<SurfaceFeedback>,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let mut seen = seen.lock().unwrap();
        match event {
            zwp_linux_dmabuf_feedback_v1::Event::TrancheFlags { flags } => {
                seen.scanout = flags
                    .into_result()
                    .is_ok_and(|f| f.contains(zwp_linux_dmabuf_feedback_v1::TrancheFlags::Scanout));
            }
            zwp_linux_dmabuf_feedback_v1::Event::TrancheFormats { indices } => {
                seen.formats += indices.len() / 2;
            }
            zwp_linux_dmabuf_feedback_v1::Event::TrancheDone => {
                if seen.scanout {
                    println!(
                        "surface feedback: a scan-out tranche of {} formats",
                        seen.formats
                    );
                }
                seen.scanout = false;
                seen.formats = 0;
            }
            _ => {}
        }
    }
}
