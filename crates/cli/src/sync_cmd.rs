//! `fieldscreen device enroll|sync` (the officer's device and the unit's hub) and `fieldscreen
//! unit publish|pull` (the custodian's side).
//!
//! Exit codes beyond the usual: 4 the hub is not reachable (records stay queued); 5 records are
//! queued but nothing can be sealed, because no unit configuration (custodians) is in force.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::Utc;
use serde::Deserialize;
use sync::device::{self, Report};
use sync::wire::{SignedUnit, UnitDocument, UNIT_FORMAT, UNIT_SIGNER};
use sync::{HubClient, KeySigner, RequestSigner, SyncError};

use crate::device::{unlock, unlock_policy, vault_exit};
use crate::Exit;

#[derive(clap::Subcommand)]
pub enum DeviceSyncCmd {
    /// Enroll this device with the unit's hub using a one-time code from the hub admin.
    Enroll {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// The hub's URL (https://...; http:// only to a loopback address).
        #[arg(long, value_name = "URL")]
        hub: String,
        /// The one-time code `fieldscreen-hub enroll` printed.
        #[arg(long)]
        code: String,
        /// The hub's CA certificate to pin (its tls/ca.pem); repeat for a rotation pin.
        #[arg(long = "ca", value_name = "CERT")]
        ca: Vec<PathBuf>,
        /// The unit's signing key to pin (else the one the hub reports).
        #[arg(long, value_name = "PUBKEY")]
        unit_key: Option<String>,
    },
    /// Send every queued record to the hub and pull the unit configuration. Exit 0 when
    /// everything is synced, 4 when the hub is unreachable, 1 when records were refused (each
    /// named with the reason: a conflict, too large for the hub...), 5 when records wait because
    /// the unit has not published its configuration (its custodians), so nothing can be sealed.
    Sync {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        #[arg(long)]
        json: bool,
        /// Keep running: sync whenever the hub is reachable, back off while it is not, until
        /// Ctrl-C.
        #[arg(long)]
        watch: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum UnitCmd {
    /// Sign the unit configuration (custodian recipients, content files) and publish it.
    Publish {
        #[arg(long, value_name = "URL")]
        hub: String,
        /// The custodian's Ed25519 key file (`custodian-signing.key` from `keys new`).
        #[arg(long, value_name = "FILE")]
        signing_key: PathBuf,
        /// unit.toml: `unit`, `recipients`, optional `library` folder and `serial`.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long = "ca", value_name = "CERT")]
        ca: Vec<PathBuf>,
    },
    /// Download new records, check them against the device registry, open them into DIR.
    Pull {
        #[arg(long, value_name = "URL")]
        hub: String,
        /// The custodian's age identity file.
        #[arg(long, value_name = "KEYFILE")]
        identity: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The unit signing key (default: custodian-signing.key beside the identity).
        #[arg(long, value_name = "FILE")]
        signing_key: Option<PathBuf>,
        #[arg(long = "ca", value_name = "CERT")]
        ca: Vec<PathBuf>,
    },
}

fn sync_exit(e: SyncError) -> Exit {
    match e {
        SyncError::Unreachable(_) | SyncError::Cut(_) => Exit::new(4, format!("{e}; the records stay queued")),
        SyncError::Vault(v) => vault_exit(v),
        SyncError::Invalid(_) | SyncError::NotEnrolled => Exit::new(2, e.to_string()),
        other => Exit::new(1, other.to_string()),
    }
}

fn read_cas(paths: &[PathBuf]) -> Result<Vec<String>, Exit> {
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).map_err(|e| Exit::new(2, format!("cannot read {}: {e}", p.display()))))
        .collect()
}

