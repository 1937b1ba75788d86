//! The asset inventory as CSV: its columns, and how an import reads each
//! line into an asset to store. Reading has no I/O, so that the server's
//! import and the fuzzer share it; storing each line is the server's.

use std::collections::HashMap;

use firebreak_types::{AssetKind, CreateAsset, Criticality};
use serde::Deserialize;
use uuid::Uuid;

/// The columns of the asset CSV, in order. Contacts are e-mail addresses of
/// the directory and tags are separated by `;`.
pub const CSV_COLUMNS: [&str; 10] =
    ["kind", "name", "address", "owner", "business_unit", "criticality", "location", "contacts", "tags", "description"];

/// An asset CSV whose header has been read and checked.
pub struct AssetCsv<'a> {
    reader: csv::Reader<&'a [u8]>,
    width: usize,
    index: HashMap<String, usize>,
}

/// One line of an asset CSV, read.
#[derive(Debug)]
pub struct CsvLine {
    /// 1-based line number (0 when the reader cannot tell).
    pub line: u64,
    /// The byte offset where the line starts, when it could be read.
    pub byte: Option<u64>,
    /// The asset, or why the line is rejected.
    pub asset: Result<CreateAsset, String>,
}

impl<'a> AssetCsv<'a> {
    /// Reads and checks the header: `kind` and `name` are required, and no
    /// column outside [`CSV_COLUMNS`] is allowed. The error is a sentence
    /// about the field `csv`.
    pub fn open(data: &'a [u8]) -> Result<AssetCsv<'a>, String> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(data);
        let headers = reader.headers().map_err(|e| format!("the header line cannot be read: {e}"))?.clone();
        let index: HashMap<String, usize> = headers.iter().enumerate().map(|(i, h)| (h.to_owned(), i)).collect();
        for required in ["kind", "name"] {
            if !index.contains_key(required) {
                return Err(format!(
                    "the header must name the columns {}; {required:?} is missing",
                    CSV_COLUMNS.join(",")
                ));
            }
        }
        if let Some(unknown) = headers.iter().find(|h| !CSV_COLUMNS.contains(h)) {
            return Err(format!("unknown column {unknown:?}; known: {}", CSV_COLUMNS.join(",")));
        }
        Ok(AssetCsv { reader, width: headers.len(), index })
    }

    /// The next line, read into an asset; contacts are looked up by
    /// lower-case e-mail address in `by_email`.
    pub fn next_line(&mut self, by_email: &HashMap<String, Uuid>) -> Option<CsvLine> {
        let mut record = csv::StringRecord::new();
        match self.reader.read_record(&mut record) {
            Ok(false) => None,
            Err(e) => Some(CsvLine {
                line: e.position().map_or(0, |p| p.line()),
                byte: None,
                asset: Err(format!("unreadable: {e}")),
            }),
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                let byte = record.position().map(|p| p.byte());
                let asset = if record.len() != self.width {
                    Err(format!("has {} columns; the header has {}", record.len(), self.width))
                } else {
                    // A cell as exported comes back as it was before export.
                    let get = |c: &str| {
                        self.index
                            .get(c)
                            .and_then(|i| record.get(*i))
                            .map_or("", firebreak_types::csv::import_cell)
                            .to_owned()
                    };
                    asset_from_row(&get, by_email)
                };
                Some(CsvLine { line, byte, asset })
            }
        }
    }
}

/// The contacts of a `contacts` cell: e-mail addresses separated by `;`,
/// each bare (`alice@example.org`) or with a name (`Alice Martin
/// <alice@example.org>`), as (name, e-mail); a bare address is named by its
/// part before the `@`.
pub fn contact_cells(cell: &str) -> Vec<(String, String)> {
    cell.split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| match entry.strip_suffix('>').and_then(|s| s.rsplit_once('<')) {
            Some((name, email)) if !name.trim().is_empty() => (name.trim().to_owned(), email.trim().to_owned()),
            Some((_, email)) => (local_part(email.trim()), email.trim().to_owned()),
            None => (local_part(entry), entry.to_owned()),
        })
        .collect()
}

fn local_part(email: &str) -> String {
    email.split('@').next().unwrap_or(email).to_owned()
}

/// Every contact the file names, once each (by e-mail, without regard to
/// case), so that the import can make those it does not know yet before it
/// reads the lines. Lines that cannot be read are left to the import to report.
pub fn contacts_named(data: &[u8]) -> Vec<(String, String)> {
    let Ok(mut csv) = AssetCsv::open(data) else { return Vec::new() };
    let Some(col) = csv.index.get("contacts").copied() else { return Vec::new() };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Ok(true) = csv.reader.read_record(&mut record) {
        let cell = record.get(col).map_or("", firebreak_types::csv::import_cell).to_owned();
        for (name, email) in contact_cells(&cell) {
            if seen.insert(email.to_lowercase()) {
                out.push((name, email));
            }
        }
    }
    out
}

fn parse_enum<T: for<'de> Deserialize<'de>>(field: &str, v: &str, allowed: &[&str]) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(v.trim().to_lowercase()))
        .map_err(|_| format!("{field} must be one of {} (got {v:?})", allowed.join(", ")))
}

fn asset_from_row(get: &dyn Fn(&str) -> String, by_email: &HashMap<String, Uuid>) -> Result<CreateAsset, String> {
    let kinds: Vec<&str> = AssetKind::ALL.iter().map(|k| k.as_str()).collect();
    let crits: Vec<&str> = Criticality::ALL.iter().map(|k| k.as_str()).collect();
    let kind: AssetKind = parse_enum("kind", &get("kind"), &kinds)?;
    let criticality = match get("criticality") {
        c if c.is_empty() => Criticality::Medium,
        c => parse_enum("criticality", &c, &crits)?,
    };
    let mut contacts = Vec::new();
    for (_, email) in contact_cells(&get("contacts")) {
        let id =
            by_email.get(&email.to_lowercase()).ok_or_else(|| format!("contacts: no contact with e-mail {email:?}"))?;
        contacts.push(*id);
    }
    let address = Some(get("address")).filter(|a| !a.is_empty());
    Ok(CreateAsset {
        kind,
        name: get("name"),
        address,
        owner: get("owner"),
        business_unit: get("business_unit"),
        criticality,
        location: get("location"),
        description: get("description"),
        contacts,
        tags: get("tags").split(';').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect(),
    })
}
