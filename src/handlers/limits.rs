//! Requests that grow a list without creating an object (a region's
//! rectangles, a selection source's mime types, a surface's damage) are not
//! covered by the per-client object limit, so they get limits of their own:
//! one client must not grow the compositor's memory without bound.
//!
//! The lists stay in smithay's state; this counts what each object was sent,
//! forgets it when the object is destroyed, and ends a client past a limit
//! with `wl_display.error no_memory` (the protocols have no error of their
//! own for it). Damage needs no error: past its limit it becomes the whole
//! surface, which is what the client asked for in effect.

use std::collections::HashMap;

use smithay::reexports::wayland_server::backend::protocol::ProtocolError;
use smithay::reexports::wayland_server::backend::ObjectId;
use smithay::reexports::wayland_server::protocol::wl_region::{self, WlRegion};
use smithay::reexports::wayland_server::protocol::wl_surface::{self, WlSurface};
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle, Resource};
use smithay::utils::Rectangle;
use smithay::wayland::compositor::{
    with_states, CompositorState, Damage, RegionUserData, SurfaceAttributes, SurfaceUserData,
};

use crate::persona::PersonaState;

/// Rectangles one wl_region may be built from (shaped windows use dozens).
pub const MAX_REGION_RECTS: u32 = 4096;
/// Mime types one selection source may offer (applications offer a few dozen).
pub const MAX_MIME_TYPES: u32 = 1024;
/// Damage rectangles kept per surface state; past it, the whole surface.
pub const MAX_DAMAGE_RECTS: usize = 256;

/// How many list entries each live object was sent.
#[derive(Debug, Default)]
pub struct Growth {
    counts: HashMap<ObjectId, u32>,
}

impl Growth {
    /// Counts one more entry for `object`; false once it is past `max`.
    pub fn grow(&mut self, object: ObjectId, max: u32) -> bool {
        let count = self.counts.entry(object).or_default();
        *count = count.saturating_add(1);
        *count <= max
    }

    pub fn forget(&mut self, object: &ObjectId) {
        self.counts.remove(object);
    }

    /// Objects counted and not yet destroyed (for the soak tests).
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// Counts one entry for `resource`; past `max`, disconnects its client with
/// `no_memory` and a log line, and returns false (the request is dropped).
pub fn grow_or_disconnect(
    state: &mut PersonaState,
    client: &Client,
    resource: &impl Resource,
    max: u32,
    what: &str,
) -> bool {
    if state.growth.grow(resource.id(), max) {
        return true;
    }
    // The disconnect is logged with the client's pid and persona by ClientState.
    client.kill(
        &state.display_handle,
        ProtocolError {
            code: NO_MEMORY,
            object_id: 1,
            object_interface: "wl_display".into(),
            message: format!("too many {what} on {}: at most {max}", resource.id()),
        },
    );
    false
}

/// `wl_display.error.no_memory`.
const NO_MEMORY: u32 = 2;

/// Turns a damage list past [`MAX_DAMAGE_RECTS`] into one rectangle covering
/// any buffer (the renderer clips it to the buffer).
pub fn cap_damage(damage: &mut Vec<Damage>) {
    if damage.len() > MAX_DAMAGE_RECTS {
        damage.clear();
        damage.push(Damage::Buffer(Rectangle::from_size(
            (i32::MAX, i32::MAX).into(),
        )));
    }
}

// wl_surface and wl_region as smithay's delegate_compositor! wires them, with
// the limits above in front.
impl Dispatch<WlSurface, SurfaceUserData> for PersonaState {
    fn request(
        state: &mut Self,
        client: &Client,
        surface: &WlSurface,
        request: wl_surface::Request,
        data: &SurfaceUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        let damage = matches!(
            request,
            wl_surface::Request::Damage { .. } | wl_surface::Request::DamageBuffer { .. }
        );
        <CompositorState as Dispatch<WlSurface, SurfaceUserData, Self>>::request(
            state, client, surface, request, data, dh, data_init,
        );
        if damage && surface.is_alive() {
            with_states(surface, |states| {
                cap_damage(
                    &mut states
                        .cached_state
                        .get::<SurfaceAttributes>()
                        .pending()
                        .damage,
                );
            });
        }
    }

    fn destroyed(
        state: &mut Self,
        client: smithay::reexports::wayland_server::backend::ClientId,
        surface: &WlSurface,
        data: &SurfaceUserData,
    ) {
        <CompositorState as Dispatch<WlSurface, SurfaceUserData, Self>>::destroyed(
            state, client, surface, data,
        );
    }
}

impl Dispatch<WlRegion, RegionUserData> for PersonaState {
    fn request(
        state: &mut Self,
        client: &Client,
        region: &WlRegion,
        request: wl_region::Request,
        data: &RegionUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        let grows = matches!(
            request,
            wl_region::Request::Add { .. } | wl_region::Request::Subtract { .. }
        );
        if grows && !grow_or_disconnect(state, client, region, MAX_REGION_RECTS, "rectangles") {
            return;
        }
        <CompositorState as Dispatch<WlRegion, RegionUserData, Self>>::request(
            state, client, region, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut Self,
        client: smithay::reexports::wayland_server::backend::ClientId,
        region: &WlRegion,
        data: &RegionUserData,
    ) {
        state.growth.forget(&region.id());
        <CompositorState as Dispatch<WlRegion, RegionUserData, Self>>::destroyed(
            state, client, region, data,
        );
    }
}
