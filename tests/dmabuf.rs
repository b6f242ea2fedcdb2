//! linux-dmabuf per persona (`handlers::dmabuf`, `state::dmabuf`): every
//! display offers what the backend offers, with v4 feedback naming its
//! device and formats; a buffer the renderer cannot import is `failed` (or,
//! from `create_immed`, the end of that client only); malformed buffers are
//! protocol errors. The headless backend has no GPU and offers nothing, so
//! these tests give it the offer a backend would: pixman's formats (it
//! imports linear dmabufs) from a stand-in device. A real import, drawn on
//! screen, is in the VM test (`tests/vm.rs`: virtio-gpu buffers, pixman
//! and GLES).

mod common;

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, FromRawFd};
use std::os::unix::fs::MetadataExt;

use common::client::Plane;
use common::fixture::{assert_region, Fixture, TWO_PERSONAS};
use personas::handlers::dmabuf::GpuOffer;
use smithay::backend::renderer::ImportDma;

const XRGB8888: u32 = u32::from_le_bytes(*b"XR24");
const NV12: u32 = u32::from_le_bytes(*b"NV12");
const LINEAR: u64 = 0;
const GREEN: [u8; 4] = [0, 255, 0, 255];
const RED: [u8; 4] = [255, 0, 0, 255];
/// zwp_linux_buffer_params_v1 errors.
const INVALID_FORMAT: u32 = 4;
const OUT_OF_BOUNDS: u32 = 6;
const INVALID_WL_BUFFER: u32 = 7;

/// Two personas offering GPU buffers as pixman imports them; the stand-in
/// main device is `/dev/null`'s number.
fn offered() -> (Fixture, u64) {
    let mut fx = Fixture::new();
    let device = std::fs::metadata("/dev/null").unwrap().rdev();
    let formats = renderer_formats(&mut fx);
    fx.state
        .set_gpu_offer(Some(GpuOffer::new(device, formats, None).unwrap()));
    fx.dispatch();
    (fx, device)
}

/// What the headless backend's renderer (pixman) imports.
fn renderer_formats(fx: &mut Fixture) -> smithay::backend::allocator::format::FormatSet {
    fx.state
        .backend
        .headless()
        .unwrap()
        .renderer()
        .dmabuf_formats()
}

