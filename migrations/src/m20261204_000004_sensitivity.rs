//! Sensitivity tags: the scanner's suggestions awaiting a person's decision, and the history of
//! every tag added to or removed from a catalog field.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `tag_suggestions` and `field_tag_events`.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn n(s: &'static str) -> Alias {
    Alias::new(s)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("tag_suggestions"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("resource_id")))
                    .col(string(n("field_name")))
                    .col(string(n("tag")))
                    .col(double(n("confidence")))
                    .col(integer(n("matched")))
                    .col(integer(n("sampled")))
                    .col(text(n("reason")))
                    .col(string(n("status")))
                    .col(timestamp_with_time_zone(n("scanned_at")))
                    .col(big_integer_null(n("decided_by")))
                    .col(timestamp_with_time_zone_null(n("decided_at")))
                    .col(text_null(n("decision_note")))
                    .col(double_null(n("decided_confidence")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("field_tag_events"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("resource_id")))
                    .col(string(n("field_name")))
                    .col(string(n("tag")))
                    .col(string(n("action")))
                    .col(big_integer_null(n("actor_id")))
                    .col(timestamp_with_time_zone(n("at")))
                    .col(text(n("note")))
                    .col(integer_null(n("catalog_version")))
                    .col(big_integer_null(n("suggestion_id")))
                    .to_owned(),
            )
            .await?;
        for (name, table, cols, unique) in [
            (
                "ux_tag_suggestions",
                "tag_suggestions",
                vec!["resource_id", "field_name", "tag"],
                true,
            ),
            (
                "ix_tag_suggestions_status",
                "tag_suggestions",
                vec!["resource_id", "status"],
                false,
            ),
            (
                "ix_field_tag_events_field",
                "field_tag_events",
                vec!["resource_id", "field_name", "id"],
                false,
            ),
        ] {
            let mut i = Index::create();
            i.name(name).table(n(table));
            for c in cols {
                i.col(n(c));
            }
            if unique {
                i.unique();
            }
            manager.create_index(i.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["field_tag_events", "tag_suggestions"] {
            manager.drop_table(Table::drop().table(n(t)).to_owned()).await?;
        }
        Ok(())
    }
}
