//! ATT&CK coverage: the techniques the enabled detection rules cover, the
//! threat profiles' gaps, and the coverage recorded each day the library
//! changes.

use std::collections::HashMap;

use firebreak_detect::RuleKind;
use firebreak_domain::permission::Action;
use firebreak_store::WriteCtx;
use firebreak_types::{Coverage, CoverageCell, CoverageQuery, CoverageTactic, RuleTest, ThreatProfile, UseCaseStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::AppResult;
use crate::items::{self, Index, Kind};

use super::library::all_rules;

/// The parent technique of an id (`T1059.001` → `T1059`).
fn parent(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// How a technique is covered: enabled detection rules, those of them in
/// production, and those with at least one test.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TechniqueCover {
    pub rules: u32,
    pub production: u32,
    pub tested: u32,
}

/// Per ATT&CK technique (sub-techniques count for their parent): the enabled
/// detection rules that cover it, in production, and tested.
pub(crate) async fn technique_counts(state: &App, org: Uuid) -> AppResult<HashMap<String, TechniqueCover>> {
    let tests: Vec<RuleTest> = items::list(state, org, &items::query::<RuleTest>()).await?;
    let tested: std::collections::HashSet<Uuid> = tests.iter().map(|t| t.rule_id).collect();
    let mut counts: HashMap<String, TechniqueCover> = HashMap::new();
    for (_, r) in all_rules(state, org).await? {
        if !r.enabled || r.kind != RuleKind::Detection.as_str() {
            continue;
        }
        let mut parents: Vec<&str> = r.techniques.iter().map(|t| parent(t)).collect();
        parents.sort_unstable();
        parents.dedup();
        for t in parents {
            let c = counts.entry(t.to_owned()).or_default();
            c.rules += 1;
            c.production += u32::from(r.use_case == UseCaseStatus::Production);
            c.tested += u32::from(tested.contains(&r.id));
        }
    }
    Ok(counts)
}

/// Every threat profile's techniques that need work: those no enabled rule
/// covers, and those covered only by untested rules. (profile, technique,
/// name, status) with status `uncovered` or `untested`.
pub async fn profile_backlog(state: &App, caller: &Caller) -> AppResult<Vec<(String, String, String, &'static str)>> {
    caller.require(Action::RuleRead)?;
    profile_backlog_of(state, caller.org_id()).await
}

/// As [`profile_backlog`], for an organisation.
pub async fn profile_backlog_of(state: &App, org: Uuid) -> AppResult<Vec<(String, String, String, &'static str)>> {
    let profiles: Vec<ThreatProfile> = items::list(state, org, &items::query::<ThreatProfile>()).await?;
    if profiles.is_empty() {
        return Ok(Vec::new());
    }
    let counts = technique_counts(state, org).await?;
    let attack = firebreak_domain::attack::attack();
    let mut out = Vec::new();
    for p in &profiles {
        let mut wanted: Vec<&str> = p.techniques.iter().map(|t| parent(t)).collect();
        wanted.sort_unstable();
        wanted.dedup();
        for t in wanted {
            let status = match counts.get(t) {
                None => "uncovered",
                Some(c) if c.tested == 0 => "untested",
                Some(_) => continue,
            };
            let name = attack.techniques.iter().find(|x| x.id == t).map_or("", |x| x.name);
            out.push((p.name.clone(), t.to_owned(), name.to_owned(), status));
        }
    }
    Ok(out)
}

pub async fn coverage(state: &App, caller: &Caller, q: &CoverageQuery) -> AppResult<Coverage> {
    caller.require(Action::RuleRead)?;
    let profile = match q.profile {
        Some(id) => Some(items::load::<ThreatProfile>(state, caller.org_id(), id).await?.1),
        None => None,
    };
    let counts = technique_counts(state, caller.org_id()).await?;
    let wanted: std::collections::HashSet<String> =
        profile.iter().flat_map(|p| p.techniques.iter().map(|t| parent(t).to_owned())).collect();
    let attack = firebreak_domain::attack::attack();
    let parents: Vec<&firebreak_domain::attack::Technique> =
        attack.techniques.iter().filter(|t| !t.id.contains('.')).collect();
    let tactics = attack
        .tactics
        .iter()
        .map(|tac| CoverageTactic {
            id: tac.id.to_owned(),
            shortname: tac.shortname.to_owned(),
            name: tac.name.to_owned(),
            techniques: parents
                .iter()
                .filter(|t| t.tactics.contains(&tac.shortname))
                .map(|t| {
                    let c = counts.get(t.id).copied().unwrap_or_default();
                    CoverageCell {
                        id: t.id.to_owned(),
                        name: t.name.to_owned(),
                        rules: c.rules,
                        production: c.production,
                        tested: c.tested,
                        in_profile: wanted.contains(t.id),
                    }
                })
                .collect(),
        })
        .collect();
    let covered = parents.iter().filter(|t| counts.contains_key(t.id)).count();
    let mut uncovered: Vec<String> = wanted.iter().filter(|t| !counts.contains_key(*t)).cloned().collect();
    uncovered.sort();
    Ok(Coverage {
        tactics,
        covered,
        total: parents.len(),
        profile,
        uncovered,
        attribution: firebreak_domain::attack::ATTRIBUTION.to_owned(),
    })
}

/// The ATT&CK techniques covered on a day the rule library changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CoverageDay {
    pub id: Uuid,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub covered: u32,
    pub techniques: Vec<String>,
}

impl Kind for CoverageDay {
    const KIND: &'static str = "coverage_day";
    const NOUN: &'static str = "coverage record";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { key: Some(self.day.clone()), ..Index::default() }
    }
}

/// Records today's coverage after the rule library of `org` changed.
pub async fn record_coverage(state: &App, ctx: &WriteCtx, org: Uuid) -> AppResult<()> {
    let counts = crate::detection::technique_counts(state, org).await?;
    let mut techniques: Vec<String> = counts.into_keys().collect();
    techniques.sort();
    let day = crate::clock::day(ctx.now);
    let q = firebreak_store::ItemQuery { key: Some(day.clone()), ..items::query::<CoverageDay>() };
    let today = state.store.list_items(org, &q).await?.into_iter().next();
    let covered = u32::try_from(techniques.len()).unwrap_or(u32::MAX);
    match today {
        Some(item) => {
            let mut c: CoverageDay = items::from_item(&item)?;
            if c.techniques != techniques {
                c.covered = covered;
                c.techniques = techniques;
                items::save(state, ctx, &item, c).await?;
            }
        }
        None => {
            items::create(state, ctx, org, CoverageDay { id: Uuid::now_v7(), day, covered, techniques }).await?;
        }
    }
    Ok(())
}
