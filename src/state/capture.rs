//! Carrying out the captures a persona's clients asked for
//! (`handlers::capture`): here, where the renderer is. Each is rendered from
//! its own persona's scene, never from what the output shows.

use std::sync::atomic::Ordering;

use super::State;
use crate::handlers::capture::{CaptureFailure, CaptureSource, PendingCapture};
use crate::persona::PersonaId;
use crate::render::capture::{self, Captured};

impl State {
    /// Serves the persona's queued captures; those waiting for new content
    /// stay queued until a commit in this persona.
    pub(super) fn serve_captures(&mut self, id: PersonaId) {
        let Some(persona) = self.personas.get_mut(id) else {
            return;
        };
        if persona.state.captures.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut persona.state.captures);
        let generation = persona.state.content_generation;
        let time = std::time::Duration::from(persona.state.clock.now());
        let mut renderer = self.backend.readback();
        // Each output is rendered at most once for all its captures.
        let mut outputs: Vec<(String, Option<Captured>)> = Vec::new();
        let mut waiting: Vec<PendingCapture> = Vec::new();
        for request in pending {
            if !request.sink.alive() {
                continue;
            }
            if request.wait_for_change && request.seen.load(Ordering::Relaxed) >= generation {
                waiting.push(request);
                continue;
            }
            let image = match &request.source {
                CaptureSource::Output(name) => {
                    let known = outputs.iter().position(|(n, _)| n == name);
                    let at = known.unwrap_or_else(|| {
                        let image = renderer.capture_output(&persona.state, name)
                            .map_err(|err| tracing::warn!(persona = %persona.state.name, "capture failed: {err}"))
                            .ok();
                        outputs.push((name.clone(), image));
                        outputs.len() - 1
                    });
                    outputs[at].1.clone().ok_or(CaptureFailure::Unknown)
                }
                CaptureSource::Toplevel(handle) => handle
                    .upgrade()
                    .and_then(|handle| persona.state.window_for_handle(&handle))
                    .ok_or(CaptureFailure::Stopped)
                    .and_then(|window| {
                        renderer.capture_window(&window).map_err(|err| {
                            tracing::warn!(persona = %persona.state.name, "window capture failed: {err}");
                            CaptureFailure::Unknown
                        })
                    }),
            };
            let copied = image.and_then(|image| {
                // The source may have changed size since the request was checked.
                let fits = request.region.loc.x + request.region.size.w <= image.width
                    && request.region.loc.y + request.region.size.h <= image.height;
                if !fits {
                    return Err(CaptureFailure::Constraints);
                }
                capture::copy_into(&request.buffer, &image, request.region)
                    .map_err(|_| CaptureFailure::Constraints)
            });
            match copied {
                Ok(()) => {
                    request.seen.store(generation, Ordering::Relaxed);
                    let transform = match &request.source {
                        CaptureSource::Output(name) => persona
                            .state
                            .output_named(name)
                            .map_or(smithay::utils::Transform::Normal, |o| o.current_transform()),
                        CaptureSource::Toplevel(_) => smithay::utils::Transform::Normal,
                    };
                    request.sink.ready(request.region.size, transform, time);
                }
                Err(failure) => request.sink.failed(failure),
            }
        }
        persona.state.captures = waiting;
    }
}
