//! One file per enterprise (一企一档): merged enterprises, their source records, the append-only
//! field history, conflicts between sources, the admin's source precedence and the set of
//! enterprises waiting to be re-merged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `enterprises`, `enterprise_records` (unique per source and record key),
/// `enterprise_field_history`, `enterprise_conflicts` (one per enterprise and field),
/// `enterprise_precedence` and `enterprise_dirty`.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn n(s: &'static str) -> Alias {
    Alias::new(s)
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(n(table));
    for c in cols {
        i.col(n(c));
    }
    if unique {
        i.unique();
    }
    manager.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("enterprises"))
                    .col(big_pk_auto(n("id")))
                    .col(string_uniq(n("credit_code")))
                    .col(boolean(n("suspect")))
                    .col(text_null(n("name")))
                    .col(text_null(n("address")))
                    .col(text_null(n("legal_representative")))
                    .col(text_null(n("industry")))
                    .col(double_null(n("longitude")))
                    .col(double_null(n("latitude")))
                    .col(text(n("winners")))
                    .col(integer(n("open_conflicts")).default(0))
                    .col(integer(n("record_count")).default(0))
                    .col(timestamp_with_time_zone(n("merged_at")))
                    .col(timestamp_with_time_zone(n("created_at")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_enterprises_conflicts",
            "enterprises",
            &["open_conflicts"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("enterprise_records"))
                    .col(big_pk_auto(n("id")))
                    .col(string(n("source")))
                    .col(string(n("record_key")))
                    .col(string(n("credit_code")))
                    .col(text(n("payload")))
                    .col(string_len(n("content_hash"), 64))
                    .col(timestamp_with_time_zone(n("first_received_at")))
                    .col(timestamp_with_time_zone(n("received_at")))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_enterprise_records_key",
            "enterprise_records",
            &["source", "record_key"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_enterprise_records_code",
            "enterprise_records",
            &["credit_code"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("enterprise_field_history"))
                    .col(big_pk_auto(n("id")))
                    .col(string(n("credit_code")))
                    .col(string(n("field")))
                    .col(string(n("source")))
                    .col(string(n("record_key")))
                    .col(text_null(n("value")))
                    .col(timestamp_with_time_zone(n("received_at")))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_enterprise_field_history_code",
            "enterprise_field_history",
            &["credit_code", "field"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("enterprise_conflicts"))
                    .col(big_pk_auto(n("id")))
                    .col(string(n("credit_code")))
                    .col(string(n("field")))
                    .col(text(n("candidates")))
                    .col(string(n("status")))
                    .col(big_integer_null(n("ticket_id")))
                    .col(timestamp_with_time_zone(n("detected_at")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .col(timestamp_with_time_zone_null(n("resolved_at")))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_enterprise_conflicts_field",
            "enterprise_conflicts",
            &["credit_code", "field"],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("enterprise_precedence"))
                    .col(big_pk_auto(n("id")))
                    .col(string_uniq(n("field")))
                    .col(text(n("sources")))
                    .col(double_null(n("tolerance_m")))
                    .col(integer(n("version")))
                    .col(big_integer_null(n("updated_by")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("enterprise_dirty"))
                    .col(string(n("credit_code")).primary_key())
                    .col(timestamp_with_time_zone(n("marked_at")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "enterprise_dirty",
            "enterprise_precedence",
            "enterprise_conflicts",
            "enterprise_field_history",
            "enterprise_records",
            "enterprises",
        ] {
            manager.drop_table(Table::drop().table(n(t)).to_owned()).await?;
        }
        Ok(())
    }
}
