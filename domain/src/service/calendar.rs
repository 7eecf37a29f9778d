//! The working-day calendar as stored: built-in years, admin corrections, business hours.
//!
//! Stored rows are only the exceptions to the weekend rule (statutory holidays and make-up
//! working days). 2025 and 2026 are seeded from the `chinese_holiday` crate; admins add or
//! correct days and whole years (e.g. 2027, once published) through the API. Every edit is
//! audited and re-bases the running SLA clocks from the moment of the edit.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use chrono::{Datelike, NaiveDate, NaiveTime};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::audit::{self, Change};
use super::{Actor, Core, sla};
use crate::calendar::{BusinessHours, DayOverride, WorkCalendar, builtin_overrides};
use crate::entity::{calendar_day, setting};
use crate::role::Operation;
use crate::time::DISPLAY_TZ;
use crate::{Error, Result};

const HOURS_KEY: &str = "calendar.business_hours";
const MODE_KEY: &str = "calendar.mode";

/// Calendar modes.
pub const MODE_OFFICE: &str = "office";
/// Every minute is business time (end-to-end tests, 24x7 operations).
pub const MODE_24X7: &str = "24x7";

async fn setting<C: ConnectionTrait>(conn: &C, key: &str) -> Result<Option<String>> {
    Ok(setting::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?
        .map(|s| s.value))
}

