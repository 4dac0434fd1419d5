//! The small condition language used by skip logic, stop rules and outcome rules.
//!
//! Parsing gives a syntax tree that still names items by id; [`resolve`] checks every reference
//! against the protocol and turns it into a [`Cond`] that names items by index, which is what the
//! engine evaluates.

use crate::answer::{Answer, AnswerKind, AnswerSpec};
use crate::group::Group;

/// A parse or resolution problem, with the byte offset inside the condition text.
#[derive(Debug, Clone, PartialEq)]
pub struct CondError {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl CondError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        CondError { offset, message: message.into(), hint: None }
    }
    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Op::Eq => ord == Equal,
            Op::Ne => ord != Equal,
            Op::Lt => ord == Less,
            Op::Le => ord != Greater,
            Op::Gt => ord == Greater,
            Op::Ge => ord != Less,
        }
    }
}

/// A literal on the right of a test, as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Word(String),
    Num(f64),
    Str(String),
}

/// Syntax tree, references by name, with offsets for error reporting.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp { item: (String, usize), op: Op, value: (Lit, usize) },
    In { item: (String, usize), values: Vec<(Lit, usize)> },
    Answered { item: (String, usize) },
    Has { groups: Vec<(String, usize)> },
    Count { groups: Vec<(String, usize)>, op: Op, n: f64 },
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Str(String),
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    Op(Op),
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, CondError> {
    let mut out = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push((Tok::LParen, start));
                i += 1
            }
            b')' => {
                out.push((Tok::RParen, start));
                i += 1
            }
            b'[' => {
                out.push((Tok::LBrack, start));
                i += 1
            }
            b']' => {
                out.push((Tok::RBrack, start));
                i += 1
            }
            b',' => {
                out.push((Tok::Comma, start));
                i += 1
            }
            b'=' | b'!' | b'<' | b'>' => {
                let next = bytes.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    (b'=', Some(b'=')) => (Op::Eq, 2),
                    (b'!', Some(b'=')) => (Op::Ne, 2),
                    (b'<', Some(b'=')) => (Op::Le, 2),
                    (b'>', Some(b'=')) => (Op::Ge, 2),
                    (b'<', _) => (Op::Lt, 1),
                    (b'>', _) => (Op::Gt, 1),
                    _ => {
                        return Err(CondError::new(start, format!("unexpected `{}`", c as char))
                            .hint("comparisons are ==, !=, <, <=, >, >="))
                    }
                };
                out.push((Tok::Op(op), start));
                i += len;
            }
            b'"' => {
                let rest = &src[i + 1..];
                match rest.find('"') {
                    Some(end) => {
                        out.push((Tok::Str(rest[..end].to_string()), start));
                        i += end + 2;
                    }
                    None => return Err(CondError::new(start, "unterminated string").hint("close it with \"")),
                }
            }
            b'0'..=b'9' | b'-' if c != b'-' || bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                    i += 1;
                }
                let text = &src[start..i];
                let n: f64 = text.parse().map_err(|_| CondError::new(start, format!("`{text}` is not a number")))?;
                out.push((Tok::Num(n), start));
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-' || bytes[i] == b'_') {
                    i += 1;
                }
                out.push((Tok::Ident(src[start..i].to_string()), start));
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(CondError::new(start, format!("unexpected character `{ch}`"))
                    .hint("ids use lowercase letters, digits and '-'"));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }
    fn offset(&self) -> usize {
        self.toks.get(self.pos).map(|(_, o)| *o).unwrap_or(self.end)
    }
    fn bump(&mut self) -> Option<(Tok, usize)> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == w)
    }
    fn expect(&mut self, want: Tok, what: &str) -> Result<(), CondError> {
        let off = self.offset();
        match self.bump() {
            Some((t, _)) if t == want => Ok(()),
            _ => Err(CondError::new(off, format!("expected {what}"))),
        }
    }

    fn or(&mut self) -> Result<Expr, CondError> {
        let mut parts = vec![self.and()?];
        while self.is_word("or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.pop().unwrap() } else { Expr::Or(parts) })
    }

    fn and(&mut self) -> Result<Expr, CondError> {
        let mut parts = vec![self.unary()?];
        while self.is_word("and") {
            self.pos += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 { parts.pop().unwrap() } else { Expr::And(parts) })
    }

    fn unary(&mut self) -> Result<Expr, CondError> {
        if self.is_word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let e = self.or()?;
            self.expect(Tok::RParen, "`)`")?;
            return Ok(e);
        }
        self.test()
    }

    fn groups(&mut self) -> Result<Vec<(String, usize)>, CondError> {
        self.expect(Tok::LParen, "`(` after the function name")?;
        let mut out = Vec::new();
        loop {
            let off = self.offset();
            match self.bump() {
                Some((Tok::Ident(g), o)) => out.push((g, o)),
                _ => return Err(CondError::new(off, "expected an indicator group").hint(Group::HINT)),
            }
            let off = self.offset();
            match self.bump() {
                Some((Tok::Comma, _)) => continue,
                Some((Tok::RParen, _)) => return Ok(out),
                _ => return Err(CondError::new(off, "expected `,` or `)`")),
            }
        }
    }

    fn op(&mut self) -> Result<Op, CondError> {
        let off = self.offset();
        match self.bump() {
            Some((Tok::Op(op), _)) => Ok(op),
            Some((Tok::Ident(w), _)) if w == "in" => Err(CondError::new(off, "`in` is only for item tests")),
            _ => Err(CondError::new(off, "expected a comparison").hint("==, !=, <, <=, >, >=, or `in [..]`")),
        }
    }

    fn lit(&mut self) -> Result<(Lit, usize), CondError> {
        let off = self.offset();
        match self.bump() {
            Some((Tok::Ident(w), o)) => Ok((Lit::Word(w), o)),
            Some((Tok::Num(n), o)) => Ok((Lit::Num(n), o)),
            Some((Tok::Str(s), o)) => Ok((Lit::Str(s), o)),
            _ => {
                Err(CondError::new(off, "expected a value")
                    .hint("an answer token, a choice id, a number or a \"string\""))
            }
        }
    }

    fn test(&mut self) -> Result<Expr, CondError> {
        let off = self.offset();
        let name = match self.bump() {
            Some((Tok::Ident(name), _)) => name,
            Some(_) => return Err(CondError::new(off, "expected an item id, `not`, `(` or a function")),
            None => return Err(CondError::new(off, "the condition ends too early")),
        };
        match name.as_str() {
            "and" | "or" | "in" => Err(CondError::new(off, format!("`{name}` needs something before it"))),
            "has" => Ok(Expr::Has { groups: self.groups()? }),
            "count" => {
                let groups = self.groups()?;
                let op = self.op()?;
                let noff = self.offset();
                match self.bump() {
                    Some((Tok::Num(n), _)) => Ok(Expr::Count { groups, op, n }),
                    _ => Err(CondError::new(noff, "count(...) compares with a number")),
                }
            }
            "answered" => {
                self.expect(Tok::LParen, "`(`")?;
                let ioff = self.offset();
                let item = match self.bump() {
                    Some((Tok::Ident(i), o)) => (i, o),
                    _ => return Err(CondError::new(ioff, "expected an item id")),
                };
                self.expect(Tok::RParen, "`)`")?;
                Ok(Expr::Answered { item })
            }
            _ => {
                let item = (name, off);
                if self.is_word("in") {
                    self.pos += 1;
                    self.expect(Tok::LBrack, "`[` after `in`")?;
                    let mut values = vec![self.lit()?];
                    loop {
                        let coff = self.offset();
                        match self.bump() {
                            Some((Tok::Comma, _)) => values.push(self.lit()?),
                            Some((Tok::RBrack, _)) => break,
                            _ => return Err(CondError::new(coff, "expected `,` or `]`")),
                        }
                    }
                    return Ok(Expr::In { item, values });
                }
                let op = self.op()?;
                let value = self.lit()?;
                Ok(Expr::Cmp { item, op, value })
            }
        }
    }
}

