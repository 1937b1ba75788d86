//! JSON hunting input (a JSON array, NDJSON, or objects over several lines),
//! read as it is and flattened as Sigma rules name fields.
#![no_main]

use firebreak_detect::hunt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = hunt::read_events_bytes(bytes, |_, _| {});
    let _ = hunt::read_events_bytes_flat(bytes, |_, _| {});
});
