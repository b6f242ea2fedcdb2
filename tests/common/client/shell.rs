//! wlr-layer-shell (a panel, a wallpaper, a launcher), xdg-foreign and
//! wp-fifo, for the shell protocol tests. Bound on first use.

use wayland_client::{delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols_wlr::layer_shell::v1::client::{
    zwlr_layer_shell_v1::{Layer, ZwlrLayerShellV1},
    zwlr_layer_surface_v1::{self, Anchor, KeyboardInteractivity, ZwlrLayerSurfaceV1},
};

use wayland_protocols::wp::commit_timing::v1::client::{
    wp_commit_timer_v1::WpCommitTimerV1, wp_commit_timing_manager_v1::WpCommitTimingManagerV1,
};
use wayland_protocols::wp::fifo::v1::client::{
    wp_fifo_manager_v1::WpFifoManagerV1, wp_fifo_v1::WpFifoV1,
};
use wayland_protocols::wp::fractional_scale::v1::client::{
    wp_fractional_scale_manager_v1::WpFractionalScaleManagerV1,
    wp_fractional_scale_v1::{self, WpFractionalScaleV1},
};
use wayland_protocols::xdg::foreign::zv2::client::{
    zxdg_exported_v2::{self, ZxdgExportedV2},
    zxdg_exporter_v2::ZxdgExporterV2,
    zxdg_imported_v2::{self, ZxdgImportedV2},
    zxdg_importer_v2::ZxdgImporterV2,
};

use wayland_client::{event_created_child, Proxy};
use wayland_protocols_wlr::foreign_toplevel::v1::client::{
    zwlr_foreign_toplevel_handle_v1::{self, ZwlrForeignToplevelHandleV1},
    zwlr_foreign_toplevel_manager_v1::{self, ZwlrForeignToplevelManagerV1},
};

use super::{attach_color_buffer, ClientState, Role, TestClient, WindowId};

/// A window as a wlr-foreign-toplevel task list sees it.
#[derive(Debug, Clone)]
pub struct ForeignToplevel {
    handle: ZwlrForeignToplevelHandleV1,
    pub title: String,
    pub app_id: String,
    /// zwlr_foreign_toplevel_handle_v1 states (0 maximized, 1 minimized,
    /// 2 activated, 3 fullscreen) as of the last `done`.
    pub states: Vec<u32>,
    pending_states: Vec<u32>,
    pub closed: bool,
}

/// This client's xdg-foreign and fifo objects.
#[derive(Debug, Default)]
pub struct ShellObjects {
    exported: Vec<ZxdgExportedV2>,
    /// Handles the compositor gave exported toplevels, in order.
    pub handles: Vec<String>,
    imported: Vec<ZxdgImportedV2>,
    /// zxdg_imported_v2.destroyed events: an import that named nothing.
    pub imports_destroyed: usize,
    fifos: Vec<(WindowId, WpFifoV1)>,
    /// What a wlr-foreign-toplevel task list was told, in order.
    pub toplevels: Vec<ForeignToplevel>,
}

/// What a layer surface asks for before its first commit.
#[derive(Debug, Clone)]
pub struct LayerSpec {
    pub layer: Layer,
    pub anchor: Anchor,
    /// 0 in a dimension: stretched between both anchors.
    pub size: (u32, u32),
    pub exclusive_zone: i32,
    pub keyboard: KeyboardInteractivity,
    /// Margins: top, right, bottom, left.
    pub margin: (i32, i32, i32, i32),
}

impl LayerSpec {
    /// A panel along the top edge, `height` tall, reserving its height.
    pub fn top_panel(height: u32) -> LayerSpec {
        LayerSpec {
            layer: Layer::Top,
            anchor: Anchor::Top | Anchor::Left | Anchor::Right,
            size: (0, height),
            exclusive_zone: height as i32,
            keyboard: KeyboardInteractivity::None,
            margin: (0, 0, 0, 0),
        }
    }

    /// A wallpaper: the whole output, under every window.
    pub fn wallpaper() -> LayerSpec {
        LayerSpec {
            layer: Layer::Background,
            anchor: Anchor::Top | Anchor::Bottom | Anchor::Left | Anchor::Right,
            size: (0, 0),
            exclusive_zone: -1,
            keyboard: KeyboardInteractivity::None,
            margin: (0, 0, 0, 0),
        }
    }
}

impl TestClient {
    /// Whether the compositor offers wlr-layer-shell to this client.
    pub fn has_layer_shell(&self) -> bool {
        self.count_globals("zwlr_layer_shell_v1") > 0
    }

    /// A layer surface as `spec` says, committed without a buffer: its
    /// configure arrives later ([`super::WindowState::layer_configures`]);
    /// draw it with `ack_and_draw`.
    pub fn create_layer(&mut self, spec: &LayerSpec, namespace: &str) -> WindowId {
        let shell = self.bind_required::<ZwlrLayerShellV1>(4);
        let (id, surface) = self.new_surface(Role::Layer);
        let layer = shell.get_layer_surface(
            &surface,
            None,
            spec.layer,
            namespace.to_owned(),
            &self.qh,
            id,
        );
        layer.set_anchor(spec.anchor);
        layer.set_size(spec.size.0, spec.size.1);
        layer.set_exclusive_zone(spec.exclusive_zone);
        layer.set_keyboard_interactivity(spec.keyboard);
        let (top, right, bottom, left) = spec.margin;
        layer.set_margin(top, right, bottom, left);
        surface.commit();
        self.state.windows[id].layer = Some(layer);
        self.flush();
        id
    }

    /// Changes a layer surface's exclusive zone (applied on its next commit).
    pub fn set_exclusive_zone(&mut self, id: WindowId, zone: i32) {
        if let Some(layer) = &self.state.windows[id].layer {
            layer.set_exclusive_zone(zone);
        }
        self.flush();
    }

    /// Destroys a layer surface and its wl_surface.
    pub fn destroy_layer(&mut self, id: WindowId) {
        let window = &mut self.state.windows[id];
        if let Some(layer) = window.layer.take() {
            layer.destroy();
        }
        window.surface.destroy();
        window.destroyed = true;
        self.flush();
    }
}

impl TestClient {
    /// Exports toplevel `id` (xdg-foreign v2); its handle arrives in
    /// [`Self::foreign_handles`].
    pub fn export_toplevel(&mut self, id: WindowId) {
        let exporter = self.bind_required::<ZxdgExporterV2>(1);
        let surface = self.state.windows[id].surface.clone();
        let exported = exporter.export_toplevel(&surface, &self.qh, ());
        self.state.shell.exported.push(exported);
        self.flush();
    }

    pub fn foreign_handles(&self) -> Vec<String> {
        self.state.shell.handles.clone()
    }

    /// Imports `handle` and makes toplevel `id` its child.
    pub fn import_toplevel(&mut self, handle: &str, id: WindowId) {
        let importer = self.bind_required::<ZxdgImporterV2>(1);
        let imported = importer.import_toplevel(handle.to_owned(), &self.qh, ());
        imported.set_parent_of(&self.state.windows[id].surface);
        self.state.shell.imported.push(imported);
        self.flush();
    }

    pub fn imports_destroyed(&self) -> usize {
        self.state.shell.imports_destroyed
    }

    /// Draws `color` on toplevel `id` in a commit that waits on the barrier
    /// its last such commit set and sets a new one (wp-fifo, as Vulkan's
    /// FIFO present mode does).
    pub fn fifo_draw(&mut self, id: WindowId, color: [u8; 4], size: (i32, i32)) {
        let surface = self.state.windows[id].surface.clone();
        let known = self
            .state
            .shell
            .fifos
            .iter()
            .find(|(w, _)| *w == id)
            .map(|(_, f)| f.clone());
        let fifo = match known {
            Some(fifo) => fifo,
            None => {
                let manager = self.bind_required::<WpFifoManagerV1>(1);
                let fifo = manager.get_fifo(&surface, &self.qh, ());
                self.state.shell.fifos.push((id, fifo.clone()));
                fifo
            }
        };
        fifo.wait_barrier();
        fifo.set_barrier();
        let shm = self
            .state
            .shm
            .clone()
            .expect("wl_shm not bound: call bind_all");
        attach_color_buffer(&shm, &surface, color, size, &self.qh);
        surface.commit();
        self.flush();
    }
}

impl TestClient {
    /// A wp_fractional_scale_v1 for surface `id`: its preferred scale lands
    /// in [`super::WindowState::fractional_scale`].
    pub fn watch_fractional_scale(&mut self, id: WindowId) {
        let manager = self.bind_required::<WpFractionalScaleManagerV1>(1);
        let surface = self.state.windows[id].surface.clone();
        manager.get_fractional_scale(&surface, &self.qh, id);
        self.flush();
    }

    /// Sets surface `id`'s viewport destination (wp-viewporter); applied
    /// on its next commit.
    pub fn set_viewport_destination(&mut self, id: WindowId, size: (i32, i32)) {
        let viewporter = self
            .state
            .viewporter
            .clone()
            .expect("wp_viewporter not bound");
        let surface = self.state.windows[id].surface.clone();
        let viewport = viewporter.get_viewport(&surface, &self.qh, ());
        viewport.set_destination(size.0, size.1);
        self.flush();
    }
}

impl TestClient {
    /// Draws `color` on toplevel `id` in a commit timed (wp-commit-timing)
    /// `delay_ms` from now on CLOCK_MONOTONIC: it must not show before.
    pub fn timed_draw(&mut self, id: WindowId, color: [u8; 4], size: (i32, i32), delay_ms: u64) {
        let manager = self.bind_required::<WpCommitTimingManagerV1>(1);
        let surface = self.state.windows[id].surface.clone();
        let timer = manager.get_timer(&surface, &self.qh, ());
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime fills the timespec given.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
        let at = now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64 + delay_ms * 1_000_000;
        let secs = at / 1_000_000_000;
        timer.set_timestamp(
            (secs >> 32) as u32,
            secs as u32,
            (at % 1_000_000_000) as u32,
        );
        let shm = self
            .state
            .shm
            .clone()
            .expect("wl_shm not bound: call bind_all");
        attach_color_buffer(&shm, &surface, color, size, &self.qh);
        surface.commit();
        self.flush();
    }
}

delegate_noop!(ClientState: ignore WpCommitTimingManagerV1);
delegate_noop!(ClientState: ignore WpCommitTimerV1);

impl Dispatch<WpFractionalScaleV1, WindowId> for ClientState {
    fn event(
        state: &mut Self,
        _: &WpFractionalScaleV1,
        event: wp_fractional_scale_v1::Event,
        id: &WindowId,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wp_fractional_scale_v1::Event::PreferredScale { scale } = event {
            state.windows[*id].fractional_scale = Some(scale);
        }
    }
}

delegate_noop!(ClientState: ignore WpFractionalScaleManagerV1);
delegate_noop!(ClientState: ignore wayland_protocols::wp::viewporter::client::wp_viewport::WpViewport);

impl TestClient {
    /// Binds wlr-foreign-toplevel-management: the windows arrive in
    /// [`Self::foreign_toplevels`].
    pub fn watch_wlr_toplevels(&mut self) {
        self.bind_required::<ZwlrForeignToplevelManagerV1>(3);
        self.flush();
    }

    pub fn foreign_toplevels(&self) -> Vec<ForeignToplevel> {
        self.state.shell.toplevels.clone()
    }

    /// Asks for task `i` (in arrival order) to be activated.
    pub fn activate_toplevel(&mut self, i: usize) {
        let seat = self.state.seat.clone().expect("no wl_seat");
        self.state.shell.toplevels[i].handle.activate(&seat);
        self.flush();
    }

    /// Asks for task `i` to be closed.
    pub fn close_toplevel(&mut self, i: usize) {
        self.state.shell.toplevels[i].handle.close();
        self.flush();
    }
}

impl Dispatch<ZwlrForeignToplevelManagerV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwlrForeignToplevelManagerV1,
        event: zwlr_foreign_toplevel_manager_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwlr_foreign_toplevel_manager_v1::Event::Toplevel { toplevel } = event {
            state.shell.toplevels.push(ForeignToplevel {
                handle: toplevel,
                title: String::new(),
                app_id: String::new(),
                states: Vec::new(),
                pending_states: Vec::new(),
                closed: false,
            });
        }
    }

    event_created_child!(ClientState, ZwlrForeignToplevelManagerV1, [
        zwlr_foreign_toplevel_manager_v1::EVT_TOPLEVEL_OPCODE => (ZwlrForeignToplevelHandleV1, ()),
    ]);
}

