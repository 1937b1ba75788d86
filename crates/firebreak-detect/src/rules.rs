//! Reading Sigma rules: every document parsed and compiled, its metadata
//! kept, and every rule that cannot be used reported with its file, line and
//! reason while the others go on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use firebreak_types::{RuleLevel, RuleStatus};
use rsigma_eval::CompiledRule;
use rsigma_parser::{CorrelationRule, FilterRule, SigmaCollection, SigmaRule, parse_sigma_yaml};
use rsigma_parser::{Level, Status};
use serde::Serialize;

/// What a rule document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Detection,
    Correlation,
    Filter,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Detection => "detection",
            RuleKind::Correlation => "correlation",
            RuleKind::Filter => "filter",
        }
    }
}

/// A rule's descriptive fields, as shown and searched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub status: RuleStatus,
    pub level: RuleLevel,
    pub description: String,
    pub author: String,
    pub tags: Vec<String>,
    /// ATT&CK technique ids from the `attack.tNNNN[.NNN]` tags, upper-cased.
    pub techniques: Vec<String>,
    pub product: String,
    pub category: String,
    pub service: String,
    pub falsepositives: Vec<String>,
    pub references: Vec<String>,
}

/// A rule document as parsed (and, for detections, compiled) when it was
/// checked, so that the matcher does not parse or compile it again. A
/// detection read for a hunt is not compiled yet (`compiled` is `None`):
/// the matcher compiles it when an event of its log source comes. A
/// detection read for a hunt may not even be parsed yet (`Unparsed`): its
/// metadata was read from its text (see [`scan`]), and the matcher parses,
/// checks and compiles it when an event of its log source comes.
#[derive(Debug, Clone)]
pub enum Document {
    Detection { rule: Arc<SigmaRule>, compiled: Option<Box<CompiledRule>> },
    Unparsed,
    Correlation(Box<CorrelationRule>),
    Filter(Box<FilterRule>),
}

/// One usable rule document and the file text it came from.
#[derive(Debug, Clone)]
pub struct CheckedRule {
    pub meta: RuleMeta,
    /// The YAML of the whole file (a multi-document file shares it).
    pub yaml: String,
    pub file: String,
    pub doc: Document,
}

impl CheckedRule {
    pub fn kind(&self) -> RuleKind {
        match self.doc {
            Document::Detection { .. } | Document::Unparsed => RuleKind::Detection,
            Document::Correlation(_) => RuleKind::Correlation,
            Document::Filter(_) => RuleKind::Filter,
        }
    }
}

/// Why a file or one of its documents was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// The ATT&CK technique ids among Sigma tags (`attack.t1059.001` → `T1059.001`).
pub fn techniques(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack.t"))
        .filter(|rest| rest.len() >= 4 && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit))
        .map(|rest| format!("T{rest}").to_uppercase())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A rule's status as the library keeps it.
fn status(s: Option<Status>) -> RuleStatus {
    match s {
        Some(Status::Stable) => RuleStatus::Stable,
        Some(Status::Test) => RuleStatus::Test,
        Some(Status::Experimental) => RuleStatus::Experimental,
        Some(Status::Deprecated) => RuleStatus::Deprecated,
        Some(Status::Unsupported) => RuleStatus::Unsupported,
        None => RuleStatus::Unstated,
    }
}

/// A rule's level as the library keeps it.
pub(crate) fn level(l: Option<Level>) -> RuleLevel {
    match l {
        Some(Level::Informational) => RuleLevel::Informational,
        Some(Level::Low) => RuleLevel::Low,
        Some(Level::Medium) => RuleLevel::Medium,
        Some(Level::High) => RuleLevel::High,
        Some(Level::Critical) => RuleLevel::Critical,
        None => RuleLevel::Unstated,
    }
}

/// The 1-based line of the first line of `text` that starts with `key:`
/// (at any indentation), or 1.
fn line_of(text: &str, key: &str) -> usize {
    text.lines().position(|l| l.trim_start().starts_with(&format!("{key}:"))).map_or(1, |i| i + 1)
}

