//! OCSF intake: a bulk body split into events, each mapped onto the
//! native alert and checked, as `POST /api/v1/intake/ocsf` does.
#![no_main]

use firebreak_domain::formats::{self, Format, Mapped};
use firebreak_domain::intake::{self, Item};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

fuzz_target!(|body: &[u8]| {
    let Ok(items) = intake::split_bulk(body) else { return };
    for event in items.into_iter().flatten() {
        if let Ok(Mapped::Alert(alert)) = formats::map(Format::Ocsf, event) {
            let _ = intake::prepare(Item::Mapped(alert), Uuid::nil(), Uuid::nil(), time::OffsetDateTime::UNIX_EPOCH);
        }
    }
});
