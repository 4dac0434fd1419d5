//! `fieldscreen keys` (a unit custodian's keys) and `fieldscreen bundle` (case bundles: export
//! from the vault, verify, open). The format is in docs/bundle-format.md and the `bundle` crate.
//!
//! Nothing half-done is left behind: an export is written to `F.partial`, already encrypted (no
//! plaintext is ever staged, EX-04), and becomes `F` only once complete, synced and about to be
//! audited (EX-05); an opened bundle is written to `DIR.partial` and becomes `DIR` only after it
//! verified in full. On an error or Ctrl-C the partial file or folder is removed.

use std::fs::{self, DirBuilder, File};
use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use age::secrecy::{ExposeSecret, SecretString};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bundle::{Key, Opened, Seal};
use chrono::{SecondsFormat, Utc};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::device::{unlock, unlock_policy, vault_exit};
use crate::Exit;

pub const IDENTITY_FILE: &str = "custodian.age-identity";
pub const SIGNING_KEY_FILE: &str = "custodian-signing.key";

/// Exit code after Ctrl-C (128 + SIGINT), as shells report it.
const INTERRUPTED: u8 = 130;

#[derive(clap::Subcommand)]
pub enum KeysCmd {
    /// Make a unit custodian's keys: an age identity (bundles are sealed to its recipient) and an
    /// Ed25519 signing key. Prints the public parts.
    New {
        /// Folder for custodian.age-identity and custodian-signing.key (made if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(clap::Subcommand)]
pub enum BundleCmd {
    /// Seal records from the vault into an encrypted case bundle signed by this device.
    Export(ExportArgs),
    /// Decrypt and check a bundle in full; writes nothing.
    Verify {
        file: PathBuf,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Check a bundle in full, then write its records, manifest and a summary into a new folder.
    Open {
        file: PathBuf,
        #[command(flatten)]
        key: KeyArgs,
        /// The folder to create (it must not exist).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// The vault's folder.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// Ids of the sealed records to export (see `fieldscreen device list`).
    #[arg(long, value_name = "ID", num_args = 1.., required = true)]
    records: Vec<String>,
    /// A custodian's age recipient to seal to; repeat for several.
    #[arg(long, value_name = "AGE1...", required_unless_present = "passphrase_env", conflicts_with = "passphrase_env")]
    to: Vec<String>,
    /// Seal with a passphrase instead, read from this environment variable.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
    /// The bundle file to create (it must not exist).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(clap::Args)]
pub struct KeyArgs {
    /// An age identity file, as `fieldscreen keys new` or `age-keygen` writes it.
    #[arg(long, value_name = "FILE", required_unless_present = "passphrase_env", conflicts_with = "passphrase_env")]
    identity: Option<PathBuf>,
    /// For a bundle sealed with a passphrase: the environment variable that holds it.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
    /// The Ed25519 public key (base64) the manifest must be signed with, e.g. the device's as
    /// `device init` printed it. Without it, any signer is accepted.
    #[arg(long, value_name = "BASE64")]
    signer: Option<String>,
}

pub fn keys(cmd: KeysCmd) -> Result<u8, Exit> {
    match cmd {
        KeysCmd::New { out } => keys_new(&out),
    }
}

pub fn run(root: &Path, cmd: BundleCmd) -> Result<u8, Exit> {
    match cmd {
        BundleCmd::Export(a) => export(root, a),
        BundleCmd::Verify { file, key } => verify(&file, &key),
        BundleCmd::Open { file, key, out } => open(&file, &key, &out),
    }
}

fn keys_new(dir: &Path) -> Result<u8, Exit> {
    let (id_path, sk_path) = (dir.join(IDENTITY_FILE), dir.join(SIGNING_KEY_FILE));
    for p in [&id_path, &sk_path] {
        refuse_existing(p)?;
    }
    dir_builder()
        .recursive(true)
        .create(dir)
        .map_err(|e| Exit::new(2, format!("cannot create {}: {e}", dir.display())))?;

    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let created = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let id_text = SecretString::from(format!(
        "# created: {created}\n# public key: {recipient}\n{}\n",
        identity.to_string().expose_secret()
    ));

    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| Exit::new(2, "generating the signing key failed"))?;
    let pair =
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| Exit::new(2, "generating the signing key failed"))?;
    let sk_text = SecretString::from(format!("{}\n", B64.encode(pkcs8.as_ref())));

    write_secret(&id_path, id_text.expose_secret().as_bytes())?;
    if let Err(e) = write_secret(&sk_path, sk_text.expose_secret().as_bytes()) {
        let _ = fs::remove_file(&id_path);
        return Err(e);
    }
    println!("recipient: {recipient}");
    println!("signing key: {}", B64.encode(pair.public_key().as_ref()));
    eprintln!("wrote {} and {} (keep them secret)", id_path.display(), sk_path.display());
    Ok(0)
}

fn export(root: &Path, a: ExportArgs) -> Result<u8, Exit> {
    // Everything that can be checked without the vault is, before anyone types a secret.
    let seal = match &a.passphrase_env {
        Some(var) => Seal::passphrase(env_secret(var)?.expose_secret()),
        None => Seal::recipients(&a.to),
    }
    .map_err(|e| Exit::new(2, e.to_string()))?;
    if let Some((_, dup)) = a.records.iter().enumerate().find(|(i, r)| a.records[..*i].contains(r)) {
        return Err(Exit::new(2, format!("record `{dup}` is named twice")));
    }
    partial_path(&a.out)?;

    let v = unlock(&a.data_dir, &unlock_policy(root, None)?)?;
    let interrupted = on_interrupt()?;
    let tty = std::io::stderr().is_terminal();
    let mut progress = |k: usize, n: usize| {
        if tty {
            eprint!("\rexporting {k}/{n}");
        }
    };
    let done = v.export_bundle(&a.records, seal, &a.out, &mut progress, &interrupted, Utc::now());
    if tty {
        eprintln!();
    }
    if interrupted.load(Ordering::SeqCst) {
        return Err(Exit::new(INTERRUPTED, "interrupted: no bundle was written"));
    }
    let hash = done.map_err(vault_exit)?.sha256;
    println!("exported {} records to {} (sha256 {hash})", a.records.len(), a.out.display());
    Ok(0)
}

fn verify(file: &Path, key: &KeyArgs) -> Result<u8, Exit> {
    let o = open_checked(file, key)?;
    let m = &o.manifest;
    println!("ok: {} records, signed by {}, created {}", o.records.len(), m.exporter.signing_key, m.created);
    if key.signer.is_none() {
        eprintln!("note: without --signer this shows the bundle is intact, not which device made it");
    }
    Ok(0)
}

fn open(file: &Path, key: &KeyArgs, out: &Path) -> Result<u8, Exit> {
    let partial = partial_path(out)?;
    let o = open_checked(file, key)?;
    // Ids become file names; a bundle from an unknown signer may hold anything.
    if let Some(r) = o.records.iter().find(|r| !plain_id(&r.id)) {
        return Err(Exit::new(1, format!("{}: record id `{}` is not a plain id", file.display(), r.id)));
    }
    let interrupted = on_interrupt()?;
    dir_builder().create(&partial).map_err(|e| Exit::new(2, format!("cannot create {}: {e}", partial.display())))?;
    let staged = durable::Staged::new(partial.clone());
    let records = partial.join("records");
    dir_builder().create(&records).map_err(|e| Exit::new(2, format!("cannot create {}: {e}", records.display())))?;
    let summary = bundle::summary(&o);
    let files = o.records.iter().map(|r| (records.join(format!("{}.json", r.id)), r.body.as_slice())).chain([
        // The manifest exactly as signed, and its signature, so the opened folder can be checked again.
        (partial.join(bundle::MANIFEST), o.manifest_bytes.as_slice()),
        (partial.join(bundle::SIGNATURE), o.signature.as_bytes()),
        (partial.join("summary.txt"), summary.as_bytes()),
    ]);
    for (path, bytes) in files {
        if interrupted.load(Ordering::SeqCst) {
            return Err(Exit::new(INTERRUPTED, "interrupted: nothing was written"));
        }
        write_secret(&path, bytes)?;
    }
    refuse_existing(out)?;
    staged.put_in_place(out).map_err(file_exit)?;
    println!("opened {} records into {}", o.records.len(), out.display());
    Ok(0)
}

/// Decrypts and checks a bundle. Bad input (a missing file, an unusable key) exits 2; a bundle
/// that does not hold up (cannot decrypt, damaged, wrong signer) exits 1.
fn open_checked(file: &Path, k: &KeyArgs) -> Result<Opened, Exit> {
    let key = match (&k.identity, &k.passphrase_env) {
        (Some(path), _) => {
            let text = fs::read_to_string(path)
                .map(SecretString::from)
                .map_err(|e| Exit::new(2, format!("cannot read {}: {e}", path.display())))?;
            Key::identity_file(text.expose_secret()).map_err(|e| Exit::new(2, format!("{}: {e}", path.display())))?
        }
        (None, Some(var)) => Key::Passphrase(env_secret(var)?),
        (None, None) => return Err(Exit::new(2, "name --identity or --passphrase-env")),
    };
    let signer = match &k.signer {
        Some(s) => match B64.decode(s.trim()) {
            Ok(b) if b.len() == 32 => Some(b),
            _ => return Err(Exit::new(2, format!("--signer `{s}` is not a base64 Ed25519 public key"))),
        },
        None => None,
    };
    if !file.is_file() {
        return Err(Exit::new(2, format!("cannot read {}: no such file", file.display())));
    }
    let f = File::open(file).map_err(|e| Exit::new(2, format!("cannot read {}: {e}", file.display())))?;
    bundle::open(BufReader::new(f), &key, signer.as_deref())
        .map_err(|e| Exit::new(1, format!("{}: {e}", file.display())))
}

/// From here on, Ctrl-C (and the other termination signals) set the flag instead of killing the
/// process, and the caller checks it so that its staged output is removed on the way out. A
/// second Ctrl-C kills at once.
fn on_interrupt() -> Result<Arc<AtomicBool>, Exit> {
    let flag = Arc::new(AtomicBool::new(false));
    for &sig in signal_hook::consts::TERM_SIGNALS {
        signal_hook::flag::register_conditional_shutdown(sig, INTERRUPTED.into(), flag.clone())
            .and_then(|_| signal_hook::flag::register(sig, flag.clone()))
            .map_err(|e| Exit::new(2, format!("cannot catch signals: {e}")))?;
    }
    Ok(flag)
}

fn env_secret(var: &str) -> Result<SecretString, Exit> {
    std::env::var(var)
        .map(SecretString::from)
        .map_err(|_| Exit::new(2, format!("the environment variable {var} is not set")))
}

fn plain_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn partial_path(p: &Path) -> Result<PathBuf, Exit> {
    bundle::file::partial_path(p).map_err(|e| Exit::new(2, e.to_string()))
}

fn refuse_existing(p: &Path) -> Result<(), Exit> {
    if p.symlink_metadata().is_ok() {
        return Err(Exit::new(2, format!("{} already exists; not overwriting it", p.display())));
    }
    Ok(())
}

fn dir_builder() -> DirBuilder {
    let mut b = DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b
}

/// A new file only its owner can read (never an existing one), synced.
fn write_secret(p: &Path, bytes: &[u8]) -> Result<(), Exit> {
    durable::write_private(p, bytes).map_err(file_exit)
}

fn file_exit(e: durable::Error) -> Exit {
    Exit::new(2, e.to_string())
}