/// The line a parser message points to: its own `line N`, or the section it
/// names.
fn line_for(text: &str, reason: &str) -> usize {
    if let Some(rest) = reason.split("line ").nth(1) {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse() {
            return n;
        }
    }
    let lower = reason.to_lowercase();
    if lower.contains("identifier") {
        return line_of(text, "condition");
    }
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    for key in ["condition", "timespan", "correlation", "logsource", "title", "id"] {
        if words.contains(&key) {
            return line_of(text, key);
        }
    }
    if lower.contains("modifier") || lower.contains("detection") || lower.contains("selection") {
        // The field with the bad modifier is on its own line.
        if let Some(m) = reason.split('\'').nth(1)
            && let Some(i) = text.lines().position(|l| l.contains(&format!("|{m}")))
        {
            return i + 1;
        }
        return line_of(text, "detection");
    }
    1
}

/// Parses and compiles the documents of one file. Returns the usable rules
/// and the problems of the others.
pub fn check_file(file: &str, text: &str) -> (Vec<CheckedRule>, Vec<Problem>) {
    read_file(file, text, true)
}

/// [`check_file`], compiling the detection rules only when `compile`.
fn read_file(file: &str, text: &str, compile: bool) -> (Vec<CheckedRule>, Vec<Problem>) {
    let problem = |reason: String| Problem { file: file.to_owned(), line: line_for(text, &reason), reason };
    // Refused before parsing: the parser takes time in proportion to depth
    // squared, and no rule needs more than a few levels.
    if let Some((line, depth)) = crate::nesting::too_deep(text, crate::nesting::MAX_DEPTH) {
        let reason = format!("nested {depth} levels deep here; rules may nest at most {}", crate::nesting::MAX_DEPTH);
        return (Vec::new(), vec![Problem { file: file.to_owned(), line, reason }]);
    }
    let collection: SigmaCollection = match parse_sigma_yaml(text) {
        Ok(c) => c,
        Err(e) => return (Vec::new(), vec![problem(e.to_string())]),
    };
    let mut problems: Vec<Problem> = collection.errors.iter().map(|e| problem(e.clone())).collect();
    let mut rules = Vec::new();
    let rule = |doc, meta: RuleMeta| CheckedRule { meta, yaml: text.to_owned(), file: file.to_owned(), doc };
    for mut r in collection.rules {
        // Read as the specification says before anything else sees it.
        if let Err(e) = crate::spec::conform(&mut r.detection) {
            problems.push(problem(e));
            continue;
        }
        let compiled = if compile {
            match rsigma_eval::compile_rule(&r) {
                Ok(c) => Some(Box::new(c)),
                Err(e) => {
                    problems.push(problem(e.to_string()));
                    continue;
                }
            }
        } else {
            None
        };
        let meta = RuleMeta {
            id: r.id.clone().unwrap_or_default(),
            title: r.title.clone(),
            status: status(r.status),
            level: level(r.level),
            description: r.description.clone().unwrap_or_default(),
            author: r.author.clone().unwrap_or_default(),
            techniques: techniques(&r.tags),
            tags: r.tags.clone(),
            product: r.logsource.product.clone().unwrap_or_default(),
            category: r.logsource.category.clone().unwrap_or_default(),
            service: r.logsource.service.clone().unwrap_or_default(),
            falsepositives: r.falsepositives.clone(),
            references: r.references.clone(),
        };
        rules.push(rule(Document::Detection { rule: Arc::new(r), compiled }, meta));
    }
    for c in &collection.correlations {
        rules.push(rule(
            Document::Correlation(Box::new(c.clone())),
            RuleMeta {
                id: c.id.clone().unwrap_or_default(),
                title: c.title.clone(),
                status: status(c.status),
                level: level(c.level),
                description: c.description.clone().unwrap_or_default(),
                author: c.author.clone().unwrap_or_default(),
                techniques: techniques(&c.tags),
                tags: c.tags.clone(),
                falsepositives: c.falsepositives.clone(),
                references: c.references.clone(),
                ..RuleMeta::default()
            },
        ));
    }
    for mut f in collection.filters {
        if let Err(e) = crate::spec::conform(&mut f.detection) {
            problems.push(problem(e));
            continue;
        }
        let f = &f;
        rules.push(rule(
            Document::Filter(Box::new(f.clone())),
            RuleMeta {
                id: f.id.clone().unwrap_or_default(),
                title: f.title.clone(),
                status: status(f.status),
                description: f.description.clone().unwrap_or_default(),
                author: f.author.clone().unwrap_or_default(),
                techniques: techniques(&f.tags),
                tags: f.tags.clone(),
                references: f.references.clone(),
                ..RuleMeta::default()
            },
        ));
    }
    if rules.is_empty() && problems.is_empty() {
        problems.push(Problem { file: file.to_owned(), line: 1, reason: "no Sigma rule in this file".into() });
    }
    for r in &rules {
        if r.meta.id.is_empty() {
            problems.push(problem("the rule has no id".into()));
        }
    }
    rules.retain(|r| !r.meta.id.is_empty());
    (rules, problems)
}

