//! A persona's virtual outputs: one per physical output, each a wl_output
//! global of the persona's own display. The first (`PersonaState::output`)
//! follows the primary physical output; the others follow the rest and sit
//! where the layout puts them (`state::layout`), or all on the primary's
//! place when mirroring. Each is the physical size less the frame indicator.

use smithay::output::{Mode, Output, PhysicalProperties, Subpixel};
use smithay::reexports::wayland_server::backend::GlobalId;
use smithay::utils::{Logical, Physical, Point, Rectangle};

use super::{persona_size, OutputSpec, PersonaState};
use crate::state::layout::{mirror_fit, PlacedOutput};

/// A virtual output besides the first.
#[derive(Debug)]
pub struct VirtualOutput {
    pub output: Output,
    /// The physical output it stands for.
    pub spec: OutputSpec,
    /// Where the physical output sits (display space, the primary at the origin).
    pub position: Point<i32, Logical>,
    global: GlobalId,
}

/// What one physical output shows of a persona: a part of its space, put at
/// `corner` on the output at `scale` (1 but on a mirroring output).
#[derive(Debug, Clone)]
pub struct View {
    /// 0 for the primary; what is kept per output is kept by this.
    pub index: usize,
    /// The virtual output whose part of the space is shown.
    pub output: Output,
    /// The physical output shown on.
    pub spec: OutputSpec,
    pub area: Rectangle<i32, Logical>,
    pub corner: Point<i32, Physical>,
    pub scale: f64,
}

impl View {
    /// Where the shown area lands on the output.
    pub fn inner(&self) -> Rectangle<i32, Physical> {
        Rectangle::new(
            self.corner,
            self.area
                .size
                .to_f64()
                .to_physical(self.scale)
                .to_i32_round(),
        )
    }

    /// Where a point of the persona's space is on this output, if it is shown.
    pub fn to_output(&self, p: Point<f64, Logical>) -> Option<Point<f64, Physical>> {
        let area = self.area.to_f64();
        area.contains(p).then(|| {
            Point::from((
                (p.x - area.loc.x) * self.scale + self.corner.x as f64,
                (p.y - area.loc.y) * self.scale + self.corner.y as f64,
            ))
        })
    }
}

fn new_output(state: &PersonaState, name: &str) -> (Output, GlobalId) {
    let output = Output::new(
        name.to_owned(),
        PhysicalProperties {
            size: (0, 0).into(),
            subpixel: Subpixel::Unknown,
            make: "personas".into(),
            model: format!("{} virtual output", state.name),
        },
    );
    let global = output.create_global::<PersonaState>(&state.display_handle);
    (output, global)
}

impl PersonaState {
    /// Follows the physical outputs (the primary first): virtual outputs
    /// come, go and move with them; windows on an output that went move to
    /// the primary's.
    pub fn set_outputs(&mut self, placed: &[PlacedOutput], mirror: bool) {
        let Some((primary, rest)) = placed.split_first() else {
            return;
        };
        self.mirror = mirror;
        // Every virtual output there is, by name; each physical output takes
        // the one of its name (a new primary may be an old secondary), the
        // rest go.
        let mut pool: Vec<(Output, GlobalId)> =
            vec![(self.output.clone(), self.output_global.clone())];
        pool.extend(
            std::mem::take(&mut self.more_outputs)
                .into_iter()
                .map(|v| (v.output, v.global)),
        );
        let mut take = |state: &PersonaState, name: &str| -> (Output, GlobalId) {
            match pool.iter().position(|(o, _)| o.name() == name) {
                Some(i) => pool.remove(i),
                None => new_output(state, name),
            }
        };
        let (output, global) = take(self, &primary.spec.name);
        let mut more = Vec::with_capacity(rest.len());
        for place in rest {
            let (output, global) = take(self, &place.spec.name);
            more.push(VirtualOutput {
                output,
                spec: place.spec.clone(),
                position: place.position,
                global,
            });
        }
        for (gone, global) in pool {
            // Its panels are told it went (layer-shell's `closed`); they
            // may ask again for another output.
            let mut map = smithay::desktop::layer_map_for_output(&gone);
            for layer in map.layers().cloned().collect::<Vec<_>>() {
                layer.layer_surface().send_close();
                map.unmap_layer(&layer);
                if self.layer_focus.as_ref() == Some(layer.wl_surface()) {
                    self.layer_focus = None;
                }
            }
            drop(map);
            self.space.unmap_output(&gone);
            self.display_handle.remove_global::<PersonaState>(global);
        }
        self.output = output;
        self.output_global = global;
        self.more_outputs = more;
        self.output_spec = primary.spec.clone();
        // Re-fits and places every window (one that keeps its size gets no
        // configure, so nothing else would move it to where its output is).
        self.apply_output_mode();
        self.update_activation();
        self.restore_keyboard_focus();
    }

