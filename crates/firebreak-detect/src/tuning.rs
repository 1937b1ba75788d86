//! Tuning exceptions written as standard Sigma filter documents, so that
//! they are applied by the same engine as the rules and export as Sigma.

/// What an exception says.
#[derive(Debug, Clone)]
pub struct Exception<'a> {
    /// The filter document's own id.
    pub id: &'a str,
    /// The Sigma id of the rule it narrows.
    pub rule: &'a str,
    pub product: &'a str,
    pub category: &'a str,
    pub service: &'a str,
    pub field: &'a str,
    /// `None` for equality, else `contains`, `startswith` or `endswith`.
    pub modifier: Option<&'a str>,
    pub values: &'a [String],
    /// Exclude (the rule does not fire when the field matches) or, when
    /// false, only (the rule fires only when it does).
    pub exclude: bool,
    pub reason: &'a str,
    pub author: &'a str,
    /// YYYY-MM-DD.
    pub date: &'a str,
}

/// A YAML single-quoted scalar on one line.
fn quoted(s: &str) -> String {
    let one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    format!("'{}'", one_line.replace('\'', "''"))
}

/// A literal value as a Sigma string: `*` and `?` are escaped, and so is a
/// backslash that would otherwise escape them or another backslash.
pub fn sigma_literal(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 4);
    let chars: Vec<char> = v.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '*' | '?' => {
                out.push('\\');
                out.push(*c);
            }
            '\\' if matches!(chars.get(i + 1), Some('*' | '?' | '\\')) => out.push_str("\\\\"),
            _ => out.push(*c),
        }
    }
    out
}

/// Whether `field` can name an event field in a Sigma detection.
pub fn valid_field(field: &str) -> bool {
    !field.is_empty()
        && field.len() <= 200
        && field.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | ' ' | '@'))
}

/// The Sigma filter document of an exception.
pub fn filter_yaml(e: &Exception<'_>) -> String {
    let mut y = String::new();
    y.push_str(&format!("title: {}\n", quoted(&format!("Exception: {}", e.reason))));
    y.push_str(&format!("id: {}\n", e.id));
    y.push_str(&format!("description: {}\n", quoted(e.reason)));
    y.push_str(&format!("author: {}\n", quoted(e.author)));
    y.push_str(&format!("date: {}\n", quoted(e.date)));
    let parts: Vec<(&str, &str)> = [("product", e.product), ("category", e.category), ("service", e.service)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if !parts.is_empty() {
        y.push_str("logsource:\n");
        for (k, v) in parts {
            y.push_str(&format!("    {k}: {}\n", quoted(v)));
        }
    }
    y.push_str("filter:\n    rules:\n");
    y.push_str(&format!("        - {}\n", quoted(e.rule)));
    y.push_str("    selection:\n");
    let key = match e.modifier {
        Some(m) => format!("{}|{m}", e.field),
        None => e.field.to_owned(),
    };
    y.push_str(&format!("        {}:\n", quoted(&key)));
    for v in e.values {
        y.push_str(&format!("            - {}\n", quoted(&sigma_literal(v))));
    }
    y.push_str(if e.exclude { "    condition: not selection\n" } else { "    condition: selection\n" });
    y
}

/// An exception on `Computer` of a process-creation rule, for tests.
#[cfg(test)]
pub(crate) fn example(values: &[String]) -> Exception<'_> {
    Exception {
        id: "22222222-2222-4222-8222-222222222222",
        rule: "11111111-1111-4111-8111-111111111111",
        product: "windows",
        category: "process_creation",
        service: "",
        field: "Computer",
        modifier: None,
        values,
        exclude: true,
        reason: "Admins' jump host:\nexpected",
        author: "alice",
        date: "2026-11-25",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::event::{flatten, source_of};
    use crate::{Detector, Library};
    use serde_json::json;

    const RULE: &str = "title: Whoami
id: 11111111-1111-4111-8111-111111111111
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    condition: selection
";

    fn event(host: &str, parent: &str) -> serde_json::Value {
        flatten(json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Computer": host}, "EventData": {"Image": "C:\\Windows\\whoami.exe", "ParentImage": parent}}}))
    }

    fn hits(lib: &Library, ev: &serde_json::Value) -> usize {
        let (d, problems) = Detector::new(&lib.rules, &[]);
        assert!(problems.is_empty(), "{problems:?}");
        d.matches(ev, &source_of(ev)).len()
    }

    #[test]
    fn exceptions_narrow_their_rule_and_read_back_as_sigma() {
        let values = vec!["ADMIN01".to_owned(), "it's*odd?".to_owned()];
        let base = example(&values);
        let mut lib = Library::default();
        lib.add_file("rule.yml", RULE);
        lib.add_file("exception.yml", &filter_yaml(&base));
        assert!(lib.problems.is_empty(), "{:?}\n{}", lib.problems, filter_yaml(&base));
        assert_eq!(hits(&lib, &event("admin01", "x")), 0, "equality is case-insensitive");
        assert_eq!(hits(&lib, &event("ws-7", "x")), 1);
        assert_eq!(hits(&lib, &event("it's*odd?", "x")), 0, "wildcards in values are literal");
        assert_eq!(hits(&lib, &event("it's-very-odd!", "x")), 1);

        let parents = vec!["\\explorer.exe".to_owned()];
        let only = Exception {
            id: "33333333-3333-4333-8333-333333333333",
            field: "ParentImage",
            modifier: Some("endswith"),
            values: &parents,
            exclude: false,
            ..base
        };
        let mut lib = Library::default();
        lib.add_file("rule.yml", RULE);
        lib.add_file("only.yml", &filter_yaml(&only));
        assert!(lib.problems.is_empty(), "{:?}", lib.problems);
        assert_eq!(hits(&lib, &event("ws-7", "C:\\Windows\\explorer.exe")), 1);
        assert_eq!(hits(&lib, &event("ws-7", "C:\\Windows\\cmd.exe")), 0);
    }

    #[test]
    fn field_names_are_checked() {
        assert!(valid_field("ParentImage"));
        assert!(valid_field("process.parent.name"));
        assert!(!valid_field("Image|re"));
        assert!(!valid_field("a: b"));
        assert!(!valid_field(""));
    }
}
