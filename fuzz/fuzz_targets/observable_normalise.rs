//! An observable's normal form: the first byte picks its type, the rest is
//! the value as typed. The type guessed from the value and the refanged
//! value are read too.
#![no_main]

use firebreak_domain::observable::{ObservableKind, guess_kind, normalise, refang};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, value)) = data.split_first() else { return };
    let kind = ObservableKind::ALL[usize::from(pick) % ObservableKind::ALL.len()];
    let value = String::from_utf8_lossy(value);
    let _ = normalise(kind, &value);
    let _ = guess_kind(&value);
    let _ = refang(&value);
});
