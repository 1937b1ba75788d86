//! Schemas of free text as the server reads it: trimmed of whitespace at
//! both ends, counted in characters, and (for one-line fields) without
//! control characters. A length alone would let through what the server
//! refuses (`"  "`, a newline in a name), so each is a pattern that says
//! exactly what is accepted.

use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};

/// What Rust's `trim` removes: the Unicode White_Space characters.
const SPACE: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (Unicode category Cc).
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

/// Text of `min` to `max` characters once trimmed; `controls`: whether
/// control characters may appear inside it.
fn trimmed(min: usize, max: usize, controls: bool) -> String {
    let inner = if controls { r"[\s\S]".to_owned() } else { format!("[^{CONTROL}]") };
    let edge = if controls { format!("[^{SPACE}]") } else { format!("[^{SPACE}{CONTROL}]") };
    let body = match max {
        0 => String::new(),
        1 => edge.clone(),
        _ => format!("{edge}(?:{inner}{{0,{}}}{edge})?", max - 2),
    };
    let body = if min == 0 && max > 0 { format!("(?:{body})?") } else { body };
    format!("^[{SPACE}]*{body}[{SPACE}]*$")
}

/// How many characters a kind of text holds once trimmed. The domain's
/// validators and these schemas read the same bounds, so that the document
/// cannot drift from what the server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: usize,
    pub max: usize,
}

/// A name (an organisation, a key, a team).
pub const NAME: Bounds = Bounds { min: 1, max: 100 };
/// A person's display name; may be empty.
pub const DISPLAY_NAME: Bounds = Bounds { min: 0, max: 100 };
/// A one-line description.
pub const DESCRIPTION: Bounds = Bounds { min: 0, max: 2000 };
/// A title (a case, a task, an alert).
pub const TITLE: Bounds = Bounds { min: 1, max: 200 };
/// An alert's source.
pub const SOURCE: Bounds = Bounds { min: 1, max: 200 };
/// An alert's source reference.
pub const SOURCE_REF: Bounds = Bounds { min: 1, max: 500 };

fn text(Bounds { min, max }: Bounds, controls: bool, nullable: bool) -> Object {
    let kind = if nullable { SchemaType::from_iter([Type::String, Type::Null]) } else { SchemaType::new(Type::String) };
    ObjectBuilder::new()
        .schema_type(kind)
        .pattern(Some(trimmed(min, max, controls)))
        .description(Some(describe(min, max, controls)))
        .build()
}

fn describe(min: usize, max: usize, controls: bool) -> String {
    let length = if min == 0 { format!("at most {max}") } else { format!("{min} to {max}") };
    let controls = if controls { "" } else { ", without control characters" };
    format!("{length} characters once trimmed{controls}")
}

/// A name (an organisation, a key, a team): 1 to 100 characters.
pub fn name() -> Object {
    text(NAME, false, false)
}

/// A name that may be left out.
pub fn name_or_null() -> Object {
    text(NAME, false, true)
}

/// A sign-in name: 2 to 64 letters, digits, `.`, `_`, `-` or `@`.
pub fn username() -> Object {
    let pattern = format!("^[{SPACE}]*[A-Za-z0-9._@-]{{2,64}}[{SPACE}]*$");
    ObjectBuilder::new().schema_type(SchemaType::new(Type::String)).pattern(Some(pattern)).build()
}

fn email_pattern() -> String {
    let part = format!("[^@ {SPACE}{CONTROL}]");
    let rest = format!("[^ {CONTROL}]");
    format!("^[{SPACE}]*(?:{part}+@{rest}*\\.{rest}*)?[{SPACE}]*$")
}

/// An e-mail address such as `name@example.org`, or nothing.
pub fn email() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .pattern(Some(email_pattern()))
        .max_length(Some(254))
        .build()
}

/// An e-mail address that may be left out.
pub fn email_or_null() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(email_pattern()))
        .max_length(Some(254))
        .build()
}

/// A title (a case, a task, an alert): 1 to 200 characters.
pub fn title() -> Object {
    text(TITLE, false, false)
}

