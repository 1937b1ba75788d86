//! The Sigma rule reader: a rule file's documents parsed, checked and
//! compiled, as a rule import and `firebreak rules check` read them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = firebreak_detect::rules::check_file("rule.yml", text);
});
