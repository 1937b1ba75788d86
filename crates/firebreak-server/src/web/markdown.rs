//! Markdown written by people and by sources (descriptions, comments, task
//! logs) as HTML that runs no script and loads nothing: raw HTML is shown as
//! text, links lead only to `http`, `https`, `mailto` or a relative address,
//! and what the renderer wrote is cleaned again by an allow-list sanitiser.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{Alignment, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// The schemes a link may use; an address without a scheme is relative.
const SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Whether a link to `dest` (as the Markdown parser decoded it: entities and
/// escapes resolved) may be followed.
pub fn link_allowed(dest: &str) -> bool {
    // Browsers drop tabs and newlines anywhere in an address and control
    // characters and spaces around it (`java\tscript:` is `javascript:`);
    // dropping every such character before reading the scheme is stricter.
    let bare: String = dest.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
    match scheme(&bare) {
        None => true,
        Some(s) => SCHEMES.iter().any(|a| a.eq_ignore_ascii_case(s)),
    }
}

/// The scheme as a browser reads it: a letter, then letters, digits, `+`,
/// `-` or `.`, up to the first `:`. Anything else before the `:`
/// (`%6Aavascript:`, `./a:b`) makes the address a relative path.
fn scheme(url: &str) -> Option<&str> {
    let (head, _) = url.split_once(':')?;
    let mut chars = head.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(head)
}

/// A link or image the renderer is inside.
struct Open<'a> {
    /// Whether its `<a>` is written; a refused one leaves its text only.
    kept: bool,
    /// An image shown as a link: its address, the link's text if it has no
    /// description of its own.
    image: Option<CowStr<'a>>,
    described: bool,
}

/// Markdown to HTML with raw HTML shown as text, never interpreted.
pub fn markdown_html(text: &str) -> String {
    let mut open: Vec<Open> = Vec::new();
    let events = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).flat_map(|e| {
        let out: Vec<Event> = match e {
            Event::Html(h) | Event::InlineHtml(h) => vec![Event::Text(h)],
            // The renderer aligns cells with style attributes, which the
            // pages' Content-Security-Policy refuses.
            Event::Start(Tag::Table(columns)) => vec![Event::Start(Tag::Table(vec![Alignment::None; columns.len()]))],
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                // The renderer writes `mailto:` before an e-mail autolink itself.
                let kept = link_type == LinkType::Email || link_allowed(&dest_url);
                open.push(Open { kept, image: None, described: true });
                if kept { vec![Event::Start(Tag::Link { link_type, dest_url, title, id })] } else { Vec::new() }
            }
            // An image is shown as a link to it, never loaded with the page:
            // a remote image tells its owner who read the page and when.
            // Inside a link it is its description only (links do not nest).
            Event::Start(Tag::Image { dest_url, title, id, .. }) => {
                let kept = link_allowed(&dest_url) && !open.iter().any(|o| o.kept);
                open.push(Open { kept, image: Some(dest_url.clone()), described: false });
                if kept {
                    vec![Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url, title, id })]
                } else {
                    Vec::new()
                }
            }
            Event::End(TagEnd::Link | TagEnd::Image) => match open.pop() {
                Some(Open { kept: true, image: Some(dest), described: false }) => {
                    vec![Event::Text(dest), Event::End(TagEnd::Link)]
                }
                Some(Open { kept: true, .. }) => vec![Event::End(TagEnd::Link)],
                _ => Vec::new(),
            },
            e => {
                if let (Some(o), Event::Text(t) | Event::Code(t)) = (open.last_mut(), &e) {
                    o.described |= !t.trim().is_empty();
                }
                vec![e]
            }
        };
        out
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    SANITISER.clean(&out).to_string()
}

/// What Markdown renders to, and nothing else: no script, style, form,
/// frame or image, no event handler, links only with an allowed scheme.
/// A second line of defence behind the checks above.
static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags = [
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ];
    let attributes = HashMap::from([("a", HashSet::from(["href", "title"])), ("ol", HashSet::from(["start"]))]);
    let mut b = ammonia::Builder::empty();
    b.tags(tags.into_iter().collect())
        .tag_attributes(attributes)
        .generic_attributes(HashSet::new())
        .url_schemes(SCHEMES.into_iter().collect())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true);
    b
});

#[cfg(test)]
mod tests {
    use super::*;

    /// The `href`s of the rendered HTML.
    fn hrefs(html: &str) -> Vec<String> {
        html.split("href=\"").skip(1).filter_map(|s| s.split('"').next()).map(str::to_owned).collect()
    }

