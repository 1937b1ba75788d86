//! The asset inventory and the directory: assets (hosts, IP ranges, user
//! accounts, applications, services) with owners, criticality and contacts;
//! contacts; documents attached to assets or teams; CSV import and export;
//! the assets a case involves.

use std::collections::HashMap;

use firebreak_domain::inventory::{AssetCsv, CsvLine};
use firebreak_domain::permission::Action;
use firebreak_domain::validate::{Title, markdown, tags};
use firebreak_store::{ItemQuery, WriteCtx};
use firebreak_types::csv::export_cell;
use firebreak_types::{
    Asset, AssetKind, AssetWithContacts, Contact, CreateAsset, CreateContact, Criticality, Document, ErrorCode,
    ImportLine, ImportReport,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items::{self, Index, Kind};

impl Kind for Asset {
    const KIND: &'static str = "asset";
    const NOUN: &'static str = "asset";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            key: Some(asset_key(self.kind, &self.name)),
            status: Some(self.criticality.as_str().into()),
            ..Index::default()
        }
    }
}

impl Kind for Contact {
    const KIND: &'static str = "contact";
    const NOUN: &'static str = "contact";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { key: Some(self.email.to_lowercase()), parent_id: self.team_id, ..Index::default() }
    }
}

impl Kind for Document {
    const KIND: &'static str = "document";
    const NOUN: &'static str = "document";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { parent_id: self.asset_id.or(self.team_id), at: Some(self.uploaded_at), ..Index::default() }
    }
}

/// A case's link to an asset it involves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseAsset {
    pub id: Uuid,
    pub case_id: Uuid,
    pub asset_id: Uuid,
}

impl Kind for CaseAsset {
    const KIND: &'static str = "case_asset";
    const NOUN: &'static str = "case asset";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { case_id: Some(self.case_id), parent_id: Some(self.asset_id), ..Index::default() }
    }
}

/// Assets are unique by kind and name within an organisation.
fn asset_key(kind: AssetKind, name: &str) -> String {
    format!("{}:{}", kind.as_str(), name.trim().to_lowercase())
}

fn check_address(kind: AssetKind, address: Option<&str>) -> AppResult<Option<String>> {
    let Some(a) = address.map(str::trim).filter(|a| !a.is_empty()) else {
        if kind == AssetKind::IpRange {
            return Err(AppError::field(
                ErrorCode::MissingField,
                "address",
                "an IP range needs its CIDR, such as 10.1.0.0/16",
            ));
        }
        return Ok(None);
    };
    let bad =
        |what: &str| AppError::field(ErrorCode::InvalidField, "address", format!("address must be {what} (got {a:?})"));
    match kind {
        AssetKind::IpRange => {
            let (ip, len) = a.split_once('/').ok_or_else(|| bad("a CIDR range such as 10.1.0.0/16"))?;
            let ip: std::net::IpAddr = ip.parse().map_err(|_| bad("a CIDR range such as 10.1.0.0/16"))?;
            let len: u8 = len.parse().map_err(|_| bad("a CIDR range such as 10.1.0.0/16"))?;
            if len > if ip.is_ipv4() { 32 } else { 128 } {
                return Err(bad("a CIDR range with a valid prefix length"));
            }
            Ok(Some(format!("{ip}/{len}")))
        }
        _ => {
            let ip: std::net::IpAddr = a.parse().map_err(|_| bad("an IPv4 or IPv6 address"))?;
            Ok(Some(ip.to_string()))
        }
    }
}

async fn check_contacts(state: &App, org: Uuid, ids: &[Uuid]) -> AppResult<()> {
    for (i, id) in ids.iter().enumerate() {
        if state.store.get_item(org, Contact::KIND, *id).await?.is_none() {
            return Err(AppError::field(
                ErrorCode::NotFound,
                format!("contacts[{i}]"),
                "each contact must be a contact of this organisation",
            ));
        }
    }
    Ok(())
}

