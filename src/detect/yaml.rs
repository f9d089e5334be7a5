//! Bounded YAML loading: every YAML file detection reads (compose files, Kubernetes manifests,
//! `skaffold.yaml`, Spring `application.yml`, `dapr.yaml`) goes through [`parse`] or [`documents`].
//!
//! Two kinds of YAML cost far more than their size, and both are refused with an error instead:
//! - aliases: one anchor of 5,000 values aliased 5,000 times is 25 million values from 100 kB. The
//!   values are built by a visitor that counts them and the bytes of their scalars, and stops at a
//!   budget proportional to the text ([`Budget::for_text`]); a file without aliases never reaches it;
//! - deep flow nesting (`[[[[...`) and thousands of `%TAG` directives, which the YAML scanner handles
//!   in time quadratic in their count: a linear pre-scan ([`prescan`]) refuses them before parsing.
//!   Nesting past [`MAX_DEPTH`] would be refused by the parser anyway.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};
use serde_yaml_ng::mapping::Entry;
use serde_yaml_ng::value::{Tag, TaggedValue};
use serde_yaml_ng::{Mapping, Value};

/// Deepest nesting accepted (the YAML deserializer itself stops at 128 levels).
pub const MAX_DEPTH: usize = 128;

/// Most `%` directives accepted in one file (real files have one or two).
pub const MAX_DIRECTIVES: usize = 64;

/// How much a file may expand to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Values (scalars, sequences, mappings), aliases counted each time they are used.
    pub nodes: usize,
    /// Bytes of scalar text, aliases counted each time they are used.
    pub bytes: usize,
}

impl Budget {
    /// The budget of a text: more values and scalar bytes than a file of this size can hold
    /// without aliases (a value takes at least two bytes of text, a scalar no more than its text).
    pub fn for_text(text: &str) -> Budget {
        Budget {
            nodes: 10_000 + text.len() / 2,
            bytes: 64 * 1024 + text.len(),
        }
    }
}

/// Parses one YAML document (the whole text) within the budget of its size. The error is the
/// parser's message or why the text was refused; callers say "invalid YAML: " before it.
pub fn parse(text: &str) -> Result<Value, String> {
    prescan(text)?;
    let counter = Counter::new(Budget::for_text(text));
    let de = serde_yaml_ng::Deserializer::from_str(text);
    Counted(&counter)
        .deserialize(de)
        .map_err(|e| counter.explain(&e))
}

/// Parses every document of a multi-document YAML text (`---` separated), within one budget for
/// the whole text.
pub fn documents(text: &str) -> Result<Vec<Value>, String> {
    prescan(text)?;
    let counter = Counter::new(Budget::for_text(text));
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        out.push(
            Counted(&counter)
                .deserialize(doc)
                .map_err(|e| counter.explain(&e))?,
        );
    }
    Ok(out)
}

/// Refuses, in one pass over the text, what the YAML scanner would take quadratic time on: flow
/// collections (`[`, `{`) nested deeper than [`MAX_DEPTH`] and more than [`MAX_DIRECTIVES`]
/// directives. Quoted scalars, comments and block scalars are skipped, so brackets inside text do
/// not count. The depth is an estimate from the tokens' positions (the scan does not follow block
/// indentation); a bracket where a token may start always counts.
pub fn prescan(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let mut i = 0usize;
    let mut depth = 0usize;
    let mut directives = 0usize;
    let mut line = 1usize;
    // Indentation of the current line, and of the line that opened a block scalar (`|`, `>`).
    let mut indent = 0usize;
    let mut block_scalar: Option<usize> = None;
    // At the start of a line (only spaces so far), and whether the last byte was blank.
    let mut at_line_start = true;
    // The last non-blank byte of the line, whether a blank followed it.
    let mut prev: Option<u8> = None;
    let mut blank_after_prev = false;
    while i < b.len() {
        let c = b[i];
        if at_line_start {
            if c == b' ' {
                indent += 1;
                i += 1;
                continue;
            }
            if let Some(parent) = block_scalar {
                if c == b'\n' || c == b'\r' {
                    // A blank line goes on the block scalar.
                    indent = 0;
                    line += 1;
                    i += 1;
                    continue;
                }
                if indent > parent {
                    // Inside a block scalar: its text is not YAML structure.
                    i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                    continue;
                }
                block_scalar = None;
            }
            if c == b'\n' {
                line += 1;
                indent = 0;
                i += 1;
                continue;
            }
            at_line_start = false;
            if c == b'%' && indent == 0 && depth == 0 {
                directives += 1;
                if directives > MAX_DIRECTIVES {
                    return Err(format!(
                        "more than {MAX_DIRECTIVES} directives (line {line}); not read"
                    ));
                }
            }
        }
        match c {
            b'\n' => {
                line += 1;
                indent = 0;
                at_line_start = true;
                // Inside a flow collection a line break is only a blank: a plain scalar goes on.
                if depth == 0 {
                    prev = None;
                    blank_after_prev = false;
                } else {
                    blank_after_prev = true;
                }
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                blank_after_prev = true;
                i += 1;
                continue;
            }
            _ => {}
        }
        if c == b'#' && (prev.is_none() || blank_after_prev) {
            // A comment runs to the end of the line.
            i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
            continue;
        }
        // Where a new token may start: a quote there opens a quoted scalar, a bracket a flow
        // collection. In block context after a line start or an indicator followed by a blank; in
        // a flow collection also right after `[`, `{`, `,` and `:`. A quote inside a plain scalar
        // (`don't`, `a "b"`) opens nothing.
        let value_start = if depth == 0 {
            prev.is_none() || (blank_after_prev && matches!(prev, Some(b':' | b'-' | b'?')))
        } else {
            matches!(prev, Some(b'[' | b'{' | b',' | b':'))
                || (blank_after_prev && prev == Some(b'?'))
        };
        if (c == b'&' || c == b'!') && value_start {
            // An anchor or a tag: the node it names follows, still at a token start.
            while i < b.len()
                && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n')
                && !(depth > 0 && matches!(b[i], b',' | b'[' | b']' | b'{' | b'}'))
            {
                i += 1;
            }
            continue;
        }
        if (c == b'"' || c == b'\'') && value_start {
            let (end, lines) = skip_quoted(b, i);
            line += lines;
            i = end;
            prev = Some(c);
            blank_after_prev = false;
            continue;
        }
        match c {
            b'[' | b'{' if depth > 0 || value_start => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!(
                        "nested deeper than {MAX_DEPTH} levels (line {line}); not read"
                    ));
                }
            }
            b']' | b'}' if depth > 0 => depth -= 1,
            b'|' | b'>' if depth == 0 && value_start && rest_is_header(b, i + 1) => {
                block_scalar = Some(indent);
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                continue;
            }
            _ => {}
        }
        prev = Some(c);
        blank_after_prev = false;
        i += 1;
    }
    Ok(())
}