/// The detection rule of a file read unparsed ([`Document::Unparsed`]),
/// parsed and checked now, with the problems of its file.
pub(crate) fn parse_late(file: &str, text: &str) -> (Option<Arc<SigmaRule>>, Vec<Problem>) {
    let (rules, problems) = read_file(file, text, false);
    let rule = rules.into_iter().find_map(|r| match r.doc {
        Document::Detection { rule, .. } => Some(rule),
        _ => None,
    });
    (rule, problems)
}

/// What a hunt needs of a rule file before any event comes, read from its
/// text without parsing the YAML: its id, title, status, level, tags and
/// log source. `None` for a file this reading cannot be sure of (several
/// documents, flow style, quoting with escapes, a correlation or a filter,
/// anything unusual): such a file is parsed at once.
pub fn scan(text: &str) -> Option<RuleMeta> {
    /// A one-line scalar: plain, or quoted without escapes.
    fn scalar(s: &str) -> Option<String> {
        let s = s.trim();
        let first = s.chars().next()?;
        match first {
            '\'' => {
                let inner = s.strip_prefix('\'')?.strip_suffix('\'')?.replace("''", "\u{0}");
                (!inner.contains('\'')).then(|| inner.replace('\u{0}', "'"))
            }
            '"' => {
                let inner = s.strip_prefix('"')?.strip_suffix('"')?;
                (!inner.contains(['"', '\\'])).then(|| inner.to_owned())
            }
            c if "&*!|>[]{}%@`,?-:#".contains(c) => None,
            _ => {
                let typed = s.parse::<f64>().is_ok()
                    || ["true", "false", "null", "~", "yes", "no", "on", "off"]
                        .iter()
                        .any(|w| s.eq_ignore_ascii_case(w));
                (!typed && !s.contains(" #") && !s.contains(": ") && !s.ends_with(':')).then(|| s.to_owned())
            }
        }
    }
    if text.starts_with('\u{feff}') || text.contains('\t') || text.contains('\r') {
        return None;
    }
    if crate::nesting::too_deep(text, crate::nesting::MAX_DEPTH).is_some() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let is_indented = |l: &str| l.starts_with(' ');
    let is_blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
    let mut meta = RuleMeta::default();
    let (mut id, mut title, mut logsource, mut detection) = (false, false, false, false);
    let mut seen = std::collections::HashSet::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if is_blank(line) || is_indented(line) {
            continue;
        }
        if line.starts_with("---") || line.starts_with("...") {
            return None;
        }
        let (key, rest) = line.split_once(':')?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') || !seen.insert(key) {
            return None;
        }
        // The lines below the key, up to the next key.
        let start = i;
        while i < lines.len() && (is_blank(lines[i]) || is_indented(lines[i])) {
            i += 1;
        }
        let body: Vec<&str> = lines[start..i].iter().copied().filter(|l| !is_blank(l)).collect();
        let one = |rest: &str| if body.is_empty() { scalar(rest) } else { None };
        match key {
            "id" => {
                meta.id = one(rest)?;
                id = true;
            }
            "title" => {
                meta.title = one(rest)?;
                title = true;
            }
            "status" => {
                meta.status = match one(rest)?.as_str() {
                    "stable" => RuleStatus::Stable,
                    "test" => RuleStatus::Test,
                    "experimental" => RuleStatus::Experimental,
                    "deprecated" => RuleStatus::Deprecated,
                    "unsupported" => RuleStatus::Unsupported,
                    _ => return None,
                }
            }
            "level" => {
                meta.level = match one(rest)?.as_str() {
                    "informational" => RuleLevel::Informational,
                    "low" => RuleLevel::Low,
                    "medium" => RuleLevel::Medium,
                    "high" => RuleLevel::High,
                    "critical" => RuleLevel::Critical,
                    _ => return None,
                }
            }
            "tags" => {
                if !rest.trim().is_empty() {
                    return None;
                }
                for l in &body {
                    meta.tags.push(scalar(l.trim_start().strip_prefix("- ")?)?);
                }
            }
            "logsource" => {
                if !rest.trim().is_empty() || body.is_empty() {
                    return None;
                }
                let indent = body[0].len() - body[0].trim_start().len();
                for l in &body {
                    if l.len() - l.trim_start().len() != indent {
                        return None;
                    }
                    let (k, v) = l.trim_start().split_once(':')?;
                    let v = scalar(v)?;
                    match k {
                        "product" => meta.product = v,
                        "category" => meta.category = v,
                        "service" => meta.service = v,
                        "definition" => {}
                        _ => return None,
                    }
                }
                logsource = true;
            }
            "detection" => detection = rest.trim().is_empty() && !body.is_empty(),
            // Parsed at once: documents that are not plain detections, and
            // a name a correlation could refer to.
            "correlation" | "filter" | "action" | "name" => return None,
            _ => {}
        }
    }
    (id && title && logsource && detection && !meta.id.is_empty()).then(|| {
        meta.techniques = techniques(&meta.tags);
        meta
    })
}

