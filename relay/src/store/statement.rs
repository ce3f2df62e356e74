//! Statements whose text depends on the request (optional filters, lists of
//! ids, many rows at once): built as text with placeholders and the values
//! to bind, then run like a fixed query.
//!
//! Placeholders are the backend's own ([`Backend::placeholder`]): a bulk
//! statement binds thousands of values, and SQLite parses each `$N` as a
//! name it looks up among those before it (quadratic), but `?` in order.

use std::marker::PhantomData;

use uuid::Uuid;

use super::backend::{Args as _, Backend, Sql};

/// A value a built statement binds.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// An id.
    Uuid(Uuid),
    /// A number.
    Int(i64),
    /// Text.
    Text(String),
    /// Text or NULL.
    OptText(Option<String>),
    /// An id or NULL.
    OptUuid(Option<Uuid>),
    /// A number or NULL.
    OptInt(Option<i64>),
}

impl From<Option<i64>> for Arg {
    fn from(value: Option<i64>) -> Self {
        Arg::OptInt(value)
    }
}

impl From<Option<Uuid>> for Arg {
    fn from(value: Option<Uuid>) -> Self {
        Arg::OptUuid(value)
    }
}

impl From<Uuid> for Arg {
    fn from(value: Uuid) -> Self {
        Arg::Uuid(value)
    }
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Arg::Int(value)
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Text(value)
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(value.to_owned())
    }
}

impl From<Option<String>> for Arg {
    fn from(value: Option<String>) -> Self {
        Arg::OptText(value)
    }
}

/// SQL text with placeholders for `B` and the values they stand for.
#[derive(Debug)]
pub(crate) struct Statement<B> {
    text: String,
    args: Vec<Arg>,
    backend: PhantomData<B>,
}

impl<B: Backend> Statement<B> {
    /// A statement starting with `text`.
    pub(crate) fn new(text: impl Into<String>) -> Statement<B> {
        Statement {
            text: text.into(),
            args: Vec::new(),
            backend: PhantomData,
        }
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Statement<B> {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub(crate) fn arg(&mut self, value: impl Into<Arg>) -> &mut Statement<B> {
        self.args.push(value.into());
        self.text.push_str(&B::placeholder(self.args.len()));
        self
    }

    /// Appends `a, b, c`: a placeholder for each value.
    pub(crate) fn list<A: Into<Arg>>(
        &mut self,
        values: impl IntoIterator<Item = A>,
    ) -> &mut Statement<B> {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.arg(value);
        }
        self
    }

    /// Appends `(a, b), (c, d)`: one parenthesised group a row, its values
    /// given by `row`.
    pub(crate) fn rows<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        row: impl Fn(T) -> Vec<Arg>,
    ) -> &mut Statement<B> {
        for (i, item) in items.into_iter().enumerate() {
            self.text.push_str(if i > 0 { ", (" } else { "(" });
            self.list(row(item));
            self.text.push(')');
        }
        self
    }

    /// The statement as a query, its values bound in order.
    pub(crate) fn query(&self) -> Sql<'_, B> {
        self.args
            .iter()
            .fold(sqlx::query::<B>(&self.text), |query, arg| match arg {
                Arg::Uuid(value) => query.arg(*value),
                Arg::Int(value) => query.arg(*value),
                Arg::Text(value) => query.arg(value.as_str()),
                Arg::OptText(value) => query.arg(value.as_deref()),
                Arg::OptUuid(value) => query.arg(*value),
                Arg::OptInt(value) => query.arg(*value),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built<B: Backend>() -> Statement<B> {
        let mut statement = Statement::<B>::new("INSERT INTO t (a, b) VALUES ");
        statement.rows([(1, "x"), (2, "y")], |(n, s)| vec![Arg::Int(n), s.into()]);
        statement.push(" WHERE c IN (").list(["p", "q"]).push(")");
        statement
    }

    #[test]
    fn placeholders_follow_the_backend_as_values_are_added() {
        let postgres = built::<sqlx::Postgres>();
        assert_eq!(
            postgres.text,
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) WHERE c IN ($5, $6)"
        );
        assert_eq!(postgres.args.len(), 6);
        assert_eq!(
            built::<sqlx::Sqlite>().text,
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) WHERE c IN (?, ?)"
        );
    }
}
