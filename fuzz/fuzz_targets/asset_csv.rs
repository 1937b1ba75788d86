//! The asset inventory's CSV import: the header checked, then every line
//! read into an asset, contacts looked up by e-mail address.
#![no_main]

use std::collections::HashMap;

use firebreak_domain::inventory::AssetCsv;
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

fuzz_target!(|data: &[u8]| {
    let by_email = HashMap::from([("soc@example.org".to_owned(), Uuid::nil())]);
    let Ok(mut csv) = AssetCsv::open(data) else { return };
    while csv.next_line(&by_email).is_some() {}
});
