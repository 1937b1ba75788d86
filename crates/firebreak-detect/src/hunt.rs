//! Reading log files for hunting: Windows EVTX (through the `evtx` crate),
//! a JSON array, or NDJSON. A damaged EVTX record or chunk, or a line that is
//! not a JSON object, is skipped with a warning and counted; it never stops
//! the file.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use evtx::{EvtxChunk, EvtxChunkHeader, EvtxFileHeader, ParserSettings};
use serde::Serialize;
use serde_json::Value;

use crate::engine::Detector;
use crate::event::{flatten, source_of};

/// What reading one file found besides its events.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReadStats {
    pub events: u64,
    pub skipped: u64,
    pub warnings: Vec<String>,
}

impl ReadStats {
    /// A warning that is always shown, whatever was skipped before it.
    fn note(&mut self, what: String) {
        self.warnings.push(what);
    }

    fn skip(&mut self, what: String) {
        self.skipped += 1;
        // Enough to show what went wrong without flooding a broken file's report.
        if self.warnings.len() < 20 {
            self.warnings.push(what);
        }
    }
}

/// The files to hunt in under `paths` (folders walked for `.evtx`, `.json`
/// and `.ndjson`/`.jsonl` files), sorted.
pub fn hunt_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir)? {
                    let f = entry?.path();
                    if f.is_dir() {
                        stack.push(f);
                    } else if f
                        .extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| matches!(e, "evtx" | "json" | "ndjson" | "jsonl"))
                    {
                        out.push(f);
                    }
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Calls `each` with every event of an EVTX file as JSON, in record order,
/// with the record id.
pub fn read_evtx(path: &Path, each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    // Read whole: an EVTX file is at most a few hundred megabytes, and one
    // read is far cheaper than the parser's many small seeks and reads.
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    read_evtx_bytes(&bytes, each)
}

/// The size of an EVTX file's header, and of each chunk after it.
const EVTX_FILE_HEADER: usize = 4096;
const EVTX_CHUNK: usize = 65536;

/// [`read_evtx`] over a file's bytes already in memory.
///
/// The chunks are parsed where they lie, in record order (from the chunk
/// holding the oldest records, wrapping round to the file's start, as
/// Windows reads a log that has wrapped), instead of through
/// `EvtxParser`, which copies every 64 KiB chunk into a buffer of its own
/// first: for logs of small chunks, such as the SigmaHQ samples, that copy
/// was a tenth of the time spent reading.
pub fn read_evtx_bytes(bytes: &[u8], each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    evtx_records(bytes, |json| serde_json::from_slice(json), each)
}

