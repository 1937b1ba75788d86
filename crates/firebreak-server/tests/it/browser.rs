//! The web pages in headless Chromium, driven through chromedriver: sign in,
//! create a user, create an API key and use it, sign out. Runs when
//! `chromedriver` is on the PATH; says so when skipped. Screenshots land in
//! `target/screenshots/` for CI to keep.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, spawn_app};

fn chromedriver() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join("chromedriver"))
        .find(|p| p.is_file())
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn browser() -> Option<(Driver, Client)> {
    let Some(path) = chromedriver() else {
        eprintln!("skipped: chromedriver not on PATH (Debian: apt-get install chromium chromium-driver)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child =
        Command::new(path).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let driver = Driver(child);
    let profile = tempfile::tempdir().unwrap().keep();
    let mut options = json!({
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--window-size=1400,900", format!("--user-data-dir={}", profile.display()),
        ]
    });
    if std::path::Path::new("/usr/bin/chromium").is_file() {
        options["binary"] = json!("/usr/bin/chromium");
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(c) = ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
            return Some((driver, c));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

async fn screenshot(c: &Client, name: &str) {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), c.screenshot().await.unwrap()).unwrap();
}

async fn fill(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css)).await.unwrap().send_keys(value).await.unwrap();
}

#[tokio::test]
async fn sign_in_create_a_user_and_a_key_then_sign_out() {
    let Some((_driver, c)) = browser().await else { return };
    let app = spawn_app().await;
    let base = &app.base_url;

    c.goto(&format!("{base}/admin/users")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"), "pages need a session");
    fill(&c, "#username", "admin").await;
    fill(&c, "#password", ADMIN_PASSWORD).await;
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#new-user")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/admin/users", "back where the user wanted to go");

    fill(&c, "#new-user input[name=username]", "casey").await;
    fill(&c, "#new-user input[name=display_name]", "Casey Analyst").await;
    fill(&c, "#new-user input[name=password]", "a long enough passphrase").await;
    c.find(Locator::Css("#new-user button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("tr[data-username=casey]")).await.unwrap();
    let flash = c.find(Locator::Css(".flash.ok")).await.unwrap().text().await.unwrap();
    assert!(flash.contains("casey"), "{flash}");
    screenshot(&c, "admin-users-light.png").await;
    c.execute("document.documentElement.dataset.theme = 'dark'", vec![]).await.unwrap();
    screenshot(&c, "admin-users-dark.png").await;

    c.goto(&format!("{base}/admin/api-keys")).await.unwrap();
    fill(&c, "#new-key input[name=name]", "wazuh").await;
    c.find(Locator::Css("#new-key button[type=submit]")).await.unwrap().click().await.unwrap();
    let secret = c.wait().for_element(Locator::Css("#secret")).await.unwrap().text().await.unwrap();
    assert!(secret.starts_with("fbk_"), "{secret}");
    screenshot(&c, "admin-api-keys.png").await;
    let me = app.anonymous().bearer(secret.clone()).me().await.unwrap();
    assert_eq!(me.name, "wazuh");
    c.goto(&format!("{base}/admin/api-keys")).await.unwrap();
    let page = c.source().await.unwrap();
    assert!(!page.contains(&secret), "the secret is shown once");

    c.goto(&format!("{base}/audit?verify=1")).await.unwrap();
    let verified = c.find(Locator::Css(".flash.ok")).await.unwrap().text().await.unwrap();
    assert!(verified.contains("Chain intact"), "{verified}");
    screenshot(&c, "audit.png").await;

    c.find(Locator::Css("#logout")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#sign-in")).await.unwrap();
    c.goto(&format!("{base}/admin/users")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"), "signed out");
    c.close().await.unwrap();
}
