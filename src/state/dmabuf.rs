//! The outer half of GPU buffers (`handlers::dmabuf`): what the backend
//! offers goes to every persona's display, and queued imports are checked
//! with the backend's renderer.

use smithay::backend::allocator::Buffer;

use super::State;
use crate::handlers::dmabuf::GpuOffer;
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
                    .set_offer(&display, self.gpu_offer.as_ref(), &self.loop_handle);
            }
        }
    }

    /// Answers the persona's dmabuf imports (`created` or `failed`).
    pub(super) fn serve_gpu_buffers(&mut self, id: PersonaId) {
        let Some(persona) = self.personas.get_mut(id) else {
            return;
        };
        let imports = std::mem::take(&mut persona.state.gpu.imports);
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
    }
}
