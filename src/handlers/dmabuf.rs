//! GPU buffers for a persona's clients: linux-dmabuf (v5, with feedback) and
//! linux-drm-syncobj. Each persona has its own globals on its own display;
//! what they offer (the main device, the formats) is the backend's, set by
//! the outer `State` (`state/dmabuf.rs`). A persona's handlers have no
//! renderer, so imports are queued here and checked there before the
//! persona's clients are flushed. Waits on a buffer's fences are sources
//! in the outer event loop, registered here through its handle.

use smithay::backend::allocator::dmabuf::{Dmabuf, DmabufBlocker};
use smithay::backend::allocator::format::FormatSet;
use smithay::backend::drm::DrmDeviceFd;
use smithay::reexports::calloop::{EventSource, Interest, LoopHandle, RegistrationToken};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::backend::ClientId;
use smithay::reexports::wayland_server::{Client, DisplayHandle, Resource};
use smithay::wayland::compositor::{add_blocker, with_states, BufferAssignment, SurfaceAttributes};
use smithay::wayland::dmabuf::{
    get_dmabuf, DmabufFeedback, DmabufFeedbackBuilder, DmabufGlobal, DmabufHandler, DmabufState,
    ImportNotifier, SurfaceDmabufFeedbackState,
};
use smithay::wayland::drm_syncobj::{
    DrmSyncPointBlocker, DrmSyncobjCachedState, DrmSyncobjHandler, DrmSyncobjState,
};
use smithay::reexports::wayland_protocols::wp::linux_dmabuf::zv1::server::zwp_linux_dmabuf_feedback_v1::TrancheFlags;
use smithay::{delegate_dmabuf, delegate_drm_syncobj};

use crate::persona::{PersonaId, PersonaState};
use crate::state::State;

/// What the backend can take from clients: offered alike to every persona.
#[derive(Clone)]
pub struct GpuOffer {
    /// The main device (a `dev_t`).
    pub main_device: u64,
    /// What the feedback lists: every global made from this offer takes
    /// these formats (and no other, refusing a buffer in one it was not
    /// made with).
    pub formats: FormatSet,
    /// The main device, the formats and modifiers the renderer imports.
    pub feedback: DmabufFeedback,
    /// The device whose timelines explicit sync uses, where it has
    /// `syncobj_eventfd` (kernel 6.6 and a driver with syncobj).
    pub syncobj: Option<DrmDeviceFd>,
}

impl GpuOffer {
    /// The renderer's `formats`, from `main_device` (a `dev_t`; clients
    /// open it to allocate), with explicit sync on `syncobj` if given.
    pub fn new(
        main_device: u64,
        formats: FormatSet,
        syncobj: Option<DrmDeviceFd>,
    ) -> std::io::Result<GpuOffer> {
        let feedback =
            DmabufFeedbackBuilder::new(main_device as libc::dev_t, formats.clone()).build()?;
        Ok(GpuOffer {
            main_device,
            formats,
            feedback,
            syncobj,
        })
    }
}

/// Per-surface feedback for one screen: what clients should allocate
/// while their surface is composited (`render`) and while it is, or could
/// be, scanned out (`scanout`: a first tranche with the formats the
/// screen's planes take).
#[derive(Clone)]
pub struct SurfaceFeedback {
    pub render: DmabufFeedback,
    pub scanout: DmabufFeedback,
}

impl SurfaceFeedback {
    /// `render` formats from `main_device`, with those of them the planes
    /// take preferred for scan-out there.
    pub fn new(
        main_device: u64,
        render: FormatSet,
        planes: FormatSet,
    ) -> std::io::Result<SurfaceFeedback> {
        let builder = DmabufFeedbackBuilder::new(main_device as libc::dev_t, render.clone());
        let scanout: Vec<_> = planes.intersection(&render).copied().collect();
        Ok(SurfaceFeedback {
            render: builder.clone().build()?,
            scanout: builder
                .add_preference_tranche(
                    main_device as libc::dev_t,
                    Some(TrancheFlags::Scanout),
                    scanout,
                )
                .build()?,
        })
    }
}

/// At most this many commits of one client wait on fences at a time;
/// beyond it a commit applies at once (a client that never signals its
/// acquire points would otherwise hold ever more of the compositor's fds).
const MAX_WAITS_PER_CLIENT: usize = 64;

