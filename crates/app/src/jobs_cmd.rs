//! `agencyflow jobs ...` (being built).

use af_db::Db;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum JobsCmd {}

pub async fn run(_db: &Db, cmd: JobsCmd) -> anyhow::Result<()> {
    match cmd {}
}
