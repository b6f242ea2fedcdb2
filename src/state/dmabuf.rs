//! The outer half of GPU buffers (`handlers::dmabuf`): what the backend
//! offers goes to every persona's display, queued imports are checked with
//! the backend's renderer, and fence waits join the event loop.

use smithay::backend::allocator::Buffer;
use smithay::reexports::calloop::{EventSource, RegistrationToken};
use smithay::reexports::wayland_server::Client;

use super::State;
use crate::handlers::dmabuf::{FenceWait, GpuOffer};
use crate::persona::{PersonaId, PersonaState};

impl State {
    /// Offers `offer` on every display, now and for personas made later.
    pub fn set_gpu_offer(&mut self, offer: Option<GpuOffer>) {
        self.gpu_offer = offer;
        for id in self.personas.all_ids() {
            if let Some(persona) = self.personas.get_mut(id) {
                let display = persona.display.handle();
                persona
                    .state
                    .gpu
                    .set_offer(&display, self.gpu_offer.as_ref());
            }
        }
    }

    /// Answers the persona's dmabuf imports (`created` or `failed`) and
    /// starts waiting on the fences its commits wait for.
    pub(super) fn serve_gpu_buffers(&mut self, id: PersonaId) {
        let Some(persona) = self.personas.get_mut(id) else {
            return;
        };
        let imports = std::mem::take(&mut persona.state.gpu.imports);
        let waits = std::mem::take(&mut persona.state.gpu.waits);
        let name = persona.state.name.clone();
        for (dmabuf, notifier) in imports {
            match self.backend.import_dmabuf(&dmabuf) {
                Ok(()) => {
                    // Err: the client went meanwhile.
                    let _ = notifier.successful::<PersonaState>();
                }
                Err(err) => {
                    tracing::warn!(
                        persona = %name,
                        format = ?dmabuf.format(),
                        size = ?dmabuf.size(),
                        "dmabuf import failed: {err}"
                    );
                    notifier.failed();
                }
            }
        }
        for (client, wait) in waits {
            if let Err(err) = self.watch_fence(id, client, wait) {
                tracing::warn!(persona = %name, "cannot wait for a buffer's fence: {err}");
            }
        }
    }

    /// When the fence signals, the commits it held apply.
    fn watch_fence(
        &mut self,
        id: PersonaId,
        client: Client,
        wait: FenceWait,
    ) -> Result<RegistrationToken, String> {
        match wait {
            FenceWait::Syncobj(source) => self.on_signal(source, id, client),
            FenceWait::Implicit(source) => self.on_signal(source, id, client),
        }
    }

    fn on_signal<S>(
        &mut self,
        source: S,
        id: PersonaId,
        client: Client,
    ) -> Result<RegistrationToken, String>
    where
        S: EventSource<Event = (), Ret = std::io::Result<()>> + 'static,
    {
        self.loop_handle
            .insert_source(source, move |_, _, state| {
                if let Some(persona) = state.personas.get_mut(id) {
                    persona.blocker_cleared(&client);
                    state.mark_dirty(id);
                }
                Ok(())
            })
            .map_err(|e| e.to_string())
    }
}
