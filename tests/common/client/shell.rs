//! wlr-layer-shell, for the layer-shell tests: a panel, a wallpaper, a
//! launcher. Bound on first use.

use wayland_client::{delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols_wlr::layer_shell::v1::client::{
    zwlr_layer_shell_v1::{Layer, ZwlrLayerShellV1},
    zwlr_layer_surface_v1::{self, Anchor, KeyboardInteractivity, ZwlrLayerSurfaceV1},
};

use super::{ClientState, Role, TestClient, WindowId};

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
