//! How deeply a YAML text nests, found by a scan of its lines before any
//! parser sees it: parsing a document nested a hundred thousand levels took
//! tens of seconds to refuse, while the deepest real Sigma rule nests well
//! under [`MAX_DEPTH`].
//!
//! The scan over-counts rather than under-counts what a parser would build:
//! it counts block levels by indentation (each deeper indentation, and the
//! content after each `- ` or `? ` entry on the same line) and flow levels
//! by the `[` and `{` that open a flow collection, outside quotes, comments
//! and block scalars.

/// The deepest nesting accepted: several times the deepest SigmaHQ rule or
/// pipeline.
pub const MAX_DEPTH: usize = 64;

/// Where a text nests deeper than `max` levels: its 1-based line and the depth
/// reached there; `None` when it stays within.
pub fn too_deep(text: &str, max: usize) -> Option<(usize, usize)> {
    let mut scan = Scan::default();
    for (i, line) in text.lines().enumerate() {
        let depth = scan.line(line);
        if depth > max {
            return Some((i + 1, depth));
        }
    }
    None
}

/// The deepest nesting of a text, for measuring real rules.
pub fn depth(text: &str) -> usize {
    let mut scan = Scan::default();
    text.lines().map(|l| scan.line(l)).max().unwrap_or(0)
}

#[derive(Default)]
struct Scan {
    /// Columns of the open block levels, innermost last.
    blocks: Vec<usize>,
    /// Open flow collections.
    flow: usize,
    /// Within a quoted scalar that goes on to the next line: its quote.
    quote: Option<u8>,
    /// Within a block scalar (`|`, `>`): the indentation its parent had;
    /// its lines are deeper than that.
    block_scalar: Option<usize>,
}

impl Scan {
    /// Reads one line; returns the depth reached on it.
    fn line(&mut self, line: &str) -> usize {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let blank = bytes[indent..].iter().all(|b| b.is_ascii_whitespace());
        if let Some(parent) = self.block_scalar {
            if blank || indent > parent {
                return self.depth();
            }
            self.block_scalar = None;
        }
        if blank {
            return self.depth();
        }
        if self.quote.is_none() && self.flow == 0 {
            if line.starts_with("---") || line.starts_with("...") {
                self.blocks.clear();
                return 0;
            }
            if bytes[indent] == b'#' {
                return self.depth();
            }
            self.open_block(indent);
        }
        let mut at = indent;
        // Compact entries: `- - x`, `? - x`, each a level deeper.
        if self.quote.is_none() && self.flow == 0 {
            while at < bytes.len()
                && matches!(bytes[at], b'-' | b'?')
                && bytes.get(at + 1).is_none_or(|b| *b == b' ')
                && !(bytes[at] == b'-' && line[at..].starts_with("---"))
            {
                at += 1;
                while at < bytes.len() && bytes[at] == b' ' {
                    at += 1;
                }
                if at < bytes.len() {
                    self.open_block(at);
                }
            }
        }
        let mut deepest = self.depth();
        // Flow collections and quotes, to the end of the line or a comment.
        let mut prev = if at > 0 { b' ' } else { b'\n' };
        let mut last = b' ';
        let mut i = at;
        while i < bytes.len() {
            let b = bytes[i];
            match self.quote {
                Some(b'\'') if b == b'\'' => {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        self.quote = None;
                    }
                }
                Some(b'"') if b == b'\\' => i += 1,
                Some(b'"') if b == b'"' => self.quote = None,
                Some(_) => {}
                None => match b {
                    b'#' if prev == b' ' || prev == b'\t' || prev == b'\n' => break,
                    b'\'' | b'"' if opens_value(prev, last) => self.quote = Some(b),
                    b'[' | b'{' if self.flow > 0 || opens_value(prev, last) => {
                        self.flow += 1;
                        deepest = deepest.max(self.depth());
                    }
                    b']' | b'}' if self.flow > 0 => self.flow -= 1,
                    _ => {}
                },
            }
            if !b.is_ascii_whitespace() {
                last = b;
            }
            prev = b;
            i += 1;
        }
        // A block scalar's lines are text, however they are indented.
        if self.quote.is_none() && self.flow == 0 {
            let value = strip_comment(&line[at..]).trim_end();
            let header = value.rsplit([' ', ':']).next().unwrap_or("");
            let starts_scalar = header.starts_with(['|', '>'])
                && header[1..].chars().all(|c| c.is_ascii_digit() || c == '+' || c == '-')
                && (value.len() == header.len() || value[..value.len() - header.len()].ends_with([' ', ':']));
            if starts_scalar {
                self.block_scalar = Some(indent);
            }
        }
        deepest
    }

    /// Opens a block level at `column`, closing those at or beyond it.
    fn open_block(&mut self, column: usize) {
        while self.blocks.last().is_some_and(|&c| c >= column) {
            self.blocks.pop();
        }
        self.blocks.push(column);
    }

    fn depth(&self) -> usize {
        self.blocks.len() + self.flow
    }
}

/// Whether a quote or a bracket at this point starts a value (rather than
/// sitting inside a plain scalar such as `C:\a[1]`): at the start of the
/// line's content, after a space following `:`, `-`, `?`, or after `[`, `{`,
/// `,` in a flow collection.
fn opens_value(prev: u8, last: u8) -> bool {
    match prev {
        b'\n' | b'[' | b'{' | b',' => true,
        b' ' | b'\t' => matches!(last, b':' | b'-' | b'?' | b'[' | b'{' | b',' | b' '),
        _ => false,
    }
}

/// The line up to a comment, if any (a `#` after whitespace, outside quotes
/// is not tracked here: the caller uses it only on lines without an open
/// quote).
fn strip_comment(line: &str) -> &str {
    match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depths_of_usual_yaml() {
        assert_eq!(depth("title: x\n"), 1);
        assert_eq!(depth("a:\n  b:\n    c: 1\n"), 3);
        // An entry's content counts as a level of its own, collection or not.
        assert_eq!(depth("a:\n  - x\n  - y\n"), 3);
        assert_eq!(depth("a:\n  - b: 1\n    c: 2\n"), 3);
        assert_eq!(depth("a: [1, [2, {b: 3}]]\n"), 4);
        assert_eq!(depth("a: 'x [ { '\nb: C:\\a[1\n"), 1);
        assert_eq!(depth("a: |\n  text\n      deeper text\n        more\nb: 1\n"), 1);
        assert_eq!(depth("a: 1 # [ [ [\n"), 1);
        assert_eq!(depth("---\na:\n  b: 1\n---\nc: 1\n"), 2);
    }

    #[test]
    fn deep_nesting_is_found_at_its_line() {
        let flow = format!("a: {}", "[".repeat(100_000));
        assert_eq!(too_deep(&flow, MAX_DEPTH), Some((1, 100_001)));
        let compact = format!("a:\n  {}x\n", "- ".repeat(100_000));
        assert_eq!(too_deep(&compact, MAX_DEPTH).map(|(l, _)| l), Some(2));
        let block: String = (0..200).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
        assert_eq!(too_deep(&block, MAX_DEPTH), Some((MAX_DEPTH + 1, MAX_DEPTH + 1)));
        assert_eq!(too_deep("a:\n  b: 1\n", MAX_DEPTH), None);
    }
}
