//! A typed HTTP client for the Firebreak API.
//!
//! ```no_run
//! # async fn demo() -> Result<(), firebreak_client::ClientError> {
//! let fb = firebreak_client::Client::new("http://127.0.0.1:8080").bearer("fbk_…");
//! let me = fb.me().await?;
//! println!("{} ({})", me.name, me.role);
//! # Ok(()) }
//! ```

use firebreak_types::{
    ApiKey, AuditEntry, AuditVerification, Case, CaseTransition, CreateApiKey, CreateCase, CreateOrganisation,
    CreateUser, CreatedApiKey, ErrorBody, Me, OrgGrant, Organisation, Page, TransitionCase, UpdateCase,
    UpdateOrganisation, UpdateUser, User,
};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error body.
    #[error("{status}: {} ({})", body.message, body.code)]
    Api { status: StatusCode, body: ErrorBody },
    /// The server answered something that is not the API's error body.
    #[error("{status}: {text}")]
    Unexpected { status: StatusCode, text: String },
    #[error(transparent)]
    Http(#[from] reqwest::Error),
}

impl ClientError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } | ClientError::Unexpected { status, .. } => Some(*status),
            ClientError::Http(e) => e.status(),
        }
    }

    /// The API error body, when there is one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            ClientError::Api { body, .. } => Some(body),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;

#[derive(Debug, Clone)]
enum Auth {
    None,
    Bearer(String),
    Basic(String, String),
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    auth: Auth,
    org: Option<Uuid>,
}

impl Client {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base_url.into().trim_end_matches('/').to_owned(),
            auth: Auth::None,
            org: None,
        }
    }

    /// Authenticates with an API key.
    pub fn bearer(mut self, key: impl Into<String>) -> Self {
        self.auth = Auth::Bearer(key.into());
        self
    }

    /// Authenticates with a username and password.
    pub fn basic(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Auth::Basic(username.into(), password.into());
        self
    }

    /// Acts in another organisation (members of a provider).
    pub fn org(mut self, org: Uuid) -> Self {
        self.org = Some(org);
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A request to `path` (under the base URL) with this client's credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        req = match &self.auth {
            Auth::None => req,
            Auth::Bearer(k) => req.bearer_auth(k),
            Auth::Basic(u, p) => req.basic_auth(u, Some(p)),
        };
        if let Some(org) = self.org {
            req = req.header(firebreak_types::ORG_HEADER, org.to_string());
        }
        req
    }

    async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T> {
        let resp = req.send().await?;
        let status = resp.status();
        if status.is_success() {
            if status == StatusCode::NO_CONTENT {
                return serde_json::from_value(serde_json::Value::Null)
                    .map_err(|e| ClientError::Unexpected { status, text: e.to_string() });
            }
            return Ok(resp.json().await?);
        }
        let text = resp.text().await?;
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => Err(ClientError::Api { status, body }),
            Err(_) => Err(ClientError::Unexpected { status, text }),
        }
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.send(self.request(Method::PATCH, path).json(body)).await
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(self.request(Method::DELETE, path)).await
    }

    // -- Typed endpoints ---------------------------------------------------

    pub async fn me(&self) -> Result<Me> {
        self.get("/api/v1/me").await
    }

    pub async fn list_orgs(&self, query: &str) -> Result<Page<Organisation>> {
        self.get(&format!("/api/v1/orgs{query}")).await
    }

    pub async fn create_org(&self, req: &CreateOrganisation) -> Result<Organisation> {
        self.post("/api/v1/orgs", req).await
    }

    pub async fn get_org(&self, id: Uuid) -> Result<Organisation> {
        self.get(&format!("/api/v1/orgs/{id}")).await
    }

    pub async fn update_org(&self, id: Uuid, req: &UpdateOrganisation) -> Result<Organisation> {
        self.patch(&format!("/api/v1/orgs/{id}"), req).await
    }

    pub async fn grant(&self, provider: Uuid, customer: Uuid) -> Result<OrgGrant> {
        self.put(&format!("/api/v1/orgs/{provider}/grants/{customer}"), &()).await
    }

    pub async fn revoke_grant(&self, provider: Uuid, customer: Uuid) -> Result<()> {
        self.delete(&format!("/api/v1/orgs/{provider}/grants/{customer}")).await
    }

    pub async fn list_users(&self, query: &str) -> Result<Page<User>> {
        self.get(&format!("/api/v1/users{query}")).await
    }

    pub async fn create_user(&self, req: &CreateUser) -> Result<User> {
        self.post("/api/v1/users", req).await
    }

    pub async fn get_user(&self, id: Uuid) -> Result<User> {
        self.get(&format!("/api/v1/users/{id}")).await
    }

    pub async fn update_user(&self, id: Uuid, req: &UpdateUser) -> Result<User> {
        self.patch(&format!("/api/v1/users/{id}"), req).await
    }

    pub async fn delete_user(&self, id: Uuid) -> Result<()> {
        self.delete(&format!("/api/v1/users/{id}")).await
    }

    pub async fn set_password(&self, id: Uuid, password: &str) -> Result<()> {
        self.put(&format!("/api/v1/users/{id}/password"), &serde_json::json!({ "password": password })).await
    }

    pub async fn list_api_keys(&self, query: &str) -> Result<Page<ApiKey>> {
        self.get(&format!("/api/v1/api-keys{query}")).await
    }

    pub async fn create_api_key(&self, req: &CreateApiKey) -> Result<CreatedApiKey> {
        self.post("/api/v1/api-keys", req).await
    }

    pub async fn revoke_api_key(&self, id: Uuid) -> Result<ApiKey> {
        self.delete(&format!("/api/v1/api-keys/{id}")).await
    }

    /// `query` is a query string such as `?object_id=…&total=true`, or empty.
    pub async fn audit(&self, query: &str) -> Result<Page<AuditEntry>> {
        self.get(&format!("/api/v1/audit{query}")).await
    }

    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        self.get("/api/v1/audit/verify").await
    }

    pub async fn create_case(&self, req: &CreateCase) -> Result<Case> {
        self.post("/api/v1/cases", req).await
    }

    pub async fn get_case(&self, id: Uuid) -> Result<Case> {
        self.get(&format!("/api/v1/cases/{id}")).await
    }

    pub async fn list_cases(&self, query: &str) -> Result<Page<Case>> {
        self.get(&format!("/api/v1/cases{query}")).await
    }

    pub async fn update_case(&self, id: Uuid, req: &UpdateCase) -> Result<Case> {
        self.patch(&format!("/api/v1/cases/{id}"), req).await
    }

    pub async fn transition_case(&self, id: Uuid, req: &TransitionCase) -> Result<Case> {
        self.post(&format!("/api/v1/cases/{id}/transition"), req).await
    }

    pub async fn case_history(&self, id: Uuid) -> Result<Vec<CaseTransition>> {
        self.get(&format!("/api/v1/cases/{id}/history")).await
    }
}
