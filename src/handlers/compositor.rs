//! wl_compositor, wl_subcompositor, wl_shm and buffer handling.

use smithay::backend::renderer::utils::on_commit_buffer_handler;
use smithay::reexports::wayland_server::protocol::{wl_buffer, wl_surface::WlSurface};
use smithay::reexports::wayland_server::Client;
use smithay::wayland::buffer::BufferHandler;
use smithay::wayland::compositor::{
    get_parent, is_sync_subsurface, with_states, CompositorClientState, CompositorHandler,
    CompositorState,
};
use smithay::wayland::presentation::PresentationFeedbackCachedState;
use smithay::wayland::shm::{ShmHandler, ShmState};
use smithay::{delegate_compositor, delegate_shm};

use crate::persona::{ClientState, PersonaState};

impl CompositorHandler for PersonaState {
    fn compositor_state(&mut self) -> &mut CompositorState {
        &mut self.compositor_state
    }

    fn client_compositor_state<'a>(&self, client: &'a Client) -> &'a CompositorClientState {
        &client
            .get_data::<ClientState>()
            .expect("every client of a persona carries ClientState")
            .compositor_state
    }

    fn commit(&mut self, surface: &WlSurface) {
        on_commit_buffer_handler::<Self>(surface);
        if !is_sync_subsurface(surface) {
            let mut root = surface.clone();
            while let Some(parent) = get_parent(&root) {
                root = parent;
            }
            if let Some(window) = self.window_for_surface(&root).cloned() {
                self.toplevel_committed(&window);
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

delegate_compositor!(PersonaState);
delegate_shm!(PersonaState);
