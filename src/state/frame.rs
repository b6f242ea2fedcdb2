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

use super::frame_clock::Tick;
use super::idle::Power;
use super::State;
use crate::backend::Flip;
use crate::persona::outputs::View;
use crate::persona::switch::SwitchOrigin;
use crate::persona::PersonaState;
use smithay::backend::renderer::element::RenderElementStates;

/// How often a covered surface of the active persona still gets a frame callback.
pub const HIDDEN_FRAME_INTERVAL: Duration = Duration::from_millis(995);

impl State {
    /// Asks for a frame as soon as the frame clock allows.
    pub fn queue_redraw(&mut self) {
        self.frame_clock.queue();
    }

    /// Renders the active persona now and starts a refresh interval.
    pub fn render_frame(&mut self) {
        let flip = self.render_active();
        if self.frame_clock.rendered(flip) {
            self.arm_frame_timer();
        }
    }

    /// Draws the active persona (however the frame was asked for: now, by
    /// the frame timer, after a page flip); what a drawn frame latched lets
    /// the clients' next content come (wp-fifo, commit timing).
    fn render_active(&mut self) -> Flip {
        let flip = self.draw_active();
        if matches!(flip, Flip::Shown | Flip::Queued | Flip::Nothing) {
            let until = self.now() + self.backend.frame_duration();
            self.release_barriers(self.personas.active_id(), until, true);
        }
        flip
    }

    /// Releases a persona's fifo barriers and commit timers due by `until`;
    /// a commit timer due later wakes the loop then (nothing else may draw
    /// before it).
    pub(crate) fn release_barriers(
        &mut self,
        id: crate::persona::PersonaId,
        until: Duration,
        fifo: bool,
    ) {
        let Some(persona) = self.personas.get_mut(id) else {
            return;
        };
        if persona.state.barrier_surfaces.is_empty() {
            return;
        }
        let next = persona.release_barriers(until, fifo);
        self.mark_dirty(id);
        let (Some(due), true) = (next, id == self.personas.active_id()) else {
            return;
        };
        if let Some(old) = self.commit_timer.take() {
            self.loop_handle.remove(old);
        }
        let wait = due.saturating_sub(self.now());
        let timer = self.loop_handle.insert_source(
            Timer::from_duration(wait),
            |_, _, state: &mut State| {
                state.commit_timer = None;
                let id = state.personas.active_id();
                let now = state.now();
                state.release_barriers(id, now, false);
                state.queue_redraw();
                TimeoutAction::Drop
            },
        );
        self.commit_timer = timer.ok();
    }

    /// Renders at once, whole (if a frame still waits for its page flip,
    /// `render_active` says so and the flip renders next).
    pub fn redraw_now(&mut self) {
        self.backend.reset_damage();
        self.render_frame();
    }

    fn arm_frame_timer(&mut self) {
        let interval = self.backend.frame_duration();
        let inserted = self.loop_handle.insert_source(
            Timer::from_duration(interval),
            |_, _, state: &mut State| {
                let pending = state.backend.flip_pending();
                match state.frame_clock.timer_fired(pending) {
                    Tick::Render => {
                        let flip = state.render_active();
                        if state.frame_clock.timer_rendered(flip) {
                            TimeoutAction::ToDuration(state.backend.frame_duration())
                        } else {
                            TimeoutAction::Drop
                        }
                    }
                    Tick::Stop => TimeoutAction::Drop,
                }
            },
        );
        if let Err(err) = inserted {
            tracing::error!("frame timer not armed: {err}");
            self.frame_clock.timer_failed();
        }
    }

    /// The frame queued on `output` is on screen since `at` (monotonic):
    /// its surfaces get their presentation feedback, a switch its figure;
    /// then the next frame, if one is wanted, or if that output missed one
    /// (`owed`) while it waited.
    pub fn frame_presented(&mut self, output: Option<&str>, owed: bool, at: Duration, seq: u64) {
        let flight = output.and_then(|name| self.in_flight.iter().position(|(o, _)| o == name));
        if let Some(index) = flight {
            let (_, in_flight) = self.in_flight.remove(index);
            let now = self.now();
            in_flight.presented(&mut self.stats, at, seq, now);
        }
        self.lock_shown_everywhere();
        if self.frame_clock.flipped() || owed {
            self.render_frame();
        }
    }

