//! `suture serve`: flags → `app::serve` options (not built yet: the helper working on issue #6 owns this file).

use std::process::ExitCode;

use anyhow::{Result, bail};

pub(crate) const EXAMPLES: &str = "";

#[derive(clap::Args)]
pub(crate) struct ServeArgs {}

pub(crate) fn run(_args: ServeArgs) -> Result<ExitCode> {
    bail!("suture serve is not built yet")
}
