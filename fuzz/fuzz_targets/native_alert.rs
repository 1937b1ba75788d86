//! The native alert reader: a bulk body (JSON array or NDJSON) split into
//! items, each read and checked as `POST /api/v1/alerts/_bulk` does, and the
//! body as one alert read as JSON first, as `POST /api/v1/alerts` does.
#![no_main]

use firebreak_domain::intake::{self, Item};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

fuzz_target!(|body: &[u8]| {
    let now = time::OffsetDateTime::UNIX_EPOCH;
    if let Ok(texts) = intake::split_texts(body) {
        for text in texts {
            let _ = intake::prepare(Item::Text(text), Uuid::nil(), Uuid::nil(), now);
        }
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let _ = intake::prepare(Item::Json(value), Uuid::nil(), Uuid::nil(), now);
    }
});
