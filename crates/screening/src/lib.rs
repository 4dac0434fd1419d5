//! Fieldscreen's screening core: protocol model, loader and validator, session engine, outcome
//! rules and the language checker.
//!
//! Pure and deterministic: no IO beyond parsing text handed in, no clock, no randomness. A
//! session is a function of its protocol and its event log.

// Modules import only downward (`make module-cycles` fails on a circle). Bottom: diagnostics,
// ids, indicator groups, answers, raw TOML shapes; then conditions, the model, the engine and the
// outcome; then one compile step per content kind; `load` on top, dispatching by kind.
pub mod answer;
pub mod cases;
mod checklist;
pub mod condition;
pub mod diag;
pub mod encounter;
pub mod engine;
pub mod group;
mod ids;
pub mod language;
pub mod load;
pub mod model;
pub mod outcome;
mod protocol;
mod raw;
pub mod resources;
mod satisfy;
pub mod training;
pub mod translations;

pub use answer::{Answer, AnswerKind};
pub use cases::{run_case, CaseResult};
pub use diag::Problem;
pub use engine::{run_answer_map, EngineError, Event, MapRun, RawAnswer, Session, Status};
pub use language::{Flag, Glossary, Term};
pub use load::{load, Library, Source};
pub use model::{AudioRef, Group, Item, ItemKind, Population, Protocol};
pub use outcome::Outcome;
pub use resources::{Directory, Policy, Resource, UnitRecipient};
pub use translations::{Direction, Language, TranslationStatus};
