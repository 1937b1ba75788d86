//! TheHive 4 paths for legacy senders (`/api/alert`, `/api/case`).