/// Parses a condition. Never panics, whatever the input.
pub fn parse(src: &str) -> Result<Expr, CondError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Err(CondError::new(0, "the condition is empty").hint("leave `when` out to always show the item"));
    }
    let mut p = Parser { toks, pos: 0, end: src.len() };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return Err(
            CondError::new(p.offset(), "unexpected text after the condition").hint("join tests with `and` / `or`")
        );
    }
    Ok(e)
}

/// A value an answer is compared against, resolved for the item's answer type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Kind(AnswerKind),
    Choice(String),
    Num(f64),
    Text(String),
}

/// A resolved condition: items by index, groups as [`Group`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Cmp { item: usize, op: Op, value: Value },
    In { item: usize, values: Vec<Value> },
    Answered(usize),
    Has(Vec<Group>),
    Count { groups: Vec<Group>, op: Op, n: f64 },
}

/// What a condition may see while it is evaluated.
pub trait Facts {
    fn answer(&self, item: usize) -> Option<&Answer>;
    fn has_group(&self, group: Group) -> bool;
}

impl Cond {
    pub fn eval(&self, f: &dyn Facts) -> bool {
        match self {
            Cond::And(v) => v.iter().all(|c| c.eval(f)),
            Cond::Or(v) => v.iter().any(|c| c.eval(f)),
            Cond::Not(c) => !c.eval(f),
            Cond::Cmp { item, op, value } => match f.answer(*item) {
                None => *op == Op::Ne,
                Some(a) => match compare(a, value) {
                    Some(ord) => op.holds(ord),
                    None => *op == Op::Ne,
                },
            },
            Cond::In { item, values } => match f.answer(*item) {
                None => false,
                Some(a) => values.iter().any(|v| compare(a, v) == Some(std::cmp::Ordering::Equal)),
            },
            Cond::Answered(item) => f.answer(*item).is_some(),
            Cond::Has(groups) => groups.iter().any(|g| f.has_group(*g)),
            Cond::Count { groups, op, n } => {
                let c = groups.iter().filter(|g| f.has_group(**g)).count() as f64;
                op.holds(c.partial_cmp(n).unwrap_or(std::cmp::Ordering::Less))
            }
        }
    }

