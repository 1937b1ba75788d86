//! Cells of the CSV files Firebreak writes, made safe to open in a
//! spreadsheet.

use std::borrow::Cow;

/// Whether a spreadsheet could read `s` as a formula (OWASP's list of
/// leading characters).
fn formula_like(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A text cell as it is exported: one a spreadsheet could take for a
/// formula gets a leading `'`, so that it is shown as the text it is. Text
/// that already began with `'` before such a character gets one more, so
/// that [`import_cell`] gives back exactly what was exported.
///
/// Only text goes through here. Numbers the exporter formats itself (a
/// negative trend in a metric, say) are written as they are: they cannot
/// hold a formula, and a `'` would turn them into text in a spreadsheet.
pub fn export_cell(s: &str) -> Cow<'_, str> {
    let quoted = s.strip_prefix('\'').is_some_and(|rest| formula_like(rest) || rest.starts_with('\''));
    if formula_like(s) || quoted { Cow::Owned(format!("'{s}")) } else { Cow::Borrowed(s) }
}

/// Undoes [`export_cell`] on a cell read back from an exported file: one
/// leading `'` before a formula's character (or another `'`) goes.
pub fn import_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if formula_like(rest) || rest.starts_with('\'') => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_shown_as_text_and_come_back_unchanged() {
        for s in ["=HYPERLINK(\"http://evil\",\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=x", "''x", "'"] {
            let out = export_cell(s);
            assert!(!formula_like(&out), "{out:?}");
            assert_eq!(import_cell(&out), s, "{s:?}");
        }
        for s in ["plain", "", "10.0.0.1", "it's", "'quoted'"] {
            assert_eq!(export_cell(s), s);
            assert_eq!(import_cell(s), s);
        }
    }
}
