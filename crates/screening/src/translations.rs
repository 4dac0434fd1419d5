//! The language registry (`[[language]]` files): every language the person's words are written
//! in, by its own name, its writing direction, the offline voice that can read it aloud, and how
//! far its translation can be trusted. Also the check that a translation keeps the source's
//! numbers and placeholders (a hotline number must never change between languages).

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diag::{parse_toml, FileCtx, Problem};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    #[serde(default)]
    language: Vec<RawLanguage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLanguage {
    code: Spanned<String>,
    name: Spanned<String>,
    english: String,
    #[serde(default)]
    direction: Option<Spanned<String>>,
    status: Spanned<String>,
    reviewed_by: Option<Spanned<String>>,
    reviewed_on: Option<Spanned<String>>,
    voice: Option<Spanned<String>>,
    note: Option<String>,
}

/// Which way a language is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Direction {
    Ltr,
    Rtl,
}

/// How far a language's text can be trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TranslationStatus {
    /// The language the content is written in; the others are translated from it.
    Source,
    /// Checked by a qualified translator: who and when (YYYY-MM-DD).
    Reviewed { by: String, on: String },
    /// Usable, but no qualified translator has checked it yet.
    Unreviewed,
}

/// One registered language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Language {
    /// BCP 47 code, as used in `text.<code>` keys.
    pub code: String,
    /// The language's name in its own script ("العربية").
    pub name: String,
    /// Its English name, for the officer.
    pub english: String,
    pub direction: Direction,
    pub status: TranslationStatus,
    /// The eSpeak NG voice that reads it aloud; `None` when no offline voice exists for it.
    pub voice: Option<String>,
    pub note: Option<String>,
}

/// Reads and checks one language registry file.
pub(crate) fn compile_registry(cx: &FileCtx, known: &[Language], out: &mut Vec<Problem>) -> Vec<Language> {
    let Some(raw) = parse_toml::<RawRegistry>(cx, out) else { return Vec::new() };
    let mut langs: Vec<Language> = Vec::new();
    for l in raw.language {
        let before = out.len();
        let code = l.code.get_ref();
        let valid = !code.is_empty()
            && code.split('-').enumerate().all(|(i, part)| {
                let n = part.len();
                if i == 0 {
                    (2..=3).contains(&n) && part.chars().all(|c| c.is_ascii_lowercase())
                } else {
                    (2..=8).contains(&n) && part.chars().all(|c| c.is_ascii_alphanumeric())
                }
            });
        if !valid {
            out.push(cx.problem(
                l.code.span().start,
                format!("`{code}` is not a language code"),
                Some("a BCP 47 code such as \"ar\", \"zh\" or \"pt-BR\"".into()),
            ));
        }
        if known.iter().chain(&langs).any(|k| k.code == *code) {
            out.push(cx.problem(l.code.span().start, format!("language `{code}` is registered twice"), None));
        }
        if l.name.get_ref().trim().is_empty() {
            out.push(cx.problem(
                l.name.span().start,
                format!("language `{code}` has no name"),
                Some("its name in its own script, as the person would recognise it".into()),
            ));
        }
        let direction = match l.direction.as_ref().map(|d| d.get_ref().as_str()) {
            None | Some("ltr") => Direction::Ltr,
            Some("rtl") => Direction::Rtl,
            Some(other) => {
                out.push(cx.problem(
                    l.direction.as_ref().map_or(0, |d| d.span().start),
                    format!("unknown direction `{other}`"),
                    Some("\"ltr\" or \"rtl\"".into()),
                ));
                Direction::Ltr
            }
        };
        let status = match l.status.get_ref().as_str() {
            "source" => TranslationStatus::Source,
            "unreviewed" => TranslationStatus::Unreviewed,
            "reviewed" => match (&l.reviewed_by, &l.reviewed_on) {
                (Some(by), Some(on)) if !by.get_ref().trim().is_empty() && is_date(on.get_ref()) => {
                    TranslationStatus::Reviewed { by: by.get_ref().clone(), on: on.get_ref().clone() }
                }
                (_, Some(on)) if !is_date(on.get_ref()) => {
                    out.push(cx.problem(
                        on.span().start,
                        format!("`{}` is not a date", on.get_ref()),
                        Some("YYYY-MM-DD, the day the review was finished".into()),
                    ));
                    TranslationStatus::Unreviewed
                }
                _ => {
                    out.push(cx.problem(
                        l.status.span().start,
                        format!("language `{code}` is marked reviewed without saying by whom and when"),
                        Some("add reviewed_by (the translator and their qualification) and reviewed_on".into()),
                    ));
                    TranslationStatus::Unreviewed
                }
            },
            other => {
                out.push(cx.problem(
                    l.status.span().start,
                    format!("unknown translation status `{other}`"),
                    Some("\"source\", \"reviewed\" or \"unreviewed\"".into()),
                ));
                TranslationStatus::Unreviewed
            }
        };
        if !matches!(status, TranslationStatus::Reviewed { .. }) {
            for s in [&l.reviewed_by, &l.reviewed_on].into_iter().flatten() {
                out.push(cx.problem(
                    s.span().start,
                    format!("language `{code}` names a review but its status is not `reviewed`"),
                    Some("never record a review that did not happen".into()),
                ));
            }
        }
        if let Some(v) = &l.voice {
            let ok = !v.get_ref().is_empty()
                && v.get_ref().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '/');
            if !ok {
                out.push(cx.problem(
                    v.span().start,
                    format!("`{}` is not a voice name", v.get_ref()),
                    Some("an eSpeak NG voice such as \"ar\" or \"cmn\" (`espeak-ng --voices`)".into()),
                ));
            }
        }
        if out.len() == before {
            langs.push(Language {
                code: code.clone(),
                name: l.name.into_inner(),
                english: l.english,
                direction,
                status,
                voice: l.voice.map(Spanned::into_inner),
                note: l.note,
            });
        }
    }
    if langs.iter().chain(known).filter(|l| l.status == TranslationStatus::Source).count() > 1 {
        out.push(cx.problem(0, "more than one language is the source", Some("one language is written first".into())));
    }
    langs
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u8>().unwrap_or(0))
}