    /// Items this condition reads, in the order they appear.
    pub fn items(&self, out: &mut Vec<usize>) {
        match self {
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| c.items(out)),
            Cond::Not(c) => c.items(out),
            Cond::Cmp { item, .. } | Cond::In { item, .. } | Cond::Answered(item) => {
                if !out.contains(item) {
                    out.push(*item)
                }
            }
            Cond::Has(_) | Cond::Count { .. } => {}
        }
    }

    /// Groups this condition reads.
    pub fn groups(&self, out: &mut Vec<Group>) {
        match self {
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| c.groups(out)),
            Cond::Not(c) => c.groups(out),
            Cond::Has(g) | Cond::Count { groups: g, .. } => {
                for x in g {
                    if !out.contains(x) {
                        out.push(*x)
                    }
                }
            }
            _ => {}
        }
    }

    /// Numbers and strings an item is compared with: the interesting points of its domain.
    pub fn literals_for(&self, item: usize, out: &mut Vec<Value>) {
        match self {
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| c.literals_for(item, out)),
            Cond::Not(c) => c.literals_for(item, out),
            Cond::Cmp { item: i, value, .. } if *i == item => out.push(value.clone()),
            Cond::In { item: i, values } if *i == item => out.extend(values.iter().cloned()),
            _ => {}
        }
    }
}

/// Compares an answer with a value. `None` when they are of different kinds (never equal).
fn compare(a: &Answer, v: &Value) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    match (a, v) {
        (Answer::Number(x), Value::Num(y)) => x.partial_cmp(y),
        (Answer::Choice(x), Value::Choice(y)) => Some(if x == y { Ordering::Equal } else { Ordering::Less }),
        (Answer::Text(x), Value::Text(y)) => Some(x.trim().to_lowercase().cmp(&y.trim().to_lowercase())),
        (a, Value::Kind(k)) => Some(if a.kind() == *k { Ordering::Equal } else { Ordering::Less }),
        _ => None,
    }
}

/// What resolution needs to know about the items a condition may name.
pub trait Scope {
    /// Index and answer type of an item, if it exists.
    fn lookup(&self, id: &str) -> Option<(usize, &AnswerSpec)>;
}

/// Where a condition is used decides what it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// `when` of item N: only items before N, no groups.
    SkipLogic { item: usize },
    /// `indicates_if` of item N: only item N itself, no groups.
    ItemIndicator { item: usize },
    /// stop and outcome rules: any item and any group.
    Rule,
}

pub fn resolve(expr: &Expr, scope: &dyn Scope, ids: &dyn Fn(usize) -> String, usage: Use) -> Result<Cond, CondError> {
    let r = |e: &Expr| resolve(e, scope, ids, usage);
    Ok(match expr {
        Expr::And(v) => Cond::And(v.iter().map(r).collect::<Result<_, _>>()?),
        Expr::Or(v) => Cond::Or(v.iter().map(r).collect::<Result<_, _>>()?),
        Expr::Not(e) => Cond::Not(Box::new(r(e)?)),
        Expr::Answered { item } => Cond::Answered(resolve_item(item, scope, ids, usage)?.0),
        Expr::Cmp { item, op, value } => {
            let (idx, spec) = resolve_item(item, scope, ids, usage)?;
            let v = resolve_value(value, spec, &item.0)?;
            let ordered = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
            if ordered && !matches!(v, Value::Num(_)) {
                return Err(CondError::new(
                    value.1,
                    format!("`{}` is compared with <, <=, > or >=, which needs a number item", item.0),
                )
                .hint("use == or != for answer tokens and choices"));
            }
            Cond::Cmp { item: idx, op: *op, value: v }
        }
        Expr::In { item, values } => {
            let (idx, spec) = resolve_item(item, scope, ids, usage)?;
            let values = values.iter().map(|v| resolve_value(v, spec, &item.0)).collect::<Result<_, _>>()?;
            Cond::In { item: idx, values }
        }
        Expr::Has { groups } => Cond::Has(resolve_groups(groups, usage)?),
        Expr::Count { groups, op, n } => Cond::Count { groups: resolve_groups(groups, usage)?, op: *op, n: *n },
    })
}