/// A title that may be left out.
pub fn title_or_null() -> Object {
    text(TITLE, false, true)
}

/// A person's display name: at most 100 characters.
pub fn display_name() -> Object {
    text(DISPLAY_NAME, false, false)
}

/// A display name that may be left out.
pub fn display_name_or_null() -> Object {
    text(DISPLAY_NAME, false, true)
}

/// A one-line description: at most 2000 characters.
pub fn description() -> Object {
    text(DESCRIPTION, false, false)
}

/// A description that may be left out.
pub fn description_or_null() -> Object {
    text(DESCRIPTION, false, true)
}

/// An alert's source: 1 to 200 characters.
pub fn source() -> Object {
    text(SOURCE, true, false)
}

/// An alert's source reference: 1 to 500 characters.
pub fn source_ref() -> Object {
    text(SOURCE_REF, true, false)
}

/// Tags: up to 50, each 1 to 64 characters.
pub fn tags() -> Array {
    ArrayBuilder::new().items(text(Bounds { min: 1, max: 64 }, false, false)).max_items(Some(50)).build()
}

/// The observable types (`firebreak_domain::observable::ObservableKind`).
pub const OBSERVABLE_TYPES: [&str; 17] = [
    "ip",
    "domain",
    "url",
    "email",
    "md5",
    "sha1",
    "sha256",
    "filename",
    "file_path",
    "hostname",
    "user_account",
    "registry_key",
    "process",
    "ja3",
    "ja3s",
    "certificate_fingerprint",
    "other",
];

fn one_of(values: &[&str]) -> Object {
    ObjectBuilder::new().schema_type(SchemaType::new(Type::String)).enum_values(Some(values.iter().copied())).build()
}

/// A list of observable types.
pub fn observable_types() -> Array {
    ArrayBuilder::new().items(one_of(&OBSERVABLE_TYPES)).build()
}

/// A list of events a webhook receives.
pub fn case_events() -> Array {
    ArrayBuilder::new().items(one_of(crate::WEBHOOK_EVENTS)).build()
}

/// An http or https address of at most 2048 characters.
pub fn web_address() -> Object {
    let pattern = format!("^[{SPACE}]*https?://(?:[^/{SPACE}]|[^/][\\s\\S]{{0,2030}}[^{SPACE}])[{SPACE}]*$");
    ObjectBuilder::new().schema_type(SchemaType::new(Type::String)).pattern(Some(pattern)).build()
}

/// A signing secret of 16 characters or more once trimmed, or none.
pub fn secret_or_null() -> Object {
    let pattern = format!("^[{SPACE}]*[^{SPACE}][\\s\\S]{{14,}}[^{SPACE}][{SPACE}]*$");
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])).pattern(Some(pattern)).build()
}

/// A file's name: what follows its last `/` or `\\`, 1 to 255 characters
/// once trimmed, without control characters.
pub fn filename() -> Object {
    let part = format!("[^/\\\\{CONTROL}]");
    let edge = format!("[^/\\\\{SPACE}{CONTROL}]");
    let pattern = format!("^(?:[\\s\\S]*[/\\\\])?[{SPACE}]*{edge}(?:{part}{{0,253}}{edge})?[{SPACE}]*$");
    ObjectBuilder::new().schema_type(SchemaType::new(Type::String)).pattern(Some(pattern)).build()
}

/// Tags that may be left out.
pub fn tags_or_null() -> Array {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(text(Bounds { min: 1, max: 64 }, false, false))
        .max_items(Some(50))
        .build()
}

/// Required text of any characters: at least one that is not whitespace.
pub fn required() -> Object {
    text(Bounds { min: 1, max: 100_000 }, true, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_have_the_bounds_they_say() {
        assert_eq!(trimmed(1, 1, false), format!("^[{SPACE}]*[^{SPACE}{CONTROL}][{SPACE}]*$"));
        assert!(trimmed(0, 100, false).contains("{0,98}"));
        assert!(trimmed(1, 200, true).contains(r"[\s\S]{0,198}"));
    }
}
