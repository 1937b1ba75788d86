//! The store's conformance suite: every test runs on SQLite (always) and on
//! PostgreSQL (when FIREBREAK_TEST_PG_URL is set), each in a fresh database
//! or schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod intake;
mod query;
mod queue;
mod shares;
mod suite;

/// Generates `sqlite::name` and `postgres::name` for each suite test.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let h = crate::harness::Harness::sqlite().await;
                    crate::suite::$name(&h).await;
                    h.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(h) = crate::harness::Harness::postgres().await else {
                        eprintln!("skipped: FIREBREAK_TEST_PG_URL not set");
                        return;
                    };
                    crate::suite::$name(&h).await;
                    h.finish().await;
                }
            )*
        }
    };
}

conformance!(
    organisations_and_grants,
    users_are_scoped_paged_sorted_and_searched,
    disabling_ends_sessions_and_orphans_keys,
    api_keys_revoke_and_touch,
    a_key_without_its_owner_counts_as_disabled,
    every_write_is_audited_in_its_chain,
    concurrent_writers_keep_one_chain,
    tampering_is_detected,
    every_head_is_signed_and_a_rewound_head_is_not,
    cases_numbers_tags_history_and_links,
    a_stale_case_update_is_refused,
    a_case_change_and_its_effects_commit_together,
    reopening_is_idempotent_and_a_newer_schema_refused,
    sla_columns_round_trip_and_open_cases_are_listed,
    items_are_scoped_versioned_audited_and_indexed,
    a_page_of_cases_counts_what_each_holds_in_one_query,
    stored_files_count_each_content_once,
    observables_added_later_are_sighted_and_leave_the_story,
    an_item_change_and_its_deliveries_commit_together,
    a_failing_alert_batch_leaves_the_others_stored,
    stories_and_sightings_outlast_reopening,
    an_idempotency_key_answers_a_batch_sent_again,
    intake_dedups_within_and_across_batches,
    an_amended_alert_is_written_audited_and_still_repeated,
    intake_counts_new_alerts_by_hour,
    stories_span_batches_and_repeats_join_none,
    each_batch_is_audited_and_a_failed_one_is_not,
    the_window_holds_both_ways_whatever_the_arrival_order,
    a_value_too_common_stops_joining_alerts,
    the_queue_pages_by_keyset_as_by_offset,
    filters_compile_to_sql_alike_on_both_databases,
    shares_are_scoped_unique_and_audited_on_both_sides,
);
