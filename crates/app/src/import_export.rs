//! `agencyflow import ...` and `agencyflow export ...` (being built).

use af_db::Db;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum ImportCmd {}

#[derive(Subcommand, Debug)]
pub enum ExportCmd {}

pub async fn import(_db: &Db, cmd: ImportCmd) -> anyhow::Result<()> {
    match cmd {}
}

pub async fn export(_db: &Db, cmd: ExportCmd) -> anyhow::Result<()> {
    match cmd {}
}
