//! wl_compositor, wl_subcompositor, wl_shm and buffer handling.

use smithay::backend::renderer::utils::on_commit_buffer_handler;
use smithay::reexports::wayland_server::protocol::{wl_buffer, wl_surface::WlSurface};
use smithay::reexports::wayland_server::protocol::{
    wl_callback, wl_compositor, wl_shm, wl_shm_pool, wl_subcompositor, wl_subsurface,
};
use smithay::reexports::wayland_server::Client;
use smithay::reexports::wayland_server::{
    delegate_dispatch, delegate_global_dispatch, DataInit, Dispatch, DisplayHandle, Resource,
};
use smithay::wayland::buffer::BufferHandler;
use smithay::wayland::compositor::{
    get_parent, is_sync_subsurface, with_states, CompositorClientState, CompositorHandler,
    CompositorState,
};
use smithay::wayland::compositor::{SubsurfaceUserData, SurfaceAttributes};
use smithay::wayland::presentation::PresentationFeedbackCachedState;
use smithay::wayland::shm::{ShmBufferUserData, ShmPoolUserData};
use smithay::wayland::shm::{ShmHandler, ShmState};

use super::limits::{self, ShmKind};
use crate::persona::{ClientState, PersonaState};

impl CompositorHandler for PersonaState {
    fn compositor_state(&mut self) -> &mut CompositorState {
        &mut self.compositor_state
    }

    fn client_compositor_state<'a>(&self, client: &'a Client) -> &'a CompositorClientState {
        if let Some(data) = client.get_data::<ClientState>() {
            return &data.compositor_state;
        }
        // The only other kind of client: the persona's Xwayland.
        &client
            .get_data::<smithay::xwayland::XWaylandClientData>()
            .expect("a persona's clients are its own or its Xwayland")
            .compositor_state
    }

    fn new_surface(&mut self, surface: &WlSurface) {
        smithay::wayland::compositor::add_pre_commit_hook::<Self, _>(
            surface,
            |state, _dh, surface| super::timing::track_barriers(state, surface),
        );
        smithay::wayland::compositor::add_pre_commit_hook::<Self, _>(
            surface,
            |state, _dh, surface| super::dmabuf::wait_for_fences(state, surface),
        );
    }

    fn commit(&mut self, surface: &WlSurface) {
        let _span = tracing::trace_span!("commit").entered();
        on_commit_buffer_handler::<Self>(surface);
        // Damage committed without a new buffer stays until one comes.
        with_states(surface, |states| {
            super::limits::cap_damage(
                &mut states
                    .cached_state
                    .get::<SurfaceAttributes>()
                    .current()
                    .damage,
            );
            super::limits::damage_applied(states);
        });
        if !is_sync_subsurface(surface) {
            let mut root = surface.clone();
            while let Some(parent) = get_parent(&root) {
                root = parent;
            }
            if let Some(window) = self.window_for_surface(&root).cloned() {
                self.toplevel_committed(&window);
            } else if self
                .xwayland_client
                .as_ref()
                .is_some_and(|c| root.client().is_some_and(|r| r.id() == c.id()))
            {
                // Perhaps an X11 window's, named before it was drawn.
                self.pair_x11_windows();
            } else {
                self.layer_committed(&root);
            }
        }
        self.popup_committed(surface);
        self.content_generation += 1;

        if self.active {
            self.needs_redraw = true;
            // Before anything the client sends after this commit is answered
            // (a sync), the pointer has entered whatever is now under it.
            self.pointer_focus_after_commits();
        } else {
            // The system display's panels show over every persona.
            self.needs_redraw |= self.system.is_some();
            // Nothing of a background persona is presented: say so at once rather
            // than leaving the client waiting for a frame that never comes.
            with_states(surface, |states| {
                let mut cached = states.cached_state.get::<PresentationFeedbackCachedState>();
                for callback in cached.current().callbacks.drain(..) {
                    callback.discarded();
                }
            });
        }
    }
}

impl BufferHandler for PersonaState {
    fn buffer_destroyed(&mut self, _buffer: &wl_buffer::WlBuffer) {}
}

impl ShmHandler for PersonaState {
    fn shm_state(&self) -> &ShmState {
        &self.shm_state
    }
}

// The compositor globals as smithay's delegate_compositor! wires them, except
// wl_surface and wl_region (limited, see handlers::limits) and wl_subsurface: smithay 0.7 panics on place_above/place_below relative to
// the subsurface itself (an insertion past the end), so that is refused here
// with the protocol's bad_surface error first.
delegate_global_dispatch!(PersonaState: [wl_compositor::WlCompositor: ()] => CompositorState);
delegate_global_dispatch!(PersonaState: [wl_subcompositor::WlSubcompositor: ()] => CompositorState);
delegate_dispatch!(PersonaState: [wl_compositor::WlCompositor: ()] => CompositorState);
delegate_dispatch!(PersonaState: [wl_callback::WlCallback: ()] => CompositorState);
delegate_dispatch!(PersonaState: [wl_subcompositor::WlSubcompositor: ()] => CompositorState);

