//! A filter of any shape over alerts or cases (and, or, not, comparisons,
//! sets, text patterns, tags), with its order and page: what TheHive's query
//! API asks, in Firebreak's fields. The store compiles it to SQL.

/// What a filter can name. Each table has most of them; one it lacks is
/// refused with [`StoreError::BadQuery`] naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Id,
    Title,
    Description,
    /// The severity's rank: low 1 … critical 4 (a case without one: 0).
    Severity,
    /// The triage state of an alert, the lifecycle state of a case (text).
    State,
    Source,
    SourceRef,
    /// An alert's type.
    Kind,
    Rule,
    /// An alert's event time (ms).
    EventTime,
    /// When it was created: an alert's first sighting, a case's creation (ms).
    CreatedAt,
    /// An alert's last sighting, a case's last change (ms).
    UpdatedAt,
    ClosedAt,
    Assignee,
    /// The case an alert joined.
    CaseId,
    Tlp,
    Pap,
    /// A case's number.
    Number,
    Resolution,
    Disposition,
    /// Tags: equality means "carries the tag".
    Tags,
    /// How many times an alert was sent (1 for one sighting).
    Occurrences,
}

/// A value compared with a column: text, an integer (ranks, times in ms,
/// numbers), or nothing (`Eq` with `Null` is "is not set").
#[derive(Debug, Clone, PartialEq)]
pub enum QueryValue {
    Text(String),
    Int(i64),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

/// Where a text pattern must occur, case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextMatch {
    Contains,
    StartsWith,
    EndsWith,
    /// The whole value, with `*` standing for any text.
    Wildcard,
}

/// A filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// Every row (`true`) or none.
    All(bool),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Cmp(Field, CmpOp, QueryValue),
    In(Field, Vec<QueryValue>),
    Text(Field, TextMatch, String),
}

/// A filter with its order and page.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityQuery {
    pub filter: Cond,
    /// Fields and whether descending; the id breaks ties. Empty: newest first.
    pub sort: Vec<(Field, bool)>,
    pub offset: u64,
    pub limit: u32,
}

/// The most rows one query returns.
pub const MAX_QUERY_ROWS: u32 = 10_000;