/// `len` bytes of memory in an fd: laid out like a dmabuf, but no dmabuf
/// (the renderer's import asks the kernel to sync it, which only a real
/// dmabuf allows), so importing it fails as a broken GPU buffer would.
fn not_a_dmabuf(len: usize) -> File {
    // SAFETY: memfd_create with a valid C string; the fd is owned at once.
    let fd = unsafe { libc::memfd_create(c"not-a-dmabuf".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create");
    let mut file = unsafe { File::from_raw_fd(fd) };
    file.write_all(&vec![0x80; len]).unwrap();
    file
}

fn plane(file: &File, format: u32, size: (i32, i32)) -> Plane<'_> {
    Plane {
        fd: file.as_fd(),
        stride: size.0 as u32 * 4,
        format,
        modifier: LINEAR,
        size,
    }
}

#[test]
fn headless_offers_no_gpu_buffers_and_an_offer_reaches_every_display() {
    let mut fx = Fixture::new();
    let before = fx.add_client("work");
    assert_eq!(
        fx.client(before).count_globals("zwp_linux_dmabuf_v1"),
        0,
        "headless has no GPU: shm only"
    );

    let device = std::fs::metadata("/dev/null").unwrap().rdev();
    let formats = renderer_formats(&mut fx);
    let expected: Vec<(u32, u64)> = formats
        .iter()
        .map(|f| (f.code as u32, u64::from(f.modifier)))
        .collect();
    assert!(expected.contains(&(XRGB8888, LINEAR)));
    fx.state
        .set_gpu_offer(Some(GpuOffer::new(device, formats, None).unwrap()));
    fx.roundtrip(before);
    assert_eq!(
        fx.client(before).count_globals("zwp_linux_dmabuf_v1"),
        1,
        "a client already connected sees the new global"
    );

    let work = fx.add_bound_client("work");
    let personal = fx.add_bound_client("personal");
    let system = fx.add_system_client();
    for (c, name) in [(work, "work"), (personal, "personal"), (system, "system")] {
        let version = fx
            .client(c)
            .globals()
            .iter()
            .find(|g| g.1 == "zwp_linux_dmabuf_v1")
            .map(|g| g.2);
        assert_eq!(version, Some(5), "{name}: linux-dmabuf v5 (feedback)");
        fx.client(c).request_dmabuf_feedback();
        fx.roundtrip(c);
        let seen = fx.client(c).dmabuf().clone();
        assert_eq!(seen.done, 1, "{name}: one complete feedback");
        assert_eq!(
            seen.main_device,
            Some(device),
            "{name}: the backend's device"
        );
        let mut table = seen.table.clone();
        table.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(
            table, want,
            "{name}: the format table is what the renderer imports"
        );
        assert_eq!(seen.tranches.len(), 1, "{name}: one tranche");
        let (target, flags, mut formats) = seen.tranches[0].clone();
        assert_eq!(flags, 0, "{name}: no scan-out flag");
        assert_eq!(
            target, device,
            "{name}: the tranche targets the main device"
        );
        formats.sort();
        assert_eq!(formats, want, "{name}: the tranche offers every format");
    }

    // A persona added by a reload gets the same offer.
    let three = format!("{TWO_PERSONAS}[[persona]]\nname = \"kid\"\ncolor = \"#33cc66\"\n");
    fx.state
        .apply_config(personas::config::Config::parse(&three, "test.toml").unwrap())
        .unwrap();
    fx.dispatch();
    let kid = fx.add_bound_client("kid");
    fx.client(kid).request_dmabuf_feedback();
    fx.roundtrip(kid);
    assert_eq!(
        fx.client(kid).dmabuf().main_device,
        Some(device),
        "kid: the offer"
    );

    fx.state.set_gpu_offer(None);
    fx.roundtrip(work);
    fx.roundtrip(personal);
    assert_eq!(fx.client(work).count_globals("zwp_linux_dmabuf_v1"), 0);
    assert_eq!(fx.client(personal).count_globals("zwp_linux_dmabuf_v1"), 0);
}

#[test]
fn a_buffer_the_renderer_cannot_import_fails_and_the_client_goes_on() {
    let (mut fx, _) = offered();
    let (other, _) = fx.open_window("personal", RED);
    let c = fx.add_bound_client("work");
    let w = fx.client(c).create_window();
    fx.roundtrip(c);

    let size = (64, 64);
    let file = not_a_dmabuf(64 * 64 * 4);
    assert!(fx
        .client(c)
        .create_dmabuf(plane(&file, XRGB8888, size), false)
        .is_none());
    fx.roundtrip(c);
    let seen = fx.client(c).dmabuf().clone();
    assert_eq!(seen.failed, 1, "the import was refused");
    assert!(seen.created.is_empty(), "no wl_buffer for it");
    assert_eq!(fx.client(c).protocol_error(), None, "`failed` is no error");

    // Falling back to shm, as a client would.
    fx.client(c).ack_and_draw(w, GREEN, (1, 1));
    fx.roundtrip(c);
    assert_region(
        &fx.render(),
        (0, 0, 320, 200),
        GREEN,
        "dmabuf_failed_then_shm",
    );
    fx.switch("personal");
    fx.roundtrip(other);
    assert_eq!(fx.client(other).protocol_error(), None);
    assert_region(
        &fx.render(),
        (0, 0, 320, 200),
        RED,
        "dmabuf_failed_other_persona",
    );
}

#[test]
fn create_immed_of_an_unimportable_buffer_ends_only_that_client() {
    let (mut fx, _) = offered();
    let (keeps, _) = fx.open_window("work", GREEN);
    let c = fx.add_bound_client("work");
    fx.client(c).expect_protocol_error();
    let file = not_a_dmabuf(32 * 32 * 4);
    let buffer = fx
        .client(c)
        .create_dmabuf(plane(&file, XRGB8888, (32, 32)), true);
    assert!(buffer.is_some());
    fx.roundtrip(c);
    let error = fx.client(c).protocol_error().expect("a protocol error");
    assert_eq!(
        (error.0, error.1.as_str()),
        (INVALID_WL_BUFFER, "zwp_linux_buffer_params_v1"),
        "{error:?}"
    );
    fx.roundtrip(keeps);
    assert_eq!(fx.client(keeps).protocol_error(), None);
    assert_region(
        &fx.render(),
        (0, 0, 320, 200),
        GREEN,
        "dmabuf_immed_other_client",
    );
}

#[test]
fn malformed_buffers_are_protocol_errors_for_their_client_only() {
    let (mut fx, _) = offered();
    let (keeps, _) = fx.open_window("work", GREEN);

    // A format the renderer does not import.
    let bad_format = fx.add_bound_client("work");
    fx.client(bad_format).expect_protocol_error();
    let file = not_a_dmabuf(16 * 16 * 4);
    fx.client(bad_format)
        .create_dmabuf(plane(&file, NV12, (16, 16)), false);
    fx.roundtrip(bad_format);
    let error = fx
        .client(bad_format)
        .protocol_error()
        .expect("a protocol error");
    assert_eq!(error.0, INVALID_FORMAT, "{error:?}");

    // Rows that run past the end of the memory.
    let short = fx.add_bound_client("work");
    fx.client(short).expect_protocol_error();
    let file = not_a_dmabuf(16 * 4 * 8);
    fx.client(short)
        .create_dmabuf(plane(&file, XRGB8888, (16, 16)), false);
    fx.roundtrip(short);
    let error = fx.client(short).protocol_error().expect("a protocol error");
    assert_eq!(error.0, OUT_OF_BOUNDS, "{error:?}");

    fx.roundtrip(keeps);
    assert_eq!(fx.client(keeps).protocol_error(), None);
    assert_region(
        &fx.render(),
        (0, 0, 320, 200),
        GREEN,
        "dmabuf_malformed_other_client",
    );
}

/// Per-surface feedback (as a tty screen gives it, here set on the
/// headless backend, whose "scan-out" is a sole opaque window being the
/// frame): a scan-out tranche of the formats the planes take comes first
/// while the surface is the frame, and goes again when it is composited
/// (here: covered by another window).
#[test]
fn surface_feedback_prefers_plane_formats_while_the_surface_is_the_frame() {
    use personas::handlers::dmabuf::SurfaceFeedback;
    use smithay::backend::allocator::{Format, Fourcc, Modifier};
    let (mut fx, device) = offered();
    let render = renderer_formats(&mut fx);
    let plane: smithay::backend::allocator::format::FormatSet = [Format {
        code: Fourcc::Xrgb8888,
        modifier: Modifier::Linear,
    }]
    .into_iter()
    .collect();
    fx.state.backend.headless().unwrap().surface_feedback =
        Some(SurfaceFeedback::new(device, render, plane).unwrap());

    let (c, w) = fx.open_window("work", GREEN);
    fx.client(c).request_surface_feedback(w);
    fx.roundtrip(c);
    fx.render();
    fx.roundtrip(c);
    let seen = *fx.client(c).dmabuf().surface.clone().unwrap();
    assert!(
        fx.state.backend.headless().unwrap().scanned_out > 0,
        "the window is the frame"
    );
    assert_eq!(
        seen.tranches.len(),
        2,
        "a scan-out tranche, then the renderer's: {seen:?}"
    );
    let (target, flags, formats) = &seen.tranches[0];
    assert_eq!(
        (*target, *flags),
        (device, 1),
        "scan-out tranche on the main device"
    );
    assert_eq!(formats, &vec![(XRGB8888, LINEAR)], "what the planes take");

    // A subsurface over a corner: the window is composited, and its
    // feedback is the renderer's alone again.
    fx.client(c).create_subsurface(w, (0, 0), (40, 20), RED);
    fx.roundtrip(c);
    let before = fx.state.backend.headless().unwrap().scanned_out;
    fx.render();
    fx.roundtrip(c);
    assert_eq!(
        fx.state.backend.headless().unwrap().scanned_out,
        before,
        "composited"
    );
    let seen = *fx.client(c).dmabuf().surface.clone().unwrap();
    assert_eq!(seen.tranches.len(), 1, "{seen:?}");
    assert_eq!(seen.tranches[0].1, 0, "no scan-out flag");
}

/// A GPU plugged in or removed changes what is offered
/// (`State::change_gpu_offer`). From the same main device the offer only
/// narrows, in place: clients listening to the default feedback, and
/// surfaces that asked for their own, get the fewer formats on the global
/// they have; it never grows back beyond what a global was made with (a
/// global refuses other formats, fatally). From another device (the
/// primary GPU went) the global is made anew, so clients open the new
/// device.
#[test]
fn a_changed_offer_narrows_in_place_never_grows_and_follows_a_new_device() {
    let (mut fx, device) = offered();
    let all = renderer_formats(&mut fx);
    let work = fx.add_bound_client("work");
    let personal = fx.add_bound_client("personal");
    for c in [work, personal] {
        fx.client(c).request_dmabuf_feedback();
        fx.roundtrip(c);
        assert_eq!(fx.client(c).dmabuf().done, 1);
        assert!(fx.client(c).dmabuf().table.len() > 1);
    }
    let (s, w) = fx.open_window("work", GREEN);
    fx.client(s).request_surface_feedback(w);
    fx.roundtrip(s);
    let surface = |fx: &mut Fixture| *fx.client(s).dmabuf().surface.clone().unwrap();
    assert_eq!(surface(&mut fx).done, 1);
    let global = |fx: &mut Fixture, c| {
        fx.client(c)
            .globals()
            .into_iter()
            .find(|g| g.1 == "zwp_linux_dmabuf_v1")
            .map(|g| g.0)
    };
    let before = global(&mut fx, work).expect("linux-dmabuf offered");

    // Fewer formats from the same device: a second feedback, same global.
    let fewer: smithay::backend::allocator::format::FormatSet =
        [smithay::backend::allocator::Format {
            code: smithay::backend::allocator::Fourcc::Xrgb8888,
            modifier: smithay::backend::allocator::Modifier::Linear,
        }]
        .into_iter()
        .collect();
    fx.state
        .change_gpu_offer(Some(GpuOffer::new(device, fewer.clone(), None).unwrap()));
    for (c, name) in [(work, "work"), (personal, "personal")] {
        fx.roundtrip(c);
        let seen = fx.client(c).dmabuf().clone();
        assert_eq!(seen.done, 2, "{name}: the new feedback, complete");
        assert_eq!(seen.table, [(XRGB8888, LINEAR)], "{name}: the new formats");
        assert_eq!(seen.main_device, Some(device), "{name}: the same device");
    }
    fx.roundtrip(s);
    let seen = surface(&mut fx);
    assert_eq!(
        (seen.done, seen.table),
        (2, vec![(XRGB8888, LINEAR)]),
        "the surface's own feedback narrows too"
    );
    assert_eq!(global(&mut fx, work), Some(before), "the global stays");
    // A client bound now is told the new formats too.
    let late = fx.add_bound_client("work");
    fx.client(late).request_dmabuf_feedback();
    fx.roundtrip(late);
    assert_eq!(fx.client(late).dmabuf().table, [(XRGB8888, LINEAR)]);

    // All formats again (the GPU that could not take them went): nothing
    // is sent, since a persona's global made meanwhile (a reload) knows
    // only the fewer.
    fx.state
        .change_gpu_offer(Some(GpuOffer::new(device, all, None).unwrap()));
    fx.roundtrip(work);
    assert_eq!(fx.client(work).dmabuf().done, 2, "the offer does not grow");
    let later = fx.add_bound_client("personal");
    fx.client(later).request_dmabuf_feedback();
    fx.roundtrip(later);
    assert_eq!(fx.client(later).dmabuf().table, [(XRGB8888, LINEAR)]);

    // Another main device: the old global goes, a new one names it.
    let other = std::fs::metadata("/dev/zero").unwrap().rdev();
    assert_ne!(other, device);
    fx.state
        .change_gpu_offer(Some(GpuOffer::new(other, fewer, None).unwrap()));
    fx.roundtrip(work);
    assert_eq!(fx.client(work).count_globals("zwp_linux_dmabuf_v1"), 1);
    // The old global's objects are left as they were (the global name may
    // be reused, so it tells nothing).
    let seen = fx.client(work).dmabuf().clone();
    assert_eq!(
        (seen.done, seen.main_device),
        (2, Some(device)),
        "no feedback on the old global"
    );
    let fresh = fx.add_bound_client("personal");
    fx.client(fresh).request_dmabuf_feedback();
    fx.roundtrip(fresh);
    assert_eq!(fx.client(fresh).dmabuf().main_device, Some(other));
}