/// What must read the same in every language: each run of digits (phone numbers, ages, short
/// codes) and each `{placeholder}`, in order of appearance, sorted so word order may differ.
pub fn fixed_parts(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_ascii_digit() {
            let mut end = i + 1;
            while let Some(&(j, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                chars.next();
            }
            parts.push(text[i..end].to_string());
        } else if c == '{' {
            if let Some(close) = text[i..].find('}') {
                parts.push(text[i..=i + close].to_string());
            }
        } else if c.is_numeric() {
            // A digit from another script (Arabic-Indic, full-width): never equal to the source's.
            parts.push(c.to_string());
        }
    }
    parts.sort();
    parts
}

/// Problems where the texts of one entry (`text.<lang>` of an item, a choice, a resource
/// description) disagree on numbers or placeholders with the source language's text.
pub(crate) fn check_fixed_parts(
    cx: &FileCtx,
    what: &str,
    texts: &[(&str, &Spanned<String>)],
    source: &str,
    out: &mut Vec<Problem>,
) {
    let Some((_, src)) = texts.iter().find(|(l, _)| *l == source) else { return };
    let want = fixed_parts(src.get_ref());
    for (lang, t) in texts {
        if *lang == source {
            continue;
        }
        let got = fixed_parts(t.get_ref());
        if got != want {
            out.push(cx.problem(
                cx.string_start(t.span().start),
                format!(
                    "{what}: the `{lang}` text has the numbers and placeholders [{}] but the `{source}` text has [{}]",
                    got.join(", "),
                    want.join(", ")
                ),
                Some("a phone number, age or {placeholder} must read the same in every language, in digits 0-9".into()),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_parts_are_digit_runs_and_placeholders() {
        assert_eq!(
            fixed_parts("Call 1-888-373-7888 or text 233733, {name}."),
            ["1", "233733", "373", "7888", "888", "{name}"]
        );
        assert_eq!(fixed_parts("اتصل على ٩١١"), ["١", "١", "٩"], "other scripts' digits never match 0-9");
        assert!(fixed_parts("no numbers").is_empty());
    }

    #[test]
    fn dates() {
        assert!(is_date("2026-12-04"));
        assert!(!is_date("2026-13-04"));
        assert!(!is_date("04/12/2026"));
    }
}
