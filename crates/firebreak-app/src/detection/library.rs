//! The rule library: rules imported from files and archives (new ones
//! created, changed ones kept as revisions), searched, read and wrapped as
//! use cases.

use std::collections::HashMap;

use firebreak_detect::Library;
use firebreak_domain::permission::Action;
use firebreak_store::{ItemQuery, WriteCtx};
use firebreak_types::{
    ErrorCode, Page, Rule, RuleFile, RuleImport, RuleImportReport, RulePatch, RuleProblem, RuleQuery, RuleRevision,
    UseCaseStatus,
};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items::{self, Index, Kind};

impl Kind for Rule {
    const KIND: &'static str = "rule";
    const NOUN: &'static str = "rule";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            key: Some(self.sigma_id.clone()),
            status: Some(if self.enabled { "enabled" } else { "disabled" }.to_owned()),
            at: Some(self.updated_at),
            ..Index::default()
        }
    }
}

impl Kind for RuleRevision {
    const KIND: &'static str = "rule_revision";
    const NOUN: &'static str = "rule revision";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { parent_id: Some(self.rule_id), at: Some(self.at), ..Index::default() }
    }
}

pub(super) async fn all_rules(state: &App, org: Uuid) -> AppResult<Vec<(firebreak_store::Item, Rule)>> {
    let items = state.store.list_items(org, &items::query::<Rule>()).await?;
    items
        .into_iter()
        .map(|i| {
            let r = items::from_item::<Rule>(&i)?;
            Ok((i, r))
        })
        .collect()
}

fn rule_from(c: &firebreak_detect::CheckedRule, now: time::OffsetDateTime, enable: bool) -> Rule {
    let m = &c.meta;
    Rule {
        id: Uuid::now_v7(),
        sigma_id: m.id.clone(),
        kind: c.kind().as_str().to_owned(),
        title: m.title.clone(),
        status: m.status,
        level: m.level,
        description: m.description.clone(),
        author: m.author.clone(),
        tags: m.tags.clone(),
        techniques: m.techniques.clone(),
        product: m.product.clone(),
        category: m.category.clone(),
        service: m.service.clone(),
        falsepositives: m.falsepositives.clone(),
        references: m.references.clone(),
        yaml: c.yaml.clone(),
        file: c.file.clone(),
        purpose: String::new(),
        owner: String::new(),
        use_case: UseCaseStatus::Draft,
        enabled: enable,
        revision: 1,
        updated_at: now,
    }
}

/// Imports rule files into `org`'s library: new rules are created, changed
/// ones updated (their earlier text kept as a revision), the same ones left;
/// the files that cannot be used are reported by file, line and reason.
pub async fn import_as(
    state: &App,
    ctx: &WriteCtx,
    org: Uuid,
    files: &[RuleFile],
    enable: bool,
) -> AppResult<RuleImportReport> {
    // A file nested deeper than any rule is refused as a whole before a
    // parser sees it: parsing it would hold a worker for seconds or more.
    let max = firebreak_detect::nesting::MAX_DEPTH;
    for (i, f) in files.iter().enumerate() {
        if let Some((line, depth)) = firebreak_detect::nesting::too_deep(&f.content, max) {
            return Err(AppError::field(
                firebreak_types::ErrorCode::InvalidField,
                format!("files[{i}].content"),
                format!("{} line {line}: nested {depth} levels deep; rules may nest at most {max} levels", f.name),
            ));
        }
    }
    let mut lib = Library::default();
    for f in files {
        lib.add_file(&f.name, &f.content);
    }
    let mut report = RuleImportReport {
        rejected: lib
            .problems
            .iter()
            .map(|p| RuleProblem { file: p.file.clone(), line: p.line, reason: p.reason.clone() })
            .collect(),
        ..RuleImportReport::default()
    };
    let existing: HashMap<String, (firebreak_store::Item, Rule)> =
        all_rules(state, org).await?.into_iter().map(|(i, r)| (r.sigma_id.clone(), (i, r))).collect();
    let who = ctx.actor.name().to_owned();
    let mut new_rules = Vec::new();
    let mut revisions = Vec::new();
    for c in &lib.rules {
        match existing.get(&c.meta.id) {
            Some((_, old)) if old.yaml == c.yaml => report.unchanged += 1,
            Some((item, old)) => {
                let fresh = rule_from(c, ctx.now, old.enabled);
                let updated = Rule {
                    id: old.id,
                    purpose: old.purpose.clone(),
                    owner: old.owner.clone(),
                    use_case: old.use_case,
                    revision: old.revision + 1,
                    ..fresh
                };
                revisions.push(RuleRevision {
                    id: Uuid::now_v7(),
                    rule_id: old.id,
                    revision: updated.revision,
                    yaml: updated.yaml.clone(),
                    changed_by: who.clone(),
                    at: ctx.now,
                });
                items::save(state, ctx, item, updated).await?;
                report.updated += 1;
            }
            None => {
                let r = rule_from(c, ctx.now, enable);
                revisions.push(RuleRevision {
                    id: Uuid::now_v7(),
                    rule_id: r.id,
                    revision: 1,
                    yaml: r.yaml.clone(),
                    changed_by: who.clone(),
                    at: ctx.now,
                });
                new_rules.push(r);
            }
        }
    }
    report.created = new_rules.len();
    // One transaction per kind, in slices that keep each statement small.
    for chunk in new_rules.chunks(500) {
        items::create_all(state, ctx, org, chunk.to_vec()).await?;
    }
    for chunk in revisions.chunks(500) {
        items::create_all(state, ctx, org, chunk.to_vec()).await?;
    }
    state.detectors.forget(org);
    super::record_coverage(state, ctx, org).await?;
    Ok(report)
}