pub fn run_device(root: &Path, cmd: DeviceSyncCmd) -> Result<u8, Exit> {
    match cmd {
        DeviceSyncCmd::Enroll { data_dir, hub, code, ca, unit_key } => {
            let cas = read_cas(&ca)?;
            let v = unlock(&data_dir, &unlock_policy(root, None)?)?;
            let r = device::enroll(&v, &hub, &code, cas, unit_key, Utc::now()).map_err(sync_exit)?;
            println!("enrolled device {} with {hub}", r.device_id);
            match v.enrollment().map_err(vault_exit)?.and_then(|e| e.unit_key) {
                Some(k) => println!("unit key pinned: {k}"),
                None => eprintln!("no unit key is pinned yet: the unit configuration cannot be verified until one is"),
            }
            Ok(0)
        }
        DeviceSyncCmd::Sync { data_dir, json, watch } => {
            // A wipe report the network lost is sent first: the vault it reports on may be gone.
            match device::retry_wipe_report(&data_dir, Utc::now()) {
                Ok(Some(true)) => eprintln!("the wipe report waiting on this device reached the hub"),
                Ok(Some(false)) => eprintln!("a wipe report waits on this device: the hub could not be reached"),
                Ok(None) => {}
                Err(e) => eprintln!("{e}"),
            }
            let v = unlock(&data_dir, &unlock_policy(root, None)?)?;
            let outcome =
                if watch { watch_loop(&v, json).map(|_| Report::default()) } else { device::sync_once(&v, Utc::now) };
            match outcome {
                Ok(_) if watch => Ok(0),
                Ok(r) => {
                    print_report(&r, json)?;
                    match r.waiting_reason() {
                        Some(why) => Err(Exit::new(
                            5,
                            format!("{why} until the unit publishes its configuration (`fieldscreen unit publish`)"),
                        )),
                        None => Ok(if r.pending == 0 { 0 } else { 1 }),
                    }
                }
                Err(SyncError::Revoked { wipe }) => {
                    let r = device::carry_out_revocation(v, wipe, Utc::now()).map_err(sync_exit)?;
                    let what = if r.wiped { "its vault was crypto-wiped" } else { "its vault is kept" };
                    let told = if r.reported {
                        "the hub was told"
                    } else {
                        "the report could not be sent yet; `fieldscreen device sync` retries it"
                    };
                    Err(Exit::new(3, format!("this device was revoked by the unit: {what}; {told}")))
                }
                Err(e) => {
                    let pending = v.outbox().map(|o| o.len()).unwrap_or(0);
                    let mut x = sync_exit(e);
                    x.message = format!("{} ({pending} records queued)", x.message);
                    Err(x)
                }
            }
        }
    }
}

/// `--watch`: the device loop until SIGINT or SIGTERM, one line (or JSON object) per pass.
fn watch_loop(v: &vault::Vault, json: bool) -> Result<(), SyncError> {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone())
            .map_err(|e| SyncError::Invalid(format!("cannot watch for Ctrl-C: {e}")))?;
    }
    let access = device::Stoppable { vault: v, stop: stop.clone() };
    device::run(&access, &device::RunOptions::default(), &stop, |r| match r {
        Ok(r) => {
            let _ = print_report(r, json);
            if let Some(why) = r.waiting_reason() {
                eprintln!("{why}");
            }
        }
        Err(e) => eprintln!("{e}"),
    })
}

fn print_report(r: &Report, json: bool) -> Result<(), Exit> {
    if json {
        println!("{}", serde_json::to_string_pretty(r).map_err(|e| Exit::new(1, e.to_string()))?);
        return Ok(());
    }
    println!("sent {}, already on the hub {}, still queued {}", r.sent, r.already, r.pending);
    if let Some(s) = r.unit_serial {
        println!("unit configuration {s} in force");
    }
    if let Some(n) = &r.unit_note {
        eprintln!("unit configuration: {n}");
    }
    for e in &r.errors {
        eprintln!("record {}: {} ({})", e.record_id, e.message, e.kind);
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitFile {
    unit: String,
    recipients: Vec<String>,
    /// A folder of content files (relative to unit.toml), sent as they are.
    library: Option<PathBuf>,
    serial: Option<u64>,
}

fn unit_signer(path: &Path) -> Result<KeySigner, Exit> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Exit::new(2, format!("cannot read {}: {e}", path.display())))?;
    KeySigner::from_pkcs8_base64(UNIT_SIGNER, &text).map_err(|e| Exit::new(2, format!("{}: {e}", path.display())))
}

/// The content files under `dir`, by their path inside it.
fn collect(dir: &Path) -> Result<BTreeMap<String, String>, Exit> {
    let files = durable::read_toml_files(dir).map_err(|e| Exit::new(2, e.to_string()))?;
    Ok(files
        .into_iter()
        .map(|(p, text)| (p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().replace('\\', "/"), text))
        .collect())
}

pub fn run_unit(cmd: UnitCmd) -> Result<u8, Exit> {
    match cmd {
        UnitCmd::Publish { hub, signing_key, config, ca } => publish(&hub, &signing_key, &config, &read_cas(&ca)?),
        UnitCmd::Pull { hub, identity, out, signing_key, ca } => {
            let key = signing_key.unwrap_or_else(|| identity.with_file_name("custodian-signing.key"));
            pull(&hub, &identity, &out, &key, &read_cas(&ca)?)
        }
    }
}