fn build_asset(id: Uuid, req: CreateAsset, now: time::OffsetDateTime) -> AppResult<Asset> {
    Ok(Asset {
        id,
        kind: req.kind,
        name: Title::parse("name", &req.name)?.into_inner(),
        address: check_address(req.kind, req.address.as_deref())?,
        owner: req.owner.trim().to_owned(),
        business_unit: req.business_unit.trim().to_owned(),
        criticality: req.criticality,
        location: req.location.trim().to_owned(),
        description: markdown("description", &req.description)?,
        contacts: req.contacts,
        tags: tags("tags", &req.tags)?,
        updated_at: now,
    })
}

async fn find_asset(
    state: &App,
    org: Uuid,
    kind: AssetKind,
    name: &str,
) -> AppResult<Option<(firebreak_store::Item, Asset)>> {
    let q = ItemQuery { key: Some(asset_key(kind, name)), ..items::query::<Asset>() };
    match state.store.list_items(org, &q).await?.into_iter().next() {
        Some(item) => {
            let a = items::from_item(&item)?;
            Ok(Some((item, a)))
        }
        None => Ok(None),
    }
}

/// Creates the asset, or updates the one of the same kind and name.
async fn upsert(state: &App, ctx: &WriteCtx, org: Uuid, req: CreateAsset) -> AppResult<(Asset, bool)> {
    match find_asset(state, org, req.kind, &req.name).await? {
        Some((item, old)) => {
            let a = build_asset(old.id, req, ctx.now)?;
            Ok((items::save(state, ctx, &item, a).await?, false))
        }
        None => {
            let a = build_asset(Uuid::now_v7(), req, ctx.now)?;
            Ok((items::create(state, ctx, org, a).await?, true))
        }
    }
}

pub async fn create_asset(state: &App, caller: &Caller, req: CreateAsset) -> AppResult<Asset> {
    caller.require(Action::AssetWrite)?;
    check_contacts(state, caller.org_id(), &req.contacts).await?;
    if find_asset(state, caller.org_id(), req.kind, &req.name).await?.is_some() {
        return Err(AppError::field(ErrorCode::Conflict, "name", "an asset of this kind and name exists"));
    }
    let a = build_asset(Uuid::now_v7(), req, state.clock.now())?;
    let a = items::create(state, &caller.ctx(state), caller.org_id(), a).await?;
    state.live.publish(caller.org_id(), "asset.created", a.id);
    Ok(a)
}

pub async fn update_asset(state: &App, caller: &Caller, id: Uuid, req: CreateAsset) -> AppResult<Asset> {
    caller.require(Action::AssetWrite)?;
    check_contacts(state, caller.org_id(), &req.contacts).await?;
    let (item, old) = items::load::<Asset>(state, caller.org_id(), id).await?;
    if asset_key(req.kind, &req.name) != asset_key(old.kind, &old.name)
        && find_asset(state, caller.org_id(), req.kind, &req.name).await?.is_some()
    {
        return Err(AppError::field(ErrorCode::Conflict, "name", "an asset of this kind and name exists"));
    }
    let a = build_asset(id, req, state.clock.now())?;
    let a = items::save(state, &caller.ctx(state), &item, a).await?;
    state.live.publish(caller.org_id(), "asset.updated", a.id);
    Ok(a)
}

pub async fn get_asset(state: &App, caller: &Caller, id: Uuid) -> AppResult<AssetWithContacts> {
    caller.require(Action::AssetRead)?;
    let (_, a) = items::load::<Asset>(state, caller.org_id(), id).await?;
    with_contacts(state, caller.org_id(), vec![a]).await.map(|mut v| v.remove(0))
}

pub async fn delete_asset(state: &App, caller: &Caller, id: Uuid) -> AppResult<()> {
    caller.require(Action::AssetWrite)?;
    items::delete::<Asset>(state, &caller.ctx(state), caller.org_id(), id).await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    /// Text in the name, owner, business unit, location or address.
    pub q: Option<String>,
    pub kind: Option<AssetKind>,
    pub criticality: Option<Criticality>,
}

