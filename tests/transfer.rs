//! Clipboard transfer between personas: only by the explicit bindings, once.

mod common;

use std::time::{Duration, Instant};

use common::client::Event;
use common::fixture::{key, Fixture};
use personas::input::InputEvent;
use personas::ipc::protocol::Request;

const RED: [u8; 4] = [255, 0, 0, 255];
const KEY_C: u32 = 46;
const KEY_V: u32 = 47;

fn fixture() -> Fixture {
    let config = common::fixture::TWO_PERSONAS.replace(
        "\"Alt+Tab\" = \"focus-next-window\"",
        "\"Alt+Tab\" = \"focus-next-window\"\n\"Super+Ctrl+c\" = \"transfer-copy\"\n\"Super+Ctrl+v\" = \"transfer-paste\"",
    );
    Fixture::with_config(&config)
}

fn receive(fx: &mut Fixture, c: usize, mime: &str) -> Option<Vec<u8>> {
    fx.client(c).receive_selection(mime);
    let mut got = None;
    fx.dispatch_until(Duration::from_secs(5), |fx| {
        got = fx.client(c).read_received();
        got.is_some()
    });
    got
}

/// A window in each persona; work's has "from work" on its clipboard.
/// Returns work's and personal's clients.
fn copied_in_work() -> (Fixture, usize, usize) {
    let mut fx = fixture();
    let (a, _) = fx.open_window("work", RED);
    let (b, _) = fx.open_window("personal", RED);
    fx.client(a)
        .set_selection("text/plain;charset=utf-8", b"from work");
    fx.roundtrip_all();
    (fx, a, b)
}

#[test]
fn a_transfer_carries_the_clipboard_once_and_only_when_asked() {
    let (mut fx, _, b) = copied_in_work();

    // Without the bindings nothing crosses.
    fx.switch("personal");
    assert_eq!(fx.client(b).selection_mimes(), None);
    fx.switch("work");

    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, KEY_C]);
    fx.dispatch_until(Duration::from_secs(5), |fx| {
        fx.state.transfer.buffer.is_some()
    });
    fx.switch("personal");
    assert_eq!(
        fx.client(b).selection_mimes(),
        None,
        "copying alone changes nothing"
    );
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, KEY_V]);
    fx.roundtrip_all();
    let mimes = fx
        .client(b)
        .selection_mimes()
        .expect("an offer after paste");
    assert!(
        mimes.contains(&"text/plain;charset=utf-8".to_string()),
        "{mimes:?}"
    );
    assert_eq!(
        receive(&mut fx, b, "text/plain;charset=utf-8").as_deref(),
        Some(&b"from work"[..])
    );
    assert!(
        fx.state.transfer.buffer.is_none(),
        "the buffer is emptied by the paste"
    );
    // Pasting again brings nothing new.
    fx.client(b)
        .set_selection("text/plain;charset=utf-8", b"personal's own");
    fx.roundtrip_all();
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, KEY_V]);
    fx.roundtrip_all();
    assert_eq!(
        receive(&mut fx, b, "text/plain;charset=utf-8").as_deref(),
        Some(&b"personal's own"[..])
    );
}

