//! The frame clock: at most one frame per refresh interval, only when something
//! changed, and a switch renders at once.

use std::time::{Duration, Instant};

use smithay::backend::renderer::element::default_primary_scanout_output_compare;
use smithay::desktop::utils::{
    surface_primary_scanout_output, update_surface_primary_scanout_output,
    OutputPresentationFeedback,
};
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::wayland_protocols::wp::presentation_time::server::wp_presentation_feedback;
use smithay::utils::Monotonic;
use smithay::wayland::presentation::Refresh;

use super::idle::Power;
use super::State;
use crate::persona::switch::SwitchOrigin;
use crate::persona::PersonaState;

/// How often a covered surface of the active persona still gets a frame callback.
pub const HIDDEN_FRAME_INTERVAL: Duration = Duration::from_millis(995);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedrawState {
    /// Nothing to do until something changes.
    Idle,
    /// A render runs when this loop turn ends (`refresh_and_flush`).
    Queued,
    /// A frame was just shown; the next may start after one refresh interval.
    WaitingForVblank { redraw_needed: bool },
}

impl State {
    /// Asks for a frame as soon as the frame clock allows.
    pub fn queue_redraw(&mut self) {
        match self.redraw {
            RedrawState::Idle => self.redraw = RedrawState::Queued,
            RedrawState::Queued => {}
            RedrawState::WaitingForVblank { .. } => {
                self.redraw = RedrawState::WaitingForVblank {
                    redraw_needed: true,
                };
            }
        }
    }

    /// Renders the active persona now and starts a refresh interval.
    pub fn render_frame(&mut self) {
        let was_waiting = matches!(self.redraw, RedrawState::WaitingForVblank { .. });
        self.render_active();
        self.redraw = RedrawState::WaitingForVblank {
            redraw_needed: false,
        };
        if !was_waiting {
            self.arm_vblank_timer();
        }
    }

    fn arm_vblank_timer(&mut self) {
        let interval = self.backend.headless().frame_duration();
        let inserted = self.loop_handle.insert_source(
            Timer::from_duration(interval),
            |_, _, state: &mut State| match state.redraw {
                RedrawState::WaitingForVblank {
                    redraw_needed: true,
                } => {
                    state.render_active();
                    state.redraw = RedrawState::WaitingForVblank {
                        redraw_needed: false,
                    };
                    let interval = state.backend.headless().frame_duration();
                    TimeoutAction::ToDuration(interval)
                }
                _ => {
                    state.redraw = RedrawState::Idle;
                    TimeoutAction::Drop
                }
            },
        );
        if let Err(err) = inserted {
            tracing::error!("frame timer not armed: {err}");
            self.redraw = RedrawState::Idle;
        }
    }

    /// Draws the overview; no client gets a frame callback meanwhile.
    fn render_overview(&mut self) {
        self.personas.active_mut().state.needs_redraw = false;
        let cells = self.overview_cells();
        let Some(overview) = self.overview.as_mut() else {
            return;
        };
        let items: Vec<crate::render::overview::Item<'_>> = overview
            .ids
            .iter()
            .zip(&cells)
            .zip(&overview.labels)
            .enumerate()
            .filter_map(|(i, ((id, cell), label))| {
                Some(crate::render::overview::Item {
                    persona: &self.personas.get(*id)?.state,
                    cell: *cell,
                    label,
                    selected: i == overview.selected,
                })
            })
            .collect();
        let dim = self.power == Power::Dimmed;
        let crate::backend::Backend::Headless(backend) = &mut self.backend;
        if let Err(err) = backend.render_overview(&items, &mut overview.solids, dim) {
            tracing::error!("overview render failed: {err}");
        }
        self.stats.frames_rendered += 1;
    }

