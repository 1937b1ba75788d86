//! A browsable page of the API, rendered on the server from the generated
//! OpenAPI document (no CDN, no JavaScript bundle).

use std::fmt::Write;

use axum::response::Html;
use firebreak_types::ErrorCode;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{RefOr, Schema};

use crate::api::ApiDoc;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn schema_name(r: &RefOr<Schema>) -> String {
    match r {
        RefOr::Ref(r) => r.ref_location.rsplit('/').next().unwrap_or_default().to_owned(),
        RefOr::T(Schema::Array(a)) => match &a.items {
            utoipa::openapi::schema::ArrayItems::RefOrSchema(inner) => {
                format!("[{}]", schema_name(inner))
            }
            utoipa::openapi::schema::ArrayItems::False => "[]".into(),
        },
        RefOr::T(_) => "object".into(),
    }
}

fn operation(out: &mut String, method: &str, path: &str, op: &Operation) {
    let id = format!("{method}-{}", path.replace(['/', '{', '}'], "-"));
    let summary = op.summary.clone().unwrap_or_default();
    let _ = write!(
        out,
        "<details class=\"op\" id=\"{id}\"><summary><span class=\"m m-{method}\">{}</span> <code>{}</code> <span class=\"muted\">{}</span></summary>",
        method.to_uppercase(),
        esc(path),
        esc(&summary)
    );
    if let Some(d) = &op.description {
        let _ = write!(out, "<p>{}</p>", esc(d));
    }
    if let Some(params) = &op.parameters
        && !params.is_empty()
    {
        out.push_str("<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>");
        for p in params {
            let ty = p.schema.as_ref().map(schema_name).unwrap_or_default();
            let loc = serde_json::to_value(&p.parameter_in)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&p.name),
                esc(&loc),
                esc(&ty),
                esc(p.description.as_deref().unwrap_or_default())
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = &op.request_body {
        for (ct, content) in &body.content {
            let _ = write!(
                out,
                "<p>Body <code>{0}</code>: <a href=\"#schema-{1}\">{1}</a></p>",
                esc(ct),
                esc(&schema_name(&content.schema.clone().unwrap_or_default()))
            );
        }
    }
    out.push_str("<table><tr><th>Status</th><th>Body</th></tr>");
    for (status, resp) in &op.responses.responses {
        let body = match resp {
            RefOr::T(r) => {
                r.content.values().next().and_then(|c| c.schema.as_ref()).map(schema_name).unwrap_or_default()
            }
            RefOr::Ref(r) => r.ref_location.clone(),
        };
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(status), esc(&body));
    }
    out.push_str("</table></details>");
}

pub async fn page() -> Html<String> {
    let doc = ApiDoc::openapi();
    let mut out = String::with_capacity(64 * 1024);
    out.push_str(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">",
        "<title>Firebreak API</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body class=\"docs\"><main class=\"docs-main\">"
    ));
    let _ = write!(out, "<h1>{} <span class=\"muted\">{}</span></h1>", esc(&doc.info.title), esc(&doc.info.version));
    if let Some(d) = &doc.info.description {
        for para in d.split("\n\n") {
            let _ = write!(out, "<p>{}</p>", esc(para));
        }
    }
    out.push_str("<p><a href=\"/api/v1/openapi.json\">OpenAPI 3.1 document (JSON)</a></p><h2>Endpoints</h2>");
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                operation(&mut out, method, path, op);
            }
        }
    }
    out.push_str(concat!(
        "<h2 id=\"metrics\">Metrics</h2><p>Every number on the dashboards and in the report, defined once. ",
        "Periods are <code>[from, to)</code> in UTC; a value belongs to the period in which its interval ended; ",
        "durations are wall-clock seconds (to the millisecond), except SLA attainment, which uses working time ",
        "without the time a case waited on others. Mean, median (the average of the two middle values when the ",
        "count is even) and 90th percentile (nearest rank).</p>",
        "<table><tr><th>Metric</th><th>Definition</th><th>group_by</th></tr>"
    ));
    for m in firebreak_domain::metrics::CATALOGUE {
        let _ = write!(
            out,
            "<tr id=\"metric-{0}\"><td><code>{0}</code><br>{1}</td><td>{2}</td><td>{3}</td></tr>",
            m.name,
            esc(m.title),
            esc(m.definition),
            esc(&m.group_by.join(", "))
        );
    }
    out.push_str("</table>");
    out.push_str("<h2 id=\"errors\">Error codes</h2><table><tr><th>Code</th><th>HTTP status</th><th>Meaning</th></tr>");
    for code in ErrorCode::ALL {
        let _ = write!(
            out,
            "<tr id=\"error-{0}\"><td><code>{0}</code></td><td>{1}</td><td>{2}</td></tr>",
            code.as_str(),
            code.http_status(),
            esc(code.meaning())
        );
    }
    out.push_str("</table><h2>Schemas</h2>");
    if let Some(c) = &doc.components {
        for (name, schema) in &c.schemas {
            let json = serde_json::to_string_pretty(schema).unwrap_or_default();
            let _ = write!(
                out,
                "<details id=\"schema-{0}\"><summary><code>{0}</code></summary><pre>{1}</pre></details>",
                esc(name),
                esc(&json)
            );
        }
    }
    out.push_str("</main></body></html>");
    Html(out)
}
