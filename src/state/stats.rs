//! Switch latency figures for `personas msg stats`.

use std::time::Instant;

use crate::ipc::protocol::{LatencySamples, Stats as StatsReply};
use crate::persona::switch::SwitchOrigin;

pub struct Stats {
    started: Instant,
    pub switches: u64,
    pub frames_rendered: u64,
    request_to_render: LatencySamples,
    input_to_render: LatencySamples,
    to_present: LatencySamples,
    input_to_present: LatencySamples,
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            started: Instant::now(),
            switches: 0,
            frames_rendered: 0,
            request_to_render: LatencySamples::default(),
            input_to_render: LatencySamples::default(),
            to_present: LatencySamples::default(),
            input_to_present: LatencySamples::default(),
        }
    }

    pub fn record_switch(&mut self, origin: SwitchOrigin, rendered: Instant, presented: Instant) {
        let ms =
            |from: Instant, to: Instant| to.saturating_duration_since(from).as_secs_f64() * 1000.0;
        self.switches += 1;
        self.request_to_render.push(ms(origin.requested, rendered));
        self.to_present.push(ms(origin.requested, presented));
        if let Some(input) = origin.input {
            self.input_to_render.push(ms(input, rendered));
            self.input_to_present.push(ms(input, presented));
        }
    }

    pub fn reply(&self) -> StatsReply {
        StatsReply {
            switches: self.switches,
            frames_rendered: self.frames_rendered,
            frames_scanned_out: 0,
            frames_badge_on_plane: 0,
            uptime_s: self.started.elapsed().as_secs_f64(),
            switch_request_to_render_ms: self.request_to_render.latency(),
            switch_input_to_render_ms: self.input_to_render.latency(),
            switch_to_present_ms: self.to_present.latency(),
            switch_input_to_present_ms: self.input_to_present.latency(),
        }
    }
}

impl Default for Stats {
    fn default() -> Self {
        Stats::new()
    }
}