/// Calls `each` with every record of an EVTX file in memory, as `parse`
/// makes it of the record's JSON.
fn evtx_records(
    bytes: &[u8],
    parse: impl Fn(&[u8]) -> serde_json::Result<Value>,
    mut each: impl FnMut(u64, Value),
) -> Result<ReadStats, String> {
    let header = EvtxFileHeader::from_bytes(bytes).map_err(|e| format!("not an EVTX file: {e}"))?;
    // Chunks follow the header's 4 KiB block.
    if usize::from(header.header_block_size) != EVTX_FILE_HEADER {
        return Err(format!("damaged EVTX header: a header block of {} bytes", header.header_block_size));
    }
    let body = bytes.get(EVTX_FILE_HEADER..).ok_or_else(|| {
        format!(
            "the file is cut short at {} bytes, inside its {EVTX_FILE_HEADER}-byte header: no record to read",
            bytes.len()
        )
    })?;
    let count = body.len() / EVTX_CHUNK;
    let settings = Arc::new(ParserSettings::new().num_threads(1).separate_json_attributes(false).indent(false));
    let mut chunks: Vec<&[u8]> = body.chunks_exact(EVTX_CHUNK).take(count).collect();
    // A file cut short (copied out while written, or after a crash) ends
    // inside a chunk: its whole records are read, and what is lost is said.
    let tail = body.get(count * EVTX_CHUNK..).unwrap_or_default();
    if !tail.is_empty() && tail.len() < EVTX_CHUNK {
        chunks.push(tail);
    }
    // The oldest chunk: the one whose header names the lowest record id.
    let oldest = chunks
        .iter()
        .enumerate()
        .filter_map(|(i, c)| EvtxChunkHeader::from_bytes(c).ok().map(|h| (h, i)))
        .filter(|(h, _)| h.first_event_record_id <= h.last_event_record_id)
        .min_by_key(|(h, _)| h.first_event_record_id)
        .map_or(0, |(_, i)| i);
    let mut stats = ReadStats::default();
    let mut cut = Vec::new();
    for number in (oldest..chunks.len()).chain(0..oldest) {
        let data = chunks[number];
        // Chunks never written are all zeros: nothing to read, nothing damaged.
        if data.iter().all(|b| *b == 0) {
            continue;
        }
        let partial = data.len() < EVTX_CHUNK;
        let header = match EvtxChunkHeader::from_bytes(data) {
            Ok(h) => h,
            Err(_) if partial => {
                cut.push(format!(
                    "the file is cut short {} bytes into chunk {number}, inside the chunk's header: its records are lost ({} bytes)",
                    data.len(),
                    EVTX_CHUNK - data.len()
                ));
                continue;
            }
            Err(e) => {
                stats.skip(format!("damaged chunk {number} skipped: {e}"));
                continue;
            }
        };
        // A partial chunk is read from a copy filled out with zeros, so
        // that the chunk's tables of strings and templates, which may point
        // past the cut, read as empty instead of failing the whole chunk.
        let padded: Vec<u8>;
        let data = if partial {
            padded = {
                let mut v = vec![0u8; EVTX_CHUNK];
                v[..data.len()].copy_from_slice(data);
                v
            };
            &padded[..]
        } else {
            data
        };
        let mut chunk = match EvtxChunk::new(data, &header, settings.clone()) {
            Ok(c) => c,
            Err(e) => {
                stats.skip(format!("damaged chunk {number} skipped: {e}"));
                continue;
            }
        };
        let mut read = 0u64;
        for record in chunk.iter() {
            let record = match record {
                Ok(r) => r,
                // In a partial chunk, the records the cut went through are
                // counted as lost below.
                Err(_) if partial => continue,
                Err(e) => {
                    stats.skip(format!("damaged record skipped: {e}"));
                    continue;
                }
            };
            let (id, recovered) = (record.event_record_id, record.recovered);
            let value = record
                .into_json_bytes()
                .map_err(|e| e.to_string())
                .and_then(|r| parse(&r.data).map_err(|e| e.to_string()));
            match value {
                Ok(v) => {
                    stats.events += 1;
                    read += 1;
                    each(id, v);
                }
                // A record carved from a chunk's free space that does not
                // render is noise, not damage (as the crate treats it).
                Err(_) if recovered => {}
                Err(_) if partial => {}
                Err(e) => stats.skip(format!("damaged record {id} skipped: {e}")),
            }
        }
        if partial {
            let kept = chunks[number].len();
            let expected = header
                .last_event_record_id
                .checked_sub(header.first_event_record_id)
                .map(|n| n + 1)
                .filter(|n| *n <= (EVTX_CHUNK / 24) as u64);
            let lost_bytes = (header.free_space_offset as usize).min(EVTX_CHUNK).saturating_sub(kept);
            cut.push(match expected {
                Some(n) => format!(
                    "the file is cut short {kept} bytes into chunk {number}: {read} of its {n} records read, {} lost ({lost_bytes} bytes of records)",
                    n.saturating_sub(read)
                ),
                None => format!(
                    "the file is cut short {kept} bytes into chunk {number}: {read} records read, {lost_bytes} bytes of records lost"
                ),
            });
        }
    }
    // Whole chunks the header counts that are not there at all.
    let present = chunks.len();
    if usize::from(header.chunk_count) > present {
        let missing = usize::from(header.chunk_count) - present;
        cut.push(format!(
            "the file is cut short: {missing} of the {} chunks its header counts are missing ({} bytes)",
            header.chunk_count,
            missing * EVTX_CHUNK
        ));
    }
    for c in cut {
        stats.note(c);
    }
    Ok(stats)
}

