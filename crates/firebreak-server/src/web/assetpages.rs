//! One asset of the inventory (its alerts, cases, owner, contacts and
//! documents), and where an observable was seen in the stored events.
//! Served under `/inventory/` and `/sightings`: `/assets/{file}` is the
//! static files'.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use firebreak_types::{AlertQuery, AssetWithContacts, Document, EventSightingQuery};
use uuid::Uuid;

use super::admin::when;
use super::casepages::AlertRow;
use super::pages::{Flash, Layout, Section};
use super::session::{WebCaller, render};
use crate::error::ApiError;
use crate::state::AppState;
use firebreak_app::{alerts, assets, detection, observables};

/// Alerts shown on an asset's page, newest first.
const ASSET_ALERTS: u32 = 50;

/// A case on an asset's page: id, number, title, state, priority.
type CaseLine = (String, i64, String, &'static str, String);

#[derive(Template)]
#[template(path = "asset.html")]
struct AssetPage {
    layout: Layout,
    asset: AssetWithContacts,
    alerts: Section<Vec<AlertRow>>,
    /// More alerts touch it than are listed.
    more_alerts: bool,
    cases: Section<Vec<CaseLine>>,
    documents: Section<Vec<Document>>,
}

pub async fn asset(State(s): State<AppState>, WebCaller(c): WebCaller, Path(id): Path<Uuid>) -> Response {
    let asset = match assets::get_asset(&s, &c, id).await {
        Ok(a) => a,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let q = AlertQuery { asset_id: Some(id), limit: Some(ASSET_ALERTS), ..AlertQuery::default() };
    let page = alerts::list_alerts(&s, &c, &q).await;
    let more_alerts = page.as_ref().is_ok_and(|p| p.items.len() as u32 >= ASSET_ALERTS);
    let alerts = Section::load(page.map(|p| p.items.iter().map(AlertRow::of).collect()), "asset alerts");
    let cases = Section::load(
        assets::asset_cases(&s, &c, id).await.map(|v| {
            v.into_iter()
                .map(|k| {
                    let priority = super::casepages::text(&k.priority);
                    (k.id.to_string(), k.number, k.title, k.state.as_str(), priority)
                })
                .collect()
        }),
        "asset cases",
    );
    let documents = Section::load(assets::documents_of(&s, &c, id).await, "asset documents");
    let mut layout = Layout::new(&s, &c, &asset.asset.name, "assets", Flash::default()).await;
    for part in [alerts.failed(), cases.failed(), documents.failed()] {
        if part {
            layout.unavailable.push("part of this asset");
        }
    }
    render(&AssetPage { layout, asset, alerts, more_alerts, cases, documents })
}

#[derive(Template)]
#[template(path = "sightings.html")]
struct SightingsPage {
    layout: Layout,
    kind: String,
    value: String,
    kinds: Vec<&'static str>,
    /// Nothing asked yet.
    asked: bool,
    problem: String,
    /// host, events, first seen, last seen, the asset of that name.
    hosts: Vec<(String, u64, String, String, Option<String>)>,
    /// id, number, title of the cases that hold it.
    cases: Vec<(String, i64, String)>,
    days: u32,
}

#[derive(serde::Deserialize, Default)]
pub struct SightingsForm {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    value: String,
    days: Option<u32>,
}

/// Where an observable was seen: the hosts whose stored events hold it, and
/// the cases that list it.
pub async fn sightings(State(s): State<AppState>, WebCaller(c): WebCaller, Query(f): Query<SightingsForm>) -> Response {
    let asked = !f.kind.is_empty() && !f.value.trim().is_empty();
    let (mut hosts, mut cases, mut problem) = (Vec::new(), Vec::new(), String::new());
    let retention = detection::event_settings(&s, c.org_id()).await.map(|e| e.retention_days).unwrap_or(30);
    let days = f.days.unwrap_or(retention);
    if asked {
        let q = EventSightingQuery { kind: f.kind.clone(), value: f.value.trim().to_owned(), days: Some(days) };
        match detection::event_sightings(&s, &c, &q).await {
            Ok(seen) => {
                let names: std::collections::HashMap<String, String> =
                    assets::list_assets(&s, &c, &assets::AssetQuery::default())
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .map(|a| (a.name.to_lowercase(), a.id.to_string()))
                        .collect();
                hosts = seen
                    .into_iter()
                    .map(|h| {
                        let asset = names.get(&h.host.to_lowercase()).cloned();
                        (h.host, h.events, when(h.first_seen), when(h.last_seen), asset)
                    })
                    .collect();
            }
            Err(e) => problem = e.body().message.clone(),
        }
        if let Ok(found) = observables::search_sightings(&s, &c, &f.kind, f.value.trim()).await {
            cases = found.into_iter().map(|k| (k.case_id.to_string(), k.case_number, k.case_title)).collect();
            cases.dedup();
        }
    }
    let layout = Layout::new(&s, &c, "Event sightings", "alerts", Flash::default()).await;
    render(&SightingsPage {
        layout,
        kind: f.kind,
        value: f.value,
        kinds: firebreak_domain::observable::ObservableKind::ALL.iter().map(|k| k.as_str()).collect(),
        asked,
        problem,
        hosts,
        cases,
        days,
    })
}