    /// Headless output `index`'s page flip, when a test simulates them
    /// (`HeadlessBackend::simulate_flips`): as a tty's flip event.
    pub fn simulated_page_flip(&mut self, index: usize) {
        let Some((output, owed)) = self
            .backend
            .headless()
            .and_then(|headless| headless.page_flip(index))
        else {
            return;
        };
        let now = self.now();
        self.frame_presented(Some(&output), owed, now, 0);
    }

    /// Frames queued on outputs that are gone (unplugged, under the lid)
    /// will never be shown.
    pub(crate) fn forget_gone_flights(&mut self) {
        let outputs = self.backend.output_names();
        self.forget_flights(|name| !outputs.iter().any(|o| o == name));
    }

    /// Frames queued on outputs `gone` says are gone (or on every output,
    /// after a VT switch) will never be shown.
    pub(crate) fn forget_flights(&mut self, gone: impl Fn(&str) -> bool) {
        self.in_flight.retain_mut(|(output, in_flight)| {
            if !gone(output) {
                return true;
            }
            if let Some(feedback) = in_flight.feedback.as_mut() {
                feedback.discarded();
            }
            false
        });
    }

    /// A lock is confirmed once every output shows it: no frame of what
    /// was shown before is still waiting for its flip, and no output still
    /// has to draw it.
    pub(crate) fn lock_shown_everywhere(&mut self) {
        if self.in_flight.is_empty() && !self.backend.owes_frames() {
            self.lock_shown();
        }
    }

    /// Draws the overview; no client gets a frame callback meanwhile.
    fn render_overview(&mut self) -> Flip {
        self.personas.active_mut().state.needs_redraw = false;
        let cells = self.overview_cells();
        let Some(overview) = self.overview.as_mut() else {
            return Flip::Nothing;
        };
        let dim = self.power == Power::Dimmed;
        match self
            .backend
            .render_overview(&self.personas, overview, &cells, dim)
        {
            Ok(flip) => {
                if matches!(flip, Flip::Shown | Flip::Queued) {
                    self.stats.frames_rendered += 1;
                }
                if flip == Flip::Queued {
                    self.watch_flip();
                }
                flip
            }
            Err(err) => {
                tracing::error!("overview render failed: {err}");
                Flip::Failed
            }
        }
    }

