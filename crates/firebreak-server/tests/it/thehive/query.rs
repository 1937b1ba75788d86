//! The query API (`/api/v1/query`).