/// A file read by [`Library::from_texts`]: unparsed where [`scan`] can
/// read it and nothing is to be compiled.
fn read_for(file: &str, text: &str, compile: bool) -> (Vec<CheckedRule>, Vec<Problem>) {
    if !compile && let Some(meta) = scan(text) {
        let rule = CheckedRule { meta, yaml: text.to_owned(), file: file.to_owned(), doc: Document::Unparsed };
        return (vec![rule], Vec::new());
    }
    read_file(file, text, compile)
}

/// Why a rule read but not compiled cannot be used, if it cannot: it is
/// parsed (if it was not) and compiled now.
fn unusable(r: &CheckedRule) -> Option<Vec<Problem>> {
    match &r.doc {
        Document::Unparsed => {
            let (rules, problems) = read_file(&r.file, &r.yaml, true);
            rules.is_empty().then_some(problems)
        }
        Document::Detection { rule, compiled: None } => rsigma_eval::compile_rule(rule).err().map(|e| {
            let reason = e.to_string();
            vec![Problem { file: r.file.clone(), line: line_for(&r.yaml, &reason), reason }]
        }),
        _ => None,
    }
}

/// Rules read from many files, with the files that failed.
#[derive(Debug, Default)]
pub struct Library {
    pub rules: Vec<CheckedRule>,
    pub problems: Vec<Problem>,
}