/// The end of the quoted scalar starting at `start` (its quote), and the line breaks inside it.
fn skip_quoted(b: &[u8], start: usize) -> (usize, usize) {
    let q = b[start];
    let mut i = start + 1;
    let mut lines = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if q == b'"' => i += 2,
            x if x == q => {
                // `''` inside a single-quoted scalar is an escaped quote.
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return (i + 1, lines);
                }
            }
            b'\n' => {
                lines += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    (b.len(), lines)
}

/// Whether the rest of the line after a `|` or `>` is a block scalar header (indicators, a comment).
fn rest_is_header(b: &[u8], from: usize) -> bool {
    let end = memchr::memchr(b'\n', &b[from.min(b.len())..]).map_or(b.len(), |n| from + n);
    let rest = &b[from.min(end)..end];
    let head = match rest.iter().position(|&x| x == b'#') {
        Some(p) => &rest[..p],
        None => rest,
    };
    head.iter()
        .all(|&x| matches!(x, b'+' | b'-' | b'1'..=b'9' | b' ' | b'\t' | b'\r'))
}

/// What has been built so far, against the budget.
struct Counter {
    budget: Budget,
    nodes: Cell<usize>,
    bytes: Cell<usize>,
}

/// The marker of a budget error (the YAML error type carries only its message).
const OVER: &str = "kyozo: YAML expansion over budget";

impl Counter {
    fn new(budget: Budget) -> Counter {
        Counter {
            budget,
            nodes: Cell::new(0),
            bytes: Cell::new(0),
        }
    }

    fn node<E: serde::de::Error>(&self, scalar_bytes: usize) -> Result<(), E> {
        let n = self.nodes.get() + 1;
        let b = self.bytes.get().saturating_add(scalar_bytes);
        self.nodes.set(n);
        self.bytes.set(b);
        if n > self.budget.nodes || b > self.budget.bytes {
            return Err(E::custom(OVER));
        }
        Ok(())
    }

    /// The message of a parse error: the budget in plain words, or the parser's own.
    fn explain(&self, e: &serde_yaml_ng::Error) -> String {
        if e.to_string().contains(OVER) {
            format!(
                "expands to more than {} values or {} bytes (aliases repeat what they name); not read",
                self.budget.nodes, self.budget.bytes
            )
        } else {
            e.to_string()
        }
    }
}

/// Builds a [`Value`] while counting into a [`Counter`].
#[derive(Clone, Copy)]
struct Counted<'c>(&'c Counter);

impl<'de> DeserializeSeed<'de> for Counted<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Counted<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.node(1)?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.node(8)?;
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.node(8)?;
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.node(8)?;
        Ok(Value::Number(v.into()))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.node(v.len())?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        self.0.node(v.len())?;
        Ok(Value::String(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.0.node(0)?;
        Ok(Value::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.0.node(0)?;
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.node(0)?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Sequence(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.node(0)?;
        let mut out = Mapping::new();
        while let Some(k) = map.next_key_seed(self)? {
            match out.entry(k) {
                Entry::Occupied(e) => {
                    let key = match e.key() {
                        Value::String(s) => s.clone(),
                        other => format!("{other:?}"),
                    };
                    return Err(serde::de::Error::custom(format!(
                        "duplicate entry with key \"{key}\""
                    )));
                }
                Entry::Vacant(e) => {
                    let v = map.next_value_seed(self)?;
                    e.insert(v);
                }
            }
        }
        Ok(Value::Mapping(out))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use serde::de::VariantAccess;
        let (tag, contents) = data.variant_seed(TagSeed)?;
        let value = contents.newtype_variant_seed(self)?;
        Ok(Value::Tagged(Box::new(TaggedValue { tag, value })))
    }
}

/// The tag of a tagged value (`!Ref x`).
struct TagSeed;

impl<'de> DeserializeSeed<'de> for TagSeed {
    type Value = Tag;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Tag, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        Ok(Tag::new(s))
    }
}

#[cfg(test)]
mod tests;
