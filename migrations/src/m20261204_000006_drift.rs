//! Periodic schema-drift checks and rejected drifts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `drift_checks` (when each published resource was last compared with its tables,
/// claimed by one worker at a time) and `drift_rejections` (drifts a person decided not to
/// adopt, with the reason; the same drift does not open a ticket again).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let n = Alias::new;
        manager
            .create_table(
                Table::create()
                    .table(n("drift_checks"))
                    .col(big_integer(n("resource_id")).primary_key())
                    .col(timestamp_with_time_zone(n("checked_at")))
                    .col(string(n("outcome")))
                    .col(text_null(n("error")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(n("drift_checks"), n("resource_id"))
                            .to(n("catalog_resources"), n("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("drift_rejections"))
                    .col(big_pk_auto(n("id")))
                    .col(big_integer(n("resource_id")))
                    .col(string(n("bound_table")))
                    .col(string(n("fingerprint")))
                    .col(text(n("changes")))
                    .col(text(n("reason")))
                    .col(big_integer(n("actor_id")))
                    .col(timestamp_with_time_zone(n("at")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(n("drift_rejections"), n("resource_id"))
                            .to(n("catalog_resources"), n("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_drift_rejections")
                    .table(n("drift_rejections"))
                    .col(n("resource_id"))
                    .col(n("bound_table"))
                    .col(n("fingerprint"))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let n = Alias::new;
        manager
            .drop_table(Table::drop().table(n("drift_rejections")).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(n("drift_checks")).to_owned())
            .await
    }
}