    /// Draws the active persona, then sends frame callbacks to the surfaces
    /// that were drawn (covered ones get a frame at most once per
    /// [`HIDDEN_FRAME_INTERVAL`]); their presentation feedback goes out when
    /// the frame is on screen.
    fn draw_active(&mut self) -> Flip {
        let _span = tracing::trace_span!("frame").entered();
        if self.backend.flip_pending() {
            // Every output waits for its flip: the first to come draws this
            // frame (and a switch waiting for it), and each owes it until
            // drawn (a lock is not confirmed before).
            self.backend.owe_all();
            return Flip::Pending;
        }
        // A switch's frame does only what shows the new persona; the upkeep
        // that walks every window (the space's output enter/leave, covered
        // windows' frame callbacks) follows once its clients are flushed.
        let switching = std::mem::take(&mut self.switch_frame);
        if self.power == Power::Off {
            // Nothing is shown: the apps on screen get no frames either, as
            // with a panel turned off; black once, nothing more until it
            // comes back on.
            self.personas.active_mut().state.needs_redraw = false;
            let all = match self.backend.blank() {
                Ok(all) => all,
                Err(err) => {
                    tracing::error!("blanking the output failed: {err}");
                    true
                }
            };
            // A black frame may have been queued (where DPMS is refused).
            self.watch_flip();
            if !all {
                // An output still waits for its flip, which blanks it.
                return Flip::Pending;
            }
            self.switch_not_shown();
            // Nothing of any persona shows either.
            self.lock_shown();
            return Flip::Nothing;
        }
        if self.overview.is_some() {
            return self.render_overview();
        }
        let id = self.personas.active_id();
        let persona = self.personas.active_mut();
        persona.state.needs_redraw = false;
        if !switching {
            persona.state.space.refresh();
            persona.state.popups.cleanup();
        }
        let persona = &self.personas.active().state;
        // What each output shows: drawn, then paced, from the same list.
        let views = persona.views();
        let dim = self.power == Power::Dimmed;
        let render = tracing::trace_span!("render").entered();
        let panels = crate::system::panels::overlay(&self.personas, self.locked());
        let with_panels = panels.is_some();
        let overlay = crate::render::Overlay {
            notice: self.notice.as_ref(),
            system: panels,
            cursor_hidden: self.cursor.hidden,
            front: self.backend.front_index(),
        };
        let rendered = self.backend.render(persona, &views, &overlay, dim);
        drop(render);
        let drawn = match rendered {
            Ok(drawn) => drawn,
            Err(err) => {
                tracing::error!("render failed: {err}");
                return Flip::Failed;
            }
        };
        let flip = Flip::combine(drawn.iter().map(|(_, flip)| *flip));
        let rendered = Instant::now();
        if matches!(flip, Flip::Shown | Flip::Queued) {
            self.stats.frames_rendered += 1;
        }
        if self.backend.animating() {
            // A transition runs: every refresh draws its next step.
            self.personas.active_mut().state.needs_redraw = true;
        }
        let now = self.now();
        // The system display's panels drew with this frame.
        if let Some(system) = self.personas.system_id().filter(|_| with_panels) {
            if let Some(panels) = self.personas.get(system) {
                send_frame_callbacks(&panels.state, now);
            }
            self.release_barriers(system, now, true);
            self.mark_dirty(system);
        }
        let persona = &self.personas.active().state;
        let output = &persona.output;
        // Outputs still waiting for their flip drew nothing: what their last
        // frame said of each surface stands, and their surfaces get frame
        // callbacks when they draw again (each output paces its own).
        // An output turned off by hand shows nothing either: its surfaces
        // get no frames, as with the whole display off.
        let shown: Vec<(&View, &RenderElementStates, Flip)> = views
            .iter()
            .zip(&drawn)
            .filter(|(view, (_, flip))| {
                *flip != Flip::Pending && !self.backend.output_off(&view.spec.name)
            })
            .map(|(view, (states, flip))| (view, states, *flip))
            .collect();
        // A mirror shows the primary's output: the primary paces it.
        let paces = |view: &View| !persona.mirror || view.index == 0;
        let walked = (switching && views.len() == 1).then(|| persona.drawn_windows.get());
        // Each output's drawn surfaces: a surface's primary output is where
        // most of it shows, and that output's frame paces it. Surface
        // feedback follows frames that were drawn: a failed one says
        // nothing about how surfaces are shown.
        for window in walked_windows(persona, walked) {
            for &(view, states, flip) in &shown {
                window.with_surfaces(mark_primary(&view.output, states));
                if let Some(feedback) = matches!(flip, Flip::Shown | Flip::Queued)
                    .then(|| self.backend.surface_feedback(view.index))
                    .flatten()
                {
                    window.send_dmabuf_feedback(
                        &view.output,
                        surface_primary_scanout_output,
                        select_feedback(feedback, states),
                    );
                }
            }
            for &(view, _, _) in shown.iter().filter(|(view, _, _)| paces(view)) {
                window.send_frame(
                    &view.output,
                    now,
                    Some(HIDDEN_FRAME_INTERVAL),
                    surface_primary_scanout_output,
                );
            }
        }
        // Its panels and wallpapers, each on its own output.
        for &(view, states, flip) in &shown {
            for layer in smithay::desktop::layer_map_for_output(&view.output).layers() {
                layer.with_surfaces(mark_primary(&view.output, states));
                if let Some(feedback) = matches!(flip, Flip::Shown | Flip::Queued)
                    .then(|| self.backend.surface_feedback(view.index))
                    .flatten()
                {
                    layer.send_dmabuf_feedback(
                        &view.output,
                        surface_primary_scanout_output,
                        select_feedback(feedback, states),
                    );
                }
                if paces(view) {
                    layer.send_frame(
                        &view.output,
                        now,
                        Some(HIDDEN_FRAME_INTERVAL),
                        surface_primary_scanout_output,
                    );
                }
            }
        }
        // The lock screen's surfaces, and a cursor surface drawn on screen
        // (an animated cursor), get their frame callbacks as a window would.
        let cursor = match &persona.cursor {
            smithay::input::pointer::CursorImageStatus::Surface(surface)
                if self.backend.draws_cursor() =>
            {
                Some(surface)
            }
            _ => None,
        };
        for surface in persona.lock_surfaces().chain(cursor) {
            smithay::desktop::utils::send_frames_surface_tree(
                surface,
                output,
                now,
                None,
                |_, _| Some(output.clone()),
            );
        }
        // Presentation feedback per output, for the surfaces it paces: now
        // where nothing scans out, when its flip comes where a frame queued.
        let seq = self.stats.frames_rendered;
        let mut flights = Vec::new();
        for &(view, _, flip) in &shown {
            let refresh = view.spec.frame_duration();
            let mut feedback = paces(view).then(|| take_feedback(persona, walked, &view.output));
            match flip {
                Flip::Shown => {
                    if let Some(feedback) = feedback {
                        let kind = wp_presentation_feedback::Kind::empty();
                        present(feedback, now, refresh, seq, kind);
                    }
                }
                Flip::Queued => flights.push((
                    view.spec.name.clone(),
                    InFlight {
                        feedback,
                        switch: None,
                        refresh,
                    },
                )),
                Flip::Nothing | Flip::Failed | Flip::Pending => {
                    if let Some(feedback) = feedback.as_mut() {
                        feedback.discarded();
                    }
                }
            }
        }
        // The switch is timed by the primary when it queued a frame, else
        // by the first output that did.
        let timed_by = flights.first().map(|(name, _)| name.clone());
        for (name, flight) in flights {
            self.forget_flights(|output| output == name);
            self.in_flight.push((name, flight));
        }
        let switch = self.pending_switch.take();
        // An output still waiting for its flip shows the switch later.
        let waiting = drawn.iter().any(|(_, flip)| *flip == Flip::Pending);
        match flip {
            Flip::Queued => {
                if let Some((_, flight)) = self
                    .in_flight
                    .iter_mut()
                    .find(|(name, _)| Some(name) == timed_by.as_ref())
                {
                    flight.switch = switch.map(|origin| (origin, rendered));
                }
                self.watch_flip();
            }
            Flip::Shown | Flip::Nothing if waiting => {
                // The output still to show it draws after its flip.
                self.pending_switch = switch;
            }
            Flip::Shown | Flip::Nothing => {
                // Headless has no scan-out: the frame is presented when it
                // is rendered. Nothing drawn: not on screen (the session is
                // away, or no output), the switch is done as far as anyone
                // can see.
                if let Some(origin) = switch {
                    self.stats.record_switch(origin, rendered, rendered);
                }
                self.lock_shown_everywhere();
            }
            Flip::Failed | Flip::Pending => {
                // Drawn again shortly; the switch waits for that frame.
                self.pending_switch = switch;
            }
        }
        self.mark_dirty(id);
        flip
    }