    /// Sets every virtual output's mode and place after a change.
    pub(super) fn apply_more_outputs(&mut self) {
        for v in &self.more_outputs {
            let mode = Mode {
                size: persona_size(&v.spec, self.inset),
                refresh: v.spec.refresh_mhz,
            };
            v.output.change_current_state(
                Some(mode),
                Some(v.spec.transform),
                Some(super::output_scale(&v.spec)),
                Some(v.position),
            );
            v.output.set_preferred(mode);
            let at = if self.mirror {
                Point::from((0, 0))
            } else {
                v.position
            };
            self.space.map_output(&v.output, at);
        }
    }

    /// Every virtual output, the primary first.
    pub fn outputs(&self) -> impl Iterator<Item = &Output> {
        std::iter::once(&self.output).chain(self.more_outputs.iter().map(|v| &v.output))
    }

    /// The output named `name`, if this persona has it.
    pub fn output_named(&self, name: &str) -> Option<&Output> {
        self.outputs().find(|o| o.name() == name)
    }

    /// The parts of this persona's space the outputs show (where the
    /// pointer can be), the primary first.
    pub fn output_areas(&self) -> Vec<Rectangle<i32, Logical>> {
        if self.mirror {
            // The mirrors show the primary's picture: no room of their own.
            return self
                .space
                .output_geometry(&self.output)
                .into_iter()
                .collect();
        }
        self.outputs()
            .filter_map(|o| self.space.output_geometry(o))
            .collect()
    }

    /// Where the pointer goes moving from `from` to `to`: onto an output,
    /// across the frames between outputs (see [`crate::state::layout::confine`]).
    pub fn confine(
        &self,
        from: Point<f64, Logical>,
        to: Point<f64, Logical>,
    ) -> Point<f64, Logical> {
        let gap = (2 * self.inset + 1) as f64;
        crate::state::layout::confine(&self.output_areas(), from, to, gap)
    }

    /// The output showing `point` (the primary when none does).
    pub fn output_at(&self, point: Point<f64, Logical>) -> &Output {
        if self.mirror {
            return &self.output;
        }
        self.outputs()
            .find(|o| {
                self.space
                    .output_geometry(o)
                    .is_some_and(|g| g.to_f64().contains(point))
            })
            .unwrap_or(&self.output)
    }

    /// A virtual output's own area at 1:1, for a client capturing it.
    pub fn capture_view(&self, output: &Output) -> Option<View> {
        let area = self.space.output_geometry(output)?;
        let spec = if *output == self.output {
            self.output_spec.clone()
        } else {
            self.more_outputs
                .iter()
                .find(|v| v.output == *output)?
                .spec
                .clone()
        };
        Some(View {
            index: usize::MAX,
            output: output.clone(),
            spec,
            area,
            corner: Point::from((0, 0)),
            scale: 1.0,
        })
    }

    /// What the primary output shows: the primary virtual output inside the frame.
    pub fn primary_view(&self) -> View {
        View {
            index: 0,
            output: self.output.clone(),
            spec: self.output_spec.clone(),
            area: self
                .space
                .output_geometry(&self.output)
                .unwrap_or_else(|| Rectangle::from_size((1, 1).into())),
            corner: Point::from((self.inset, self.inset)),
            scale: self.output_spec.scale,
        }
    }

    /// What each physical output shows, the primary first: its own virtual
    /// output inside the frame, or (mirroring) the primary's picture, frame
    /// included, scaled to fit.
    pub fn views(&self) -> Vec<View> {
        let primary = self.primary_view();
        let primary_area = primary.area;
        let inset = primary.corner;
        let mut views = vec![primary];
        for (i, v) in self.more_outputs.iter().enumerate() {
            let view = if self.mirror {
                let (scale, corner) =
                    mirror_fit(self.output_spec.display_size(), v.spec.display_size());
                View {
                    index: i + 1,
                    output: self.output.clone(),
                    spec: v.spec.clone(),
                    area: primary_area,
                    corner: corner + inset.to_f64().upscale(scale).to_i32_round(),
                    // The primary's picture is its logical area at its scale.
                    scale: scale * self.output_spec.scale,
                }
            } else {
                View {
                    index: i + 1,
                    output: v.output.clone(),
                    spec: v.spec.clone(),
                    area: self
                        .space
                        .output_geometry(&v.output)
                        .unwrap_or_else(|| Rectangle::new(v.position, (1, 1).into())),
                    corner: inset,
                    scale: v.spec.scale,
                }
            };
            views.push(view);
        }
        views
    }
}
