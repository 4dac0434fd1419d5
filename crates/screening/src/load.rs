//! Loading a content library from (path, text) pairs: tells each file's kind and hands it to
//! that kind's compile step, in dependency order (glossary, checklists, protocols, directories,
//! policies, cases, scenarios), the language registry before all of them.
//!
//! No IO here: callers read files and pass their text. Every problem is a [`Problem`] with a
//! position; the loader returns all of them rather than stopping at the first.

use crate::cases::CaseFile;
use crate::checklist::{compile_checklist, Checklist};
use crate::diag::{FileCtx, Problem};
use crate::language::{compile_glossary, Glossary};
use crate::model::Protocol;
use crate::resources::{Directory, Policy};
use crate::training::Scenario;
use crate::translations::{compile_registry, Language};

/// One content file, as read by the caller.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: String,
    pub text: String,
}

/// Everything loaded and checked.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub protocols: Vec<Protocol>,
    pub glossary: Glossary,
    pub cases: Vec<CaseFile>,
    pub directories: Vec<Directory>,
    pub policies: Vec<Policy>,
    pub scenarios: Vec<Scenario>,
    /// The language registry: every language the person's words come in, with its status.
    pub languages: Vec<Language>,
}

impl Library {
    pub fn protocol(&self, id: &str) -> Option<&Protocol> {
        self.protocols.iter().find(|p| p.id == id)
    }
    pub fn policy(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id == id)
    }
    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }
    pub fn language(&self, code: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.code == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Protocol,
    Checklist,
    Cases,
    Glossary,
    Directory,
    Policy,
    Scenario,
    Languages,
}

/// Tells a content file's kind from its first table header.
pub fn file_kind(text: &str) -> Option<FileKind> {
    for line in text.lines() {
        let l = line.trim();
        let kind = match l {
            "[protocol]" => FileKind::Protocol,
            "[checklist]" => FileKind::Checklist,
            "[[case]]" => FileKind::Cases,
            "[[term]]" => FileKind::Glossary,
            "[directory]" => FileKind::Directory,
            "[policy]" => FileKind::Policy,
            "[scenario]" => FileKind::Scenario,
            "[[language]]" => FileKind::Languages,
            _ => continue,
        };
        return Some(kind);
    }
    None
}

/// Loads and checks a whole library. Returns every problem found when there is any.
pub fn load(sources: &[Source]) -> Result<Library, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut lib = Library::default();
    let mut kinds = Vec::new();
    for s in sources {
        let kind = file_kind(&s.text);
        if kind.is_none() {
            let cx = FileCtx { path: &s.path, text: &s.text };
            problems.push(cx.problem(
                0,
                "not a Fieldscreen content file",
                Some("it should start with [protocol], [checklist], [[case]], [[term]], [directory], [policy], [scenario] or [[language]]".into()),
            ));
        }
        kinds.push(kind);
    }
    let of = |k: FileKind| sources.iter().zip(&kinds).filter(move |(_, kk)| **kk == Some(k)).map(|(s, _)| s);

    // The language registry first: every other kind's languages are checked against it.
    for s in of(FileKind::Languages) {
        let found = compile_registry(&FileCtx { path: &s.path, text: &s.text }, &lib.languages, &mut problems);
        lib.languages.extend(found);
    }

    // Glossary next: protocol text is checked against it.
    let mut terms = Vec::new();
    for s in of(FileKind::Glossary) {
        compile_glossary(&FileCtx { path: &s.path, text: &s.text }, &mut terms, &mut problems);
    }
    lib.glossary = Glossary::new(terms);

    let mut checklists: Vec<Checklist> = Vec::new();
    for s in of(FileKind::Checklist) {
        if let Some(c) = compile_checklist(&FileCtx { path: &s.path, text: &s.text }, &checklists, &mut problems) {
            checklists.push(c);
        }
    }

    for s in of(FileKind::Protocol) {
        let cx = FileCtx { path: &s.path, text: &s.text };
        let before = problems.len();
        if let Some(p) = crate::protocol::compile(&cx, &checklists, &lib.glossary, &lib.languages, &mut problems) {
            if let Some(other) = lib.protocols.iter().find(|o| o.id == p.id) {
                problems.push(cx.problem(0, format!("protocol `{}` is also defined in {}", p.id, other.path), None));
            } else if problems.len() == before {
                lib.protocols.push(p);
            }
        }
    }

    for s in of(FileKind::Directory) {
        let cx = FileCtx { path: &s.path, text: &s.text };
        if let Some(d) = crate::resources::compile_directory(&cx, &lib.languages, &mut problems) {
            lib.directories.push(d);
        }
    }
    for s in of(FileKind::Policy) {
        let cx = FileCtx { path: &s.path, text: &s.text };
        if let Some(p) = crate::resources::compile_policy(&cx, &lib.directories, &mut problems) {
            lib.policies.push(p);
        }
    }

    for s in of(FileKind::Cases) {
        let cx = FileCtx { path: &s.path, text: &s.text };
        let folder = parent(&s.path);
        let beside = sources
            .iter()
            .zip(&kinds)
            .find(|(p, k)| **k == Some(FileKind::Protocol) && parent(&p.path) == folder)
            .map(|(p, _)| p.path.as_str());
        if let Some(cf) = crate::cases::compile(&cx, beside, &lib.protocols, &mut problems) {
            lib.cases.push(cf);
        }
    }

    for s in of(FileKind::Scenario) {
        let cx = FileCtx { path: &s.path, text: &s.text };
        if let Some(sc) = crate::training::compile(&cx, &lib.protocols, &lib.glossary, &mut problems) {
            if let Some(other) = lib.scenarios.iter().find(|o| o.id == sc.id) {
                problems.push(cx.problem(0, format!("scenario `{}` is also defined in {}", sc.id, other.path), None));
            } else {
                lib.scenarios.push(sc);
            }
        }
    }

    if problems.is_empty() {
        Ok(lib)
    } else {
        problems.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        problems.dedup();
        Err(problems)
    }
}

fn parent(path: &str) -> &str {
    path.rfind(['/', '\\']).map_or("", |i| &path[..i])
}