    /// A switch whose frame will not be drawn (the output is off): its
    /// figures are taken now.
    fn switch_not_shown(&mut self) {
        if let Some(origin) = self.pending_switch.take() {
            let now = Instant::now();
            self.stats.record_switch(origin, now, now);
        }
    }

    /// Shows `text` on `color` for a moment (the persona's name on a switch).
    pub fn show_notice(&mut self, text: &str, color: crate::config::Color) {
        let output = self.backend.front_output().display_size();
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

    /// A switch shows the new persona in the very next frame: render now,
    /// whole (or right after the page flip a frame still waits for).
    pub(crate) fn redraw_now_after_switch(&mut self, origin: SwitchOrigin) {
        // A switch still waiting for its frame keeps its own start: the user
        // has waited since then.
        self.pending_switch.get_or_insert(origin);
        self.switch_frame = true;
        self.redraw_now();
    }
}

/// What waits for a page flip: the drawn surfaces' presentation feedback
/// and, after a switch, its request and render times.
pub struct InFlight {
    feedback: Option<OutputPresentationFeedback>,
    switch: Option<(SwitchOrigin, Instant)>,
    /// Its output's refresh interval.
    refresh: Duration,
}

impl InFlight {
    fn presented(self, stats: &mut super::stats::Stats, at: Duration, seq: u64, now: Duration) {
        let refresh = self.refresh;
        if let Some(feedback) = self.feedback {
            // A page flip: in step with vblank, timed and completed by the hardware.
            let kind = wp_presentation_feedback::Kind::Vsync
                | wp_presentation_feedback::Kind::HwClock
                | wp_presentation_feedback::Kind::HwCompletion;
            present(feedback, at, refresh, seq, kind);
        }
        if let Some((origin, rendered)) = self.switch {
            // The flip's clock is the monotonic one; so is Instant's, but
            // they cannot be compared directly: go back from now.
            let ago = now.saturating_sub(at);
            let presented = Instant::now().checked_sub(ago).unwrap_or(rendered);
            stats.record_switch(origin, rendered, presented.max(rendered));
        }
    }
}

/// The feedback a surface drawn with `states` gets: the scan-out tranche
/// while it is scanned out or could be with another format, else the
/// renderer's.
fn select_feedback<'a>(
    feedback: &'a crate::handlers::dmabuf::SurfaceFeedback,
    states: &'a smithay::backend::renderer::element::RenderElementStates,
) -> impl Fn(
    &smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
    &smithay::wayland::compositor::SurfaceData,
) -> &'a smithay::wayland::dmabuf::DmabufFeedback
       + Copy
       + 'a {
    move |surface, _| {
        smithay::backend::renderer::element::utils::select_dmabuf_feedback(
            surface,
            states,
            &feedback.render,
            &feedback.scanout,
        )
    }
}