impl Library {
    /// Adds one file's rules; a rule whose id is already in the library is
    /// reported instead.
    pub fn add_file(&mut self, file: &str, text: &str) {
        let (rules, problems) = check_file(file, text);
        self.problems.extend(problems);
        for r in rules {
            if let Some(first) = self.rules.iter().find(|x| x.meta.id == r.meta.id) {
                self.problems.push(Problem {
                    file: file.to_owned(),
                    line: line_of(text, "id"),
                    reason: format!("duplicate rule id {} (first in {})", r.meta.id, first.file),
                });
            } else {
                self.rules.push(r);
            }
        }
    }

    /// The rules of many files, read on every core, in the order given: as
    /// [`Library::add_file`] on each, the detection rules compiled only
    /// when `compile`. Otherwise (a hunt) a detection file that [`scan`]
    /// can read is not even parsed: the matcher parses, checks and compiles
    /// it when an event of its log source comes, and reports its problems
    /// then (see [`Document`]); only its metadata is kept.
    pub fn from_texts(texts: &[NamedText], compile: bool) -> Library {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(texts.len() / 32).max(1);
        let per = texts.len().div_ceil(threads).max(1);
        let parts: Vec<Vec<(Vec<CheckedRule>, Vec<Problem>)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = texts
                .chunks(per)
                .map(|part| scope.spawn(move || part.iter().map(|(f, t)| read_for(f, t, compile)).collect()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        let mut lib = Library::default();
        let mut first: HashMap<String, usize> = HashMap::new();
        for ((name, text), (rules, problems)) in texts.iter().zip(parts.into_iter().flatten()) {
            lib.problems.extend(problems);
            for r in rules {
                if let Some(&i) = first.get(&r.meta.id) {
                    // Uncompiled, the first may be a rule that does not
                    // compile: it would then hide the good one under its id.
                    if let Some(problems) = unusable(&lib.rules[i]) {
                        lib.problems.extend(problems);
                        lib.rules[i] = r;
                        continue;
                    }
                    lib.problems.push(Problem {
                        file: name.clone(),
                        line: line_of(text, "id"),
                        reason: format!("duplicate rule id {} (first in {})", r.meta.id, lib.rules[i].file),
                    });
                } else {
                    first.insert(r.meta.id.clone(), lib.rules.len());
                    lib.rules.push(r);
                }
            }
        }
        lib
    }

    /// Reasons grouped: how many problems start with each first clause.
    pub fn problem_summary(&self) -> Vec<(String, usize)> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for p in &self.problems {
            let key: String = p.reason.split([':', '\'']).next().unwrap_or("").trim().to_owned();
            *counts.entry(key).or_default() += 1;
        }
        let mut out: Vec<_> = counts.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

/// The files' texts, in their order, read on every core: a rule folder is
/// thousands of small files, and reading them one after another is most of a
/// short hunt's start.
pub fn read_texts(files: &[PathBuf]) -> Vec<(String, std::io::Result<String>)> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(8);
    let chunk = files.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter().map(|f| (f.display().to_string(), std::fs::read_to_string(f))).collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| vec![(String::new(), Err(std::io::Error::other("a reader thread failed")))])
            })
            .collect()
    })
}

/// The `.yml`/`.yaml` files under `path` (or `path` itself), sorted.
pub fn rule_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if path.is_file() {
        out.push(path.to_owned());
        return Ok(out);
    }
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A file's name and its text.
pub type NamedText = (String, String);

/// The largest rule file read from a zip archive, uncompressed.
const MAX_ZIPPED_RULE: u64 = 4 << 20;
/// The most rule text read from one archive, uncompressed: an archive that
/// inflates beyond it is refused rather than filling memory.
const MAX_ZIPPED_TOTAL: u64 = 64 << 20;

