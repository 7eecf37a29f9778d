//! Source systems (来源系统) with their owner department and contacts, and data models
//! (数据模型): entity groups of catalog resources and the relations between their fields.
//!
//! Foreign keys guard the references the services check anyway (a model's rows go with the
//! model; a department or resource in use cannot vanish underneath).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `source_systems`, `data_models`, `data_model_entities`, `data_model_relations`.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn n(s: &'static str) -> Alias {
    Alias::new(s)
}

fn fk(
    name: &'static str,
    from: &'static str,
    col: &'static str,
    to: &'static str,
    cascade: bool,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(n(from), n(col))
        .to(n(to), n("id"))
        .on_delete(if cascade {
            ForeignKeyAction::Cascade
        } else {
            ForeignKeyAction::Restrict
        })
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("source_systems"))
                    .col(big_pk_auto(n("id")))
                    .col(string_uniq(n("code")))
                    .col(string(n("name")))
                    .col(text(n("description")))
                    .col(big_integer(n("owner_department_id")))
                    .col(text(n("contacts")))
                    .col(boolean(n("active")))
                    .col(integer(n("version")))
                    .col(timestamp_with_time_zone(n("created_at")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .foreign_key(&mut fk(
                        "fk_source_systems_department",
                        "source_systems",
                        "owner_department_id",
                        "departments",
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("data_models"))
                    .col(big_pk_auto(n("id")))
                    .col(string_uniq(n("code")))
                    .col(string(n("name")))
                    .col(text(n("description")))
                    .col(integer(n("version")))
                    .col(big_integer_null(n("created_by")))
                    .col(timestamp_with_time_zone(n("created_at")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("data_model_entities"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("model_id")))
                    .col(string(n("group_name")))
                    .col(big_integer(n("resource_id")))
                    .col(string(n("table_name")))
                    .col(integer(n("position")))
                    .foreign_key(&mut fk(
                        "fk_dm_entities_model",
                        "data_model_entities",
                        "model_id",
                        "data_models",
                        true,
                    ))
                    .foreign_key(&mut fk(
                        "fk_dm_entities_resource",
                        "data_model_entities",
                        "resource_id",
                        "catalog_resources",
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("data_model_relations"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("model_id")))
                    .col(big_integer(n("from_resource_id")))
                    .col(string(n("from_field")))
                    .col(big_integer(n("to_resource_id")))
                    .col(string(n("to_field")))
                    .col(string(n("cardinality")))
                    .col(text(n("description")))
                    .col(integer(n("position")))
                    .foreign_key(&mut fk(
                        "fk_dm_relations_model",
                        "data_model_relations",
                        "model_id",
                        "data_models",
                        true,
                    ))
                    .foreign_key(&mut fk(
                        "fk_dm_relations_from",
                        "data_model_relations",
                        "from_resource_id",
                        "catalog_resources",
                        false,
                    ))
                    .foreign_key(&mut fk(
                        "fk_dm_relations_to",
                        "data_model_relations",
                        "to_resource_id",
                        "catalog_resources",
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, table, cols, unique) in [
            (
                "ix_source_systems_department",
                "source_systems",
                vec!["owner_department_id"],
                false,
            ),
            (
                "ux_dm_entities",
                "data_model_entities",
                vec!["model_id", "resource_id", "table_name"],
                true,
            ),
            (
                "ix_dm_entities_resource",
                "data_model_entities",
                vec!["resource_id"],
                false,
            ),
            (
                "ix_dm_relations_model",
                "data_model_relations",
                vec!["model_id", "position"],
                false,
            ),
            (
                "ix_dm_relations_from",
                "data_model_relations",
                vec!["from_resource_id"],
                false,
            ),
            (
                "ix_dm_relations_to",
                "data_model_relations",
                vec!["to_resource_id"],
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
        for t in [
            "data_model_relations",
            "data_model_entities",
            "data_models",
            "source_systems",
        ] {
            manager.drop_table(Table::drop().table(n(t)).to_owned()).await?;
        }
        Ok(())
    }
}
