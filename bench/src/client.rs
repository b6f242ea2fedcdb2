//! The benchmark's test client, run as its own process (`personas-bench
//! client`) so its CPU time is its own: xdg toplevels filled with a solid
//! color from full-size shm buffers. An animating window commits a new
//! buffer (its color's other shade) on every frame callback; a static one
//! draws once. It prints one line per event, stamped with CLOCK_MONOTONIC,
//! which the harness shares:
//!
//! ```text
//! ready <ns>                      every window has shown its first buffer
//! frame <ns>                      a frame callback arrived
//! presented <ns> <shown-ns>       presentation feedback (shown-ns: its timestamp)
//! discarded <ns>                  the commit was never shown
//! ```

use std::fs::File;
use std::io::{BufWriter, Stdout, Write};
use std::os::fd::{AsFd, FromRawFd};

use anyhow::{bail, Context, Result};
use wayland_client::protocol::{
    wl_buffer::{self, WlBuffer},
    wl_callback::{self, WlCallback},
    wl_compositor::WlCompositor,
    wl_registry::{self, WlRegistry},
    wl_shm::{self, WlShm},
    wl_shm_pool::WlShmPool,
    wl_surface::WlSurface,
};
use wayland_client::{delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols::wp::presentation_time::client::{
    wp_presentation::WpPresentation,
    wp_presentation_feedback::{self, WpPresentationFeedback},
};
use wayland_protocols::xdg::shell::client::{
    xdg_surface::{self, XdgSurface},
    xdg_toplevel::{self, XdgToplevel},
    xdg_wm_base::{self, XdgWmBase},
};

use crate::measure::now_ns;

/// What the client was asked to be.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// The window color, RRGGBB.
    #[arg(long, default_value = "3060c0")]
    pub color: String,
    /// The xdg app id (sway places windows by it).
    #[arg(long, default_value = "personas-bench")]
    pub app_id: String,
    /// How many windows to open.
    #[arg(long, default_value_t = 1)]
    pub windows: usize,
    /// Draw once instead of on every frame callback.
    #[arg(long)]
    pub still: bool,
    /// Ask to be fullscreen, the first window (sway would otherwise tile it).
    #[arg(long)]
    pub fullscreen: bool,
}

/// The size drawn when the compositor leaves it to us.
const DEFAULT_SIZE: (i32, i32) = (1920, 1080);

struct Buffer {
    buffer: WlBuffer,
    busy: bool,
    size: (i32, i32),
    /// Kept mapped by the compositor; ours only holds the fd alive.
    _file: File,
}

struct Window {
    surface: WlSurface,
    xdg: XdgSurface,
    _toplevel: XdgToplevel,
    size: (i32, i32),
    buffers: Vec<Buffer>,
    shown: bool,
    frames: u64,
}

struct App {
    args: ClientArgs,
    color: u32,
    compositor: Option<WlCompositor>,
    shm: Option<WlShm>,
    wm_base: Option<XdgWmBase>,
    presentation: Option<WpPresentation>,
    windows: Vec<Window>,
    out: BufWriter<Stdout>,
    ready: bool,
}

pub fn run(args: ClientArgs) -> Result<()> {
    let color = u32::from_str_radix(args.color.trim_start_matches('#'), 16)
        .with_context(|| format!("not a color: {}", args.color))?;
    let conn = Connection::connect_to_env().context("connecting to the compositor")?;
    let mut queue = conn.new_event_queue();
    let qh = queue.handle();
    conn.display().get_registry(&qh, ());
    let mut app = App {
        args,
        color,
        compositor: None,
        shm: None,
        wm_base: None,
        presentation: None,
        windows: Vec::new(),
        out: BufWriter::new(std::io::stdout()),
        ready: false,
    };
    queue.roundtrip(&mut app)?;
    let (Some(compositor), Some(wm_base)) = (&app.compositor, &app.wm_base) else {
        bail!("the compositor lacks wl_compositor or xdg_wm_base");
    };
    if app.shm.is_none() {
        bail!("the compositor lacks wl_shm");
    }
    for i in 0..app.args.windows {
        let surface = compositor.create_surface(&qh, ());
        let xdg = wm_base.get_xdg_surface(&surface, &qh, i);
        let toplevel = xdg.get_toplevel(&qh, i);
        toplevel.set_app_id(app.args.app_id.clone());
        toplevel.set_title(format!("{} {i}", app.args.app_id));
        if app.args.fullscreen && i == 0 {
            toplevel.set_fullscreen(None);
        }
        surface.commit();
        app.windows.push(Window {
            surface,
            xdg,
            _toplevel: toplevel,
            size: (0, 0),
            buffers: Vec::new(),
            shown: false,
            frames: 0,
        });
    }
    loop {
        queue.blocking_dispatch(&mut app)?;
        app.out.flush()?;
    }
}

