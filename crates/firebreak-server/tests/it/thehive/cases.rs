//! TheHive 5 cases and what they hold (`/api/v1/case`).
