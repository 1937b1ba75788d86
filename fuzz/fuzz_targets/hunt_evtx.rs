//! The EVTX reader over a file's bytes, as hunting reads it: records as
//! JSON, and records flattened as they are parsed.
#![no_main]

use firebreak_detect::hunt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = hunt::read_evtx_bytes(bytes, |_, _| {});
    let _ = hunt::read_events_bytes_flat(bytes, |_, _| {});
});