/// The rule files (`.yml`, `.yaml`) of a zip archive as (name inside the
/// archive, text), in the archive's order, with the entries that could not
/// be read (too large, not UTF-8, damaged) as problems. An archive that
/// cannot be opened at all, or that inflates beyond the limit, is an error.
pub fn zip_rule_files(bytes: &[u8]) -> Result<(Vec<NamedText>, Vec<Problem>), String> {
    use std::io::Read;
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("not a readable zip archive: {e}"))?;
    let (mut files, mut problems, mut total) = (Vec::new(), Vec::new(), 0u64);
    for i in 0..archive.len() {
        // The name first: entries that are not rules are skipped unopened,
        // whatever their compression or encryption.
        let name = match archive.name_for_index(i) {
            Some(Ok(n)) => n.into_owned(),
            _ => format!("entry {}", i + 1),
        };
        let is_rule = name.ends_with(".yml") || name.ends_with(".yaml");
        // macOS puts resource forks beside the files: `__MACOSX/…/._x.yml`.
        if !is_rule || name.starts_with("__MACOSX/") {
            continue;
        }
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem { file: name, line: 1, reason: format!("cannot be read: {e}") });
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        if entry.size() > MAX_ZIPPED_RULE {
            problems.push(Problem { file: name, line: 1, reason: format!("larger than {MAX_ZIPPED_RULE} bytes") });
            continue;
        }
        // The stated size can lie: read at most one byte past the limit.
        let mut raw = Vec::new();
        if let Err(e) = (&mut entry).take(MAX_ZIPPED_RULE + 1).read_to_end(&mut raw) {
            problems.push(Problem { file: name, line: 1, reason: format!("damaged entry: {e}") });
            continue;
        }
        total += raw.len() as u64;
        if total > MAX_ZIPPED_TOTAL {
            return Err(format!("the archive inflates to more than {MAX_ZIPPED_TOTAL} bytes of rules"));
        }
        if raw.len() as u64 > MAX_ZIPPED_RULE {
            problems.push(Problem { file: name, line: 1, reason: format!("larger than {MAX_ZIPPED_RULE} bytes") });
            continue;
        }
        match String::from_utf8(raw) {
            Ok(text) => files.push((name, text)),
            Err(_) => problems.push(Problem { file: name, line: 1, reason: "not UTF-8 text".into() }),
        }
    }
    Ok((files, problems))
}

/// Reads every rule file under `path`, calling `progress` after each file.
pub fn load(path: &Path, mut progress: impl FnMut(usize, usize)) -> std::io::Result<Library> {
    let files = rule_files(path)?;
    let mut lib = Library::default();
    for (i, f) in files.iter().enumerate() {
        let name = f.strip_prefix(path).unwrap_or(f).display().to_string();
        let name = if name.is_empty() { f.display().to_string() } else { name };
        match std::fs::read(f) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => lib.add_file(&name, &text),
                Err(_) => lib.problems.push(Problem { file: name, line: 1, reason: "not UTF-8 text".into() }),
            },
            Err(e) => lib.problems.push(Problem { file: name, line: 1, reason: e.to_string() }),
        }
        progress(i + 1, files.len());
    }
    Ok(lib)
}

#[cfg(test)]
mod zip_tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    /// A zip archive of `entries` (a name ending in `/` is a folder).
    pub fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default();
        for (name, bytes) in entries {
            if name.ends_with('/') {
                w.add_directory(*name, opts).unwrap();
            } else {
                w.start_file(*name, opts).unwrap();
                w.write_all(bytes).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_gives_its_rule_files_and_names_the_unreadable_ones() {
        let zip = archive(&[
            ("rules/", b""),
            ("rules/a.yml", b"title: a\n"),
            ("rules/b.yaml", b"title: b\n"),
            ("rules/latin1.yml", b"title: caf\xe9\n"),
            ("README.md", b"# not a rule"),
            ("__MACOSX/rules/._a.yml", b"\x00\x05"),
        ]);
        let (files, problems) = super::zip_rule_files(&zip).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["rules/a.yml", "rules/b.yaml"]);
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].file.as_str(), problems[0].reason.as_str()), ("rules/latin1.yml", "not UTF-8 text"));
        let err = super::zip_rule_files(b"PK\x03\x04 not really").unwrap_err();
        assert!(err.contains("not a readable zip archive"), "{err}");
    }
}
