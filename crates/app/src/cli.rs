//! The command line: one binary, subcommands per job.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "agencyflow",
    version,
    about = "CRM, lead capture, booking and marketing automation for agencies"
)]
pub struct Cli {
    /// Database: sqlite://PATH or postgres://... [default: sqlite://./data/agencyflow.db]
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Configuration file [default: ./agencyflow.toml when present]
    #[arg(long, env = "AF_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (and the job workers unless --no-worker).
    Serve(ServeArgs),
    /// Run job workers only (to scale out next to `serve --no-worker`).
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCmd),
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API keys.
    #[command(subcommand)]
    Apikey(ApiKeyCmd),
    /// Invitation links (when no email provider is configured).
    #[command(subcommand)]
    Invite(InviteCmd),
    /// Intake keys: restricted keys that may only create leads (safe on a landing page).
    #[command(subcommand, name = "intake-key")]
    IntakeKey(IntakeKeyCmd),
    /// Import data (CSV).
    #[command(subcommand)]
    Import(crate::import_export::ImportCmd),
    /// Export data (CSV or JSON lines) to standard output.
    #[command(subcommand)]
    Export(crate::import_export::ExportCmd),
    /// Inspect and retry background jobs.
    #[command(subcommand)]
    Jobs(crate::jobs_cmd::JobsCmd),
    /// Retention alerts.
    #[command(subcommand)]
    Retention(RetentionCmd),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Write a workspace's audit log to standard output as JSON lines,
    /// newest first (streamed: any size in constant memory). The export is
    /// itself recorded in the log.
    Export {
        /// The workspace's slug.
        #[arg(long)]
        workspace: String,
        /// From this day (in the workspace's time zone) or instant, included.
        #[arg(long)]
        since: Option<String>,
        /// Until this day (included) or instant (excluded).
        #[arg(long)]
        until: Option<String>,
    },
    /// Delete entries older than each workspace's retention now (the daily
    /// job does this by itself).
    Purge,
}

#[derive(Subcommand, Debug)]
pub enum RetentionCmd {
    /// Run a workspace's retention check now (the daily check runs by itself).
    Check {
        /// The workspace's slug.
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "AF_BIND")]
    pub bind: Option<String>,
    /// Create a demo workspace on first start and print how to sign in.
    #[arg(long)]
    pub demo: bool,
    /// Do not run job workers in this process.
    #[arg(long)]
    pub no_worker: bool,
}

#[derive(Subcommand, Debug)]
pub enum WorkspaceCmd {
    /// Create a workspace.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// IANA time zone [default: America/Mexico_City]
        #[arg(long)]
        time_zone: Option<String>,
        /// es or en [default: es]
        #[arg(long)]
        locale: Option<String>,
        /// Default country for phone numbers [default: MX]
        #[arg(long)]
        country: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List workspaces.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create a user (or take an existing account) and give them a role in a workspace.
    Create {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        email: String,
        /// At least 10 characters (ignored when the account already exists).
        #[arg(long, env = "AF_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        name: Option<String>,
        /// owner, admin or member
        #[arg(long, default_value = "member")]
        role: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a fresh password-reset link for an account (for operators
    /// without an email provider); earlier links stop working.
    ResetLink {
        /// The account's email.
        email: String,
    },
    /// Set a user's password and sign them out everywhere.
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long, env = "AF_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCmd {
    /// Create an API key; prints it once (the last word, or {"key": ...} with --json).
    Create {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List a workspace's keys (never the secrets).
    List {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by id.
    Revoke {
        #[arg(long)]
        workspace: String,
        /// The key id (from `apikey list`).
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum InviteCmd {
    /// Invite an email to a workspace and print the invitation link (a
    /// pending invitation of the same email is replaced).
    Link {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        email: String,
        /// owner, admin or member
        #[arg(long, default_value = "member")]
        role: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum IntakeKeyCmd {
    /// Create an intake key; prints it once (the last word, or {"key": ...} with --json).
    Create {
        #[arg(long)]
        workspace: String,
        #[arg(long, default_value = "landing")]
        name: String,
        #[arg(long)]
        json: bool,
    },
}
