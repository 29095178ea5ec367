//! `suture pr`: flags → `app::pr` options (not built yet: the helper working on issue #6 owns this file).

use std::process::ExitCode;

use anyhow::{Result, bail};

pub(crate) const EXAMPLES: &str = "";

#[derive(clap::Args)]
pub(crate) struct PrArgs {}

pub(crate) fn run(_args: PrArgs) -> Result<ExitCode> {
    bail!("suture pr is not built yet")
}
