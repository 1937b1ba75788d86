//! TheHive 5 alerts (`/api/v1/alert`).
