//! Checks shared by every content kind: ids and versions.

use toml::Spanned;

use crate::diag::{FileCtx, Problem};

type S<T> = Spanned<T>;

pub(crate) fn check_id(cx: &FileCtx, id: &S<String>, out: &mut Vec<Problem>) -> bool {
    let s = id.get_ref();
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.ends_with('-');
    if !ok {
        out.push(cx.problem(
            id.span().start,
            format!("`{s}` is not a valid id"),
            Some("ids use lowercase letters, digits and '-', start with a letter, at most 64 characters".into()),
        ));
    }
    ok
}

pub(crate) fn check_semver(cx: &FileCtx, v: &S<String>, out: &mut Vec<Problem>) {
    let s = v.get_ref();
    let core = s.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    let ok = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && (p.len() == 1 || !p.starts_with('0')));
    if !ok {
        out.push(cx.problem(v.span().start, format!("`{s}` is not a semantic version"), Some("like \"1.0.0\"".into())));
    }
}
