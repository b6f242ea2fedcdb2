//! The tty's renderer: smithay's `MultiRenderer` over the GLES of every GPU
//! that has it. One GPU (the primary's) draws every GLES screen; a screen
//! of another GPU gets the frame copied into its own buffers, so shaders,
//! transitions and client buffers live in one place.

use smithay::backend::drm::DrmDeviceFd;
use smithay::backend::renderer::gles::{GlesFrame, GlesRenderer};
use smithay::backend::renderer::multigpu::gbm::GbmGlesBackend;
use smithay::backend::renderer::multigpu::{MultiFrame, MultiRenderer};

use smithay::utils::{Physical, Rectangle};

use super::effects::OnGles;

/// The GPUs that draw with GLES, each by its render node.
pub type TtyApi = GbmGlesBackend<GlesRenderer, DrmDeviceFd>;
pub type GpuManager = smithay::backend::renderer::multigpu::GpuManager<TtyApi>;
/// A frame's renderer: one GPU's GLES, drawing for the same or another GPU.
pub type TtyRenderer<'a> = MultiRenderer<'a, 'a, TtyApi, TtyApi>;

impl OnGles for TtyRenderer<'_> {
    fn gles(&mut self) -> &mut GlesRenderer {
        self.as_mut()
    }

    fn gles_frame<'a, 'f, 'b>(
        frame: &'a mut MultiFrame<'_, '_, 'f, 'b, TtyApi, TtyApi>,
    ) -> &'a mut GlesFrame<'f, 'b>
    where
        'b: 'f,
    {
        frame.as_mut()
    }

    /// Drawing on the GLES frame underneath is not seen by the frame, which
    /// copies only what it saw drawn to the target GPU.
    fn note_damage(
        frame: &mut MultiFrame<'_, '_, '_, '_, TtyApi, TtyApi>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
    ) {
        frame.add_damage(
            damage
                .iter()
                .map(|rect| Rectangle::new(rect.loc + dst.loc, rect.size)),
        );
    }
}