pub async fn list_assets(state: &App, caller: &Caller, q: &AssetQuery) -> AppResult<Vec<Asset>> {
    caller.require(Action::AssetRead)?;
    let mut assets: Vec<Asset> = items::list(state, caller.org_id(), &items::query::<Asset>()).await?;
    let needle = q.q.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    assets.retain(|a| {
        q.kind.is_none_or(|k| a.kind == k)
            && q.criticality.is_none_or(|c| a.criticality == c)
            && needle.as_deref().is_none_or(|n| {
                [&a.name, &a.owner, &a.business_unit, &a.location, a.address.as_deref().unwrap_or("")]
                    .iter()
                    .any(|f| f.to_lowercase().contains(n))
            })
    });
    assets.sort_by_key(|a| a.name.to_lowercase());
    Ok(assets)
}

async fn with_contacts(state: &App, org: Uuid, assets: Vec<Asset>) -> AppResult<Vec<AssetWithContacts>> {
    let contacts: Vec<Contact> = items::list(state, org, &items::query::<Contact>()).await?;
    let by_id: HashMap<Uuid, &Contact> = contacts.iter().map(|c| (c.id, c)).collect();
    Ok(assets
        .into_iter()
        .map(|asset| {
            let contact_details = asset.contacts.iter().filter_map(|id| by_id.get(id).map(|c| (*c).clone())).collect();
            AssetWithContacts { asset, contact_details }
        })
        .collect())
}

// ---------------------------------------------------------------------------
// Contacts

pub async fn create_contact(state: &App, caller: &Caller, req: CreateContact) -> AppResult<Contact> {
    caller.require(Action::AssetWrite)?;
    let email = req.email.trim().to_owned();
    if !email.is_empty() && firebreak_domain::validate::Email::parse("email", &email).is_err() {
        return Err(AppError::field(ErrorCode::InvalidField, "email", "email must be an e-mail address"));
    }
    if let Some(t) = req.team_id {
        items::load::<firebreak_types::Team>(state, caller.org_id(), t).await.map_err(|_| {
            AppError::field(ErrorCode::NotFound, "team_id", "team_id must be a team of this organisation")
        })?;
    }
    let c = Contact {
        id: Uuid::now_v7(),
        name: Title::parse("name", &req.name)?.into_inner(),
        email,
        phone: req.phone.trim().to_owned(),
        role: req.role.trim().to_owned(),
        team_id: req.team_id,
    };
    items::create(state, &caller.ctx(state), caller.org_id(), c).await
}

pub async fn list_contacts(state: &App, caller: &Caller) -> AppResult<Vec<Contact>> {
    caller.require(Action::AssetRead)?;
    let mut v: Vec<Contact> = items::list(state, caller.org_id(), &items::query::<Contact>()).await?;
    v.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(v)
}

pub async fn get_contact(state: &App, caller: &Caller, id: Uuid) -> AppResult<Contact> {
    caller.require(Action::AssetRead)?;
    Ok(items::load::<Contact>(state, caller.org_id(), id).await?.1)
}

// ---------------------------------------------------------------------------
// Documents

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentParams {
    #[param(schema_with = firebreak_types::text::title)]
    pub title: String,
    #[param(schema_with = firebreak_types::text::filename)]
    pub filename: String,
    pub asset_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
}

pub async fn upload_document(
    state: &App,
    caller: &Caller,
    p: DocumentParams,
    declared: Option<u64>,
    body: crate::files::Upload,
) -> AppResult<Document> {
    caller.require(Action::AssetWrite)?;
    if p.asset_id.is_none() == p.team_id.is_none() {
        return Err(AppError::field(ErrorCode::InvalidField, "asset_id", "give exactly one of asset_id and team_id"));
    }
    if let Some(a) = p.asset_id {
        items::load::<Asset>(state, caller.org_id(), a).await?;
    }
    if let Some(t) = p.team_id {
        items::load::<firebreak_types::Team>(state, caller.org_id(), t).await?;
    }
    let title = Title::parse("title", &p.title)?.into_inner();
    let filename = crate::files::clean_filename(&p.filename)?;
    let id = Uuid::now_v7();
    let path = crate::files::path_of(state, caller.org_id(), id);
    let allowance = crate::files::allowance(state, caller.org_id(), declared).await?;
    let (size, sha256) = crate::files::keep(state, caller.org_id(), id, body, allowance).await?;
    let d = Document {
        id,
        title,
        filename,
        size,
        sha256,
        asset_id: p.asset_id,
        team_id: p.team_id,
        uploaded_by: caller.name().to_owned(),
        uploaded_at: state.clock.now(),
    };
    match items::create(state, &caller.ctx(state), caller.org_id(), d).await {
        Ok(d) => Ok(d),
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e)
        }
    }
}