pub(super) async fn put_setting<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    value: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    match setting::Entity::find_by_id(key.to_owned()).one(conn).await? {
        Some(_) => {
            setting::Entity::update_many()
                .col_expr(setting::Column::Value, sea_orm::prelude::Expr::value(value))
                .col_expr(setting::Column::UpdatedAt, sea_orm::prelude::Expr::value(now))
                .filter(setting::Column::Key.eq(key))
                .exec(conn)
                .await?;
        }
        None => {
            setting::ActiveModel {
                key: Set(key.to_owned()),
                value: Set(value),
                updated_at: Set(now),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

fn parse_hours(raw: &str) -> Result<BusinessHours> {
    let pairs: Vec<(String, String)> =
        serde_json::from_str(raw).map_err(|_| Error::invalid("periods", "营业时间格式错误"))?;
    let mut periods = Vec::new();
    for (a, b) in pairs {
        let start = NaiveTime::parse_from_str(&a, "%H:%M")
            .map_err(|_| Error::invalid("periods", format!("时间格式错误：{a}")))?;
        let end = NaiveTime::parse_from_str(&b, "%H:%M")
            .map_err(|_| Error::invalid("periods", format!("时间格式错误：{b}")))?;
        periods.push((start, end));
    }
    BusinessHours::new(periods).map_err(|e| Error::invalid("periods", e.to_string()))
}

fn hours_json(h: &BusinessHours) -> String {
    let pairs: Vec<(String, String)> = h
        .periods()
        .iter()
        .map(|(a, b)| (a.format("%H:%M").to_string(), b.format("%H:%M").to_string()))
        .collect();
    serde_json::to_string(&pairs).unwrap_or_default()
}

/// Every edit stores a fresh revision id; built calendars are cached by it, so the hot path
/// (every transition, every scan) costs one small query instead of rebuilding the table.
pub(super) const REVISION_KEY: &str = "calendar.revision";

fn cache() -> &'static Mutex<HashMap<String, WorkCalendar>> {
    static CACHE: OnceLock<Mutex<HashMap<String, WorkCalendar>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

async fn bump_revision<C: ConnectionTrait>(conn: &C, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    put_setting(conn, REVISION_KEY, uuid::Uuid::new_v4().to_string(), now).await
}

/// Several settings in one query, in the order of `keys` (None where unset).
pub(super) async fn settings<C: ConnectionTrait>(conn: &C, keys: &[&str]) -> Result<Vec<Option<String>>> {
    let rows = setting::Entity::find()
        .filter(setting::Column::Key.is_in(keys.iter().copied()))
        .all(conn)
        .await?;
    Ok(keys
        .iter()
        .map(|k| rows.iter().find(|r| r.key == *k).map(|r| r.value.clone()))
        .collect())
}

/// Loads the calendar as stored (cached per revision).
pub async fn load<C: ConnectionTrait>(conn: &C) -> Result<WorkCalendar> {
    let revision = setting(conn, REVISION_KEY).await?;
    load_at(conn, revision).await
}

/// Loads the calendar of a revision read by the caller (built only on a cache miss).
pub(super) async fn load_at<C: ConnectionTrait>(conn: &C, revision: Option<String>) -> Result<WorkCalendar> {
    if let Some(r) = &revision
        && let Some(cal) = cache().lock().unwrap_or_else(PoisonError::into_inner).get(r)
    {
        return Ok(cal.clone());
    }
    let cal = build(conn).await?;
    if let Some(r) = revision {
        let mut map = cache().lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= 64 {
            map.clear();
        }
        map.insert(r, cal.clone());
    }
    Ok(cal)
}

async fn build<C: ConnectionTrait>(conn: &C) -> Result<WorkCalendar> {
    if setting(conn, MODE_KEY).await?.as_deref() == Some(MODE_24X7) {
        return Ok(WorkCalendar::twenty_four_seven(DISPLAY_TZ));
    }
    let hours = match setting(conn, HOURS_KEY).await? {
        Some(raw) => parse_hours(&raw)?,
        None => BusinessHours::default_office(),
    };
    let days: Vec<DayOverride> = calendar_day::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|d| DayOverride {
            date: d.date,
            working: d.working,
            name: d.name,
        })
        .collect();
    Ok(WorkCalendar::new(DISPLAY_TZ, hours, &days))
}

/// Seeds the built-in years if the calendar is empty (first start). Idempotent.
pub async fn seed_builtin(core: &Core) -> Result<usize> {
    let txn = core.begin().await?;
    if calendar_day::Entity::find()
        .filter(calendar_day::Column::Source.eq("builtin"))
        .count(&txn)
        .await?
        > 0
    {
        return Ok(0);
    }
    let now = core.now();
    let days = builtin_overrides();
    for d in &days {
        calendar_day::ActiveModel {
            date: Set(d.date),
            working: Set(d.working),
            name: Set(d.name.clone()),
            source: Set("builtin".into()),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    bump_revision(&txn, now).await?;
    audit::append(
        &txn,
        &Actor::system(),
        now,
        Change {
            action: "calendar.seed",
            subject_type: "calendar",
            subject_id: "builtin".into(),
            before: None,
            after: Some(json!({ "days": days.len(), "source": "chinese_holiday 2026.0.1" })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(days.len())
}

/// One day's correction.
#[derive(Debug, Clone)]
pub struct DayEdit {
    /// Date.
    pub date: NaiveDate,
    /// Working or not.
    pub working: bool,
    /// Name (e.g. 春节, 国庆节调休上班).
    pub name: String,
}

/// Sets (or replaces) days; with `replace_year`, first removes that year's stored days so
/// that a whole year can be loaded at once. One transaction; re-bases running clocks.
pub async fn set_days(core: &Core, actor: &Actor, days: Vec<DayEdit>, replace_year: Option<i32>) -> Result<usize> {
    actor.require(Operation::ManageCalendar)?;
    if days.is_empty() && replace_year.is_none() {
        return Err(Error::invalid("days", "至少提供一天"));
    }
    for d in &days {
        if d.name.trim().is_empty() || d.name.chars().count() > 32 {
            return Err(Error::invalid("days.name", "名称不能为空且不超过 32 字"));
        }
        if let Some(y) = replace_year
            && d.date.year() != y
        {
            return Err(Error::invalid("days.date", format!("{} 不属于 {y} 年", d.date)));
        }
        if !(2000..=2100).contains(&d.date.year()) {
            return Err(Error::invalid("days.date", "日期超出支持范围（2000-2100）"));
        }
    }
    let now = core.now();
    let txn = core.begin().await?;
    let old_cal = load(&txn).await?;
    if let Some(y) = replace_year {
        let from = NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(|| Error::invalid("year", "年份无效"))?;
        let to = NaiveDate::from_ymd_opt(y, 12, 31).ok_or_else(|| Error::invalid("year", "年份无效"))?;
        calendar_day::Entity::delete_many()
            .filter(calendar_day::Column::Date.between(from, to))
            .exec(&txn)
            .await?;
    }
    let mut before = Vec::new();
    for d in &days {
        if let Some(old) = calendar_day::Entity::find_by_id(d.date).one(&txn).await? {
            before.push(json!({ "date": old.date, "working": old.working, "name": old.name }));
            calendar_day::Entity::delete_by_id(d.date).exec(&txn).await?;
        }
        calendar_day::ActiveModel {
            date: Set(d.date),
            working: Set(d.working),
            name: Set(d.name.trim().to_owned()),
            source: Set("admin".into()),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let after: Vec<_> = days
        .iter()
        .map(|d| json!({ "date": d.date, "working": d.working, "name": d.name }))
        .collect();
    bump_revision(&txn, now).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "calendar.set_days",
            subject_type: "calendar",
            subject_id: replace_year.map(|y| y.to_string()).unwrap_or_else(|| "days".into()),
            before: Some(json!(before)),
            after: Some(json!({ "days": after, "replace_year": replace_year })),
        },
    )
    .await?;
    let new_cal = load(&txn).await?;
    sla::rebase_all(&txn, &old_cal, &new_cal, now, None).await?;
    txn.commit().await?;
    Ok(days.len())
}

/// Sets business hours ("HH:MM" pairs) and the mode (`office` or `24x7`).
pub async fn set_hours(core: &Core, actor: &Actor, periods: Vec<(String, String)>, mode: &str) -> Result<()> {
    actor.require(Operation::ManageCalendar)?;
    if mode != MODE_OFFICE && mode != MODE_24X7 {
        return Err(Error::invalid("mode", "模式只能是 office 或 24x7"));
    }
    let hours = parse_hours(&serde_json::to_string(&periods).unwrap_or_default())?;
    let now = core.now();
    let txn = core.begin().await?;
    let old_cal = load(&txn).await?;
    let before = json!({ "hours": setting(&txn, HOURS_KEY).await?, "mode": setting(&txn, MODE_KEY).await? });
    put_setting(&txn, HOURS_KEY, hours_json(&hours), now).await?;
    put_setting(&txn, MODE_KEY, mode.to_owned(), now).await?;
    bump_revision(&txn, now).await?;
    audit::append(
        &txn,
        actor,
        now,
        Change {
            action: "calendar.set_hours",
            subject_type: "calendar",
            subject_id: "hours".into(),
            before: Some(before),
            after: Some(json!({ "hours": hours_json(&hours), "mode": mode })),
        },
    )
    .await?;
    let new_cal = load(&txn).await?;
    sla::rebase_all(&txn, &old_cal, &new_cal, now, None).await?;
    txn.commit().await?;
    Ok(())
}

/// Stored days in a year (for display).
pub async fn days_in_year(core: &Core, year: i32) -> Result<Vec<calendar_day::Model>> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| Error::invalid("year", "年份无效"))?;
    let to = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| Error::invalid("year", "年份无效"))?;
    Ok(calendar_day::Entity::find()
        .filter(calendar_day::Column::Date.between(from, to))
        .order_by_asc(calendar_day::Column::Date)
        .all(&core.db)
        .await?)
}

/// Current mode and hours, for display.
pub async fn describe(core: &Core) -> Result<(String, Vec<(String, String)>)> {
    let mode = setting(&core.db, MODE_KEY).await?.unwrap_or_else(|| MODE_OFFICE.into());
    let hours = match setting(&core.db, HOURS_KEY).await? {
        Some(raw) => parse_hours(&raw)?,
        None => BusinessHours::default_office(),
    };
    let pairs = hours
        .periods()
        .iter()
        .map(|(a, b)| (a.format("%H:%M").to_string(), b.format("%H:%M").to_string()))
        .collect();
    Ok((mode, pairs))
}