/// Copy and paste pressed in quick succession (the paste before the copying
/// app has handed its text over): the paste waits and lands once, in the
/// persona it was pressed in, even when another is on screen by then.
#[test]
fn a_paste_pressed_while_the_copy_is_read_lands_when_it_is_read() {
    let (mut fx, a, b) = copied_in_work();
    fx.switch("work");
    // Keys straight into the compositor, nobody dispatched: the copying
    // client has not written yet.
    let chord = |fx: &mut Fixture, keys: &[u32]| {
        let order = keys.iter().map(|k| (k, true));
        for (k, pressed) in order.chain(keys.iter().rev().map(|k| (k, false))) {
            fx.state.process_input(
                InputEvent::Key {
                    keycode: k + 8,
                    pressed,
                },
                Instant::now(),
            );
        }
    };
    chord(&mut fx, &[key::LEFTMETA, key::LEFTCTRL, KEY_C]);
    assert!(
        fx.state.transfer.buffer.is_none() && fx.state.transfer.has_text(),
        "the copy is still being read when the paste is pressed"
    );
    // Switched and pasted before anyone dispatches: the copy is still read.
    fx.state.handle_request(Request::Switch {
        name: "personal".into(),
    });
    chord(&mut fx, &[key::LEFTMETA, key::LEFTCTRL, KEY_V]);
    // Back in work before the copy is read: the paste is still personal's.
    fx.state.handle_request(Request::Switch {
        name: "work".into(),
    });
    assert!(fx.state.transfer.buffer.is_none() && fx.state.transfer.has_text());
    fx.dispatch_until(Duration::from_secs(5), |fx| !fx.state.transfer.has_text());
    fx.roundtrip_all();
    assert!(
        !fx.client(a).take_events().contains(&Event::SourceCancelled),
        "work's clipboard is still its app's"
    );
    fx.switch("personal");
    assert_eq!(
        receive(&mut fx, b, "text/plain;charset=utf-8").as_deref(),
        Some(&b"from work"[..])
    );
    assert!(
        !fx.state.transfer.has_text(),
        "pasted once: the buffer is empty"
    );
    // Pasted, it is personal's clipboard: it can be carried on from there.
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, KEY_C]);
    fx.dispatch_until(Duration::from_secs(5), |fx| {
        fx.state.transfer.buffer.is_some()
    });
    let copied = fx.state.transfer.buffer.clone().unwrap();
    assert_eq!(
        (copied.from.as_str(), &copied.data[..]),
        ("personal", &b"from work"[..])
    );
}

#[test]
fn only_text_is_transferred() {
    let mut fx = fixture();
    let (a, _) = fx.open_window("work", RED);
    fx.client(a).set_selection("image/png", b"\x89PNG");
    fx.roundtrip_all();
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, KEY_C]);
    fx.roundtrip_all();
    assert!(fx.state.transfer.buffer.is_none());
}

#[test]
fn a_persona_can_forbid_transfers_out_or_in() {
    let config = common::fixture::TWO_PERSONAS
        .replace(
            "\"Alt+Tab\" = \"focus-next-window\"",
            "\"Alt+Tab\" = \"focus-next-window\"\n\"Super+Ctrl+c\" = \"transfer-copy\"\n\"Super+Ctrl+v\" = \"transfer-paste\"",
        )
        .replace("name = \"work\"", "name = \"work\"\ntransfer = \"in\"")
        .replace("name = \"personal\"", "name = \"personal\"\ntransfer = \"out\"");
    let mut fx = Fixture::with_config(&config);
    let (a, _) = fx.open_window("work", RED);
    let (b, _) = fx.open_window("personal", RED);
    // Out of work: refused.
    fx.client(a)
        .set_selection("text/plain;charset=utf-8", b"work secret");
    fx.roundtrip_all();
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, KEY_C]);
    fx.roundtrip_all();
    assert!(
        fx.state.transfer.buffer.is_none(),
        "work does not let text out"
    );
    // Out of personal into work: allowed; into personal: refused.
    fx.switch("personal");
    fx.client(b)
        .set_selection("text/plain;charset=utf-8", b"shopping list");
    fx.roundtrip_all();
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, KEY_C]);
    fx.dispatch_until(Duration::from_secs(5), |fx| {
        fx.state.transfer.buffer.is_some()
    });
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, KEY_V]);
    assert!(
        fx.state.transfer.buffer.is_some(),
        "personal takes nothing in; the buffer stays"
    );
    fx.switch("work");
    fx.chord(&[key::LEFTMETA, key::LEFTCTRL, KEY_V]);
    fx.roundtrip_all();
    assert_eq!(
        receive(&mut fx, a, "text/plain;charset=utf-8").as_deref(),
        Some(&b"shopping list"[..])
    );
}