/// The largest event read from a JSON log, in bytes.
const MAX_EVENT: usize = 16 << 20;

/// Calls `each` with every object of a JSON array or NDJSON file, with its
/// position (1-based line for NDJSON, 1-based item for an array).
pub fn read_json(path: &Path, each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    read_json_from(file, each)
}

fn read_json_from(input: impl Read, mut each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    let mut reader = BufReader::new(input);
    let mut stats = ReadStats::default();
    let starts_array = loop {
        let buf = reader.fill_buf().map_err(|e| e.to_string())?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let is_array = buf[i] == b'[';
                break is_array;
            }
            None if buf.is_empty() => return Ok(stats),
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    if starts_array {
        let items: Vec<Value> = serde_json::from_reader(reader).map_err(|e| format!("not a JSON array: {e}"))?;
        for (i, v) in items.into_iter().enumerate() {
            if v.is_object() {
                stats.events += 1;
                each(i as u64 + 1, v);
            } else {
                stats.skip(format!("item {}: not a JSON object", i + 1));
            }
        }
        return Ok(stats);
    }
    // NDJSON, or JSON objects one after another over several lines each:
    // lines gather until they make a value, so a bad line is reported by
    // its number and reading goes on after it.
    let mut pending = String::new();
    let mut started = 0usize;
    for (i, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            // Bytes that are not text from the start: not a log at all.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData && stats.events == 0 && stats.skipped == 0 => {
                return Err(format!("{NOT_EVTX}, nor JSON text (not UTF-8)"));
            }
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                stats.skip(format!("line {}: not UTF-8 text", i + 1));
                pending.clear();
                continue;
            }
            Err(e) => return Err(e.to_string()),
        };
        if pending.is_empty() {
            if line.trim().is_empty() {
                continue;
            }
            started = i + 1;
        }
        pending.push_str(&line);
        pending.push('\n');
        match serde_json::from_str::<Value>(&pending) {
            Ok(v) if v.is_object() => {
                stats.events += 1;
                each(started as u64, v);
            }
            Ok(_) => stats.skip(format!("line {started}: not a JSON object")),
            Err(e) if e.is_eof() && pending.len() < MAX_EVENT => continue,
            Err(e) => stats.skip(format!("line {started}: {e}")),
        }
        pending.clear();
    }
    if !pending.is_empty() {
        stats.skip(format!("line {started}: the file ends inside a JSON value"));
    }
    Ok(stats)
}

/// The first bytes of an EVTX file.
const EVTX_MAGIC: &[u8] = b"ElfFile\0";

thread_local! {
    static FILE_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Calls `each` with every event of a file of either kind.
pub fn read_events(path: &Path, each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    read_file(path, false, &Cell::new(false), each)
}

/// [`read_events`] with each event flattened (see [`flatten`]); an EVTX
/// record is flattened as it is parsed.
pub fn read_events_flat(path: &Path, each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    read_file(path, true, &Cell::new(false), each)
}

/// Reads `path` as EVTX or JSON by its first bytes, setting `evtx` when it
/// is EVTX. A file named `.evtx` that is not is refused, whatever it holds;
/// an empty file is said to be.
fn read_file(path: &Path, flat: bool, evtx: &Cell<bool>, each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    // Opened once: the first bytes tell the kind, and are read again as
    // part of the whole.
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut head = Vec::with_capacity(8);
    (&mut file).take(8).read_to_end(&mut head).map_err(|e| e.to_string())?;
    if head.is_empty() {
        let mut stats = ReadStats::default();
        stats.note("the file is empty: no event to read".into());
        return Ok(stats);
    }
    if head == EVTX_MAGIC {
        evtx.set(true);
        // The file's bytes go into a buffer kept by the thread, so that a
        // hunt over many small files does not allocate one for each.
        let mut bytes = FILE_BUFFER.take();
        bytes.clear();
        bytes.extend_from_slice(&head);
        file.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        let stats = read_bytes(&bytes, flat, evtx, each);
        FILE_BUFFER.set(bytes);
        stats
    } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("evtx")) {
        Err(NOT_EVTX.into())
    } else {
        read_json_events(std::io::Cursor::new(head).chain(file), flat, each)
    }
}

