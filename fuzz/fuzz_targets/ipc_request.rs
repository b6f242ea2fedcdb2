//! Any line a control client may send: a request, or an error reply's
//! reason, never a panic; a request survives encoding and parsing again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use personas::ipc::protocol::parse_request;

fuzz_target!(|data: &[u8]| {
    if let Some(Ok(request)) = parse_request(data) {
        let line = serde_json::to_vec(&request).expect("a request encodes");
        let again = parse_request(&line).expect("not blank").expect("parses again");
        assert_eq!(again, request);
    }
});
