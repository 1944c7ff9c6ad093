//! The small value language histories are rendered in (EDN, JSON and text).

use std::fmt;

/// A rendered value: what a history shows as an operation's `:value`.
///
/// It is deliberately tiny: just enough for Jepsen-style histories (`nil`, numbers,
/// strings, keywords, and vectors such as `[key value]` or `[expected new]`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// `nil` in EDN, `null` in JSON: "no value", e.g. the input of a read.
    Nil,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string, quoted in EDN, text and JSON.
    Str(String),
    /// An EDN keyword such as `:ok` (the name without its colon).
    Keyword(String),
    /// A vector, e.g. `[key value]`.
    Vector(Vec<Value>),
}

impl Value {
    /// A vector of values.
    pub fn vector(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Vector(items.into_iter().collect())
    }

    /// `true` for [`Value::Nil`].
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The value as JSON (`nil` → `null`, keywords → strings, vectors → arrays).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Str(s) | Value::Keyword(s) => serde_json::Value::String(s.clone()),
            Value::Vector(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
        }
    }
}

/// Writes `s` as an EDN/JSON-compatible string literal.
pub(crate) fn write_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// EDN rendering: `nil`, `true`, `42`, `"text"`, `:keyword`, `[1 2]`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write_quoted(f, s),
            Value::Keyword(k) => write!(f, ":{k}"),
            Value::Vector(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Anything that can appear as a value in a rendered history: operation outputs, and the
/// keys and values inside inputs.
pub trait ToValue {
    /// The rendered form.
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl ToValue for () {
    fn to_value(&self) -> Value {
        Value::Nil
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
int_to_value!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! wide_int_to_value {
    ($($t:ty),*) => {$(
        /// Rendered as an integer, or as a decimal string when it exceeds `i64`.
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                match i64::try_from(*self) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::Str(self.to_string()),
                }
            }
        }
    )*};
}
wide_int_to_value!(u64, usize);

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Str(self.to_owned())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Str(self.clone())
    }
}

impl ToValue for crate::id::ProcessId {
    fn to_value(&self) -> Value {
        Value::Str(self.as_str().to_owned())
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Nil,
        }
    }
}

impl<T: ToValue> ToValue for [T] {
    fn to_value(&self) -> Value {
        Value::Vector(self.iter().map(ToValue::to_value).collect())
    }
}

impl<T: ToValue> ToValue for Vec<T> {
    fn to_value(&self) -> Value {
        self.as_slice().to_value()
    }
}

impl<A: ToValue, B: ToValue> ToValue for (A, B) {
    fn to_value(&self) -> Value {
        Value::vector([self.0.to_value(), self.1.to_value()])
    }
}

/// How an operation's *input* appears in a history, in Jepsen's terms: a function name
/// `f` and a `value`.
///
/// A section crate implements it for its own operation type in a few lines:
///
/// ```
/// use common::history::{Op, Value, ToValue};
///
/// enum BankOp { Deposit(i64), Balance }
///
/// impl Op for BankOp {
///     fn f(&self) -> &str {
///         match self { BankOp::Deposit(_) => "deposit", BankOp::Balance => "balance" }
///     }
///     fn value(&self) -> Value {
///         match self { BankOp::Deposit(n) => n.to_value(), BankOp::Balance => Value::Nil }
///     }
/// }
/// assert_eq!(BankOp::Deposit(5).value().to_string(), "5");
/// ```
pub trait Op {
    /// The function name, e.g. `read`, `write`, `cas`. It becomes an EDN keyword
    /// (`:f :read`), so use lower-case letters, digits and `-`.
    fn f(&self) -> &str;

    /// The value shown on the invocation (and on `fail`/`info` completions), e.g. `nil`
    /// for a read, `3` for `write 3`, `["x" 3]` for a keyed write.
    fn value(&self) -> Value;

    /// The value shown on an `ok` completion, given the rendered output.
    ///
    /// Jepsen shows what the operation *did*: a read completes with the value read, a
    /// write with the value written. The default shows the output when it is not `nil`,
    /// else the input's value. Keyed operations override it to keep the key:
    /// `[key value-read]`.
    fn completed_value(&self, output: Value) -> Value {
        if output.is_nil() {
            self.value()
        } else {
            output
        }
    }
}
