//! One function per subcommand.

use crate::cli::{
    ApiKeyCmd, AuditCmd, Cli, Command, IntakeKeyCmd, InviteCmd, RetentionCmd, ServeArgs, UserCmd,
    WorkspaceCmd,
};
use crate::config::{self, Settings};
use crate::{demo, runtime};
use af_core::{Clock, Role, SystemClock};
use af_db::{Db, Ts};
use af_service::provision::{self, ProvisionError};
use af_web::{AppState, WebConfig};
use anyhow::Context;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// A provisioning error as the CLI words it: a refused value names its
/// flag (`--time-zone: ...`).
pub(crate) fn cli_error(e: ProvisionError) -> anyhow::Error {
    match e {
        ProvisionError::Invalid { field, message } => {
            anyhow::anyhow!("--{}: {message}", field.replace('_', "-"))
        }
        e => e.into(),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = config::load_file(cli.config.as_deref())?;
    let db_flag = cli.database_url.as_deref();
    match cli.command {
        Command::Serve(args) => {
            let settings = config::resolve(db_flag, args.bind.as_deref(), &file)?;
            serve(settings, args).await
        }
        Command::Worker => {
            let settings = config::resolve(db_flag, None, &file)?;
            worker(settings).await
        }
        Command::Migrate => {
            let db = open(&config::database_url(db_flag, &file)?).await?;
            db.migrate().await.context("applying migrations")?;
            println!("migrations applied");
            Ok(())
        }
        Command::Workspace(cmd) => workspace(&open_migrated(db_flag, &file).await?, cmd).await,
        Command::User(cmd) => {
            let base_url = config::cli_base_url(&file)?;
            user(&open_migrated(db_flag, &file).await?, cmd, &base_url).await
        }
        Command::Invite(InviteCmd::Link {
            workspace,
            email,
            role,
        }) => {
            let base_url = config::cli_base_url(&file)?;
            let db = open_migrated(db_flag, &file).await?;
            let role: Role = role.parse().map_err(anyhow::Error::msg).context("--role")?;
            let ws = provision::workspace_by_slug(&db, &workspace).await?;
            let link = provision::invitation_link_for(&db, &ws, &email, role, &base_url, now())
                .await
                .map_err(cli_error)?;
            println!("{link}");
            Ok(())
        }
        Command::IntakeKey(IntakeKeyCmd::Create {
            workspace,
            name,
            json,
        }) => {
            let db = open_migrated(db_flag, &file).await?;
            let ws = provision::workspace_by_slug(&db, &workspace).await?;
            let created = provision::create_scoped_api_key(
                &db,
                &ws,
                &name,
                af_db::api_keys::KeyScope::Intake,
                now(),
            )
            .await
            .map_err(cli_error)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "id": created.id, "prefix": created.prefix, "key": created.key })
                );
            } else {
                println!(
                    "created intake key {} ({}); it is shown only now:\n{}",
                    created.id, created.prefix, created.key
                );
            }
            Ok(())
        }
        Command::Apikey(cmd) => apikey(&open_migrated(db_flag, &file).await?, cmd).await,
        Command::Import(cmd) => {
            crate::import_export::import(&open_migrated(db_flag, &file).await?, cmd).await
        }
        Command::Export(cmd) => {
            crate::import_export::export(&open_migrated(db_flag, &file).await?, cmd).await
        }
        Command::Jobs(cmd) => {
            let engine = config::resolve(db_flag, None, &file)?.engine();
            crate::jobs_cmd::run(&open_migrated(db_flag, &file).await?, cmd, &engine).await
        }
        Command::Retention(cmd) => retention(&open_migrated(db_flag, &file).await?, cmd).await,
        Command::Audit(cmd) => audit(&open_migrated(db_flag, &file).await?, cmd).await,
    }
}

