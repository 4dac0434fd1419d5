//! `fieldscreen-hub`: init, serve, enroll, revoke, status, check, backup, restore.
//!
//! Exit codes: 0 fine; 1 the command failed (storage unreachable, unknown device, `check`
//! found a problem); 2 bad input.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hub::config::Config;
use hub::store::Store;

#[derive(Parser)]
#[command(name = "fieldscreen-hub", version, about = "The Fieldscreen sync hub: stores sealed records it cannot read")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write a working configuration (embedded SQLite, a unit CA and server certificate,
    /// 127.0.0.1:8443) into DIR and print its path; beside it a hardened systemd unit
    /// (fieldscreen-hub.service) and the sysusers.d line for its user.
    Init {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The unit custodian's Ed25519 public key (`fieldscreen keys new` prints it).
        #[arg(long, value_name = "PUBKEY")]
        unit_key: Option<String>,
        /// More names (DNS or IP) for the server certificate.
        #[arg(long = "name", value_name = "NAME")]
        names: Vec<String>,
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// The hub binary the systemd unit runs (default: this one).
        #[arg(long, value_name = "PATH")]
        exec: Option<PathBuf>,
    },
    /// Write a replica's configuration into DIR from the hub configured in FROM (PostgreSQL
    /// storage): same store and unit key, its own server certificate from the unit CA.
    InitReplica {
        #[arg(long, value_name = "FROM")]
        from: PathBuf,
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// More names (DNS or IP) for this replica's server certificate.
        #[arg(long = "name", value_name = "NAME")]
        names: Vec<String>,
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Run the hub.
    Serve {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Print a one-time enrollment code for an officer's device.
    Enroll {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The officer the device is for; only on a hub that keeps officer ids
        /// (`keep_officer_id = true`), where it is required.
        #[arg(long, value_name = "ID")]
        officer: Option<String>,
    },
    /// Revoke a device: it gets 403 from now on and, on its next contact, crypto-wipes.
    Revoke {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, value_name = "ID")]
        device: String,
        /// Lock the device out without asking it to wipe.
        #[arg(long)]
        keep_data: bool,
    },
    /// Verify the store: every record's hash and size against its ciphertext, the registry,
    /// the unit configuration's signature. Names each problem; exit 1 when there is one.
    Check {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Copy the SQLite database into FILE (a new file) while the hub serves.
    Backup {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Replace the SQLite database's content with a backup; the hub must be stopped. A store
    /// that holds devices or records is kept first in `<database>.before-restore-<time>`.
    Restore {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Devices and their record counts, and enrollment attempts in the current window.
    Status {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FIELDSCREEN_HUB_LOG").unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fieldscreen-hub: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, e)) => {
            eprintln!("fieldscreen-hub: {e:#}");
            ExitCode::from(code)
        }
    }
}

type Failed = (u8, anyhow::Error);

fn input(e: anyhow::Error) -> Failed {
    (2, e)
}

async fn open(config: &Path) -> Result<(Config, Store), Failed> {
    let cfg = Config::read(config).map_err(input)?;
    let store = Store::open(&cfg.storage, &cfg.base, &cfg.postgres).await.map_err(|e| match e {
        hub::store::StoreError::Refused(m) => input(anyhow::anyhow!(m)),
        other => (1, other.into()),
    })?;
    Ok((cfg, store))
}

/// Ctrl-C, or SIGTERM (what `systemctl stop` sends): either drains the hub before it exits.
/// SIGTERM's handler is in place as soon as this returns, so call it before serving.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn run(cmd: Cmd) -> Result<(), Failed> {
    match cmd {
        Cmd::Init { dir, unit_key, names, listen, exec } => {
            if let Some(k) = &unit_key {
                sync::wire::public_key(k).map_err(|e| input(anyhow::anyhow!("--unit-key: {e}")))?;
            }
            let exe = match exec {
                Some(p) if p.is_absolute() => p,
                Some(p) => return Err(input(anyhow::anyhow!("--exec {}: give an absolute path", p.display()))),
                None => std::env::current_exe().map_err(|e| (1, anyhow::anyhow!("the hub's own path: {e}")))?,
            };
            let path = hub::config::init(&dir, unit_key.as_deref(), &names, listen).map_err(input)?;
            let port = Config::read(&path).map_err(input)?.listen.port();
            let [unit, users] = hub::service::write(&dir, &exe, port).map_err(input)?;
            println!("{}", path.display());
            eprintln!(
                "systemd unit {} and sysusers.d line {} (docs/hub-ops.md installs them)",
                unit.display(),
                users.display()
            );
            Ok(())
        }
        Cmd::InitReplica { from, dir, names, listen } => {
            let path = hub::replica::init_replica(&from, &dir, &names, listen).map_err(input)?;
            println!("{}", path.display());
            Ok(())
        }
        Cmd::Serve { config } => {
            let cfg = Config::read(&config).map_err(input)?;
            let stop = stop_signal();
            let running = hub::serve::start(&cfg).await.map_err(|e| (1, e))?;
            eprintln!(
                "fieldscreen-hub: listening on {} ({})",
                cfg.url().replace(&cfg.listen.to_string(), &running.addr.to_string()),
                running.hub.store.kind()
            );
            if let Some(m) = running.metrics_addr {
                eprintln!("fieldscreen-hub: metrics on http://{m}/metrics");
            }
            stop.await;
            running.stop().await;
            Ok(())
        }
        Cmd::Enroll { config, officer } => {
            let cfg = Config::read(&config).map_err(input)?;
            match (&officer, cfg.keep_officer_id) {
                (Some(_), false) => {
                    return Err(input(anyhow::anyhow!(
                        "this hub keeps no officer ids (keep_officer_id = false in {}): leave out --officer, or set keep_officer_id = true to record which officer holds each device",
                        config.display()
                    )))
                }
                (None, true) => return Err(input(anyhow::anyhow!("this hub keeps officer ids (keep_officer_id = true): --officer ID is required"))),
                _ => {}
            }
            let (cfg, store) = open(&config).await?;
            let code = hub::admin::new_code(&store, officer.as_deref(), cfg.code_ttl_hours, chrono::Utc::now())
                .await
                .map_err(|e| match e {
                hub::store::StoreError::Refused(m) => input(anyhow::anyhow!(m)),
                other => (1, other.into()),
            })?;
            println!("{code}");
            let whom = officer.map(|o| format!(" for officer {o}")).unwrap_or_default();
            eprintln!("one-time code{whom}, valid {} hours", cfg.code_ttl_hours);
            if let Some(t) = &cfg.tls {
                let fp = hub::tls::ca_fingerprint(&cfg.path(&t.ca)).map_err(input)?;
                eprintln!(
                    "unit CA fingerprint (the officer's app asks for it; `device enroll --ca {}` takes the file):\n  {fp}",
                    cfg.path(&t.ca).display()
                );
            }
            Ok(())
        }
        Cmd::Revoke { config, device, keep_data } => {
            let (_, store) = open(&config).await?;
            if !store.revoke(&device, !keep_data, &hub::stamp(chrono::Utc::now())).await.map_err(|e| (1, e.into()))? {
                return Err((1, anyhow::anyhow!("no device `{device}` is enrolled")));
            }
            println!("revoked {device}{}", if keep_data { "" } else { "; it will crypto-wipe on its next contact" });
            Ok(())
        }
        Cmd::Check { config } => {
            let (cfg, store) = open(&config).await?;
            let report = hub::check::check(&store, cfg.unit_key.as_deref()).await.map_err(|e| (1, e.into()))?;
            for p in &report.problems {
                println!("{p}");
            }
            let summary =
                format!("{} records, {} devices, {} problems", report.records, report.devices, report.problems.len());
            if report.ok() {
                eprintln!("store is consistent: {summary}");
                Ok(())
            } else {
                Err((1, anyhow::anyhow!("the store is not consistent: {summary}")))
            }
        }
        Cmd::Backup { config, to } => {
            let (_, store) = open(&config).await?;
            store.backup(&to).await.map_err(|e| match e {
                hub::store::StoreError::Refused(m) => input(anyhow::anyhow!(m)),
                other => (1, other.into()),
            })?;
            println!("{}", to.display());
            Ok(())
        }
        Cmd::Restore { config, from } => {
            let (cfg, store) = open(&config).await?;
            if !from.is_file() {
                return Err(input(anyhow::anyhow!("{}: no such backup file", from.display())));
            }
            Store::check_backup(&from).map_err(|e| input(e.into()))?;
            let counts = store.counts().await.map_err(|e| (1, e.into()))?;
            if counts.records + counts.active + counts.revoked > 0 {
                let keep = hub::store::sqlite_path(&cfg.storage, &cfg.base)
                    .map(|p| {
                        p.with_extension(format!("db.before-restore-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")))
                    })
                    .ok_or_else(|| {
                        input(anyhow::anyhow!(
                            "restore is for a SQLite hub; PostgreSQL uses pg_restore (docs/hub-ops.md)"
                        ))
                    })?;
                store.backup(&keep).await.map_err(|e| (1, e.into()))?;
                eprintln!(
                    "the store held {} records and {} devices: kept in {}",
                    counts.records,
                    counts.active + counts.revoked,
                    keep.display()
                );
            }
            store.restore(&from).await.map_err(|e| match e {
                hub::store::StoreError::Refused(m) => input(anyhow::anyhow!(m)),
                other => (1, other.into()),
            })?;
            let report = hub::check::check(&store, cfg.unit_key.as_deref()).await.map_err(|e| (1, e.into()))?;
            for p in &report.problems {
                println!("{p}");
            }
            if !report.ok() {
                return Err((1, anyhow::anyhow!("restored, but the check found {} problems", report.problems.len())));
            }
            eprintln!(
                "restored {} records and {} devices from {}; check passed",
                report.records,
                report.devices,
                from.display()
            );
            Ok(())
        }
        Cmd::Status { config, json } => {
            let (cfg, store) = open(&config).await?;
            let devices = store.devices().await.map_err(|e| (1, e.into()))?;
            let lim = &cfg.enroll_limits;
            let since = hub::stamp(chrono::Utc::now() - chrono::Duration::seconds(lim.window_secs));
            let attempts = store.enroll_attempts(&since).await.map_err(|e| (1, e.into()))?;
            let limit_of = |a: &hub::store::Attempts| if a.scope == "source" { lim.per_source } else { lim.per_code };
            let sources: Vec<_> = attempts
                .iter()
                .filter(|a| a.scope == "source")
                .map(|a| serde_json::json!({ "source": a.key, "attempts": a.attempts, "since": a.window_start, "limited": a.attempts > lim.per_source }))
                .collect();
            let codes: Vec<_> = attempts.iter().filter(|a| a.scope == "code").collect();
            let enrollment = serde_json::json!({
                "window_secs": lim.window_secs,
                "per_source": lim.per_source,
                "per_code": lim.per_code,
                "sources": sources,
                "codes_tried": codes.len(),
                "codes_limited": codes.iter().filter(|a| a.attempts > lim.per_code).count(),
                "refused": attempts.iter().map(|a| (a.attempts - limit_of(a)).max(0)).sum::<i64>(),
            });
            if json {
                let total: i64 = devices.iter().map(|d| d.records).sum();
                let out = serde_json::json!({ "storage": store.kind(), "records": total, "devices": devices, "enrollment": enrollment });
                println!("{}", serde_json::to_string_pretty(&out).map_err(|e| (1, e.into()))?);
            } else {
                for d in &devices {
                    let state = match (&d.revoked_at, &d.wipe_reported_at) {
                        (None, _) => "active".to_string(),
                        (Some(_), Some(w)) => format!("revoked, wipe reported {w}"),
                        (Some(r), None) => format!("revoked {r}"),
                    };
                    let officer = d.officer_id.as_deref().map(|o| format!("officer {o}  ")).unwrap_or_default();
                    println!("{}  {officer}{} records  {} bytes  {state}", d.device_id, d.records, d.bytes);
                }
                for a in attempts.iter().filter(|a| a.attempts > limit_of(a)) {
                    let what = a.key.as_deref().map(|k| format!("source {k}")).unwrap_or_else(|| "a code".into());
                    println!(
                        "enrollment limited: {what}, {} attempts since {} (at most {})",
                        a.attempts,
                        a.window_start,
                        limit_of(a)
                    );
                }
            }
            Ok(())
        }
    }
}