/// A commit held until a fence signals: its event source in the outer loop.
struct FenceWait {
    key: u64,
    client: ClientId,
    token: RegistrationToken,
}

/// A persona's GPU-buffer globals, what waits for the outer `State`, and
/// the fence waits it registered in the outer loop.
pub struct GpuBuffers {
    dmabuf_state: DmabufState,
    dmabuf_global: Option<DmabufGlobal>,
    syncobj_state: Option<DrmSyncobjState>,
    /// Buffers whose import the renderer still has to check.
    pub imports: Vec<(Dmabuf, ImportNotifier)>,
    /// The outer loop, where fence waits are registered (set with the offer).
    loop_handle: Option<LoopHandle<'static, State>>,
    waits: Vec<FenceWait>,
    next_key: u64,
}

impl Default for GpuBuffers {
    fn default() -> GpuBuffers {
        GpuBuffers {
            dmabuf_state: DmabufState::new(),
            dmabuf_global: None,
            syncobj_state: None,
            imports: Vec::new(),
            loop_handle: None,
            waits: Vec::new(),
            next_key: 0,
        }
    }
}

impl Drop for GpuBuffers {
    /// The persona is gone: its waits go with it.
    fn drop(&mut self) {
        if let Some(handle) = &self.loop_handle {
            for wait in self.waits.drain(..) {
                handle.remove(wait.token);
            }
        }
    }
}

impl GpuBuffers {
    /// Offers `offer` on `display` (replacing an earlier offer), or nothing;
    /// fence waits go into `loop_handle`. Buffers made from an earlier
    /// offer stay valid.
    pub fn set_offer(
        &mut self,
        display: &DisplayHandle,
        offer: Option<&GpuOffer>,
        loop_handle: &LoopHandle<'static, State>,
    ) {
        self.loop_handle = Some(loop_handle.clone());
        if let Some(global) = self.dmabuf_global.take() {
            self.dmabuf_state
                .destroy_global::<PersonaState>(display, global);
        }
        if let Some(syncobj) = self.syncobj_state.take() {
            display.remove_global::<PersonaState>(syncobj.into_global());
        }
        let Some(offer) = offer else {
            return;
        };
        self.dmabuf_global = Some(
            self.dmabuf_state
                .create_global_with_default_feedback::<PersonaState>(display, &offer.feedback),
        );
        self.syncobj_state = offer
            .syncobj
            .clone()
            .map(|device| DrmSyncobjState::new::<PersonaState>(display, device));
    }

    /// Sends `feedback` to every client listening for the default one (they
    /// allocate anew in its formats), and to the surfaces of `persona` that
    /// asked for their own (a surface on a screen that can scan it out gets
    /// that screen's again with its next frame); clients bound later get it
    /// too. Its formats must be some of the global's.
    pub fn update_feedback(persona: &PersonaState, feedback: &DmabufFeedback) {
        let gpu = &persona.gpu;
        if let Some(global) = &gpu.dmabuf_global {
            gpu.dmabuf_state.set_default_feedback(global, feedback);
        }
        let update = |_: &WlSurface, states: &smithay::wayland::compositor::SurfaceData| {
            if let Some(surface) = SurfaceDmabufFeedbackState::from_states(states) {
                surface.set_feedback(feedback);
            }
        };
        for window in persona.space.elements() {
            window.with_surfaces(update);
        }
        for output in persona.outputs() {
            for layer in smithay::desktop::layer_map_for_output(output).layers() {
                layer.with_surfaces(update);
            }
        }
    }
}

