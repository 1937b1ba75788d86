//! Live updates: what changed, published per organisation, delivered to
//! browsers over server-sent events.
//!
//! Within one node this is an in-process broadcast; the hub is the one place
//! a multi-node deployment replaces with a message bus.

use serde::Serialize;
use tokio::sync::broadcast;
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
}

impl Default for LiveHub {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveHub {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Self { tx }
    }

    pub fn publish(&self, org: Uuid, kind: &str, object_id: impl ToString) {
        // No subscriber is not an error: nobody is watching.
        let _ = self.tx.send(LiveEvent { org, kind: kind.to_owned(), object_id: object_id.to_string() });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }
}
