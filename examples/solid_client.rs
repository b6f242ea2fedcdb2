//! A tiny Wayland client for end-to-end tests on real outputs (`tests/vm.rs`):
//! one xdg toplevel filled with a solid color, which turns into a second color
//! on the first pointer button press or touch down. A test can then tell from
//! a screen dump alone which persona's client is shown and whether it got
//! the input.
//!
//! Usage: `solid_client [--dmabuf] RRGGBB CLICKED_RRGGBB`. Every event of
//! interest is printed to stdout, one line each, so a session log shows what
//! it saw. With `--dmabuf` the buffers are GPU buffers (linux-dmabuf, see
//! `solid_client/dmabuf.rs`), and no fallback to shm is taken.

#[path = "solid_client/dmabuf.rs"]
mod dmabuf;

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, FromRawFd};
use std::process::ExitCode;

use wayland_client::protocol::{
    wl_buffer::{self, WlBuffer},
    wl_compositor::WlCompositor,
    wl_pointer::{self, WlPointer},
    wl_registry::{self, WlRegistry},
    wl_seat::{self, WlSeat},
    wl_shm::{self, WlShm},
    wl_shm_pool::WlShmPool,
    wl_surface::WlSurface,
    wl_touch::{self, WlTouch},
};
use wayland_client::{delegate_noop, Connection, Dispatch, QueueHandle, WEnum};
use wayland_protocols::wp::linux_dmabuf::zv1::client::zwp_linux_dmabuf_v1::ZwpLinuxDmabufV1;
use wayland_protocols::xdg::shell::client::{
    xdg_surface::{self, XdgSurface},
    xdg_toplevel::{self, XdgToplevel},
    xdg_wm_base::{self, XdgWmBase},
};

/// The size drawn when the compositor leaves it to us (a 0x0 configure).
const DEFAULT_SIZE: (i32, i32) = (640, 480);

struct App {
    compositor: Option<WlCompositor>,
    shm: Option<WlShm>,
    wm_base: Option<XdgWmBase>,
    seat: Option<WlSeat>,
    pointer: Option<WlPointer>,
    touch: Option<WlTouch>,
    surface: Option<WlSurface>,
    /// linux-dmabuf, when asked for with `--dmabuf`.
    dmabuf: Option<ZwpLinuxDmabufV1>,
    gpu: dmabuf::Gpu,
    /// The size from the latest toplevel configure, applied at the next
    /// xdg_surface configure (0 means "ours to choose").
    pending_size: (i32, i32),
    size: (i32, i32),
    color: u32,
    clicked_color: u32,
    clicked: bool,
    configured: bool,
    closed: bool,
}

impl App {
    fn current_color(&self) -> u32 {
        if self.clicked {
            self.clicked_color
        } else {
            self.color
        }
    }

    /// Attaches a fresh full-size buffer in the current color and commits
    /// (a dmabuf once the compositor has `created` it).
    fn draw(&mut self, qh: &QueueHandle<App>) {
        if let Some(dmabuf) = &self.dmabuf {
            let color = self.current_color();
            if let Err(e) = self.gpu.draw(dmabuf, self.size, color, qh) {
                eprintln!("solid_client: a dumb buffer on the GPU: {e}");
                std::process::exit(1);
            }
            return;
        }
        let Some(shm) = &self.shm else {
            return;
        };
        let (w, h) = self.size;
        let stride = w * 4;
        let len = (stride * h) as usize;
        let file = match memfd() {
            Ok(file) => file,
            Err(e) => {
                eprintln!("solid_client: memfd: {e}");
                std::process::exit(1);
            }
        };
        // XRGB8888 is a little-endian u32: bytes B, G, R, X.
        let pixel = (0xff00_0000 | self.current_color()).to_le_bytes();
        let data = pixel.repeat(w as usize * h as usize);
        if let Err(e) = (&file).write_all(&data) {
            eprintln!("solid_client: writing the buffer: {e}");
            std::process::exit(1);
        }
        let pool = shm.create_pool(file.as_fd(), len as i32, qh, ());
        let buffer = pool.create_buffer(0, w, h, stride, wl_shm::Format::Xrgb8888, qh, ());
        pool.destroy();
        self.show(&buffer);
    }