impl Dispatch<ZwlrForeignToplevelHandleV1, ()> for ClientState {
    fn event(
        state: &mut Self,
        handle: &ZwlrForeignToplevelHandleV1,
        event: zwlr_foreign_toplevel_handle_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let Some(t) = state
            .shell
            .toplevels
            .iter_mut()
            .find(|t| t.handle.id() == handle.id())
        else {
            return;
        };
        use zwlr_foreign_toplevel_handle_v1::Event;
        match event {
            Event::Title { title } => t.title = title,
            Event::AppId { app_id } => t.app_id = app_id,
            Event::State { state: bytes } => {
                t.pending_states = bytes
                    .chunks_exact(4)
                    .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            }
            Event::Done => t.states = t.pending_states.clone(),
            Event::Closed => t.closed = true,
            _ => {}
        }
    }
}

impl Dispatch<ZxdgExportedV2, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZxdgExportedV2,
        event: zxdg_exported_v2::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zxdg_exported_v2::Event::Handle { handle } = event {
            state.shell.handles.push(handle);
        }
    }
}

impl Dispatch<ZxdgImportedV2, ()> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZxdgImportedV2,
        event: zxdg_imported_v2::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zxdg_imported_v2::Event::Destroyed = event {
            state.shell.imports_destroyed += 1;
        }
    }
}

delegate_noop!(ClientState: ignore ZxdgExporterV2);
delegate_noop!(ClientState: ignore ZxdgImporterV2);
delegate_noop!(ClientState: ignore WpFifoManagerV1);
delegate_noop!(ClientState: ignore WpFifoV1);

impl Dispatch<ZwlrLayerSurfaceV1, WindowId> for ClientState {
    fn event(
        state: &mut Self,
        _: &ZwlrLayerSurfaceV1,
        event: zwlr_layer_surface_v1::Event,
        id: &WindowId,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let window = &mut state.windows[*id];
        match event {
            zwlr_layer_surface_v1::Event::Configure {
                serial,
                width,
                height,
            } => {
                window.last_serial = Some(serial);
                window.layer_configures.push((width as i32, height as i32));
            }
            zwlr_layer_surface_v1::Event::Closed => window.layer_closed = true,
            _ => {}
        }
    }
}

delegate_noop!(ClientState: ignore ZwlrLayerShellV1);
