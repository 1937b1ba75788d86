//! Identity, status, licence, organisations, users and profiles; errors.