/// Documents of an asset or a team.
pub async fn documents_of(state: &App, caller: &Caller, owner: Uuid) -> AppResult<Vec<Document>> {
    caller.require(Action::AssetRead)?;
    items::list(state, caller.org_id(), &ItemQuery { parent_id: Some(owner), ..items::query::<Document>() }).await
}

// ---------------------------------------------------------------------------
// CSV

pub use firebreak_domain::inventory::CSV_COLUMNS;

/// Imports assets from CSV, upserting by kind and name. Each line is its own
/// transaction: a bad line is reported by number and the others are kept.
/// `progress` is told the byte offset reached after each line.
pub async fn import_csv(
    state: &App,
    ctx: &WriteCtx,
    org: Uuid,
    data: &[u8],
    mut progress: impl FnMut(u64),
) -> AppResult<ImportReport> {
    let mut lines = AssetCsv::open(data).map_err(|reason| AppError::field(ErrorCode::InvalidField, "csv", reason))?;
    let contacts: Vec<Contact> = items::list(state, org, &items::query::<Contact>()).await?;
    let mut by_email: HashMap<String, Uuid> = contacts.iter().map(|c| (c.email.to_lowercase(), c.id)).collect();
    let mut made = 0;
    // A contact the file names and the organisation does not know yet is
    // made from the file (its name, or the part of its address before the
    // `@`), so that one file brings the assets and the people behind them.
    for (name, email) in firebreak_domain::inventory::contacts_named(data) {
        if by_email.contains_key(&email.to_lowercase())
            || firebreak_domain::validate::Email::parse("email", &email).is_err()
        {
            continue;
        }
        let Ok(name) = Title::parse("name", &name) else { continue };
        let c = Contact {
            id: Uuid::now_v7(),
            name: name.into_inner(),
            email: email.clone(),
            phone: String::new(),
            role: String::new(),
            team_id: None,
        };
        let c = items::create(state, ctx, org, c).await?;
        by_email.insert(email.to_lowercase(), c.id);
        made += 1;
    }
    let mut report = ImportReport { created: 0, updated: 0, rejected: 0, contacts_created: made, lines: Vec::new() };
    while let Some(CsvLine { line, byte, asset: result }) = lines.next_line(&by_email) {
        if let Some(byte) = byte {
            progress(byte);
        }
        let outcome = match result {
            Err(reason) => Err(reason),
            Ok(req) => upsert(state, ctx, org, req).await.map_err(|e| e.body().message),
        };
        match outcome {
            Ok((a, created)) => {
                if created {
                    report.created += 1
                } else {
                    report.updated += 1
                }
                let _ = a;
            }
            Err(reason) => {
                report.rejected += 1;
                report.lines.push(ImportLine { line, outcome: "rejected".into(), id: None, reason: Some(reason) });
            }
        }
    }
    progress(data.len() as u64);
    Ok(report)
}

