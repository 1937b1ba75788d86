//! Parse, don't validate: each newtype's constructor is its only check, and
//! its error names the field and what was expected.

use firebreak_types::text;
use thiserror::Error;

/// A field that does not hold what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {expected}")]
pub struct FieldError {
    pub field: String,
    pub expected: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, expected: impl Into<String>) -> Self {
        Self { field: field.into(), expected: expected.into() }
    }
}

fn bounded(field: &str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if len < min || len > max {
        let expected = if min == 0 {
            format!("at most {max} characters (got {len})")
        } else {
            format!("{min} to {max} characters (got {len})")
        };
        return Err(FieldError::new(field, expected));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(field, "no control characters"));
    }
    Ok(trimmed.to_owned())
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident, $bounds:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
                bounded(field, value, $bounds.min, $bounds.max).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }
    };
}

text_newtype!(
    /// The name of an organisation or an API key.
    Name, text::NAME
);
text_newtype!(
    /// A person's display name; may be empty.
    DisplayName, text::DISPLAY_NAME
);
text_newtype!(
    /// A free-text description.
    Description, text::DESCRIPTION
);

/// A sign-in name: 2 to 64 letters, digits, `.`, `_`, `-` or `@`, kept as typed
/// but compared without case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let v = bounded(field, value, 2, 64)?;
        if !v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')) {
            return Err(FieldError::new(field, "only letters, digits, '.', '_', '-' and '@'"));
        }
        Ok(Self(v.to_ascii_lowercase()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An e-mail address, or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let v = bounded(field, value, 0, 254)?;
        if !v.is_empty() {
            let ok = v
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !v.contains(' '));
            if !ok {
                return Err(FieldError::new(field, "an e-mail address such as name@example.org"));
            }
        }
        Ok(Self(v))
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A password as chosen by a person: 12 to 1024 characters.
pub struct Password(String);

impl Password {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let len = value.chars().count();
        if !(12..=1024).contains(&len) {
            return Err(FieldError::new(field, format!("12 to 1024 characters (got {len})")));
        }
        Ok(Self(value.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse("username", " Alice.B ").map(|u| u.into_inner()), Ok("alice.b".into()));
        let e = Username::parse("username", "a b").err();
        assert_eq!(e.map(|e| e.field), Some("username".to_owned()));
        assert!(Username::parse("username", "x").is_err());
        assert!(Username::parse("username", &"x".repeat(65)).is_err());
    }

    #[test]
    fn names_and_emails() {
        assert!(Name::parse("name", "").is_err());
        assert!(Name::parse("name", "ok").is_ok());
        assert!(Name::parse("name", "a\u{0}b").is_err());
        assert!(Email::parse("email", "").is_ok());
        assert!(Email::parse("email", "a@b.org").is_ok());
        assert!(Email::parse("email", "nope").is_err());
        assert!(Password::parse("password", "short").is_err());
        assert!(format!("{:?}", Password::parse("p", "correct horse battery").ok()).contains("redacted"));
    }
}

/// A case or task title: 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        bounded(field, value, text::TITLE.min, text::TITLE.max).map(Self)
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Markdown text: up to 100 000 characters, kept as written.
pub fn markdown(field: &str, value: &str) -> Result<String, FieldError> {
    let len = value.chars().count();
    if len > 100_000 {
        return Err(FieldError::new(field, format!("at most 100000 characters (got {len})")));
    }
    Ok(value.to_owned())
}

/// Tags: up to 50, each 1 to 64 characters, compared without case.
pub fn tags(field: &str, values: &[String]) -> Result<Vec<String>, FieldError> {
    if values.len() > 50 {
        return Err(FieldError::new(field, format!("at most 50 tags (got {})", values.len())));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let tag = bounded(&format!("{field}[{i}]"), v, 1, 64)?;
        if !out.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            out.push(tag);
        }
    }
    Ok(out)
}