fn resolve_groups(groups: &[(String, usize)], usage: Use) -> Result<Vec<Group>, CondError> {
    if usage != Use::Rule {
        let off = groups.first().map_or(0, |g| g.1);
        return Err(CondError::new(
            off,
            "has() and count() read indicators, which only stop and outcome rules may use",
        )
        .hint("test the answers of earlier items instead"));
    }
    groups
        .iter()
        .map(|(g, off)| {
            Group::parse(g)
                .ok_or_else(|| CondError::new(*off, format!("unknown indicator group `{g}`")).hint(Group::HINT))
        })
        .collect()
}

fn resolve_item<'s>(
    (id, off): &(String, usize),
    scope: &'s dyn Scope,
    ids: &dyn Fn(usize) -> String,
    usage: Use,
) -> Result<(usize, &'s AnswerSpec), CondError> {
    let Some((idx, spec)) = scope.lookup(id) else {
        return Err(CondError::new(*off, format!("unknown item `{id}`")).hint("conditions name items by their id"));
    };
    match usage {
        Use::SkipLogic { item } if idx == item => {
            return Err(CondError::new(*off, format!("cycle: item `{id}` depends on its own answer"))
                .hint("an item's `when` can only use answers given before it"))
        }
        Use::SkipLogic { item } if idx > item => {
            return Err(CondError::new(
                *off,
                format!("`{id}` comes after `{}`; its answer is not known when this is shown", ids(item)),
            )
            .hint("an item's `when` can only use answers given before it"))
        }
        Use::ItemIndicator { item } if idx != item => {
            return Err(CondError::new(
                *off,
                format!("`indicates_if` may only read this item's own answer, not `{id}`"),
            )
            .hint("put conditions on several items in an outcome rule"))
        }
        _ => {}
    }
    Ok((idx, spec))
}

fn resolve_value((lit, off): &(Lit, usize), spec: &AnswerSpec, item: &str) -> Result<Value, CondError> {
    use crate::answer::AnswerSpec as S;
    let allowed = spec.tokens();
    let err = |what: String| {
        CondError::new(*off, format!("`{what}` is not an answer of `{item}`"))
            .hint(format!("`{item}` takes {}", spec.describe()))
    };
    match lit {
        Lit::Word(w) => {
            if let Some(k) = AnswerKind::parse_token(w) {
                if allowed.contains(&k) {
                    return Ok(Value::Kind(k));
                }
                return Err(err(w.clone()));
            }
            match spec {
                S::Choice(choices) if choices.iter().any(|c| c.id == *w) => Ok(Value::Choice(w.clone())),
                _ => Err(err(w.clone())),
            }
        }
        Lit::Num(n) => match spec {
            S::Number { .. } => Ok(Value::Num(*n)),
            _ => Err(err(n.to_string())),
        },
        Lit::Str(s) => match spec {
            S::Text => Ok(Value::Text(s.clone())),
            S::Choice(choices) if choices.iter().any(|c| c.id == *s) => Ok(Value::Choice(s.clone())),
            _ => Err(err(format!("\"{s}\""))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_precedence_and_functions() {
        let e = parse("a == yes or not b in [no, declined] and has(force, fraud)").unwrap();
        let Expr::Or(parts) = e else { panic!("expected or") };
        assert_eq!(parts.len(), 2);
        assert!(matches!(&parts[1], Expr::And(v) if v.len() == 2));
        assert!(matches!(parse("count(force, fraud, coercion) >= 2").unwrap(), Expr::Count { n, .. } if n == 2.0));
        assert!(matches!(parse("age < -1.5").unwrap(), Expr::Cmp { value: (Lit::Num(n), _), .. } if n == -1.5));
    }

    #[test]
    fn reports_offsets() {
        for (src, off, needle) in [
            ("", 0, "empty"),
            ("a ==", 4, "expected a value"),
            ("a == yes b", 9, "unexpected text"),
            ("(a == yes", 9, "`)`"),
            ("a = yes", 2, "unexpected `=`"),
            ("a == \"open", 5, "unterminated"),
            ("a ~ b", 2, "unexpected character"),
            ("has(force", 9, "`,` or `)`"),
        ] {
            let e = parse(src).unwrap_err();
            assert_eq!(e.offset, off, "{src}: {e:?}");
            assert!(e.message.contains(needle), "{src}: {}", e.message);
        }
    }
}