/// Pre-commit: a commit whose new buffer is not ready to be read (its
/// acquire point not signalled, or a GPU still writing it) waits, so the
/// compositor never samples a half-drawn buffer nor stalls on one.
pub fn wait_for_fences(state: &mut PersonaState, surface: &WlSurface) {
    let Some(client) = surface.client() else {
        return;
    };
    let (acquire, dmabuf) = with_states(surface, |states| {
        let acquire = states
            .cached_state
            .get::<DrmSyncobjCachedState>()
            .pending()
            .acquire_point
            .clone();
        let dmabuf = match states
            .cached_state
            .get::<SurfaceAttributes>()
            .pending()
            .buffer
            .as_ref()
        {
            Some(BufferAssignment::NewBuffer(buffer)) => get_dmabuf(buffer).ok().cloned(),
            _ => None,
        };
        (acquire, dmabuf)
    });
    // Most commits (shm, or nothing new) have nothing to wait for.
    if acquire.is_none() && dmabuf.is_none() {
        return;
    }
    let Some(handle) = state.gpu.loop_handle.clone() else {
        return;
    };
    // Waits of clients gone meanwhile end here.
    let display = state.display_handle.backend_handle();
    state.gpu.waits.retain(|wait| {
        let alive = display.get_client_data(wait.client.clone()).is_ok();
        if !alive {
            handle.remove(wait.token);
        }
        alive
    });
    let held = state
        .gpu
        .waits
        .iter()
        .filter(|w| w.client == client.id())
        .count();
    if held >= MAX_WAITS_PER_CLIENT {
        tracing::warn!(persona = %state.name, "a client has {held} commits waiting on fences; this one applies at once");
        return;
    }
    let key = state.gpu.next_key;
    state.gpu.next_key += 1;
    let registered =
        if let Some(point) = acquire {
            // Explicit sync: the implicit fences are the client's to ignore.
            match point.generate_blocker() {
                Ok((blocker, source)) => watch(&handle, source, state.id, key, client.clone())
                    .map(|t| (t, blocker.into())),
                Err(err) => {
                    tracing::warn!(persona = %state.name, "acquire point not waitable: {err}");
                    return;
                }
            }
        } else if let Some(dmabuf) = dmabuf {
            match dmabuf.generate_blocker(Interest::READ) {
                Ok((blocker, source)) => watch(&handle, source, state.id, key, client.clone())
                    .map(|t| (t, blocker.into())),
                // Nothing to wait for.
                Err(_) => return,
            }
        } else {
            return;
        };
    match registered {
        Ok((token, blocker)) => {
            // Only a registered wait blocks: its source is what clears it.
            match blocker {
                Blocker::Syncobj(b) => add_blocker(surface, b),
                Blocker::Implicit(b) => add_blocker(surface, b),
            }
            state.gpu.waits.push(FenceWait {
                key,
                client: client.id(),
                token,
            });
        }
        Err(err) => {
            tracing::warn!(persona = %state.name, "cannot wait for a buffer's fence ({err}); the commit applies at once");
        }
    }
}

/// Either blocker, added once its source is registered.
enum Blocker {
    Syncobj(DrmSyncPointBlocker),
    Implicit(DmabufBlocker),
}

impl From<DrmSyncPointBlocker> for Blocker {
    fn from(b: DrmSyncPointBlocker) -> Blocker {
        Blocker::Syncobj(b)
    }
}

impl From<DmabufBlocker> for Blocker {
    fn from(b: DmabufBlocker) -> Blocker {
        Blocker::Implicit(b)
    }
}

/// Registers a fence's source: when it signals, the client's commits it
/// held apply.
fn watch<S>(
    handle: &LoopHandle<'static, State>,
    source: S,
    persona: PersonaId,
    key: u64,
    client: Client,
) -> Result<RegistrationToken, String>
where
    S: EventSource<Event = (), Ret = std::io::Result<()>> + 'static,
{
    handle
        .insert_source(source, move |_, _, outer: &mut State| {
            if let Some(p) = outer.personas.get_mut(persona) {
                p.state.gpu.waits.retain(|w| w.key != key);
                p.blocker_cleared(&client);
                outer.mark_dirty(persona);
            }
            Ok(())
        })
        .map_err(|e| e.to_string())
}

impl DmabufHandler for PersonaState {
    fn dmabuf_state(&mut self) -> &mut DmabufState {
        &mut self.gpu.dmabuf_state
    }

    fn dmabuf_imported(
        &mut self,
        _global: &DmabufGlobal,
        dmabuf: Dmabuf,
        notifier: ImportNotifier,
    ) {
        self.gpu.imports.push((dmabuf, notifier));
    }
}

impl DrmSyncobjHandler for PersonaState {
    fn drm_syncobj_state(&mut self) -> Option<&mut DrmSyncobjState> {
        self.gpu.syncobj_state.as_mut()
    }
}

delegate_dmabuf!(PersonaState);
delegate_drm_syncobj!(PersonaState);
