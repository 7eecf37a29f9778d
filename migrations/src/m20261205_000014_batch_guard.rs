//! `ecogov_require(ok)`: the guard of a single-statement write batch (PostgreSQL only).
//!
//! A ticket transition is one statement of data-modifying CTEs run without an explicit
//! transaction. Its ticket update is guarded by the version the caller read; when the guard
//! misses (a concurrent transition won), the statement must write nothing. The statement ends
//! with `ecogov_require(<the guarded update affected one row>)`, which raises SQLSTATE `EGV01`
//! and so rolls back the whole statement. SQLite runs the batch in a transaction instead.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// See the module documentation.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "CREATE OR REPLACE FUNCTION ecogov_require(ok boolean) RETURNS boolean \
                 LANGUAGE plpgsql AS $$ BEGIN \
                 IF ok IS NOT TRUE THEN RAISE EXCEPTION 'write batch guard failed' USING ERRCODE = 'EGV01'; END IF; \
                 RETURN true; END $$",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS ecogov_require(boolean)")
                .await?;
        }
        Ok(())
    }
}
