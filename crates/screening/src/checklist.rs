//! Observation checklists: shared observation items a protocol section includes by id.

use crate::diag::{parse_toml, FileCtx, Problem};
use crate::ids::{check_id, check_semver};
use crate::raw::{RawChecklistFile, RawItem};

/// A checked checklist, its items still raw: each protocol that includes it compiles them.
pub(crate) struct Checklist<'a> {
    pub(crate) id: String,
    pub(crate) path: &'a str,
    pub(crate) text: &'a str,
    pub(crate) items: Vec<RawItem>,
}

/// Reads one checklist file; `known` are the checklists read so far (an id is used once).
pub(crate) fn compile_checklist<'a>(
    cx: &FileCtx<'a>,
    known: &[Checklist],
    out: &mut Vec<Problem>,
) -> Option<Checklist<'a>> {
    let c = parse_toml::<RawChecklistFile>(cx, out)?;
    check_id(cx, &c.checklist.id, out);
    check_semver(cx, &c.checklist.version, out);
    if c.checklist.title.get_ref().trim().is_empty() {
        out.push(cx.problem(c.checklist.title.span().start, "the checklist has no title", None));
    }
    if known.iter().any(|x| x.id == *c.checklist.id.get_ref()) {
        out.push(cx.problem(
            c.checklist.id.span().start,
            format!("checklist `{}` is defined twice", c.checklist.id.get_ref()),
            None,
        ));
    }
    for it in &c.item {
        if it.kind.get_ref() != "observation" {
            out.push(cx.problem(
                it.kind.span().start,
                "a checklist holds only observations",
                Some("kind = \"observation\"".into()),
            ));
        }
    }
    Some(Checklist { id: c.checklist.id.into_inner(), path: cx.path, text: cx.text, items: c.item })
}