    /// Draws the active persona, then sends frame callbacks and presentation
    /// feedback to the surfaces that were drawn; covered ones get a frame at most
    /// once per [`HIDDEN_FRAME_INTERVAL`].
    fn render_active(&mut self) {
        if self.power == Power::Off {
            // Nothing is shown: the apps on screen get no frames either, as
            // with a panel turned off; black once, nothing more until it
            // comes back on.
            self.personas.active_mut().state.needs_redraw = false;
            if let Err(err) = self.backend.headless().blank() {
                tracing::error!("blanking the output failed: {err}");
            }
            return;
        }
        if self.overview.is_some() {
            self.render_overview();
            return;
        }
        let id = self.personas.active_id();
        let persona = self.personas.active_mut();
        persona.state.needs_redraw = false;
        persona.state.space.refresh();
        persona.state.popups.cleanup();
        let persona = &self.personas.active().state;
        let states = match self.backend.headless().render(
            persona,
            self.notice.as_ref(),
            self.power == Power::Dimmed,
        ) {
            Ok(states) => states,
            Err(err) => {
                tracing::error!("render failed: {err}");
                return;
            }
        };
        self.stats.frames_rendered += 1;
        let now = self.now();
        let persona = &self.personas.active().state;
        let output = &persona.output;
        for window in persona.space.elements() {
            window.with_surfaces(|surface, data| {
                update_surface_primary_scanout_output(
                    surface,
                    output,
                    data,
                    &states,
                    default_primary_scanout_output_compare,
                );
            });
            window.send_frame(
                output,
                now,
                Some(HIDDEN_FRAME_INTERVAL),
                surface_primary_scanout_output,
            );
        }
        present(
            persona,
            now,
            self.backend.headless().frame_duration(),
            self.stats.frames_rendered,
        );
        self.mark_dirty(id);
    }

    /// Shows `text` on `color` for a moment (the persona's name on a switch).
    pub fn show_notice(&mut self, text: &str, color: crate::config::Color) {
        let output = self.backend.output_spec().display_size();
        self.notice = Some(crate::render::notice::Notice::new(text, color, output));
        if let Some(old) = self.notice_timer.take() {
            self.loop_handle.remove(old);
        }
        let timer = self.loop_handle.insert_source(
            Timer::from_duration(crate::render::notice::NOTICE_TIME),
            |_, _, state: &mut State| {
                state.notice = None;
                state.notice_timer = None;
                state.personas.active_mut().state.needs_redraw = true;
                state.queue_redraw();
                TimeoutAction::Drop
            },
        );
        self.notice_timer = timer.ok();
    }

    /// A switch shows the new persona in the very next frame: render now, whole.
    pub(crate) fn redraw_now_after_switch(&mut self, origin: SwitchOrigin) {
        self.backend.headless().reset_damage();
        let was_waiting = matches!(self.redraw, RedrawState::WaitingForVblank { .. });
        self.render_active();
        let done = Instant::now();
        self.redraw = RedrawState::WaitingForVblank {
            redraw_needed: false,
        };
        if !was_waiting {
            self.arm_vblank_timer();
        }
        // Headless has no scan-out: the frame is presented when it is rendered.
        self.stats.record_switch(origin, done, done);
    }
}

pub fn send_frame_callbacks(persona: &PersonaState, now: Duration) {
    let output = persona.output.clone();
    for window in persona.space.elements() {
        window.send_frame(&output, now, None, |_, _| Some(output.clone()));
    }
}

/// Surfaces that were drawn are presented; the others' feedback is discarded.
fn present(persona: &PersonaState, now: Duration, refresh: Duration, seq: u64) {
    let output = &persona.output;
    let mut feedback = OutputPresentationFeedback::new(output);
    for window in persona.space.elements() {
        window.take_presentation_feedback(&mut feedback, surface_primary_scanout_output, |_, _| {
            wp_presentation_feedback::Kind::empty()
        });
    }
    feedback.presented::<_, Monotonic>(
        now,
        Refresh::fixed(refresh),
        seq,
        wp_presentation_feedback::Kind::empty(),
    );
}
