#![allow(clippy::unwrap_used, clippy::expect_used)]
//! EVTX files cut short, empty, or not EVTX at all: what can be read is
//! read, and what is lost is said. The sample is described in
//! `tests/fixtures/evtx/README.md`.

use std::path::Path;

use firebreak_detect::hunt::{read_events_bytes_flat, read_events_flat};
use serde_json::Value;

fn sample() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/evtx/lsassy-4688-4656-4663.evtx")).unwrap()
}

/// The `EventRecordID`s read from `bytes`, and the warnings.
fn read(bytes: &[u8]) -> Result<(Vec<u64>, Vec<String>), String> {
    let mut ids = Vec::new();
    let stats = read_events_bytes_flat(bytes, |_, e| ids.push(e["EventRecordID"].as_u64().unwrap()))?;
    assert_eq!(stats.events as usize, ids.len());
    Ok((ids, stats.warnings))
}

#[test]
fn a_file_cut_inside_a_chunk_gives_the_chunks_whole_records_and_counts_the_rest() {
    let bytes = sample();
    let (all, warnings) = read(&bytes).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(all.len(), 28);
    let mut seen_partial = false;
    // Through the chunk's records, a few bytes past a record's start, and
    // in its free space.
    for cut in [4096 + 600, 4096 + 5000, 4096 + 20_000, 4096 + 33_333, 4096 + 50_001, 69_000] {
        let (ids, warnings) = read(&bytes[..cut]).unwrap();
        // The records read are the first ones of the whole file, in order.
        assert_eq!(ids[..], all[..ids.len()], "cut at {cut}");
        let lost = all.len() - ids.len();
        assert_eq!(warnings.len(), 1, "cut at {cut}: {warnings:?}");
        let want = format!(
            "the file is cut short {} bytes into chunk 0: {} of its {} records read, {lost} lost",
            cut - 4096,
            ids.len(),
            all.len()
        );
        assert!(warnings[0].starts_with(&want), "cut at {cut}: {warnings:?}, want {want}");
        seen_partial |= !ids.is_empty() && lost > 0;
    }
    assert!(seen_partial);
}

#[test]
fn a_file_cut_inside_a_chunk_header_or_the_file_header_says_so() {
    let bytes = sample();
    let (ids, warnings) = read(&bytes[..4096 + 300]).unwrap();
    assert!(ids.is_empty());
    assert!(warnings[0].contains("inside the chunk's header: its records are lost"), "{warnings:?}");
    let e = read(&bytes[..2000]).unwrap_err();
    assert!(e.contains("cut short at 2000 bytes"), "{e}");
    // Whole chunks only (the file's header block alone): nothing lost but
    // the chunk the header counts.
    let (ids, warnings) = read(&bytes[..4096]).unwrap();
    assert!(ids.is_empty());
    assert_eq!(warnings, ["the file is cut short: 1 of the 1 chunks its header counts are missing (65536 bytes)"]);
}

#[test]
fn an_empty_file_is_reported_and_bytes_that_are_not_evtx_are_named_so() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("Security.evtx");
    std::fs::write(&empty, b"").unwrap();
    let stats = read_events_flat(&empty, |_, _: Value| panic!("no event")).unwrap();
    assert_eq!(stats.warnings, ["the file is empty: no event to read"]);
    // Random bytes under an EVTX name, as a failed copy leaves them.
    let noise: Vec<u8> = (0u32..5000).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let bad = dir.path().join("System.evtx");
    std::fs::write(&bad, &noise).unwrap();
    let e = read_events_flat(&bad, |_, _| {}).unwrap_err();
    assert_eq!(e, "not an EVTX file (no ElfFile header)");
    // The same bytes under another name are neither EVTX nor JSON.
    let other = dir.path().join("export.json");
    std::fs::write(&other, &noise).unwrap();
    let e = read_events_flat(&other, |_, _| {}).unwrap_err();
    assert!(e.starts_with("not an EVTX file (no ElfFile header), nor JSON text"), "{e}");
}
