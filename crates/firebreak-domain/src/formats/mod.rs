//! Adapters from the alert formats security tools already emit.
