#![doc = include_str!("../README.md")]

use sea_orm_migration::prelude::*;

mod m20261204_000001_core;
mod m20261204_000002_catalog;
mod m20261204_000003_data_sources;
mod m20261204_000004_sensitivity;
mod m20261204_000005_models;
mod m20261204_000006_drift;
mod m20261204_000007_classification;
mod m20261204_000008_quality;
mod m20261204_000009_reconciliation;
mod m20261205_000010_ticket_write_path;
mod m20261205_000011_enterprises;
mod m20261205_000012_permit_reconciliation;
mod m20261205_000013_thematic_checks;
mod m20261205_000014_batch_guard;

/// Runs every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261204_000001_core::Migration),
            Box::new(m20261204_000002_catalog::Migration),
            Box::new(m20261204_000003_data_sources::Migration),
            Box::new(m20261204_000004_sensitivity::Migration),
            Box::new(m20261204_000005_models::Migration),
            Box::new(m20261204_000006_drift::Migration),
            Box::new(m20261204_000007_classification::Migration),
            Box::new(m20261204_000008_quality::Migration),
            Box::new(m20261204_000009_reconciliation::Migration),
            Box::new(m20261205_000010_ticket_write_path::Migration),
            Box::new(m20261205_000011_enterprises::Migration),
            Box::new(m20261205_000012_permit_reconciliation::Migration),
            Box::new(m20261205_000013_thematic_checks::Migration),
            Box::new(m20261205_000014_batch_guard::Migration),
        ]
    }
}