fn publish(hub: &str, signing_key: &Path, config: &Path, cas: &[String]) -> Result<u8, Exit> {
    let text =
        std::fs::read_to_string(config).map_err(|e| Exit::new(2, format!("cannot read {}: {e}", config.display())))?;
    let f: UnitFile = toml::from_str(&text).map_err(|e| Exit::new(2, format!("{}: {e}", config.display())))?;
    let files = match &f.library {
        Some(lib) => collect(&config.parent().unwrap_or(Path::new(".")).join(lib))?,
        None => BTreeMap::new(),
    };
    let doc = UnitDocument {
        format: UNIT_FORMAT.into(),
        unit: f.unit,
        serial: f.serial.unwrap_or_else(|| Utc::now().timestamp().max(1) as u64),
        published: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        recipients: f.recipients,
        files,
    };
    doc.check().map_err(|e| Exit::new(2, format!("{}: {e}", config.display())))?;
    for r in &doc.recipients {
        r.parse::<age::x25519::Recipient>().map_err(|e| Exit::new(2, format!("`{r}` is not an age recipient: {e}")))?;
    }
    sync::unit::check_library(&doc).map_err(|e| Exit::new(1, e.to_string()))?;
    let signer = unit_signer(signing_key)?;
    let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Exit::new(1, e.to_string()))?;
    let signature = B64.encode(signer.sign(&bytes).map_err(sync_exit)?);
    let client = HubClient::new(hub, cas).map_err(sync_exit)?;
    client.publish_unit(&signer, &SignedUnit { document: B64.encode(&bytes), signature }).map_err(sync_exit)?;
    println!(
        "published unit configuration {} ({} recipients, {} files)",
        doc.serial,
        doc.recipients.len(),
        doc.files.len()
    );
    Ok(0)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Exit> {
    durable::write_atomic(path, bytes).map_err(|e| Exit::new(1, e.to_string()))
}

fn pull(hub: &str, identity: &Path, out: &Path, signing_key: &Path, cas: &[String]) -> Result<u8, Exit> {
    let text = std::fs::read_to_string(identity)
        .map_err(|e| Exit::new(2, format!("cannot read {}: {e}", identity.display())))?;
    let key = bundle::Key::identity_file(&text).map_err(|e| Exit::new(2, format!("{}: {e}", identity.display())))?;
    let signer = unit_signer(signing_key)?;
    let client = HubClient::new(hub, cas).map_err(sync_exit)?;
    let registry: BTreeMap<String, String> =
        client.devices(&signer).map_err(sync_exit)?.into_iter().map(|d| (d.device_id, d.public_key)).collect();
    let records = out.join("records");
    std::fs::create_dir_all(&records).map_err(|e| Exit::new(2, format!("cannot create {}: {e}", records.display())))?;
    let cursor_file = out.join(".cursor");
    let mut after: i64 = std::fs::read_to_string(&cursor_file).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    let (mut pulled, mut refused) = (0, 0);
    loop {
        let page = client.list(&signer, after, 500).map_err(sync_exit)?;
        if page.records.is_empty() {
            break;
        }
        for m in &page.records {
            after = after.max(m.seq);
            let dest = records.join(format!("{}.json", m.id));
            if dest.exists() {
                continue;
            }
            match open_one(&client, &signer, &key, &registry, m) {
                Ok(body) => {
                    write_atomic(&dest, &body)?;
                    pulled += 1;
                }
                Err(why) => {
                    eprintln!("record {} from device {}: refused: {why}", m.id, m.device_id);
                    refused += 1;
                }
            }
        }
        write_atomic(&cursor_file, after.to_string().as_bytes())?;
    }
    println!("pulled {pulled} records into {}; {refused} refused", records.display());
    Ok(if refused == 0 { 0 } else { 1 })
}

/// One record: its hash as listed, then the bundle's checks, then the signer against the
/// registry: the manifest and the record must be signed by the key the device enrolled.
fn open_one(
    client: &HubClient,
    signer: &dyn RequestSigner,
    key: &bundle::Key,
    registry: &BTreeMap<String, String>,
    m: &sync::wire::RecordMeta,
) -> Result<Vec<u8>, String> {
    let (bytes, _, sha) = client.envelope(signer, &m.id).map_err(|e| e.to_string())?;
    if sync::wire::sha256_hex(&bytes) != m.sha256 || sha != m.sha256 {
        return Err("its bytes do not match the hash the hub recorded".into());
    }
    let device_key = registry.get(&m.device_id).ok_or("its device is not in the registry")?;
    let expected = B64.decode(device_key).map_err(|_| "the registry key is not base64")?;
    let opened = bundle::open(&bytes[..], key, Some(&expected)).map_err(|e| e.to_string())?;
    let [rec] = opened.records.as_slice() else {
        return Err(format!("the envelope holds {} records, not one", opened.records.len()));
    };
    let listed = &opened.manifest.records[0];
    if rec.id != m.id || listed.device_key != *device_key || opened.manifest.exporter.device_id != m.device_id {
        return Err("the envelope is for another record or device than the hub says".into());
    }
    Ok(rec.body.clone())
}
