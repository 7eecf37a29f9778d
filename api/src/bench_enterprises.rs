//! `ecogov bench enterprises`: one file per enterprise (一企一档) at city scale.
//!
//! Generates `n` enterprises described by five sources (a permit, an EIA approval, an emission
//! declaration, a monitoring point and an enforcement record each, so `5 n` records), with
//! planted defects: 1 % of the EIA names differ from the permits' (name conflicts), 0.5 % of
//! the monitoring points lie 2 km off (coordinate conflicts), 0.2 % of the codes fail their check
//! character (suspect). It imports them through the service (batches of 5,000, as the GraphQL
//! mutation does), then times:
//! - `full_s`: a full merge of every enterprise (identities, conflicts, their tickets);
//! - `incremental_s`: re-importing `changed` EIA records (new approval dates; those whose index
//!   is 50 mod 5,000 also a new name, i.e. new conflicts) and merging again, which touches only those enterprises
//!   (`incremental_merged` must equal `changed`).
//!
//! The figures are checked (every planted conflict found, nothing else), so a fast wrong run
//! fails instead of printing.

use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use ecogov_domain::enterprise::{RawEmission, RawOutlet, RawRecord, Source};
use ecogov_domain::ident::CreditCode;
use ecogov_domain::service::{Actor, Core, enterprise};

const BATCH: usize = 5_000;

fn code(i: usize, suspect: bool) -> anyhow::Result<String> {
    let first17 = format!("91420100MA{i:07}");
    let check = CreditCode::expected_check(&first17).context("code generation")?;
    let check = if suspect {
        if check == '0' { '1' } else { '0' }
    } else {
        check
    };
    Ok(format!("{first17}{check}"))
}

fn is_suspect(i: usize) -> bool {
    i % 500 == 3
}

fn name_conflict(i: usize) -> bool {
    i % 100 == 7
}

