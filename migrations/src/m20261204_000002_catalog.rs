//! The data resource catalog: resources, their fields, and every version of both.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates the catalog tables.
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
                    .table(n("catalog_resources"))
                    .col(big_pk_auto(n("id")))
                    .col(string_uniq(n("code")))
                    .col(string(n("name")))
                    .col(string(n("status")))
                    .col(integer(n("version")))
                    .col(string(n("department")))
                    .col(string(n("classification")))
                    .col(string(n("share_type")))
                    .col(string(n("open_type")))
                    .col(string(n("grade")))
                    .col(small_integer_null(n("sub_level")))
                    .col(text(n("draft")))
                    .col(big_integer_null(n("submitted_by")))
                    .col(big_integer_null(n("created_by")))
                    .col(timestamp_with_time_zone(n("created_at")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .col(timestamp_with_time_zone_null(n("published_at")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("catalog_fields"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("resource_id")))
                    .col(integer(n("position")))
                    .col(string(n("name")))
                    .col(string(n("cn_name")))
                    .col(string(n("data_type")))
                    .col(string(n("grade")))
                    .col(small_integer_null(n("sub_level")))
                    .col(text(n("draft")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("catalog_versions"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("resource_id")))
                    .col(integer(n("version")))
                    .col(text(n("snapshot")))
                    .col(text(n("changes")))
                    .col(big_integer_null(n("actor_id")))
                    .col(string(n("note")))
                    .col(timestamp_with_time_zone(n("created_at")))
                    .to_owned(),
            )
            .await?;
        for (name, table, cols, unique) in [
            (
                "ix_catalog_fields_resource",
                "catalog_fields",
                vec!["resource_id", "position"],
                false,
            ),
            (
                "ux_catalog_versions",
                "catalog_versions",
                vec!["resource_id", "version"],
                true,
            ),
            (
                "ix_catalog_resources_updated",
                "catalog_resources",
                vec!["updated_at"],
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
        for t in ["catalog_versions", "catalog_fields", "catalog_resources"] {
            manager.drop_table(Table::drop().table(n(t)).to_owned()).await?;
        }
        Ok(())
    }
}
