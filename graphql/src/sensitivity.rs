//! Sensitivity tags in the schema: scanning a resource's bound tables, deciding suggestions,
//! and the tag history of its fields.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use ecogov_domain::entity::{field_tag_event, tag_suggestion};
use ecogov_domain::sensitivity::Tag;
use ecogov_domain::service::sensitivity::{self, Status};

use crate::catalog::CatalogResource;
use crate::error::ApiError;
use crate::query::{actor, core, paginate, parse_id};
use crate::types::{User, load_user};

fn tag_label(tag: &str) -> &str {
    match Tag::parse(tag) {
        Some(t) => t.label(),
        None => tag,
    }
}

/// Where a suggestion stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TagSuggestionStatus {
    /// Awaiting a decision.
    Pending,
    /// Confirmed: the tag is on the field.
    Confirmed,
    /// Rejected, with a reason.
    Rejected,
}

impl From<TagSuggestionStatus> for Status {
    fn from(s: TagSuggestionStatus) -> Self {
        match s {
            TagSuggestionStatus::Pending => Status::Pending,
            TagSuggestionStatus::Confirmed => Status::Confirmed,
            TagSuggestionStatus::Rejected => Status::Rejected,
        }
    }
}

/// A sensitivity tag the scanner proposes for a field.
pub struct TagSuggestion(pub tag_suggestion::Model);

#[Object]
impl TagSuggestion {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn resource_id(&self) -> ID {
        ID(self.0.resource_id.to_string())
    }
    /// The catalogued field (column) name.
    async fn field_name(&self) -> &str {
        &self.0.field_name
    }
    /// Tag identifier, e.g. `citizen_id`.
    async fn tag(&self) -> &str {
        &self.0.tag
    }
    /// The tag in Chinese, e.g. 身份证号.
    async fn tag_label(&self) -> &str {
        tag_label(&self.0.tag)
    }
    /// 0 to 0.99.
    async fn confidence(&self) -> f64 {
        self.0.confidence
    }
    /// Sampled values that matched the tag's rule.
    async fn matched(&self) -> i32 {
        self.0.matched
    }
    /// Non-blank values looked at (at most the sample bound).
    async fn sampled(&self) -> i32 {
        self.0.sampled
    }
    /// Why, in Chinese.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// pending, confirmed or rejected.
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// When the evidence was last refreshed by a scan.
    async fn scanned_at(&self) -> DateTime<Utc> {
        self.0.scanned_at
    }
    async fn decided_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.decided_by).await
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    /// The confirmation note or the rejection reason.
    async fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }
}

/// One entry of a field's tag history.
pub struct FieldTagEvent(pub field_tag_event::Model);

#[Object]
impl FieldTagEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn field_name(&self) -> &str {
        &self.0.field_name
    }
    /// Tag identifier.
    async fn tag(&self) -> &str {
        &self.0.tag
    }
    /// The tag in Chinese.
    async fn tag_label(&self) -> &str {
        tag_label(&self.0.tag)
    }
    /// added, removed, confirmed or rejected.
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        load_user(ctx, self.0.actor_id).await
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The version note, the confirmation note or the rejection reason.
    async fn note(&self) -> &str {
        &self.0.note
    }
    /// The catalog version that carried the change (none for a rejection).
    async fn catalog_version(&self) -> Option<i32> {
        self.0.catalog_version
    }
    /// The suggestion decided, if the entry comes from one.
    async fn suggestion_id(&self) -> Option<ID> {
        self.0.suggestion_id.map(|i| ID(i.to_string()))
    }
}

/// What a scan read and what it proposes.
#[derive(SimpleObject)]
pub struct SensitivityScan {
    /// Bound tables sampled (`source.table`).
    pub tables: Vec<String>,
    /// Rows read over all tables (at most 200 per table).
    pub rows_sampled: i32,
    /// Catalogued fields that no bound table has (not scanned).
    pub missing_fields: Vec<String>,
    /// Suggestions matching this scan's findings, in any status, highest confidence first.
    pub suggestions: Vec<TagSuggestion>,
}

/// A confirmed suggestion and the resource version that now carries the tag.
#[derive(SimpleObject)]
pub struct TagConfirmation {
    /// The suggestion, now confirmed.
    pub suggestion: TagSuggestion,
    /// The resource after the change (new version, recomputed grade).
    pub resource: CatalogResource,
}

/// Sensitivity queries.
#[derive(Default)]
pub struct SensitivityQuery;

#[Object]
impl SensitivityQuery {
    /// A resource's tag suggestions, optionally in one status.
    async fn tag_suggestions(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        status: Option<TagSuggestionStatus>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, TagSuggestion, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let id = parse_id("resourceId", &resource_id)?;
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = sensitivity::suggestions(&c, &a, id, status.map(Into::into), page).await?;
            Ok((rows.into_iter().map(TagSuggestion).collect(), total))
        })
        .await
    }

    /// The tag history of a resource's fields (or of one field), newest first.
    async fn tag_history(
        &self,
        ctx: &Context<'_>,
        resource_id: ID,
        field_name: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, FieldTagEvent, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let id = parse_id("resourceId", &resource_id)?;
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = sensitivity::history(&c, &a, id, field_name.as_deref(), page).await?;
            Ok((rows.into_iter().map(FieldTagEvent).collect(), total))
        })
        .await
    }
}

/// Sensitivity mutations.
#[derive(Default)]
pub struct SensitivityMutation;

#[Object]
impl SensitivityMutation {
    /// Scans a resource's bound tables (at most 200 rows each) and records tag suggestions.
    async fn scan_sensitivity(&self, ctx: &Context<'_>, resource_id: ID) -> async_graphql::Result<SensitivityScan> {
        let r = sensitivity::scan(core(ctx)?, actor(ctx)?, parse_id("resourceId", &resource_id)?)
            .await
            .map_err(ApiError)?;
        Ok(SensitivityScan {
            tables: r.tables,
            rows_sampled: i32::try_from(r.rows_sampled).unwrap_or(i32::MAX),
            missing_fields: r.missing_fields,
            suggestions: r.suggestions.into_iter().map(TagSuggestion).collect(),
        })
    }

    /// Confirms a suggestion: the tag goes onto the field as a new catalog version.
    async fn confirm_tag_suggestion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: Option<String>,
    ) -> async_graphql::Result<TagConfirmation> {
        let (s, r) = sensitivity::confirm(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, note.as_deref())
            .await
            .map_err(ApiError)?;
        Ok(TagConfirmation {
            suggestion: TagSuggestion(s),
            resource: CatalogResource(r),
        })
    }

    /// Rejects a suggestion; a reason is required (`missing_field` without one).
    async fn reject_tag_suggestion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<TagSuggestion> {
        Ok(TagSuggestion(
            sensitivity::reject(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, reason.as_deref())
                .await
                .map_err(ApiError)?,
        ))
    }
}