/// The inventory as CSV, in the columns import reads.
pub async fn export_csv(state: &App, org: Uuid) -> AppResult<String> {
    let assets: Vec<Asset> = items::list(state, org, &items::query::<Asset>()).await?;
    let contacts: Vec<Contact> = items::list(state, org, &items::query::<Contact>()).await?;
    let email: HashMap<Uuid, &str> = contacts.iter().map(|c| (c.id, c.email.as_str())).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| {
        tracing::error!(error = %e, "csv export");
        AppError::internal()
    };
    w.write_record(CSV_COLUMNS).map_err(fail)?;
    for a in &assets {
        let contacts: Vec<&str> = a.contacts.iter().filter_map(|c| email.get(c).copied()).collect();
        let (contacts, tags) = (contacts.join(";"), a.tags.join(";"));
        let cells = [
            a.kind.as_str(),
            &a.name,
            a.address.as_deref().unwrap_or(""),
            &a.owner,
            &a.business_unit,
            a.criticality.as_str(),
            &a.location,
            &contacts,
            &tags,
            &a.description,
        ];
        w.write_record(cells.map(export_cell).iter().map(|c| c.as_bytes())).map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|_| AppError::internal())?;
    String::from_utf8(bytes).map_err(|_| AppError::internal())
}

pub async fn import(state: &App, caller: &Caller, data: &[u8]) -> AppResult<ImportReport> {
    caller.require(Action::AssetWrite)?;
    let report = import_csv(state, &caller.ctx(state), caller.org_id(), data, |_| {}).await?;
    state.live.publish(caller.org_id(), "asset.imported", caller.org_id());
    Ok(report)
}

pub async fn export(state: &App, caller: &Caller) -> AppResult<String> {
    caller.require(Action::AssetRead)?;
    export_csv(state, caller.org_id()).await
}

// ---------------------------------------------------------------------------
// The assets of a case

pub async fn link_asset(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    asset_id: Uuid,
) -> AppResult<Vec<AssetWithContacts>> {
    crate::cases::writable(state, caller, case_id).await?;
    items::load::<Asset>(state, caller.org_id(), asset_id).await.map_err(|_| {
        AppError::field(ErrorCode::NotFound, "asset_id", "asset_id must be an asset of this organisation")
    })?;
    let links: Vec<CaseAsset> = items::of_case(state, caller.org_id(), case_id).await?;
    if links.iter().any(|l| l.asset_id == asset_id) {
        return Err(AppError::field(ErrorCode::Conflict, "asset_id", "the case already involves this asset"));
    }
    let link = CaseAsset { id: Uuid::now_v7(), case_id, asset_id };
    items::create(state, &caller.ctx(state), caller.org_id(), link).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    case_assets(state, caller, case_id).await
}

pub async fn unlink_asset(state: &App, caller: &Caller, case_id: Uuid, asset_id: Uuid) -> AppResult<()> {
    crate::cases::writable(state, caller, case_id).await?;
    let links: Vec<CaseAsset> = items::of_case(state, caller.org_id(), case_id).await?;
    let link = links.iter().find(|l| l.asset_id == asset_id).ok_or_else(|| AppError::not_found("case asset"))?;
    items::delete::<CaseAsset>(state, &caller.ctx(state), caller.org_id(), link.id).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(())
}

/// The assets a case involves, with their owners and contacts.
pub async fn case_assets(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<AssetWithContacts>> {
    crate::cases::load(state, caller, case_id).await?;
    let links: Vec<CaseAsset> = items::of_case(state, caller.org_id(), case_id).await?;
    let mut assets = Vec::new();
    for l in links {
        if let Some(item) = state.store.get_item(caller.org_id(), Asset::KIND, l.asset_id).await? {
            assets.push(items::from_item::<Asset>(&item)?);
        }
    }
    with_contacts(state, caller.org_id(), assets).await
}

/// The cases that involve an asset, newest first.
pub async fn asset_cases(state: &App, caller: &Caller, asset_id: Uuid) -> AppResult<Vec<firebreak_types::Case>> {
    caller.require(Action::CaseRead)?;
    get_asset(state, caller, asset_id).await?;
    let q = ItemQuery { parent_id: Some(asset_id), ..items::query::<CaseAsset>() };
    let links: Vec<CaseAsset> = items::list(state, caller.org_id(), &q).await?;
    let ids: Vec<Uuid> = links.iter().map(|l| l.case_id).collect();
    let mut cases = state.store.cases_by_id(caller.org_id(), &ids).await?;
    cases.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    Ok(cases)
}
