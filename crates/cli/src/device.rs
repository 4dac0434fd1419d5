//! `fieldscreen device`: the officer's encrypted vault on this device, and saving a headless
//! screening into it.
//!
//! The secret comes from `FIELDSCREEN_SECRET` (and `FIELDSCREEN_NEW_SECRET` for `passwd`) when
//! set, else from the terminal without echo.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use screening::{Event, Policy, Protocol};
use vault::{CreateOptions, UnlockPolicy, Vault, VaultError};

use crate::library::load_library;
use crate::Exit;

#[derive(clap::Args)]
pub struct DataDir {
    /// The vault's folder.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
}

#[derive(clap::Subcommand)]
pub enum DeviceCmd {
    /// Create the vault: data key, device identity, encrypted database.
    Init {
        #[command(flatten)]
        dir: DataDir,
        /// The officer's id, written into every record.
        #[arg(long)]
        officer: String,
        /// The unit custodian's age recipient, for a recovery wrap of the data key.
        #[arg(long, value_name = "AGE1...")]
        recovery: Option<String>,
        /// Agency policy id (checked against the content library).
        #[arg(long, value_name = "ID")]
        policy: Option<String>,
    },
    /// List sealed records and open drafts.
    List {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        json: bool,
    },
    /// Check the database (SQLCipher page HMACs, SQLite), the audit chain and record signatures.
    Verify {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Change the secret that unlocks the vault.
    Passwd {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Crypto-wipe: destroy the data key, then the database. Cannot be undone.
    Wipe {
        #[command(flatten)]
        dir: DataDir,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

pub fn run(root: &Path, cmd: DeviceCmd) -> Result<u8, Exit> {
    match cmd {
        DeviceCmd::Init { dir, officer, recovery, policy } => {
            init(root, &dir.data_dir, &officer, recovery.as_deref(), policy.as_deref())
        }
        DeviceCmd::List { dir, json } => list(&dir.data_dir, &unlock_policy(root, None)?, json),
        DeviceCmd::Verify { dir } => verify(&dir.data_dir, &unlock_policy(root, None)?),
        DeviceCmd::Passwd { dir } => passwd(&dir.data_dir, &unlock_policy(root, None)?),
        DeviceCmd::Wipe { dir, yes } => wipe(&dir.data_dir, yes),
    }
}

/// The one place vault errors become exit codes: 3 the vault stays locked (wrong secret, delay,
/// lockout, wiped); 1 the vault is damaged; 2 everything else (no vault, busy, policy, input).
pub fn vault_exit(e: VaultError) -> Exit {
    let code = match e {
        VaultError::WrongSecret | VaultError::LockedOut(_) | VaultError::Delayed(_) | VaultError::Wiped => 3,
        VaultError::Damaged(_) | VaultError::Plaintext(_) | VaultError::KeyFile(_) => 1,
        _ => 2,
    };
    Exit::new(code, e.to_string())
}

/// The unlock rules of an agency policy (`[policy.unlock]`); `default` unless named.
pub(crate) fn unlock_policy(root: &Path, id: Option<&str>) -> Result<UnlockPolicy, Exit> {
    let lib = load_library(root)?;
    let id = id.unwrap_or("default");
    let p = lib.policy(id).ok_or_else(|| Exit::new(2, format!("unknown policy `{id}`")))?;
    Ok(UnlockPolicy::from(&p.unlock))
}

/// A secret from `var`, else asked on the terminal (twice when `confirm`).
fn secret(var: &str, prompt: &str, confirm: bool) -> Result<String, Exit> {
    if let Ok(s) = std::env::var(var) {
        return Ok(s);
    }
    let ask = |p: &str| {
        rpassword::prompt_password(p)
            .map_err(|e| Exit::new(2, format!("cannot ask for the secret on a terminal ({e}); set {var}")))
    };
    let s = ask(&format!("{prompt}: "))?;
    if confirm && ask(&format!("{prompt} again: "))? != s {
        return Err(Exit::new(2, "the two entries do not match"));
    }
    Ok(s)
}

pub(crate) fn unlock(dir: &Path, policy: &UnlockPolicy) -> Result<Vault, Exit> {
    let s = secret("FIELDSCREEN_SECRET", "Secret", false)?;
    Vault::unlock(dir, &s, policy, Utc::now()).map_err(vault_exit)
}

fn has_vault(dir: &Path) -> bool {
    vault::status(dir) == vault::Status::SetUp
}

fn init(root: &Path, dir: &Path, officer: &str, recovery: Option<&str>, policy: Option<&str>) -> Result<u8, Exit> {
    let rules = unlock_policy(root, policy)?;
    // Checked again by Vault::create; here so that nobody types a secret twice for nothing.
    if has_vault(dir) {
        return Err(vault_exit(VaultError::AlreadyExists(dir.display().to_string())));
    }
    let s = secret("FIELDSCREEN_SECRET", "New secret", true)?;
    let opts = CreateOptions { officer_id: officer, recovery_recipient: recovery, iterations: vault::MIN_ITERATIONS };
    let v = Vault::create(dir, &s, &opts, &rules, Utc::now()).map_err(vault_exit)?;
    println!("created a vault in {}", dir.display());
    println!("device      {}", v.device_id());
    println!("officer     {}", v.officer_id());
    println!("public key  {}", v.device_public_key().map_err(vault_exit)?);
    if let Some(r) = recovery {
        println!("recovery    {r}");
    }
    Ok(0)
}

fn list(dir: &Path, policy: &UnlockPolicy, json: bool) -> Result<u8, Exit> {
    let v = unlock(dir, policy)?;
    let records = v.records().map_err(vault_exit)?;
    let drafts = v.drafts().map_err(vault_exit)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "records": records, "drafts": drafts }))
                .unwrap_or_default()
        );
        return Ok(0);
    }
    for r in &records {
        let state = if r.synced {
            "synced"
        } else if r.queued {
            "queued"
        } else {
            "local"
        };
        let amends = r.amends.as_deref().map(|a| format!("  amends {a}")).unwrap_or_default();
        println!("{}  {}  {}  {}  {state}{amends}", r.id, r.protocol_id, r.created_at, r.level);
    }
    for d in &drafts {
        println!(
            "{}  {} {}  {}  draft started {}, {} events",
            d.id, d.protocol_id, d.protocol_version, d.language, d.started_at, d.events
        );
    }
    if records.is_empty() && drafts.is_empty() {
        eprintln!("no records or drafts");
    }
    Ok(0)
}

