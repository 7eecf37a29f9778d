//! Data quality rules (数据质量规则): their model and save-time validation ([`rule`]), their
//! compilation to as few read-only SQL statements per table as possible ([`compile`]), and
//! their execution inside the source database with masked samples ([`run`]).
//!
//! Nothing a rule's author typed is ever formatted into SQL: identifiers are checked against
//! the table's known columns and quoted per dialect, and every literal travels as a bound value.
//! The one exception by design is an admin's custom query, which is tokenised, proven to be a
//! single read-only `SELECT`/`WITH`, and run in a read-only transaction under a time limit.

pub mod compile;
pub mod rule;
pub mod run;
pub mod sql;

#[cfg(test)]
mod tests;