/// Records, for each surface drawn on `output` with `states`, whether that
/// output is where most of it shows (its frames are paced there).
fn mark_primary<'a>(
    output: &'a smithay::output::Output,
    states: &'a smithay::backend::renderer::element::RenderElementStates,
) -> impl FnMut(
    &smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
    &smithay::wayland::compositor::SurfaceData,
) + 'a {
    move |surface, data| {
        update_surface_primary_scanout_output(
            surface,
            output,
            data,
            states,
            default_primary_scanout_output_compare,
        );
    }
}

pub fn send_frame_callbacks(persona: &PersonaState, now: Duration) {
    let output = persona.output.clone();
    for window in persona.space.elements() {
        window.send_frame(&output, now, None, |_, _| Some(output.clone()));
    }
    for layer in persona.all_layers() {
        layer.send_frame(&output, now, None, |_, _| Some(output.clone()));
    }
    for surface in persona.lock_surfaces() {
        smithay::desktop::utils::send_frames_surface_tree(surface, &output, now, None, |_, _| {
            Some(output.clone())
        });
    }
}

/// Every window, or (`Some(n)`) the top `n` on the primary output: those
/// its last drawing looked at, in the same order.
fn walked_windows(
    persona: &PersonaState,
    walked: Option<usize>,
) -> impl Iterator<Item = &smithay::desktop::Window> {
    let drawn = walked.map(|n| {
        persona
            .space
            .elements_for_output(&persona.output)
            .rev()
            .take(n)
    });
    let all = walked.is_none().then(|| persona.space.elements());
    drawn.into_iter().flatten().chain(all.into_iter().flatten())
}

/// The drawn surfaces' feedback (of the windows walked); the others' is
/// discarded.
fn take_feedback(
    persona: &PersonaState,
    walked: Option<usize>,
    output: &smithay::output::Output,
) -> OutputPresentationFeedback {
    let mut feedback = OutputPresentationFeedback::new(output);
    for window in walked_windows(persona, walked) {
        window.take_presentation_feedback(&mut feedback, surface_primary_scanout_output, |_, _| {
            wp_presentation_feedback::Kind::empty()
        });
    }
    for layer in persona.all_layers() {
        layer.take_presentation_feedback(&mut feedback, surface_primary_scanout_output, |_, _| {
            wp_presentation_feedback::Kind::empty()
        });
    }
    feedback
}

fn present(
    mut feedback: OutputPresentationFeedback,
    at: Duration,
    refresh: Duration,
    seq: u64,
    kind: wp_presentation_feedback::Kind,
) {
    feedback.presented::<_, Monotonic>(at, Refresh::fixed(refresh), seq, kind);
}