    #[test]
    fn links_that_would_run_script_lose_their_address_and_keep_their_text() {
        for md in [
            "[runbook](javascript:alert(document.domain))",
            "[runbook](JAVASCRIPT:alert(document.domain))",
            "[runbook](JavaScript:alert(1))",
            "[runbook](java\tscript:alert(1))",
            "[runbook](<java\nscript:alert(1)>)",
            "[runbook](&#106;avascript:alert(1))",
            "[runbook](&#x6A;avascript:alert(1))",
            "[runbook](&Tab;javascript:alert(1))",
            "[runbook](<\u{1}javascript:alert(1)>)",
            "[runbook]( javascript:alert(1))",
            "[runbook](< javascript:alert(1)>)",
            "[runbook](vbscript:msgbox(1))",
            "[runbook](VBScript:msgbox(1))",
            "[runbook](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "[runbook](DATA:text/html,<script>alert(1)</script>)",
            "[runbook](file:///etc/passwd)",
            "[runbook](javascript&colon;alert(1))",
            "[runbook](javascript\\:alert(1))",
            "[runbook][x]\n\n[x]: javascript:alert(1)",
            "[runbook][]\n\n[runbook]: JAVASCRIPT:alert(1)",
            "[runbook]\n\n[runbook]: <vbscript:msgbox(1)>",
        ] {
            let html = markdown_html(md);
            assert!(hrefs(&html).is_empty(), "{md:?} gave {html}");
            assert!(html.contains("runbook"), "{md:?} lost its text: {html}");
        }
    }

    #[test]
    fn autolinks_are_checked_as_links_are() {
        for md in ["<javascript:alert(1)>", "<JAVASCRIPT:alert(1)>", "<vbscript:msgbox(1)>", "<data:text/html,x>"] {
            let html = markdown_html(md);
            assert!(hrefs(&html).is_empty(), "{md:?} gave {html}");
        }
        assert_eq!(hrefs(&markdown_html("<https://example.org/a>")), ["https://example.org/a"]);
        assert_eq!(hrefs(&markdown_html("<soc@example.org>")), ["mailto:soc@example.org"]);
    }

    #[test]
    fn web_mail_and_relative_links_are_kept() {
        for (md, href) in [
            ("[a](http://example.org/x?y=1)", "http://example.org/x?y=1"),
            ("[a](HTTPS://example.org/)", "HTTPS://example.org/"),
            ("[a](mailto:soc@example.org)", "mailto:soc@example.org"),
            ("[a](/cases/1)", "/cases/1"),
            ("[a](../runbooks/phishing)", "../runbooks/phishing"),
            ("[a](#tasks)", "#tasks"),
            ("[a](?q=1)", "?q=1"),
            ("[a][r]\n\n[r]: https://example.org/r", "https://example.org/r"),
        ] {
            assert_eq!(hrefs(&markdown_html(md)), [href], "{md:?}");
        }
        let html = markdown_html("[a](https://example.org/)");
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""), "{html}");
    }

    #[test]
    fn what_is_no_scheme_is_a_harmless_relative_path() {
        // `%6A` is no letter of a scheme (nor is the replacement character
        // the parser puts for a NUL), so browsers resolve the address against
        // the page: a path on Firebreak itself, never script.
        let page = url::Url::parse("https://firebreak.example/cases/1").unwrap();
        for md in ["[a](%6Aavascript:alert(1))", "[a](ja%0Avascript:alert(1))", "[a](\u{0}javascript:alert(1))"] {
            let html = markdown_html(md);
            for href in hrefs(&html) {
                let target = page.join(&href).unwrap();
                assert_eq!(target.origin(), page.origin(), "{md:?} gave {html}");
                assert_eq!(target.scheme(), "https", "{md:?} gave {html}");
            }
        }
    }

    #[test]
    fn the_scheme_check_reads_schemes_as_browsers_do() {
        for refused in ["javascript:x", " JavaScript:x", "java\u{0}script:x", "jav\u{7f}ascript:x", "x-y+z.w:1"] {
            assert!(!link_allowed(refused), "{refused:?}");
        }
        for allowed in ["https://a", "Mailto:a@b", "/a:b", "./a:b", "a/b:c", "?a:b", "#a:b", ":a", ""] {
            assert!(link_allowed(allowed), "{allowed:?}");
        }
    }

    #[test]
    fn images_are_links_to_them_and_never_load() {
        let html = markdown_html("![pixel](https://tracker.example/p.gif)");
        assert!(!html.contains("<img"), "{html}");
        assert_eq!(hrefs(&html), ["https://tracker.example/p.gif"]);
        assert!(html.contains(">pixel</a>"), "{html}");
        // Without a description, the link reads as its address.
        let html = markdown_html("![](https://example.org/x.png)");
        assert!(html.contains(">https://example.org/x.png</a>"), "{html}");
        // A refused one is its description only; inside a link, too.
        let html = markdown_html("![boom](javascript:alert(1))");
        assert!(hrefs(&html).is_empty() && html.contains("boom"), "{html}");
        let html = markdown_html("[![logo](https://example.org/l.png)](https://example.org/)");
        assert_eq!(hrefs(&html), ["https://example.org/"], "{html}");
        assert!(html.contains("logo") && !html.contains("<img"), "{html}");
    }

    #[test]
    fn raw_html_is_text_and_tables_carry_no_style() {
        let html = markdown_html("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>");
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script") && !html.contains("<img"), "{html}");
        let html = markdown_html("| a | b |\n|:-:|--:|\n| 1 | 2 |");
        assert!(html.contains("<table>") && !html.contains("style"), "{html}");
        let html = markdown_html("**bold** `code`\n\n1. one\n2. two");
        assert!(html.contains("<strong>bold</strong>") && html.contains("<code>code</code>"), "{html}");
        assert!(html.contains("<ol>"), "{html}");
    }
}
