//! Background work on a timer: the SLA sweep, update reminders, webhook
//! deliveries, audit checkpoints and forgetting expired idempotency keys. Each
//! job is also a plain function that tests call with a manual clock.

use std::time::Duration;

use crate::App;

/// Runs the jobs every `every` (and at once when woken) until `stop` fires.
pub async fn run(state: App, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tick(&state).await;
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = state.jobs.notified() => {}
            _ = stop.changed() => return,
        }
    }
}

/// One round of every job; failures are logged and retried next round.
pub async fn tick(state: &App) {
    if let Err(e) = crate::sla::sweep(state).await {
        tracing::warn!(error = ?e.body().message, "SLA sweep failed");
    }
    if let Err(e) = crate::incident::remind_due_updates(state).await {
        tracing::warn!(error = ?e.body().message, "update reminders failed");
    }
    if let Err(e) = crate::webhooks::deliver_due(state).await {
        tracing::warn!(error = ?e.body().message, "webhook delivery failed");
    }
    if let Err(e) = crate::checkpoints::write_due(state).await {
        tracing::warn!(error = ?e.body().message, "audit checkpoint failed");
    }
    let expired = firebreak_domain::clock::to_millis(state.clock.now() - crate::intake::IDEMPOTENCY_WINDOW);
    if let Err(e) = state.store.prune_idempotency_keys(expired).await {
        tracing::warn!(error = %e, "pruning idempotency keys failed");
    }
}