/// Why a file named as EVTX, or in no known format, is not read.
const NOT_EVTX: &str = "not an EVTX file (no ElfFile header)";

/// [`read_events`] over a file's bytes already in memory.
pub fn read_events_bytes(bytes: &[u8], each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    read_bytes(bytes, false, &Cell::new(false), each)
}

/// [`read_events_flat`] over a file's bytes already in memory.
pub fn read_events_bytes_flat(bytes: &[u8], each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    read_bytes(bytes, true, &Cell::new(false), each)
}

fn read_bytes(bytes: &[u8], flat: bool, evtx: &Cell<bool>, each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    if bytes.is_empty() {
        let mut stats = ReadStats::default();
        stats.note("the file is empty: no event to read".into());
        return Ok(stats);
    }
    let is_evtx = bytes.starts_with(EVTX_MAGIC);
    evtx.set(is_evtx);
    match (is_evtx, flat) {
        (true, true) => evtx_records(bytes, crate::event::flatten_json, each),
        (true, false) => read_evtx_bytes(bytes, each),
        (false, _) => read_json_events(bytes, flat, each),
    }
}

/// The events of a JSON array or NDJSON log, flattened when `flat`.
fn read_json_events(input: impl Read, flat: bool, mut each: impl FnMut(u64, Value)) -> Result<ReadStats, String> {
    if flat { read_json_from(input, |n, v| each(n, flatten(v))) } else { read_json_from(input, each) }
}

/// One rule matching one event.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub file: String,
    /// The event's `EventRecordID` (as Event Viewer shows it) in an EVTX
    /// file, or the line (NDJSON) or item (array) number.
    pub record: u64,
    /// The number in the EVTX record's header, where it differs from
    /// `EventRecordID` (a log exported from another numbers its records
    /// again from 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_record: Option<u64>,
    pub time: String,
    pub computer: String,
    pub rule_id: String,
    pub rule_title: String,
    pub level: String,
    pub techniques: Vec<String>,
    /// The event, flattened; shared by the hits on the same event.
    pub event: Arc<Value>,
}

/// Writes hits as NDJSON, one object per line, rendering the event of
/// several hits on the same event once.
#[derive(Default)]
pub struct NdjsonHits {
    last: Option<(Arc<Value>, String)>,
}

impl NdjsonHits {
    pub fn write(&mut self, out: &mut impl Write, hit: &Hit) -> std::io::Result<()> {
        let event = match &self.last {
            Some((e, text)) if Arc::ptr_eq(e, &hit.event) => text,
            _ => &self.last.insert((hit.event.clone(), serde_json::to_string(&*hit.event)?)).1,
        };
        #[derive(Serialize)]
        struct Head<'a> {
            file: &'a str,
            record: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            header_record: Option<u64>,
            time: &'a str,
            computer: &'a str,
            rule_id: &'a str,
            rule_title: &'a str,
            level: &'a str,
            techniques: &'a [String],
        }
        let head = serde_json::to_vec(&Head {
            file: &hit.file,
            record: hit.record,
            header_record: hit.header_record,
            time: &hit.time,
            computer: &hit.computer,
            rule_id: &hit.rule_id,
            rule_title: &hit.rule_title,
            level: &hit.level,
            techniques: &hit.techniques,
        })?;
        // `{…}` without its closing brace, then the event.
        out.write_all(&head[..head.len() - 1])?;
        out.write_all(b",\"event\":")?;
        out.write_all(event.as_bytes())?;
        out.write_all(b"}\n")
    }
}

