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
use smithay::reexports::wayland_server::backend::{ClientId, ObjectId};
use smithay::reexports::wayland_server::protocol::wl_region::{self, WlRegion};
use smithay::reexports::wayland_server::protocol::wl_surface::{self, WlSurface};
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle, Resource};
use smithay::utils::Rectangle;
use smithay::wayland::compositor::{
    is_sync_subsurface, with_states, CompositorState, Damage, RegionUserData, SurfaceAttributes,
    SurfaceUserData,
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

    /// Whether no live object is counted (for the tests).
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// Counts one entry for `resource`; past `max`, disconnects its client with
/// `no_memory` and returns false (the request is dropped).
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
    out_of_memory(
        state,
        client,
        format!("too many {what} on {}: at most {max}", resource.id()),
    );
    false
}

/// Ends `client` with `wl_display.error no_memory`; the disconnect is logged
/// with its pid and persona by ClientState.
pub fn out_of_memory(state: &PersonaState, client: &Client, message: String) {
    client.kill(
        &state.display_handle,
        ProtocolError {
            code: NO_MEMORY,
            object_id: 1,
            object_interface: "wl_display".into(),
            message,
        },
    );
}

/// shm pools one client may hold at once.
pub const MAX_SHM_POOLS_PER_CLIENT: u32 = 512;
/// shm buffers one client may hold at once.
pub const MAX_SHM_BUFFERS_PER_CLIENT: u32 = 1024;
/// shm pools and buffers all clients of one persona may hold at once; when
/// they are all taken, the client holding the most is disconnected. Each
/// holds a mapping of the compositor's, and the kernel allows a process
/// `vm.max_map_count` of them (65 530 by default) for everything it does:
/// eight personas at their budget take half of that.
pub const MAX_SHM_PER_PERSONA: usize = 4096;

/// What holds an shm mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShmKind {
    Pool,
    Buffer,
}

/// The shm pools and buffers each client of the persona holds, against the
/// limits above.
#[derive(Debug, Default)]
pub struct ShmBudget {
    clients: HashMap<ClientId, (u32, u32)>,
    total: usize,
}

impl ShmBudget {
    /// Takes one `kind` for `client`, or says which limit it is past.
    pub fn take(
        &mut self,
        dh: &DisplayHandle,
        client: ClientId,
        kind: ShmKind,
    ) -> Result<(), String> {
        if self.total >= MAX_SHM_PER_PERSONA {
            // Counts of clients ended by an error before their object existed.
            let handle = dh.backend_handle();
            self.clients
                .retain(|id, _| handle.get_client_data(id.clone()).is_ok());
            self.total = self.clients.values().map(|(p, b)| (*p + *b) as usize).sum();
        }
        if self.total >= MAX_SHM_PER_PERSONA {
            // Full: the client holding the most goes, as an OOM killer would,
            // so one hog cannot starve the persona's other apps.
            let mine = self.clients.get(&client).map_or(0, |(p, b)| p + b);
            let hog = self
                .clients
                .iter()
                .map(|(id, (p, b))| (id.clone(), p + b))
                .max_by_key(|(_, held)| *held)
                .filter(|(id, held)| *id != client && *held > mine);
            let Some((hog, held)) = hog else {
                return Err(format!(
                    "the persona's clients hold {MAX_SHM_PER_PERSONA} shm pools and buffers, the most one persona may, and this one the most"
                ));
            };
            dh.backend_handle().kill_client(
                hog.clone(),
                smithay::reexports::wayland_server::backend::DisconnectReason::ProtocolError(
                    ProtocolError {
                        code: NO_MEMORY,
                        object_id: 1,
                        object_interface: "wl_display".into(),
                        message: format!(
                            "the persona's shm budget ({MAX_SHM_PER_PERSONA}) is full and this client holds the most ({held})"
                        ),
                    },
                ),
            );
            // Its objects are destroyed later; they count no more from now.
            self.clients.remove(&hog);
            self.total -= held as usize;
        }
        let (pools, buffers) = self.clients.entry(client).or_default();
        let (count, max, what) = match kind {
            ShmKind::Pool => (pools, MAX_SHM_POOLS_PER_CLIENT, "pools"),
            ShmKind::Buffer => (buffers, MAX_SHM_BUFFERS_PER_CLIENT, "buffers"),
        };
        if *count >= max {
            return Err(format!("too many shm {what}: at most {max} per client"));
        }
        *count += 1;
        self.total += 1;
        Ok(())
    }

    /// Gives back what a destroyed pool or buffer held.
    pub fn give_back(&mut self, client: &ClientId, kind: ShmKind) {
        let Some(held) = self.clients.get_mut(client) else {
            return;
        };
        let count = match kind {
            ShmKind::Pool => &mut held.0,
            ShmKind::Buffer => &mut held.1,
        };
        if *count > 0 {
            *count -= 1;
            self.total -= 1;
        }
        if *held == (0, 0) {
            self.clients.remove(client);
        }
    }

    /// Pools and buffers held by every client (for the soak tests).
    pub fn total(&self) -> usize {
        self.total
    }
}

/// `wl_display.error.no_memory`.
const NO_MEMORY: u32 = 2;

/// Turns a damage list past [`MAX_DAMAGE_RECTS`] into one rectangle covering
/// any buffer (the renderer clips it to the buffer).
pub fn cap_damage(damage: &mut Vec<Damage>) {
    if damage.len() > MAX_DAMAGE_RECTS {
        damage.clear();
        damage.push(whole_surface());
    }
}

fn whole_surface() -> Damage {
    Damage::Buffer(Rectangle::from_size((i32::MAX, i32::MAX).into()))
}

/// Damage a sync subsurface committed that waits for its parent's commit:
/// smithay merges each such commit into a cached state without a bound, so
/// it is counted here and, past the limit, becomes one whole-surface
/// rectangle until the state is applied.
#[derive(Debug, Default)]
struct HeldDamage {
    rects: usize,
    whole: bool,
}

/// The state of `surface` was applied: what it held back is gone.
pub fn damage_applied(states: &smithay::wayland::compositor::SurfaceData) {
    if let Some(held) = states.data_map.get::<std::sync::Mutex<HeldDamage>>() {
        *held.lock().unwrap_or_else(|e| e.into_inner()) = HeldDamage::default();
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
        if matches!(request, wl_surface::Request::Commit) && is_sync_subsurface(surface) {
            with_states(surface, |states| {
                let pending = states
                    .cached_state
                    .get::<SurfaceAttributes>()
                    .pending()
                    .damage
                    .len();
                let held = states
                    .data_map
                    .get_or_insert_threadsafe(|| std::sync::Mutex::new(HeldDamage::default()));
                held.lock().unwrap_or_else(|e| e.into_inner()).rects += pending;
            });
        }
        <CompositorState as Dispatch<WlSurface, SurfaceUserData, Self>>::request(
            state, client, surface, request, data, dh, data_init,
        );
        if damage && surface.is_alive() {
            with_states(surface, |states| {
                let mut attributes = states.cached_state.get::<SurfaceAttributes>();
                let pending = &mut attributes.pending().damage;
                cap_damage(pending);
                let Some(held) = states.data_map.get::<std::sync::Mutex<HeldDamage>>() else {
                    return;
                };
                let mut held = held.lock().unwrap_or_else(|e| e.into_inner());
                if held.rects >= MAX_DAMAGE_RECTS {
                    // The whole surface once; after that nothing more to say.
                    pending.clear();
                    if !held.whole {
                        pending.push(whole_surface());
                        held.whole = true;
                    }
                }
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
