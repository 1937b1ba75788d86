//! Sigma processing pipelines (the pySigma YAML format, read by
//! `rsigma-eval`): the field-mapping configuration that lets rules written
//! for one log schema match events named in another.

use std::path::Path;

pub use rsigma_eval::Pipeline;
use rsigma_parser::{FilterRule, SigmaRule};

/// Reads pipeline files, ordered by their `priority` (lowest first, as
/// pySigma applies them; equal priorities keep the order given).
pub fn load(paths: &[impl AsRef<Path>]) -> Result<Vec<Pipeline>, String> {
    let mut out = Vec::new();
    for p in paths {
        let p = p.as_ref();
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        out.push(parse(&text).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    out.sort_by_key(|p| p.priority);
    Ok(out)
}

/// One pipeline from its YAML text.
pub fn parse(text: &str) -> Result<Pipeline, String> {
    if let Some((line, depth)) = crate::nesting::too_deep(text, crate::nesting::MAX_DEPTH) {
        return Err(format!("line {line}: nested {depth} levels deep; at most {}", crate::nesting::MAX_DEPTH));
    }
    rsigma_eval::parse_pipeline(text).map_err(|e| e.to_string())
}

/// A filter (a tuning exception) with the pipelines applied to its
/// detection, as to the rules it narrows: an exception written with
/// Sigma's field names then matches events named in another schema. The
/// filter's log source stands for the rules' in the pipelines' conditions.
pub fn map_filter(pipelines: &[Pipeline], filter: &FilterRule) -> Result<FilterRule, String> {
    let mut as_rule = SigmaRule {
        title: filter.title.clone(),
        logsource: filter.logsource.clone().unwrap_or_default(),
        detection: filter.detection.clone(),
        sigma_version: None,
        id: filter.id.clone(),
        name: None,
        related: Vec::new(),
        taxonomy: None,
        status: None,
        description: None,
        license: None,
        author: None,
        references: Vec::new(),
        date: None,
        modified: None,
        fields: Vec::new(),
        falsepositives: Vec::new(),
        level: None,
        tags: Vec::new(),
        scope: Vec::new(),
        custom_attributes: Default::default(),
    };
    crate::spec::before_pipelines(&mut as_rule.detection);
    rsigma_eval::apply_pipelines(pipelines, &mut as_rule).map_err(|e| e.to_string())?;
    crate::spec::after_pipelines(&mut as_rule.detection)?;
    let mut out = filter.clone();
    out.detection = as_rule.detection;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::event::source_of;
    use crate::{Detector, Library};

    const RULE: &str = "title: Whoami\nid: 5f3c1d2a-0000-4000-8000-000000000001\nstatus: test\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\nlevel: low\n";

    const PIPELINE: &str = "name: edr\npriority: 10\ntransformations:\n  - type: field_name_mapping\n    mapping:\n      Image: proc.path\n";

    #[test]
    fn a_field_mapping_pipeline_lets_a_rule_match_other_field_names() {
        let mut lib = Library::default();
        lib.add_file("whoami.yml", RULE);
        let event = json!({ "proc.path": "C:\\Windows\\System32\\whoami.exe" });
        let src = source_of(&event);
        let (plain, _) = Detector::new(&lib.rules, &[]);
        assert!(plain.matches(&event, &src).is_empty(), "the rule names Image");
        let (mapped, problems) = Detector::with_pipelines(&lib.rules, &[], &[super::parse(PIPELINE).unwrap()]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(mapped.matches(&event, &src), vec![0]);
        assert_eq!(mapped.naive_matches(&event, &src), vec![0]);
    }

    #[test]
    fn an_exception_is_mapped_by_the_pipelines_like_its_rule() {
        let values = vec!["jump-01".to_owned()];
        let exception = crate::tuning::Exception {
            rule: "5f3c1d2a-0000-4000-8000-000000000001",
            ..crate::tuning::example(&values)
        };
        let mut lib = Library::default();
        lib.add_file("whoami.yml", RULE);
        lib.add_file("exception.yml", &crate::tuning::filter_yaml(&exception));
        assert!(lib.problems.is_empty(), "{:?}", lib.problems);
        let pipeline = super::parse(&format!("{PIPELINE}      Computer: host.name\n")).unwrap();
        let (mapped, problems) = Detector::with_pipelines(&lib.rules, &[], &[pipeline]);
        assert!(problems.is_empty(), "{problems:?}");
        for (host, want) in [("jump-01", 0), ("ws-7", 1)] {
            let event = json!({ "proc.path": "C:\\Windows\\System32\\whoami.exe", "host.name": host });
            let src = source_of(&event);
            assert_eq!(mapped.matches(&event, &src).len(), want, "{host}");
            assert_eq!(mapped.naive_matches(&event, &src).len(), want, "{host}");
        }
    }

    #[test]
    fn a_bad_pipeline_is_reported_with_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.yml");
        std::fs::write(&f, "transformations: 5\n").unwrap();
        let e = super::load(&[&f]).unwrap_err();
        assert!(e.contains("p.yml"), "{e}");
    }
}