fn verify(dir: &Path, policy: &UnlockPolicy) -> Result<u8, Exit> {
    let v = unlock(dir, policy)?;
    let events = v.verify().map_err(vault_exit)?;
    let records = v.verify_records().map_err(vault_exit)?;
    println!("ok: {events} audit events, {records} records");
    Ok(0)
}

fn passwd(dir: &Path, policy: &UnlockPolicy) -> Result<u8, Exit> {
    let old = secret("FIELDSCREEN_SECRET", "Current secret", false)?;
    let v = Vault::unlock(dir, &old, policy, Utc::now()).map_err(vault_exit)?;
    let new = secret("FIELDSCREEN_NEW_SECRET", "New secret", true)?;
    v.change_secret(&old, &new, policy, Utc::now()).map_err(vault_exit)?;
    println!("the secret is changed");
    Ok(0)
}

fn wipe(dir: &Path, yes: bool) -> Result<u8, Exit> {
    if !has_vault(dir) {
        return Err(vault_exit(VaultError::NotInitialized(dir.display().to_string())));
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Exit::new(2, "not on a terminal: pass --yes to wipe without confirmation"));
        }
        eprint!("This destroys every record in {} for good. Type `wipe` to go on: ", dir.display());
        std::io::stderr().flush().ok();
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Exit::new(2, format!("reading the confirmation: {e}")))?;
        if line.trim() != "wipe" {
            return Err(Exit::new(2, "not wiped"));
        }
    }
    let deleted = vault::wipe(dir).map_err(vault_exit)?;
    println!("wiped {}: the data key is destroyed; deleted {}", dir.display(), deleted.join(", "));
    Ok(0)
}

/// Saves a screening as a sealed record: a draft, every event of its log in order, then sealed.
pub fn save(dir: &Path, protocol: &Arc<Protocol>, log: &[Event], policy: &Policy) -> Result<String, Exit> {
    let v = unlock(dir, &UnlockPolicy::from(&policy.unlock))?;
    let draft = v.create_draft(protocol, "en", None, Utc::now()).map_err(vault_exit)?;
    for event in log {
        v.append(&draft, protocol, event, Utc::now()).map_err(vault_exit)?;
    }
    v.finalize(&draft, protocol, Some(policy), Utc::now()).map_err(vault_exit)
}