fn coordinate_conflict(i: usize) -> bool {
    i % 200 == 11
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Row `i` of `source`; `version` > 0 gives the EIA record its changed content.
fn row(source: Source, i: usize, version: u32) -> anyhow::Result<RawRecord> {
    let c = code(i, is_suspect(i))?;
    let name = format!("武汉市第{i}化工有限公司");
    let lon = 113.7 + (i % 1000) as f64 * 0.001;
    let lat = 29.97 + (i / 1000) as f64 * 0.01;
    let base = RawRecord {
        credit_code: c.clone(),
        name: Some(name.clone()),
        longitude: Some(lon),
        latitude: Some(lat),
        ..Default::default()
    };
    Ok(match source {
        Source::Permit => RawRecord {
            address: Some(format!("武汉市青山区工业大道{i}号")),
            legal_representative: Some(format!("王{i}")),
            industry: Some("C2614".into()),
            permit_number: Some(format!("{c}001P")),
            management_category: Some(
                if i.is_multiple_of(3) {
                    "重点管理"
                } else {
                    "简化管理"
                }
                .into(),
            ),
            valid_from: date(2024, 1, 1),
            valid_to: date(2028, 12, 31),
            outlets: vec![
                RawOutlet {
                    code: "DA001".into(),
                    name: Some("废气排放口".into()),
                },
                RawOutlet {
                    code: "DW001".into(),
                    name: Some("废水总排口".into()),
                },
            ],
            ..base
        },
        Source::EiaApproval => RawRecord {
            name: Some(if name_conflict(i) || (version > 0 && i % 5_000 == 50) {
                format!("武汉市第{i}化工有限责任公司")
            } else {
                name
            }),
            industry: Some("C2614".into()),
            approval_number: Some(format!("武环审〔2023〕{i}号")),
            approved_on: if version > 0 {
                date(2026, 11, 30)
            } else {
                date(2023, 6, 1)
            },
            project_name: Some("技改项目".into()),
            authority: Some("武汉市生态环境局".into()),
            ..base
        },
        Source::EmissionDeclaration => RawRecord {
            address: Some(format!("武汉市青山区工业大道{i}号")),
            year: Some(2025),
            emissions: vec![RawEmission {
                pollutant: "二氧化硫".into(),
                tonnes: 10.0 + (i % 7) as f64,
            }],
            ..base
        },
        Source::MonitoringPoint => RawRecord {
            longitude: Some(if coordinate_conflict(i) { lon + 0.02 } else { lon }),
            point_code: Some(format!("MN{i:08}")),
            outlet_code: Some("DA001".into()),
            pollutants: vec!["a21026".into(), "a21002".into()],
            ..base
        },
        Source::Enforcement => RawRecord {
            legal_representative: Some(format!("王{i}")),
            case_number: Some(format!("武环检〔2026〕{i}号")),
            case_kind: Some("inspection".into()),
            occurred_on: date(2026, 10, 15),
            ..base
        },
    })
}

async fn import(core: &Core, actor: &Actor, source: Source, ids: &[usize], version: u32) -> anyhow::Result<()> {
    for chunk in ids.chunks(BATCH) {
        let rows = chunk
            .iter()
            .map(|&i| row(source, i, version))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let o = enterprise::import(core, actor, source, &rows)
            .await
            .map_err(|e| anyhow::anyhow!("import: {e}"))?;
        anyhow::ensure!(o.applied, "import refused: {:?}", o.problems.first());
    }
    Ok(())
}

/// Runs the benchmark on the configured database (SQLite in a temporary directory by default).
pub async fn enterprises(database_url: Option<&str>, n: usize, changed: usize) -> anyhow::Result<String> {
    anyhow::ensure!(changed <= n, "--changed must not exceed --enterprises");
    let dir = std::env::temp_dir().join(format!("ecogov-bench-ent-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let (settings, created) = crate::bench::load::fresh_settings(database_url, &dir).await?;
    let result = async {
        let (core, _, _, _) = crate::app::prepare(&settings, std::sync::Arc::new(ecogov_domain::time::SystemClock)).await?;
        let actor = Actor::system();
        let all: Vec<usize> = (0..n).collect();
        let t0 = Instant::now();
        for s in Source::ALL {
            import(&core, &actor, s, &all, 0).await?;
        }
        let import_s = t0.elapsed().as_secs_f64();

        let t1 = Instant::now();
        let full = enterprise::merge(&core, &actor, true)
            .await
            .map_err(|e| anyhow::anyhow!("merge: {e}"))?;
        let full_s = t1.elapsed().as_secs_f64();
        let planted = all.iter().filter(|&&i| name_conflict(i)).count() + all.iter().filter(|&&i| coordinate_conflict(i)).count();
        anyhow::ensure!(full.merged == n, "full merge merged {} of {n}", full.merged);
        anyhow::ensure!(
            full.conflicts_opened == planted && full.tickets_reported == planted,
            "full merge found {} conflicts ({} tickets), {planted} planted",
            full.conflicts_opened,
            full.tickets_reported
        );

        // Spread the changed enterprises over the whole range.
        let step = (n / changed.max(1)).max(1);
        let ids: Vec<usize> = (0..n).step_by(step).take(changed).collect();
        let new_conflicts = ids.iter().filter(|&&i| i % 5_000 == 50).count();
        let t2 = Instant::now();
        import(&core, &actor, Source::EiaApproval, &ids, 1).await?;
        let t3 = Instant::now();
        let inc = enterprise::merge(&core, &actor, false)
            .await
            .map_err(|e| anyhow::anyhow!("merge: {e}"))?;
        let incremental_merge_s = t3.elapsed().as_secs_f64();
        let incremental_s = t2.elapsed().as_secs_f64();
        anyhow::ensure!(inc.merged == ids.len(), "incremental merge touched {} of {}", inc.merged, ids.len());
        anyhow::ensure!(
            inc.conflicts_opened == new_conflicts,
            "incremental merge opened {} conflicts, {new_conflicts} planted",
            inc.conflicts_opened
        );
        core.db.clone().close().await?;
        Ok::<_, anyhow::Error>(format!(
            "backend={} enterprises={n} sources=5 records={} conflicts={planted} suspect={} changed={} new_conflicts={new_conflicts}\n\
             import_s={import_s:.3} full_s={full_s:.3} incremental_s={incremental_s:.3} incremental_merge_s={incremental_merge_s:.3} incremental_merged={} enterprises_per_s={:.0}",
            if settings.is_sqlite() { "sqlite" } else { "postgres" },
            5 * n,
            all.iter().filter(|&&i| is_suspect(i)).count(),
            ids.len(),
            inc.merged,
            n as f64 / full_s,
        ))
    }
    .await;
    crate::bench::load::drop_database(created).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
