//! The outer half of GPU buffers (`handlers::dmabuf`): what the backend
//! offers goes to every persona's display, and queued imports are checked
//! with the backend's renderer.

use smithay::backend::allocator::Buffer;

use super::State;
use smithay::backend::allocator::format::FormatSet;

use crate::handlers::dmabuf::{GpuBuffers, GpuOffer};
use crate::persona::{PersonaId, PersonaState};

impl State {
    /// Offers `offer` on every display, now and for personas made later.
    pub fn set_gpu_offer(&mut self, offer: Option<GpuOffer>) {
        self.backend
            .set_offered_formats(offer.as_ref().map(|o| &o.formats));
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
    /// what now draws. From the same main device it only narrows: the
    /// feedback changes, sent to the clients that listen, and formats no
    /// longer drawn everywhere are no longer suggested. It never grows
    /// beyond what the globals were made with, since a global refuses a
    /// buffer in a format it was not made with (fatal for the client); the
    /// renderer still imports those it dropped. From another main device
    /// (the primary GPU went) the globals are made anew, as clients must
    /// open the new device.
    pub fn refresh_gpu_offer(&mut self) {
        let offer = self.backend.gpu_offer();
        self.change_gpu_offer(offer);
    }

    /// Offers `offer` instead of what is offered now (see
    /// [`State::refresh_gpu_offer`]).
    pub fn change_gpu_offer(&mut self, offer: Option<GpuOffer>) {
        let narrowed = match (&self.gpu_offer, offer) {
            (Some(old), Some(new))
                if old.main_device == new.main_device
                    && old.syncobj.is_some() == new.syncobj.is_some() =>
            {
                let formats: FormatSet = new
                    .formats
                    .iter()
                    .filter(|f| old.formats.contains(f))
                    .copied()
                    .collect();
                if formats.iter().count() == old.formats.iter().count() {
                    return;
                }
                if formats.iter().next().is_none() {
                    // Withdrawing it would leave bound clients as they are;
                    // a buffer the renderer cannot take fails on import.
                    tracing::warn!("no buffer format every GPU draws; the offer stays");
                    return;
                }
                match GpuOffer::new(new.main_device, formats, new.syncobj) {
                    Ok(narrowed) => narrowed,
                    Err(err) => {
                        tracing::warn!("dmabuf feedback: {err}");
                        return;
                    }
                }
            }
            (None, None) => return,
            (_, offer) => return self.set_gpu_offer(offer),
        };
        tracing::info!(
            formats = narrowed.formats.iter().count(),
            "linux-dmabuf feedback narrowed to what every GPU draws"
        );
        for id in self.personas.all_ids() {
            if let Some(persona) = self.personas.get(id) {
                GpuBuffers::update_feedback(&persona.state, &narrowed.feedback);
            }
        }
        self.backend.set_offered_formats(Some(&narrowed.formats));
        self.gpu_offer = Some(narrowed);
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
