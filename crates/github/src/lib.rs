//! Adapter: GitHub's REST API (through octocrab) and its webhooks.
