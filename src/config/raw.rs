//! A TOML document as a tree of values that all keep their byte spans.
//!
//! `toml::Value` forgets where its values came from, and `#[derive(Deserialize)]`
//! stops at the first unknown key or wrong type. Reading the file into this tree
//! first lets the checks in `parse.rs` report every problem with its position.
//!
//! Spans come from the toml deserializer's `Spanned` protocol: a value asked for
//! as the struct `serde_spanned`'s `Spanned` is handed over as a map of its start,
//! its end and the value itself. Values that have no span (tables that a dotted
//! key or a `[a.b]` header only implies) come as the plain value, so each seed
//! here accepts both forms. Datetimes come as a one-entry map under toml's private
//! datetime field name.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// `serde_spanned::__unstable::NAME`, the struct name that asks for a span.
const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: &[&str] = &[SPANNED_START, SPANNED_END, SPANNED_VALUE];
/// `toml_datetime::__unstable::FIELD`, the one key of a datetime's map.
const DATETIME_FIELD: &str = "$__toml_private_datetime";

/// One value and where it is in the text, if toml knows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub span: Option<Range<usize>>,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

/// One `key = value` of a table, in document order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_span: Option<Range<usize>>,
    pub node: Node,
}

impl Value {
    /// The TOML type's name, for "expected …, found …" messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a datetime",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// A syntax or structure error from toml itself.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub span: Option<Range<usize>>,
    pub message: String,
}

/// Reads `text` into a tree whose root is the document's table.
pub(crate) fn parse_document(text: &str) -> Result<Vec<Entry>, SyntaxError> {
    let deserializer = toml::Deserializer::new(text);
    match RootSeed.deserialize(deserializer) {
        Ok(entries) => Ok(entries),
        Err(err) => Err(SyntaxError {
            span: err.span(),
            message: err.message().trim_end().to_string(),
        }),
    }
}

struct RootSeed;

impl<'de> DeserializeSeed<'de> for RootSeed {
    type Value = Vec<Entry>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Entry>, D::Error> {
        let node = deserializer.deserialize_any(NodeVisitor)?;
        match node.value {
            Value::Table(entries) => Ok(entries),
            other => Err(de::Error::custom(format!(
                "expected a table at the top level, found {}",
                other.type_name()
            ))),
        }
    }
}

/// Deserializes one value, with its span when the deserializer has one.
struct NodeSeed;

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, NodeVisitor)
    }
}

/// Deserializes one value, never looking for a span (the inside of a span map).
struct PlainSeed;

impl<'de> DeserializeSeed<'de> for PlainSeed {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

fn plain(value: Value) -> Node {
    Node { span: None, value }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any TOML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(plain(Value::Boolean(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(plain(Value::Integer(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        i64::try_from(v)
            .map(|v| plain(Value::Integer(v)))
            .map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(plain(Value::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(plain(Value::String(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(plain(Value::String(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed)? {
            items.push(item);
        }
        Ok(plain(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let Some(first) = map.next_key_seed(KeySeed)? else {
            return Ok(plain(Value::Table(Vec::new())));
        };
        if first.span.is_none() && first.name == SPANNED_START {
            return visit_spanned(map);
        }
        if first.span.is_none() && first.name == DATETIME_FIELD {
            let text: String = map.next_value()?;
            return Ok(plain(Value::Datetime(text)));
        }
        let mut entries = Vec::new();
        let mut key = Some(first);
        while let Some(k) = key {
            let node = map.next_value_seed(NodeSeed)?;
            entries.push(Entry {
                key: k.name,
                key_span: k.span,
                node,
            });
            key = map.next_key_seed(KeySeed)?;
        }
        Ok(plain(Value::Table(entries)))
    }
}

/// The rest of a span map whose start key has just been read.
fn visit_spanned<'de, A: MapAccess<'de>>(mut map: A) -> Result<Node, A::Error> {
    let start: usize = map.next_value()?;
    let mut end = start;
    let mut inner = None;
    while let Some(key) = map.next_key::<String>()? {
        match key.as_str() {
            SPANNED_END => end = map.next_value()?,
            SPANNED_VALUE => inner = Some(map.next_value_seed(PlainSeed)?),
            other => {
                return Err(de::Error::custom(format!(
                    "unexpected field `{other}` in a spanned value"
                )))
            }
        }
    }
    let inner = inner.ok_or_else(|| de::Error::custom("spanned value without a value"))?;
    Ok(Node {
        span: Some(start..end),
        value: inner.value,
    })
}

/// A table key and its span.
struct Key {
    name: String,
    span: Option<Range<usize>>,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a table key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key {
            name: v.to_string(),
            span: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Key, A::Error> {
        let mut start = None;
        let mut end = None;
        let mut name = None;
        while let Some(field) = map.next_key::<String>()? {
            match field.as_str() {
                SPANNED_START => start = Some(map.next_value::<usize>()?),
                SPANNED_END => end = Some(map.next_value::<usize>()?),
                SPANNED_VALUE => name = Some(map.next_value::<String>()?),
                other => {
                    return Err(de::Error::custom(format!(
                        "unexpected field `{other}` in a spanned key"
                    )))
                }
            }
        }
        let name = name.ok_or_else(|| de::Error::custom("spanned key without a name"))?;
        let span = match (start, end) {
            (Some(start), Some(end)) => Some(start..end),
            (Some(start), None) => Some(start..start),
            _ => None,
        };
        Ok(Key { name, span })
    }
}
