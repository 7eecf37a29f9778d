//! Helpers of the tests that run against the real PostgreSQL, MariaDB and SQLite databases.

use sea_orm::{ConnectionTrait, DatabaseConnection};

/// `ECOGOV_NO_EXTERNAL_DB=1` skips the tests that need the local database servers.
pub fn external_disabled(what: &str) -> bool {
    let off = std::env::var("ECOGOV_NO_EXTERNAL_DB").is_ok_and(|v| v == "1");
    if off {
        println!("ECOGOV_NO_EXTERNAL_DB=1: skipping the {what} test");
    }
    off
}

/// A short unique suffix for database and table names.
pub fn suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// Runs a statement or fails the test with the statement in the message.
pub async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
