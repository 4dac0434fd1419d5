//! `fieldscreen`: protocol check and test, headless screening, language check, device vault,
//! custodian keys and case bundles.
//!
//! Exit codes: 0 all good; 1 problems found (invalid content, failed cases, flagged language, a
//! damaged vault, a bundle that does not decrypt or verify); 2 bad input on the command line or
//! in an answers file; 3 the vault did not unlock (wrong secret, delay, lockout, wiped); 130
//! interrupted (Ctrl-C) while writing a bundle or its contents, which are then removed; 4 the
//! sync hub is not reachable (records stay queued); 5 records wait because no unit
//! configuration (custodians) is in force, so nothing can be sealed.

mod audio;
mod bundle_cmd;
mod device;
mod library;
mod protocol;
mod screen;
mod sync_cmd;
mod training;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "fieldscreen", version, about = "Fieldscreen: trafficking screening for patrol officers")]
struct Cli {
    /// Content library folder (protocols, glossary, resources, policy).
    #[arg(long, global = true, env = "FIELDSCREEN_PROTOCOLS", value_name = "DIR")]
    protocols: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Protocol files: check, test, list, show.
    Protocol {
        #[command(subcommand)]
        command: ProtocolCmd,
    },
    /// Run a screening headlessly from an answers file and print the outcome.
    Screen(screen::Args),
    /// Training scenarios: list them, or play one through the engine and print the debrief.
    Training {
        #[command(subcommand)]
        command: TrainingCmd,
    },
    /// Language checks.
    Language {
        #[command(subcommand)]
        command: LanguageCmd,
    },
    /// The encrypted vault on this device (init, list, verify, passwd, wipe) and its sync with
    /// the unit's hub (enroll, sync).
    Device {
        #[command(subcommand)]
        command: DeviceAll,
    },
    /// The unit custodian's side of sync: publish the unit configuration, pull records.
    Unit {
        #[command(subcommand)]
        command: sync_cmd::UnitCmd,
    },
    /// A unit custodian's keys: new.
    Keys {
        #[command(subcommand)]
        command: bundle_cmd::KeysCmd,
    },
    /// Case bundles (encrypted, signed): export from the vault, verify, open.
    Bundle {
        #[command(subcommand)]
        command: bundle_cmd::BundleCmd,
    },
}

#[derive(Subcommand)]
enum DeviceAll {
    #[command(flatten)]
    Vault(device::DeviceCmd),
    #[command(flatten)]
    Sync(sync_cmd::DeviceSyncCmd),
}

#[derive(Subcommand)]
enum ProtocolCmd {
    /// Check content files; one line per problem as path:line:col: message.
    Check { paths: Vec<PathBuf> },
    /// Run the protocols' own test cases.
    Test { paths: Vec<PathBuf> },
    /// List the protocols.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one protocol: items, kinds, answers and what each answer indicates.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TrainingCmd {
    /// List the scenarios.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Play a scenario with its own answers and observations; exit 1 if the outcome does not
    /// match the expected one.
    Run {
        scenario: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum LanguageCmd {
    /// Flag harmful terms in a text file (or - for standard input), with better terms.
    Check {
        #[arg(default_value = "-")]
        file: String,
        /// Language of the text.
        #[arg(long, default_value = "en")]
        lang: String,
        #[arg(long)]
        json: bool,
    },
}

/// An error that ends the command with a given exit code and a plain message (no backtrace).
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl Exit {
    pub fn new(code: u8, message: impl Into<String>) -> Exit {
        Exit { code, message: message.into() }
    }
}

impl From<anyhow::Error> for Exit {
    fn from(e: anyhow::Error) -> Exit {
        Exit::new(2, format!("{e:#}"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = library::root(cli.protocols.as_deref());
    let result = match cli.command {
        Command::Protocol { command } => match command {
            ProtocolCmd::Check { paths } => protocol::check(&root, &paths),
            ProtocolCmd::Test { paths } => protocol::test(&root, &paths),
            ProtocolCmd::List { json } => protocol::list(&root, json),
            ProtocolCmd::Show { id, json } => protocol::show(&root, &id, json),
        },
        Command::Screen(args) => screen::run(&root, args),
        Command::Training { command: TrainingCmd::List { json } } => training::list(&root, json),
        Command::Training { command: TrainingCmd::Run { scenario, json } } => training::run(&root, &scenario, json),
        Command::Language { command: LanguageCmd::Check { file, lang, json } } => {
            language_check(&root, &file, &lang, json)
        }
        Command::Device { command: DeviceAll::Vault(command) } => device::run(&root, command),
        Command::Device { command: DeviceAll::Sync(command) } => sync_cmd::run_device(&root, command),
        Command::Unit { command } => sync_cmd::run_unit(command),
        Command::Keys { command } => bundle_cmd::keys(command),
        Command::Bundle { command } => bundle_cmd::run(&root, command),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if !e.message.is_empty() {
                eprintln!("fieldscreen: {}", e.message);
            }
            ExitCode::from(e.code)
        }
    }
}

fn language_check(root: &std::path::Path, file: &str, lang: &str, json: bool) -> Result<u8, Exit> {
    let lib = library::load_library(root)?;
    let (name, text) = if file == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading standard input")?;
        ("-".to_string(), s)
    } else {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
        (file.to_string(), text)
    };
    let flags = lib.glossary.check(&text, lang);
    if json {
        println!("{}", serde_json::to_string_pretty(&flags).context("encoding JSON")?);
    } else {
        for f in &flags {
            println!("{name}:{}:{}: \"{}\": prefer \"{}\" ({})", f.line, f.col, f.found, f.prefer, f.why);
        }
        if flags.is_empty() {
            eprintln!("no harmful terms found");
        }
    }
    Ok(if flags.is_empty() { 0 } else { 1 })
}
