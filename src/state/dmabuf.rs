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

    /// The GPUs changed (one plugged in or removed): the offer follows
    /// what now draws. From the same main device only the feedback changes,
    /// sent to the clients that listen; from another (the primary GPU went)
    /// the globals are made anew, as clients must open the new device.
    pub fn refresh_gpu_offer(&mut self) {
        let offer = self.backend.gpu_offer();
        self.change_gpu_offer(offer);
    }

    /// Offers `offer` instead of what is offered now (see
    /// [`State::refresh_gpu_offer`]).
    pub fn change_gpu_offer(&mut self, offer: Option<GpuOffer>) {
        let same_device = match (&self.gpu_offer, &offer) {
            (Some(old), Some(new)) => {
                old.main_device == new.main_device && old.syncobj.is_some() == new.syncobj.is_some()
            }
            (None, None) => return,
            _ => false,
        };
        if !same_device {
            return self.set_gpu_offer(offer);
        }
        let Some(offer) = offer else { return };
        for id in self.personas.all_ids() {
            if let Some(persona) = self.personas.get_mut(id) {
                persona.state.gpu.update_feedback(&offer.feedback);
            }
        }
        self.gpu_offer = Some(offer);
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
