//! One parameter and row vocabulary for both backends, so queries and row mapping are written once.
//!
//! Queries are written with PostgreSQL's `$1` placeholders; [`sqlite_sql`] rewrites them to
//! SQLite's `?1`. Column types differ (uuid/boolean in PostgreSQL, text/integer in SQLite), so
//! each backend implements [`RowAccess`] and converts to the same Rust types.

use anyhow::{Context, Result};
use uuid::Uuid;

/// A query parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Float(f64),
    Uuid(Uuid),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}
impl From<Uuid> for Value {
    fn from(u: Uuid) -> Self {
        Value::Uuid(u)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
    }
}

/// Typed reads from a result row, by column index.
pub trait RowAccess {
    fn text(&self, i: usize) -> Result<Option<String>>;
    fn int(&self, i: usize) -> Result<Option<i64>>;
    fn boolean(&self, i: usize) -> Result<bool>;
    fn uuid(&self, i: usize) -> Result<Option<Uuid>>;
    fn float(&self, i: usize) -> Result<Option<f64>>;

    fn req_text(&self, i: usize) -> Result<String> {
        self.text(i)?.with_context(|| format!("column {i} is NULL"))
    }
    fn req_int(&self, i: usize) -> Result<i64> {
        self.int(i)?.with_context(|| format!("column {i} is NULL"))
    }
    fn req_uuid(&self, i: usize) -> Result<Uuid> {
        self.uuid(i)?.with_context(|| format!("column {i} is NULL"))
    }
}

/// A row-mapping function usable by both backends.
pub type MapRow<T> = fn(&dyn RowAccess) -> Result<T>;

/// Rewrites `$N` placeholders to `?N` for SQLite. Queries never contain `$` in literals.
pub fn sqlite_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// A statement to run inside a transaction.
#[derive(Clone, Debug)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<String>, params: Vec<Value>) -> Self {
        Self {
            sql: sql.into(),
            params,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_placeholders_only() {
        assert_eq!(
            sqlite_sql("SELECT a FROM t WHERE a = $1 AND b LIKE $12"),
            "SELECT a FROM t WHERE a = ?1 AND b LIKE ?12"
        );
        assert_eq!(sqlite_sql("SELECT '$'"), "SELECT '$'");
    }
}
