//! The language glossary (avoid -> prefer -> why) and the checker that flags harmful terms.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diag::{parse_toml, FileCtx, Problem};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub avoid: String,
    pub prefer: String,
    pub why: String,
    pub source: String,
    #[serde(default = "default_lang")]
    pub lang: String,
}

fn default_lang() -> String {
    "en".into()
}

/// One harmful term found in a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Flag {
    /// Byte range in the checked text.
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub col: usize,
    /// The words as written.
    pub found: String,
    pub avoid: String,
    pub prefer: String,
    pub why: String,
}

#[derive(Debug, Clone, Default)]
pub struct Glossary {
    pub terms: Vec<Term>,
    /// Per term: lowercased characters, longest first (a longer phrase wins over a word inside it).
    compiled: Vec<(usize, Vec<char>)>,
}

fn fold(c: char) -> char {
    match c {
        '\u{2019}' | '\u{2018}' | '`' => '\'',
        c => c.to_lowercase().next().unwrap_or(c),
    }
}

impl Glossary {
    pub fn new(terms: Vec<Term>) -> Glossary {
        let mut compiled: Vec<(usize, Vec<char>)> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t.avoid.trim().chars().map(fold).collect::<Vec<_>>()))
            .filter(|(_, c)| !c.is_empty())
            .collect();
        compiled.sort_by_key(|c| std::cmp::Reverse(c.1.len()));
        Glossary { terms, compiled }
    }

    /// Flags every avoid term of `lang` in `text`, on word boundaries, case-insensitively.
    pub fn check(&self, text: &str, lang: &str) -> Vec<Flag> {
        let chars: Vec<(usize, char)> = text.char_indices().map(|(i, c)| (i, fold(c))).collect();
        let mut taken = vec![false; chars.len()];
        let mut flags = Vec::new();
        let is_word = |c: char| c.is_alphanumeric() || c == '\'';
        for (ti, pat) in &self.compiled {
            let term = &self.terms[*ti];
            if term.lang != lang {
                continue;
            }
            let n = pat.len();
            if n > chars.len() {
                continue;
            }
            let mut i = 0;
            while i + n <= chars.len() {
                let hit = chars[i..i + n].iter().map(|c| c.1).eq(pat.iter().copied())
                    && (i == 0 || !is_word(chars[i - 1].1))
                    && (i + n == chars.len() || !is_word(chars[i + n].1))
                    && !taken[i..i + n].iter().any(|t| *t);
                if hit {
                    taken[i..i + n].iter_mut().for_each(|t| *t = true);
                    let start = chars[i].0;
                    let end = chars.get(i + n).map_or(text.len(), |c| c.0);
                    let (line, col) = crate::diag::line_col(text, start);
                    flags.push(Flag {
                        start,
                        end,
                        line,
                        col,
                        found: text[start..end].to_string(),
                        avoid: term.avoid.clone(),
                        prefer: term.prefer.clone(),
                        why: term.why.clone(),
                    });
                    i += n;
                } else {
                    i += 1;
                }
            }
        }
        flags.sort_by_key(|f| f.start);
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(avoid: &str, prefer: &str) -> Term {
        Term { avoid: avoid.into(), prefer: prefer.into(), why: "w".into(), source: "s".into(), lang: "en".into() }
    }

    #[test]
    fn flags_on_word_boundaries_longest_first() {
        let g = Glossary::new(vec![
            term("prostitute", "person who trades sex"),
            term("child prostitute", "child who is sexually exploited"),
        ]);
        let flags = g.check("A Child Prostitute.\nProstitutes? prostitute", "en");
        assert_eq!(flags.len(), 2, "{flags:?}");
        assert_eq!(flags[0].found, "Child Prostitute");
        assert_eq!(flags[0].prefer, "child who is sexually exploited");
        assert_eq!((flags[1].line, flags[1].col), (2, 14));
        assert!(g.check("prostitutes", "en").is_empty(), "no match inside a longer word");
        assert!(g.check("prostitute", "es").is_empty(), "terms apply to their language only");
    }

    #[test]
    fn apostrophes_fold() {
        let g = Glossary::new(vec![term("why didn't you leave", "what made it hard to leave")]);
        assert_eq!(g.check("So, why didn\u{2019}t you leave?", "en").len(), 1);
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGlossary {
    term: Vec<Spanned<Term>>,
}

/// Reads one glossary file into `terms`, refusing incomplete and repeated terms.
pub(crate) fn compile_glossary(cx: &FileCtx, terms: &mut Vec<Term>, out: &mut Vec<Problem>) {
    let Some(g) = parse_toml::<RawGlossary>(cx, out) else { return };
    for t in g.term {
        let span = t.span();
        let t = t.into_inner();
        if t.avoid.trim().is_empty() || t.prefer.trim().is_empty() || t.why.trim().is_empty() {
            out.push(cx.problem(span.start, "a glossary term needs `avoid`, `prefer` and `why`", None));
        } else if terms.iter().any(|x: &Term| x.avoid.eq_ignore_ascii_case(&t.avoid) && x.lang == t.lang) {
            out.push(cx.problem(span.start, format!("`{}` is in the glossary twice", t.avoid), None));
        } else {
            terms.push(t);
        }
    }
}