async fn audit(db: &Db, cmd: AuditCmd) -> anyhow::Result<()> {
    use futures::TryStreamExt;
    use std::io::Write;
    match cmd {
        AuditCmd::Export {
            workspace,
            since,
            until,
        } => {
            let ws = provision::workspace_by_slug(db, &workspace)
                .await
                .map_err(cli_error)?;
            let bound = |flag: &str, v: Option<String>, end: bool| -> anyhow::Result<Option<Ts>> {
                v.map(|text| {
                    af_db::audit::parse_bound(&text, &ws.time_zone, end).ok_or_else(|| {
                        anyhow::anyhow!("--{flag}: expected a date (2026-12-01) or an instant")
                    })
                })
                .transpose()
            };
            let filter = af_db::audit::AuditFilter {
                from: bound("since", since, false)?,
                to: bound("until", until, true)?,
                ..Default::default()
            };
            let actor = af_core::Actor::system();
            af_db::audit::record_export(db, ws.id, &actor, &filter, None, now()).await?;
            let mut pages = std::pin::pin!(af_db::audit::export_pages(db.clone(), ws.id, filter));
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            while let Some(page) = pages.try_next().await? {
                out.write_all(&af_db::audit::lines(&page))?;
            }
            out.flush()?;
        }
        AuditCmd::Purge => {
            let n = af_db::audit::purge_expired(db, now()).await?;
            println!("audit log: {n} expired entries deleted");
        }
    }
    Ok(())
}

async fn retention(db: &Db, cmd: RetentionCmd) -> anyhow::Result<()> {
    match cmd {
        RetentionCmd::Check { workspace, json } => {
            let ws = provision::workspace_by_slug(db, &workspace)
                .await
                .map_err(cli_error)?;
            let out =
                af_service::retention::check_now(db, &ws, &af_core::Actor::system(), now()).await?;
            if json {
                println!("{}", serde_json::to_string(&out)?);
            } else {
                println!(
                    "retention check of {}: {} opened, {} escalated, {} resolved",
                    ws.slug, out.opened, out.escalated, out.resolved
                );
            }
        }
    }
    Ok(())
}

async fn open(url: &str) -> anyhow::Result<Db> {
    Db::connect(url)
        .await
        .with_context(|| format!("connecting to {}", config::redact_url(url)))
}

/// Admin commands migrate first, so they work on a fresh database.
async fn open_migrated(db_flag: Option<&str>, file: &config::FileConfig) -> anyhow::Result<Db> {
    let db = open(&config::database_url(db_flag, file)?).await?;
    db.migrate().await.context("applying migrations")?;
    Ok(db)
}

fn now() -> Ts {
    Ts::new(SystemClock.now())
}

/// Cancelled on SIGTERM or Ctrl-C.
fn shutdown_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
        tracing::info!("shutdown requested");
        t.cancel();
    });
    token
}

async fn serve(settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    let db = open(&settings.database_url).await?;
    db.migrate().await.context("applying migrations")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut web = WebConfig::new(&settings.base_url);
    web.trust_forwarded_for = settings.trust_proxy;
    web.booking_url = settings.booking_url.clone();
    web.base_domain = settings.base_domain.clone();
    web.calcom_webhook_secret = settings.calcom_webhook_secret.clone();
    web.pauta_workspace = settings.pauta_workspace.clone();
    web.api_requests_per_minute = settings.api_requests_per_minute;
    if let Some(slug) = &settings.pauta_workspace
        && af_db::workspaces::find_workspace_by_slug(&db, slug)
            .await?
            .is_none()
    {
        // Not fatal: `serve --demo` may be about to create it.
        tracing::warn!(
            slug,
            "AF_PAUTA_WORKSPACE names no workspace yet: keyless PAUTA calls are refused until it exists"
        );
    }
    web.channels = settings.channels.clone();
    let shutdown = shutdown_signal();
    let state = AppState::new(db.clone(), clock.clone(), web, settings.secret_key.clone())
        .with_shutdown(shutdown.clone());
    let tasks = if args.no_worker {
        vec![]
    } else {
        runtime::spawn_workers(&db, clock.clone(), &settings.engine(), shutdown.clone()).await?
    };
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .with_context(|| format!("AF_BIND: cannot listen on {}", settings.bind))?;
    tracing::info!(bind = %settings.bind, database = %config::redact_url(&settings.database_url), "AgencyFlow listening");
    println!("AgencyFlow is running at {}", settings.base_url);
    if args.demo {
        match demo::ensure_demo(&db, now()).await? {
            Some(password) => println!(
                "Demo workspace created. Sign in at {}/login with\n  email:    {}\n  password: {password}",
                settings.base_url,
                demo::DEMO_EMAIL
            ),
            None => println!(
                "Demo workspace exists. Sign in at {}/login as {} (password shown at first start; \
                 set a new one with `agencyflow user set-password --email {} --password ...`)",
                settings.base_url,
                demo::DEMO_EMAIL,
                demo::DEMO_EMAIL
            ),
        }
    }
    let app = af_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let stop = shutdown.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await?;
    for t in tasks {
        let _ = t.await;
    }
    db.close().await;
    Ok(())
}