/// The time and host of a flattened event, where it names them.
pub fn time_and_host(event: &Value) -> (String, String) {
    let pick =
        |keys: &[&str]| keys.iter().find_map(|k| event.get(*k).and_then(Value::as_str)).unwrap_or_default().to_owned();
    (
        pick(&["TimeCreated", "@timestamp", "timestamp", "UtcTime"]),
        pick(&["Computer", "host.name", "hostname", "Hostname"]),
    )
}

/// The number a hit names its event by, and the EVTX header's where it
/// differs: an EVTX event's `EventRecordID`, else its position.
fn record_numbers(evtx: bool, position: u64, event: &Value) -> (u64, Option<u64>) {
    let id = event.get("EventRecordID").and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()));
    match id {
        Some(id) if evtx => (id, (id != position).then_some(position)),
        _ => (position, None),
    }
}

/// Hunts one file with `detector`, calling `hit` for each match and
/// `progress` every thousand events.
pub fn hunt_file(
    detector: &Detector,
    path: &Path,
    naive: bool,
    hit: impl FnMut(Hit),
    progress: impl FnMut(u64),
) -> Result<ReadStats, String> {
    let name = path.display().to_string();
    hunt_with(detector, &name, naive, hit, progress, |evtx, each| read_file(path, true, evtx, each))
}

/// [`hunt_file`] over a file's bytes already in memory, named `name` in the hits.
pub fn hunt_bytes(
    detector: &Detector,
    name: &str,
    bytes: &[u8],
    naive: bool,
    hit: impl FnMut(Hit),
    progress: impl FnMut(u64),
) -> Result<ReadStats, String> {
    hunt_with(detector, name, naive, hit, progress, |evtx, each| read_bytes(bytes, true, evtx, each))
}

/// Matches every event that `read` hands over, flattened.
fn hunt_with(
    detector: &Detector,
    name: &str,
    naive: bool,
    mut hit: impl FnMut(Hit),
    mut progress: impl FnMut(u64),
    read: impl FnOnce(&Cell<bool>, &mut dyn FnMut(u64, Value)) -> Result<ReadStats, String>,
) -> Result<ReadStats, String> {
    let mut n = 0u64;
    let evtx = Cell::new(false);
    read(&evtx, &mut |position, event| {
        let src = source_of(&event);
        let found = if naive { detector.naive_matches(&event, &src) } else { detector.matches(&event, &src) };
        if !found.is_empty() {
            let (record, header_record) = record_numbers(evtx.get(), position, &event);
            let (time, computer) = time_and_host(&event);
            let event = Arc::new(event);
            for i in found {
                let r = &detector.rules()[i];
                hit(Hit {
                    file: name.to_owned(),
                    record,
                    header_record,
                    time: time.clone(),
                    computer: computer.clone(),
                    rule_id: r.id.clone(),
                    rule_title: r.title.clone(),
                    level: r.level.as_str().to_owned(),
                    techniques: r.techniques.clone(),
                    event: event.clone(),
                });
            }
        }
        n += 1;
        if n.is_multiple_of(1000) {
            progress(1000);
        }
    })
    .inspect(|_| progress(n % 1000))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ndjson_hits_read_as_the_hits_themselves() {
        let event = Arc::new(serde_json::json!({"EventID": 1, "CommandLine": "whoami \"/all\"", "n": [1, 2]}));
        let hit = |rule: &str| Hit {
            file: "a\\b.evtx".into(),
            record: 7,
            header_record: (rule == "r2").then_some(3),
            time: "2026-11-20T10:00:00Z".into(),
            computer: "ws1".into(),
            rule_id: rule.into(),
            rule_title: "Whoami".into(),
            level: "high".into(),
            techniques: vec!["T1033".into()],
            event: event.clone(),
        };
        let hits = [hit("r1"), hit("r2")];
        let mut out = Vec::new();
        let mut w = NdjsonHits::default();
        for h in &hits {
            w.write(&mut out, h).unwrap();
        }
        let want: String = hits.iter().map(|h| serde_json::to_string(h).unwrap() + "\n").collect();
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
}