pub async fn import(state: &App, caller: &Caller, body: RuleImport) -> AppResult<RuleImportReport> {
    caller.require(Action::RuleManage)?;
    if body.files.is_empty() {
        return Err(AppError::field(firebreak_types::ErrorCode::InvalidField, "files", "no rule file was sent"));
    }
    import_as(state, &caller.ctx(state), caller.org_id(), &body.files, body.enable).await
}

/// What `POST /rules/_import/zip` takes besides the archive.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ZipImportParams {
    /// Enable the new rules at once (default: false, they start as drafts).
    #[serde(default)]
    pub enable: bool,
    /// The archive's file name, as an upload form sends it; rejected
    /// entries are named inside it (`rules.zip/windows/x.yml`).
    pub filename: Option<String>,
}

/// Imports the rule files (`.yml`, `.yaml`) of a zip archive, such as a
/// release of a rule repository. Entries that cannot be read are reported
/// beside the rules that cannot be used; the rest are imported.
pub async fn import_zip(
    state: &App,
    caller: &Caller,
    params: ZipImportParams,
    archive: bytes::Bytes,
) -> AppResult<RuleImportReport> {
    caller.require(Action::RuleManage)?;
    // Inflating is CPU work: off the async workers.
    let (files, unreadable) = tokio::task::spawn_blocking(move || firebreak_detect::rules::zip_rule_files(&archive))
        .await
        .map_err(|_| AppError::internal())?
        .map_err(|e| AppError::field(firebreak_types::ErrorCode::InvalidField, "body", e))?;
    if files.is_empty() && unreadable.is_empty() {
        return Err(AppError::field(
            firebreak_types::ErrorCode::InvalidField,
            "body",
            "the archive holds no .yml or .yaml file",
        ));
    }
    let files: Vec<RuleFile> = files.into_iter().map(|(name, content)| RuleFile { name, content }).collect();
    let mut report = if files.is_empty() {
        RuleImportReport::default()
    } else {
        import_as(state, &caller.ctx(state), caller.org_id(), &files, params.enable).await?
    };
    report.rejected.extend(unreadable.into_iter().map(|p| RuleProblem {
        file: p.file,
        line: p.line,
        reason: p.reason,
    }));
    if let Some(archive) = params.filename.as_deref().filter(|f| !f.is_empty()) {
        for p in &mut report.rejected {
            p.file = format!("{archive}/{}", p.file);
        }
    }
    Ok(report)
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

fn fits(r: &Rule, q: &RuleQuery) -> bool {
    let eq = |v: &Option<String>, have: &str| v.as_ref().is_none_or(|v| v.eq_ignore_ascii_case(have));
    let text = q.q.as_ref().map(|s| s.to_lowercase());
    let attack = q.attack.as_ref().map(|s| s.to_lowercase());
    text.as_ref().is_none_or(|t| {
        contains_ci(&r.title, t) || contains_ci(&r.description, t) || r.sigma_id.eq_ignore_ascii_case(t)
    }) && eq(&q.status, r.status.as_str())
        && eq(&q.level, r.level.as_str())
        && eq(&q.product, &r.product)
        && eq(&q.category, &r.category)
        && eq(&q.service, &r.service)
        && q.enabled.is_none_or(|e| e == r.enabled)
        && q.use_case.is_none_or(|u| u == r.use_case)
        && attack.as_ref().is_none_or(|a| {
            r.techniques.iter().any(|t| {
                let t = t.to_lowercase();
                t == *a || t.starts_with(&format!("{a}."))
            }) || r
                .tags
                .iter()
                .any(|t| t.strip_prefix("attack.").is_some_and(|x| x.replace('_', "-") == a.replace('_', "-")))
        })
}

/// A page size of 1 to 500, as the document says, rather than one silently changed.
pub(super) fn page_size(limit: Option<u32>, default: u32) -> AppResult<u32> {
    match limit.unwrap_or(default) {
        n @ 1..=500 => Ok(n),
        n => Err(AppError::field(ErrorCode::InvalidQuery, "limit", format!("limit must be 1 to 500 (got {n})"))),
    }
}

pub async fn list(state: &App, caller: &Caller, q: &RuleQuery) -> AppResult<Page<Rule>> {
    caller.require(Action::RuleRead)?;
    let limit = page_size(q.limit, 50)?;
    let offset = q.offset.unwrap_or(0);
    if offset > i64::MAX as u64 {
        return Err(AppError::field(ErrorCode::InvalidQuery, "offset", "offset must be a smaller number"));
    }
    let all = matching(state, caller.org_id(), q).await?;
    let total = all.len() as u64;
    let items = all.into_iter().skip(offset as usize).take(limit as usize).collect();
    Ok(Page { items, limit, offset, total: Some(total), next: None })
}

/// Every rule matching `q` (its paging aside), by title, for a caller
/// already allowed to read them.
pub async fn matching(state: &App, org: Uuid, q: &RuleQuery) -> AppResult<Vec<Rule>> {
    let mut rules: Vec<Rule> =
        all_rules(state, org).await?.into_iter().map(|(_, r)| r).filter(|r| fits(r, q)).collect();
    rules.sort_by_key(|r| r.title.to_lowercase());
    Ok(rules)
}

/// The library's rules by Sigma id, as (rule page id, title), for the
/// `rules` asked: an alert or a quality row names the rule that raised it
/// by that id. A name no Sigma rule has (another source's rule) is left out.
pub async fn by_sigma_id(
    state: &App,
    caller: &Caller,
    rules: &[&str],
) -> AppResult<std::collections::HashMap<String, (Uuid, String)>> {
    caller.require(Action::RuleRead)?;
    if rules.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    // Only the rules asked for, by the index of their Sigma id: a page of
    // alerts names a few rules, the library may hold thousands.
    let wanted: std::collections::BTreeSet<&str> = rules.iter().copied().collect();
    let q =
        firebreak_store::ItemQuery { keys: wanted.iter().map(|k| (*k).to_owned()).collect(), ..items::query::<Rule>() };
    let found: Vec<Rule> = items::list(state, caller.org_id(), &q).await?;
    Ok(found
        .into_iter()
        .filter(|r| wanted.contains(r.sigma_id.as_str()))
        .map(|r| (r.sigma_id, (r.id, r.title)))
        .collect())
}

pub async fn get(state: &App, caller: &Caller, id: Uuid) -> AppResult<Rule> {
    caller.require(Action::RuleRead)?;
    Ok(items::load::<Rule>(state, caller.org_id(), id).await?.1)
}

pub async fn revisions(state: &App, caller: &Caller, id: Uuid) -> AppResult<Vec<RuleRevision>> {
    caller.require(Action::RuleRead)?;
    items::load::<Rule>(state, caller.org_id(), id).await?;
    let q = ItemQuery { parent_id: Some(id), newest_first: true, ..items::query::<RuleRevision>() };
    items::list(state, caller.org_id(), &q).await
}

pub async fn patch(state: &App, caller: &Caller, id: Uuid, p: RulePatch) -> AppResult<Rule> {
    caller.require(Action::RuleManage)?;
    let ctx = caller.ctx(state);
    let (item, mut rule) = items::load::<Rule>(state, caller.org_id(), id).await?;
    if let Some(e) = p.enabled {
        rule.enabled = e;
    }
    if let Some(u) = p.use_case {
        rule.use_case = u;
        if u == UseCaseStatus::Retired {
            rule.enabled = false;
        }
    }
    if let Some(v) = p.purpose {
        rule.purpose = v;
    }
    if let Some(v) = p.owner {
        rule.owner = v;
    }
    rule.updated_at = ctx.now;
    let rule = items::save(state, &ctx, &item, rule).await?;
    state.detectors.forget(caller.org_id());
    super::record_coverage(state, &ctx, caller.org_id()).await?;
    Ok(rule)
}