    /// Commits `buffer`, which holds the current color at the current size.
    fn show(&self, buffer: &WlBuffer) {
        let Some(surface) = &self.surface else {
            return;
        };
        let (w, h) = self.size;
        surface.attach(Some(buffer), 0, 0);
        surface.damage_buffer(0, 0, w, h);
        surface.commit();
        let kind = if self.dmabuf.is_some() {
            "dmabuf"
        } else {
            "shm"
        };
        println!("draw {w}x{h} #{:06x} ({kind})", self.current_color());
    }

    /// The first press or touch turns the window into the clicked color.
    fn on_press(&mut self, what: &str, qh: &QueueHandle<App>) {
        println!("{what}");
        if !self.clicked {
            self.clicked = true;
            if self.configured {
                self.draw(qh);
            }
        }
    }
}

fn memfd() -> io::Result<File> {
    // SAFETY: memfd_create with a valid C string; the new fd is owned by the File at once.
    let fd = unsafe { libc::memfd_create(c"solid_client".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(unsafe { File::from_raw_fd(fd) })
}

fn parse_color(s: &str) -> Option<u32> {
    let s = s.strip_prefix('#').unwrap_or(s);
    if s.len() != 6 {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let use_dmabuf = args.first().is_some_and(|a| a == "--dmabuf");
    if use_dmabuf {
        args.remove(0);
    }
    let (Some(color), Some(clicked_color)) = (
        args.first().and_then(|s| parse_color(s)),
        args.get(1).and_then(|s| parse_color(s)),
    ) else {
        eprintln!("usage: solid_client [--dmabuf] RRGGBB CLICKED_RRGGBB");
        return ExitCode::from(2);
    };
    let conn = match Connection::connect_to_env() {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("solid_client: cannot connect: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut queue = conn.new_event_queue();
    let qh = queue.handle();
    conn.display().get_registry(&qh, ());
    let mut app = App {
        compositor: None,
        shm: None,
        wm_base: None,
        seat: None,
        pointer: None,
        touch: None,
        surface: None,
        dmabuf: None,
        gpu: Default::default(),
        pending_size: (0, 0),
        size: DEFAULT_SIZE,
        color,
        clicked_color,
        clicked: false,
        configured: false,
        closed: false,
    };
    if let Err(e) = queue.roundtrip(&mut app) {
        eprintln!("solid_client: {e}");
        return ExitCode::FAILURE;
    }
    if app.compositor.is_none() || app.wm_base.is_none() {
        eprintln!("solid_client: the compositor lacks wl_compositor or xdg_wm_base");
        return ExitCode::FAILURE;
    }
    if app.shm.is_none() {
        eprintln!("solid_client: the compositor lacks wl_shm");
        return ExitCode::FAILURE;
    }
    if !use_dmabuf {
        app.dmabuf = None;
    } else if let Err(e) = open_gpu(&mut app, &mut queue) {
        eprintln!("solid_client: --dmabuf: {e}");
        return ExitCode::FAILURE;
    }
    let (Some(compositor), Some(wm_base)) = (&app.compositor, &app.wm_base) else {
        unreachable!("checked above");
    };
    let surface = compositor.create_surface(&qh, ());
    let xdg_surface = wm_base.get_xdg_surface(&surface, &qh, ());
    let toplevel = xdg_surface.get_toplevel(&qh, ());
    toplevel.set_title("solid_client".into());
    toplevel.set_app_id("solid_client".into());
    if let Some(dmabuf) = &app.dmabuf {
        dmabuf::Gpu::watch_surface(dmabuf, &surface, &qh);
    }
    surface.commit();
    app.surface = Some(surface);
    println!("started #{color:06x} clicked #{clicked_color:06x}");
    while !app.closed {
        if let Err(e) = queue.blocking_dispatch(&mut app) {
            eprintln!("solid_client: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("closed");
    ExitCode::SUCCESS
}

/// linux-dmabuf's default feedback, and the card of its main device.
fn open_gpu(app: &mut App, queue: &mut wayland_client::EventQueue<App>) -> Result<(), String> {
    let dmabuf = app
        .dmabuf
        .clone()
        .ok_or("the compositor offers no linux-dmabuf v4 or later")?;
    dmabuf::Gpu::start(&dmabuf, &queue.handle());
    while !app.gpu.ready() {
        queue.blocking_dispatch(app).map_err(|e| e.to_string())?;
    }
    app.gpu.open()
}

impl Dispatch<WlRegistry, ()> for App {
    fn event(
        app: &mut Self,
        registry: &WlRegistry,
        event: wl_registry::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        let wl_registry::Event::Global {
            name,
            interface,
            version,
        } = event
        else {
            return;
        };
        match interface.as_str() {
            "wl_compositor" => {
                app.compositor = Some(registry.bind(name, version.min(4), qh, ()));
            }
            "wl_shm" => app.shm = Some(registry.bind(name, 1, qh, ())),
            "zwp_linux_dmabuf_v1" if version >= 4 => {
                app.dmabuf = Some(registry.bind(name, 4, qh, ()));
            }
            "xdg_wm_base" => app.wm_base = Some(registry.bind(name, 1, qh, ())),
            "wl_seat" if app.seat.is_none() => {
                app.seat = Some(registry.bind(name, version.min(5), qh, ()));
            }
            _ => {}
        }
    }
}

impl Dispatch<XdgWmBase, ()> for App {
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

impl Dispatch<XdgSurface, ()> for App {
    fn event(
        app: &mut Self,
        xdg_surface: &XdgSurface,
        event: xdg_surface::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        if let xdg_surface::Event::Configure { serial } = event {
            xdg_surface.ack_configure(serial);
            let (w, h) = app.pending_size;
            let size = if w > 0 && h > 0 { (w, h) } else { DEFAULT_SIZE };
            println!("configure {}x{}", size.0, size.1);
            // A configure that changes nothing needs no new buffer once one is shown.
            if !app.configured || size != app.size {
                app.size = size;
                app.configured = true;
                app.draw(qh);
            }
        }
    }
}

impl Dispatch<XdgToplevel, ()> for App {
    fn event(
        app: &mut Self,
        _: &XdgToplevel,
        event: xdg_toplevel::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            xdg_toplevel::Event::Configure { width, height, .. } => {
                app.pending_size = (width, height);
            }
            xdg_toplevel::Event::Close => app.closed = true,
            _ => {}
        }
    }
}

impl Dispatch<WlSeat, ()> for App {
    fn event(
        app: &mut Self,
        seat: &WlSeat,
        event: wl_seat::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        if let wl_seat::Event::Capabilities {
            capabilities: WEnum::Value(caps),
        } = event
        {
            println!("seat capabilities {caps:?}");
            if caps.contains(wl_seat::Capability::Pointer) && app.pointer.is_none() {
                app.pointer = Some(seat.get_pointer(qh, ()));
            }
            if caps.contains(wl_seat::Capability::Touch) && app.touch.is_none() {
                app.touch = Some(seat.get_touch(qh, ()));
            }
        }
    }
}

impl Dispatch<WlPointer, ()> for App {
    fn event(
        app: &mut Self,
        _: &WlPointer,
        event: wl_pointer::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        match event {
            wl_pointer::Event::Enter {
                surface_x,
                surface_y,
                ..
            } => println!("pointer enter {surface_x:.0},{surface_y:.0}"),
            wl_pointer::Event::Leave { .. } => println!("pointer leave"),
            wl_pointer::Event::Button {
                button,
                state: WEnum::Value(wl_pointer::ButtonState::Pressed),
                ..
            } => app.on_press(&format!("pointer button {button:#x} pressed"), qh),
            wl_pointer::Event::Button { button, .. } => {
                println!("pointer button {button:#x} released");
            }
            _ => {}
        }
    }
}

impl Dispatch<WlTouch, ()> for App {
    fn event(
        app: &mut Self,
        _: &WlTouch,
        event: wl_touch::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        match event {
            wl_touch::Event::Down { id, x, y, .. } => {
                app.on_press(&format!("touch down {id} {x:.0},{y:.0}"), qh)
            }
            wl_touch::Event::Up { id, .. } => println!("touch up {id}"),
            wl_touch::Event::Cancel => println!("touch cancel"),
            _ => {}
        }
    }
}

impl Dispatch<WlBuffer, ()> for App {
    fn event(
        _: &mut Self,
        buffer: &WlBuffer,
        event: wl_buffer::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        // Each buffer is drawn once; the compositor is done with it when it lets go.
        if let wl_buffer::Event::Release = event {
            buffer.destroy();
        }
    }
}

delegate_noop!(App: ignore WlCompositor);
delegate_noop!(App: ignore WlShm);
delegate_noop!(App: ignore WlShmPool);
delegate_noop!(App: ignore WlSurface);