impl App {
    /// Commits window `i`'s next buffer, asking for the next frame when animating.
    fn draw(&mut self, i: usize, qh: &QueueHandle<App>) -> Result<()> {
        let shm = self.shm.clone().expect("checked");
        let color = self.color;
        let window = &mut self.windows[i];
        let size = window.size;
        // Buffers of an old size go once the compositor is done with them.
        window.buffers.retain(|b| {
            let keep = b.busy || b.size == size;
            if !keep {
                b.buffer.destroy();
            }
            keep
        });
        let free = window.buffers.iter().position(|b| !b.busy);
        let index = match free {
            Some(index) => index,
            None => {
                // Two shades, so each frame really changes.
                let shade = window.buffers.len() as u32 % 2;
                let file = filled(size, color ^ (shade * 0x10))?;
                let len = size.0 * size.1 * 4;
                let pool: WlShmPool = shm.create_pool(file.as_fd(), len, qh, ());
                let buffer = pool.create_buffer(
                    0,
                    size.0,
                    size.1,
                    size.0 * 4,
                    wl_shm::Format::Xrgb8888,
                    qh,
                    i,
                );
                pool.destroy();
                window.buffers.push(Buffer {
                    buffer,
                    busy: false,
                    size,
                    _file: file,
                });
                window.buffers.len() - 1
            }
        };
        let buffer = &mut window.buffers[index];
        buffer.busy = true;
        window.surface.attach(Some(&buffer.buffer), 0, 0);
        window.surface.damage_buffer(0, 0, size.0, size.1);
        if !self.args.still {
            window.surface.frame(qh, i);
        }
        if let Some(presentation) = &self.presentation {
            presentation.feedback(&window.surface, qh, ());
        }
        window.surface.commit();
        window.shown = true;
        if !self.ready && self.windows.iter().all(|w| w.shown) {
            self.ready = true;
            writeln!(self.out, "ready {}", now_ns())?;
        }
        Ok(())
    }
}

/// A memfd of `size` XRGB pixels, all `color`.
fn filled(size: (i32, i32), color: u32) -> Result<File> {
    // SAFETY: memfd_create with a valid C string; the new fd is owned by the File at once.
    let fd = unsafe { libc::memfd_create(c"personas-bench".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error()).context("memfd_create");
    }
    // SAFETY: fd is a fresh descriptor that nothing else owns.
    let mut file = unsafe { File::from_raw_fd(fd) };
    let pixel = (0xff00_0000 | color).to_le_bytes();
    let row: Vec<u8> = pixel.repeat(size.0.max(0) as usize);
    let mut w = BufWriter::with_capacity(1 << 20, &mut file);
    for _ in 0..size.1 {
        w.write_all(&row)?;
    }
    w.flush()?;
    drop(w);
    Ok(file)
}

impl Dispatch<WlRegistry, ()> for App {
    fn event(
        app: &mut App,
        registry: &WlRegistry,
        event: wl_registry::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<App>,
    ) {
        if let wl_registry::Event::Global {
            name,
            interface,
            version,
        } = event
        {
            match interface.as_str() {
                "wl_compositor" => {
                    app.compositor = Some(registry.bind(name, version.min(4), qh, ()))
                }
                "wl_shm" => app.shm = Some(registry.bind(name, 1, qh, ())),
                "xdg_wm_base" => app.wm_base = Some(registry.bind(name, 1, qh, ())),
                "wp_presentation" => app.presentation = Some(registry.bind(name, 1, qh, ())),
                _ => {}
            }
        }
    }
}

