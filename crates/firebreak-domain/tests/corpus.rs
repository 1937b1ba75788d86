//! How well the observables taken from real alerts match what an analyst
//! would pivot on: a labelled corpus of public samples per format
//! (`tests/fixtures/corpus/<format>/`, sources and licences in each
//! folder's README.md), each event beside the observables written down for
//! it by hand. Prints precision and recall per format
//! (`cargo test -p firebreak-domain --test corpus -- --nocapture`) and
//! holds every format to 0.95 of both.
//!
//! An event is read as intake reads it: an alert of its format is mapped and
//! taken in (so the observables are those the stored alert lists); a record
//! that is not an alert (a Suricata TLS or DNS record, an OCSF class the
//! adapter skips) is read by the format's observable reading, which alerts
//! on the same flow share. Sigma events are read as the detection matcher
//! reads a matched event. Two observables are the same when their kind and
//! comparison key are (`comparison_key`: case aside for Windows paths and
//! accounts).

#![allow(clippy::unwrap_used, clippy::expect_used)]
// The table of precision and recall is what this test is run for.
#![allow(clippy::print_stdout)]

use std::path::Path;

#[path = "corpus/score.rs"]
mod score;

use score::{FORMATS, Score, score, table};

#[test]
fn precision_and_recall_per_format() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let scores: Vec<(&str, Score)> = FORMATS.iter().map(|f| (*f, score(&root, f, true))).collect();
    print!("{}", table(&scores));
    for (f, s) in &scores {
        assert!(s.events > 0, "{f}: no events");
        assert!(s.precision() >= 0.95, "{f}: precision {:.3} is below 0.95", s.precision());
        assert!(s.recall() >= 0.95, "{f}: recall {:.3} is below 0.95", s.recall());
    }
}
