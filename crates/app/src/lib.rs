//! Orchestration for GitHub: the App server (`suture serve`) and the scheduled fix-PR job (`suture pr`).