impl Dispatch<wl_subsurface::WlSubsurface, SubsurfaceUserData> for PersonaState {
    fn request(
        state: &mut Self,
        client: &Client,
        subsurface: &wl_subsurface::WlSubsurface,
        request: wl_subsurface::Request,
        data: &SubsurfaceUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let wl_subsurface::Request::PlaceAbove { sibling }
        | wl_subsurface::Request::PlaceBelow { sibling } = &request
        {
            if sibling == data.surface() {
                subsurface.post_error(
                    wl_subsurface::Error::BadSurface,
                    "a subsurface cannot be placed relative to itself",
                );
                return;
            }
        }
        <CompositorState as Dispatch<wl_subsurface::WlSubsurface, SubsurfaceUserData, Self>>::request(
            state, client, subsurface, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut Self,
        client: smithay::reexports::wayland_server::backend::ClientId,
        subsurface: &wl_subsurface::WlSubsurface,
        data: &SubsurfaceUserData,
    ) {
        <CompositorState as Dispatch<wl_subsurface::WlSubsurface, SubsurfaceUserData, Self>>::destroyed(
            state, client, subsurface, data,
        );
    }
}
// wl_shm as smithay's delegate_shm! wires it, except wl_shm_pool: smithay
// 0.7 posts an error for `resize` to a size ≤ 0 and then panics on it
// (unwrapping a NonZeroUsize), which would let any client take the
// compositor down. The request is refused here first.
delegate_global_dispatch!(PersonaState: [wl_shm::WlShm: ()] => ShmState);

/// The largest shm pool a client may map (an 8K output's buffer is 132 MiB;
/// room for double buffering). Larger pools would let one client take the
/// compositor's address space from every persona.
pub const MAX_SHM_POOL: i32 = 512 << 20;

impl Dispatch<wl_shm::WlShm, ()> for PersonaState {
    fn request(
        state: &mut Self,
        client: &Client,
        shm: &wl_shm::WlShm,
        request: wl_shm::Request,
        data: &(),
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let wl_shm::Request::CreatePool { size, .. } = &request {
            if *size > MAX_SHM_POOL {
                shm.post_error(
                    wl_shm::Error::InvalidFd,
                    format!("a pool of {size} bytes is more than {MAX_SHM_POOL}"),
                );
                return;
            }
            if let Err(limit) = state.shm_budget.take(dh, client.id(), ShmKind::Pool) {
                limits::out_of_memory(state, client, limit);
                return;
            }
        }
        <ShmState as Dispatch<wl_shm::WlShm, (), Self>>::request(
            state, client, shm, request, data, dh, data_init,
        );
    }
}

impl Dispatch<wl_buffer::WlBuffer, ShmBufferUserData> for PersonaState {
    fn request(
        state: &mut Self,
        client: &Client,
        buffer: &wl_buffer::WlBuffer,
        request: wl_buffer::Request,
        data: &ShmBufferUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        <ShmState as Dispatch<wl_buffer::WlBuffer, ShmBufferUserData, Self>>::request(
            state, client, buffer, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut Self,
        client: smithay::reexports::wayland_server::backend::ClientId,
        buffer: &wl_buffer::WlBuffer,
        data: &ShmBufferUserData,
    ) {
        state.shm_budget.give_back(&client, ShmKind::Buffer);
        <ShmState as Dispatch<wl_buffer::WlBuffer, ShmBufferUserData, Self>>::destroyed(
            state, client, buffer, data,
        );
    }
}

impl Dispatch<wl_shm_pool::WlShmPool, ShmPoolUserData> for PersonaState {
    fn request(
        state: &mut Self,
        client: &Client,
        pool: &wl_shm_pool::WlShmPool,
        request: wl_shm_pool::Request,
        data: &ShmPoolUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let wl_shm_pool::Request::Resize { size } = &request {
            if *size > MAX_SHM_POOL {
                pool.post_error(
                    wl_shm::Error::InvalidFd,
                    format!("a pool of {size} bytes is more than {MAX_SHM_POOL}"),
                );
                return;
            }
            if *size <= 0 {
                pool.post_error(
                    wl_shm::Error::InvalidFd,
                    format!("invalid wl_shm_pool size {size}"),
                );
                return;
            }
        }
        if let wl_shm_pool::Request::CreateBuffer { .. } = &request {
            if let Err(limit) = state.shm_budget.take(dh, client.id(), ShmKind::Buffer) {
                limits::out_of_memory(state, client, limit);
                return;
            }
        }
        <ShmState as Dispatch<wl_shm_pool::WlShmPool, ShmPoolUserData, Self>>::request(
            state, client, pool, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut Self,
        client: smithay::reexports::wayland_server::backend::ClientId,
        pool: &wl_shm_pool::WlShmPool,
        data: &ShmPoolUserData,
    ) {
        state.shm_budget.give_back(&client, ShmKind::Pool);
        <ShmState as Dispatch<wl_shm_pool::WlShmPool, ShmPoolUserData, Self>>::destroyed(
            state, client, pool, data,
        );
    }
}
