//! Static files, built into the binary.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");
const THEME: &str = include_str!("../../assets/theme.js");
const LOGO: &str = include_str!("../../assets/logo.svg");

pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, ty) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "theme.js" => (THEME, "text/javascript; charset=utf-8"),
        "logo.svg" => (LOGO, "image/svg+xml"),
        _ => return (StatusCode::NOT_FOUND, "no such file").into_response(),
    };
    // Assets change only with the binary; a day of caching, revalidated after.
    ([(header::CONTENT_TYPE, ty), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

pub async fn favicon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], LOGO).into_response()
}