async fn worker(settings: Settings) -> anyhow::Result<()> {
    let db = open(&settings.database_url).await?;
    db.migrate().await.context("applying migrations")?;
    let shutdown = shutdown_signal();
    tracing::info!(database = %config::redact_url(&settings.database_url), "AgencyFlow worker started");
    let tasks =
        runtime::spawn_workers(&db, Arc::new(SystemClock), &settings.engine(), shutdown).await?;
    for t in tasks {
        let _ = t.await;
    }
    db.close().await;
    Ok(())
}

async fn workspace(db: &Db, cmd: WorkspaceCmd) -> anyhow::Result<()> {
    match cmd {
        WorkspaceCmd::Create {
            slug,
            name,
            time_zone,
            locale,
            country,
            json,
        } => {
            let ws = provision::create_workspace(
                db,
                &slug,
                &name,
                time_zone.as_deref(),
                locale.as_deref(),
                country.as_deref(),
                now(),
            )
            .await
            .map_err(cli_error)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "id": ws.id, "slug": ws.slug, "name": ws.name })
                );
            } else {
                println!("created workspace {} ({}) {}", ws.slug, ws.name, ws.id);
            }
        }
        WorkspaceCmd::List { json } => {
            let all = af_db::workspaces::list_workspaces(db).await?;
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|w| serde_json::json!({ "id": w.id, "slug": w.slug, "name": w.name, "time_zone": w.time_zone, "locale": w.locale, "country": w.country }))
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for w in all {
                    println!("{}\t{}\t{}\t{}", w.slug, w.name, w.time_zone, w.id);
                }
            }
        }
    }
    Ok(())
}

async fn user(db: &Db, cmd: UserCmd, base_url: &str) -> anyhow::Result<()> {
    match cmd {
        UserCmd::ResetLink { email } => {
            println!(
                "{}",
                provision::reset_link_for(db, &email, base_url, now()).await?
            );
        }
        UserCmd::Create {
            workspace,
            email,
            password,
            name,
            role,
            json,
        } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg).context("--role")?;
            let ws = provision::workspace_by_slug(db, &workspace).await?;
            let added =
                provision::add_user(db, &ws, &email, name.as_deref(), &password, role, now())
                    .await
                    .map_err(cli_error)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "id": added.user.id, "email": added.user.email, "workspace": ws.slug, "role": role.as_str(), "created": added.created })
                );
            } else if added.created {
                println!("created user {} as {role} of {}", added.user.email, ws.slug);
            } else {
                println!(
                    "existing user {} is now {role} of {} (password unchanged)",
                    added.user.email, ws.slug
                );
            }
        }
        UserCmd::SetPassword { email, password } => {
            provision::set_password(db, &email, &password, now())
                .await
                .map_err(cli_error)?;
            println!("password updated for {email}; their sessions were ended");
        }
    }
    Ok(())
}

async fn apikey(db: &Db, cmd: ApiKeyCmd) -> anyhow::Result<()> {
    match cmd {
        ApiKeyCmd::Create {
            workspace,
            name,
            json,
        } => {
            let ws = provision::workspace_by_slug(db, &workspace).await?;
            let created = provision::create_api_key(db, &ws, &name, now())
                .await
                .map_err(cli_error)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "id": created.id, "prefix": created.prefix, "key": created.key })
                );
            } else {
                println!(
                    "created API key {} for {} (shown once): {}",
                    created.id, ws.slug, created.key
                );
            }
        }
        ApiKeyCmd::List { workspace, json } => {
            let ws = provision::workspace_by_slug(db, &workspace).await?;
            let keys = af_db::api_keys::list_api_keys(db, ws.id).await?;
            if json {
                let rows: Vec<_> = keys
                    .iter()
                    .map(|k| serde_json::json!({ "id": k.id, "name": k.name, "prefix": k.prefix, "created_at": k.created_at, "last_used_at": k.last_used_at, "revoked_at": k.revoked_at }))
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for k in keys {
                    let state = if k.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    println!("{}\t{}\t{}…\t{state}", k.id, k.name, k.prefix);
                }
            }
        }
        ApiKeyCmd::Revoke { workspace, id } => {
            let ws = provision::workspace_by_slug(db, &workspace).await?;
            provision::revoke_api_key(db, &ws, &id, now()).await?;
            println!("revoked API key {id}");
        }
    }
    Ok(())
}
