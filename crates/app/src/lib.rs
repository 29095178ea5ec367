//! Orchestration for GitHub: the App server (`suture serve`) and the scheduled fix-PR job (`suture pr`).
pub mod commands;
pub mod pr;
pub mod ranking;
pub mod review;
pub mod serve;
