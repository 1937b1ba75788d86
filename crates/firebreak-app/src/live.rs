//! Live updates: what changed, published per organisation, delivered to
//! browsers over server-sent events.
//!
//! Within one node this is an in-process broadcast; the hub is the one place
//! a multi-node deployment replaces with a message bus.
//!
//! A stream outlives the request that opened it, so it checks its credential
//! again as it runs (`api::live`): at once when this node revoked any
//! credential (the hub's revocation count moved), and at least every few
//! seconds before an event is sent, for revocations made by other nodes.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct LiveEvent {
    #[serde(skip)]
    pub org: Uuid,
    /// What changed, such as `user.created`.
    pub kind: String,
    pub object_id: String,
}

#[derive(Clone)]
pub struct LiveHub {
    tx: broadcast::Sender<LiveEvent>,
    /// Counts the credentials revoked on this node (keys revoked, users
    /// disabled, deleted or given a new password, sessions ended).
    revocations: Arc<watch::Sender<u64>>,
}

impl Default for LiveHub {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveHub {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Self { tx, revocations: Arc::new(watch::channel(0).0) }
    }

    pub fn publish(&self, org: Uuid, kind: &str, object_id: impl ToString) {
        // No subscriber is not an error: nobody is watching.
        let _ = self.tx.send(LiveEvent { org, kind: kind.to_owned(), object_id: object_id.to_string() });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }

    /// A credential stopped being valid: every open stream checks its own.
    pub fn revoked(&self) {
        self.revocations.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Changes whenever a credential is revoked on this node.
    pub fn revocations(&self) -> watch::Receiver<u64> {
        self.revocations.subscribe()
    }
}
