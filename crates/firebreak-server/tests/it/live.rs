use std::time::Duration;

use futures::StreamExt;
use reqwest::Method;

use crate::helpers::spawn_app;
use firebreak_types::Role;

/// Reads the event stream until an event named `name` arrives.
async fn wait_for(resp: reqwest::Response, name: &str, within: Duration) -> bool {
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, stream.next()).await {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if buf.contains(&format!("event: {name}\n")) {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn changes_reach_subscribers_of_their_organisation_only() {
    let app = spawn_app().await;
    let other = app.tenant("Elsewhere").await;
    let mine = app.admin.request(Method::GET, "/api/v1/live").send().await.unwrap();
    assert_eq!(mine.status(), 200);
    let theirs = other.admin.request(Method::GET, "/api/v1/live").send().await.unwrap();
    app.user(&app.admin, "fresh", Role::AnalystL1).await;
    assert!(wait_for(mine, "user.created", Duration::from_secs(2)).await);
    assert!(!wait_for(theirs, "user.created", Duration::from_millis(500)).await);
}
