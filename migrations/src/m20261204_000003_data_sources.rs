//! Data sources: connections to the databases that hold the governed data.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `data_sources`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let n = Alias::new;
        manager
            .create_table(
                Table::create()
                    .table(n("data_sources"))
                    .col(big_pk_auto(n("id")))
                    .col(string_uniq(n("code")))
                    .col(string(n("name")))
                    .col(string(n("kind")))
                    .col(text(n("url_sealed")))
                    .col(string(n("url_display")))
                    .col(string(n("source_system")))
                    .col(timestamp_with_time_zone(n("created_at")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .col(timestamp_with_time_zone_null(n("checked_at")))
                    .col(boolean_null(n("check_ok")))
                    .col(big_integer_null(n("latency_ms")))
                    .col(text_null(n("check_error")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("data_sources")).to_owned())
            .await
    }
}
