//! Observables found in free text (an alert's title and description).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = firebreak_domain::extract::extract(&text);
});