impl Dispatch<XdgWmBase, ()> for App {
    fn event(
        _: &mut App,
        wm_base: &XdgWmBase,
        event: xdg_wm_base::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<App>,
    ) {
        if let xdg_wm_base::Event::Ping { serial } = event {
            wm_base.pong(serial);
        }
    }
}

impl Dispatch<XdgToplevel, usize> for App {
    fn event(
        app: &mut App,
        _: &XdgToplevel,
        event: xdg_toplevel::Event,
        &i: &usize,
        _: &Connection,
        _: &QueueHandle<App>,
    ) {
        match event {
            xdg_toplevel::Event::Configure { width, height, .. } => {
                let window = &mut app.windows[i];
                window.size = if width > 0 && height > 0 {
                    (width, height)
                } else {
                    DEFAULT_SIZE
                };
            }
            xdg_toplevel::Event::Close => std::process::exit(0),
            _ => {}
        }
    }
}

impl Dispatch<XdgSurface, usize> for App {
    fn event(
        app: &mut App,
        xdg: &XdgSurface,
        event: xdg_surface::Event,
        &i: &usize,
        _: &Connection,
        qh: &QueueHandle<App>,
    ) {
        if let xdg_surface::Event::Configure { serial } = event {
            xdg.ack_configure(serial);
            let window = &app.windows[i];
            debug_assert!(window.xdg == *xdg);
            // A still window draws again only when its size changes; an
            // animating one keeps its frame-callback rhythm.
            let resized = window.buffers.last().is_none_or(|b| b.size != window.size);
            if !window.shown || (resized && app.args.still) {
                if let Err(err) = app.draw(i, qh) {
                    eprintln!("personas-bench client: {err:#}");
                    std::process::exit(1);
                }
            }
        }
    }
}

impl Dispatch<WlCallback, usize> for App {
    fn event(
        app: &mut App,
        _: &WlCallback,
        event: wl_callback::Event,
        &i: &usize,
        _: &Connection,
        qh: &QueueHandle<App>,
    ) {
        if let wl_callback::Event::Done { .. } = event {
            let _ = writeln!(app.out, "frame {}", now_ns());
            app.windows[i].frames += 1;
            if let Err(err) = app.draw(i, qh) {
                eprintln!("personas-bench client: {err:#}");
                std::process::exit(1);
            }
        }
    }
}

impl Dispatch<WlBuffer, usize> for App {
    fn event(
        app: &mut App,
        released: &WlBuffer,
        event: wl_buffer::Event,
        &window: &usize,
        _: &Connection,
        _: &QueueHandle<App>,
    ) {
        if let wl_buffer::Event::Release = event {
            let buffers = &mut app.windows[window].buffers;
            if let Some(buffer) = buffers.iter_mut().find(|b| b.buffer == *released) {
                buffer.busy = false;
            }
        }
    }
}

impl Dispatch<WpPresentationFeedback, ()> for App {
    fn event(
        app: &mut App,
        _: &WpPresentationFeedback,
        event: wp_presentation_feedback::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<App>,
    ) {
        match event {
            wp_presentation_feedback::Event::Presented {
                tv_sec_hi,
                tv_sec_lo,
                tv_nsec,
                ..
            } => {
                let secs = (u64::from(tv_sec_hi) << 32) | u64::from(tv_sec_lo);
                let shown = secs * 1_000_000_000 + u64::from(tv_nsec);
                let _ = writeln!(app.out, "presented {} {shown}", now_ns());
            }
            wp_presentation_feedback::Event::Discarded => {
                let _ = writeln!(app.out, "discarded {}", now_ns());
            }
            _ => {}
        }
    }
}

delegate_noop!(App: ignore WlCompositor);
delegate_noop!(App: ignore WlShm);
delegate_noop!(App: ignore WlShmPool);
delegate_noop!(App: ignore WlSurface);
delegate_noop!(App: ignore WpPresentation);
