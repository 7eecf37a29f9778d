//! The remediation core: users, sessions, tickets, SLA clocks, calendar, outbox, audit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates the core tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn n(s: &'static str) -> Alias {
    Alias::new(s)
}

fn tstz(c: &'static str) -> ColumnDef {
    timestamp_with_time_zone(n(c))
}

fn tstz_null(c: &'static str) -> ColumnDef {
    timestamp_with_time_zone_null(n(c))
}

fn table(name: &'static str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(n(name));
    for mut c in cols {
        t.col(&mut c);
    }
    t.to_owned()
}

fn index(name: &'static str, table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(n(table));
    for c in cols {
        i.col(n(c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            table(
                "departments",
                vec![
                    big_pk_auto(n("id")),
                    string_uniq(n("code")),
                    string(n("name")),
                    boolean(n("external")),
                    big_integer_null(n("manager_id")),
                    tstz("created_at"),
                ],
            ),
            table(
                "users",
                vec![
                    big_pk_auto(n("id")),
                    string_uniq(n("username")),
                    string(n("display_name")),
                    string_null(n("email")),
                    string(n("password_hash")),
                    string(n("role")),
                    big_integer_null(n("department_id")),
                    boolean(n("active")),
                    integer(n("failed_logins")),
                    tstz_null("locked_until"),
                    tstz("created_at"),
                    tstz("updated_at"),
                ],
            ),
            table(
                "sessions",
                vec![
                    big_pk_auto(n("id")),
                    string_uniq(n("sid")),
                    big_integer(n("user_id")),
                    string(n("client_addr")),
                    tstz("created_at"),
                    tstz("last_seen_at"),
                    tstz("expires_at"),
                    tstz_null("revoked_at"),
                ],
            ),
            table(
                "login_attempts",
                vec![
                    big_pk_auto(n("id")),
                    string(n("username")),
                    string(n("client_addr")),
                    boolean(n("success")),
                    tstz("at"),
                ],
            ),
            table(
                "tickets",
                vec![
                    big_pk_auto(n("id")),
                    string(n("kind")),
                    string(n("state")),
                    string(n("title")),
                    text(n("description")),
                    string(n("severity")),
                    string(n("source")),
                    string_null(n("subject_type")),
                    string_null(n("subject_id")),
                    big_integer_null(n("department_id")),
                    big_integer_null(n("assignee_id")),
                    big_integer_null(n("reviewer_id")),
                    big_integer_null(n("created_by")),
                    big_integer_null(n("rectified_by")),
                    string_null(n("dedup_key")),
                    string_null(n("open_dedup_key")),
                    integer(n("recurrence_count")),
                    integer(n("reopen_count")),
                    integer(n("version")),
                    tstz("created_at"),
                    tstz("updated_at"),
                    tstz_null("closed_at"),
                ],
            ),
            table(
                "ticket_watchers",
                vec![
                    big_pk_auto(n("id")),
                    big_integer(n("ticket_id")),
                    big_integer(n("user_id")),
                ],
            ),
            table(
                "ticket_comments",
                vec![
                    big_pk_auto(n("id")),
                    big_integer(n("ticket_id")),
                    big_integer(n("author_id")),
                    text(n("body")),
                    tstz("created_at"),
                ],
            ),
            table(
                "ticket_occurrences",
                vec![
                    big_pk_auto(n("id")),
                    big_integer(n("ticket_id")),
                    text(n("detail")),
                    tstz("occurred_at"),
                ],
            ),
            table(
                "ticket_events",
                vec![
                    big_pk_auto(n("id")),
                    big_integer(n("ticket_id")),
                    string(n("event")),
                    string(n("from_state")),
                    string(n("to_state")),
                    big_integer(n("actor_id")),
                    text_null(n("note")),
                    text_null(n("reason")),
                    tstz("at"),
                ],
            ),
            table(
                "attachments",
                vec![
                    big_pk_auto(n("id")),
                    big_integer(n("ticket_id")),
                    string(n("file_name")),
                    string(n("content_type")),
                    big_integer(n("size_bytes")),
                    string(n("sha256")),
                    big_integer(n("uploaded_by")),
                    tstz("created_at"),
                ],
            ),
            table(
                "idempotency_keys",
                vec![
                    big_pk_auto(n("id")),
                    big_integer(n("user_id")),
                    string(n("key")),
                    text(n("response")),
                    tstz("created_at"),
                ],
            ),
            table(
                "sla_policies",
                vec![
                    big_pk_auto(n("id")),
                    string(n("kind")),
                    string(n("severity")),
                    big_integer(n("feedback_minutes")),
                    big_integer(n("resolution_minutes")),
                    double(n("warn_ratio")),
                    tstz("updated_at"),
                ],
            ),
            table(
                "sla_clocks",
                vec![
                    big_pk_auto(n("id")),
                    big_integer(n("ticket_id")),
                    string(n("clock")),
                    string(n("status")),
                    big_integer(n("budget_minutes")),
                    double(n("warn_ratio")),
                    big_integer(n("consumed_minutes")),
                    tstz_null("running_since"),
                    tstz_null("deadline_at"),
                    tstz_null("warn_at"),
                    integer(n("deadline_version")),
                    tstz_null("breached_at"),
                    integer_null(n("warned_version")),
                    integer_null(n("breach_notified_version")),
                    tstz("started_at"),
                    tstz_null("stopped_at"),
                ],
            ),
            table(
                "sla_pauses",
                vec![
                    big_pk_auto(n("id")),
                    big_integer(n("clock_id")),
                    big_integer(n("ticket_id")),
                    text(n("reason")),
                    tstz("paused_at"),
                    tstz_null("resumed_at"),
                ],
            ),
            table(
                "calendar_days",
                vec![
                    date(n("date")).primary_key().to_owned(),
                    boolean(n("working")),
                    string(n("name")),
                    string(n("source")),
                    tstz("updated_at"),
                ],
            ),
            table(
                "settings",
                vec![
                    string(n("key")).primary_key().to_owned(),
                    text(n("value")),
                    tstz("updated_at"),
                ],
            ),
            table(
                "notifications",
                vec![
                    big_pk_auto(n("id")),
                    string_uniq(n("dedup_key")),
                    string(n("kind")),
                    big_integer_null(n("ticket_id")),
                    big_integer_null(n("recipient_id")),
                    string(n("recipient_email")),
                    string(n("subject")),
                    text(n("body_text")),
                    text(n("body_html")),
                    string(n("status")),
                    integer(n("attempts")),
                    integer(n("max_attempts")),
                    tstz("next_attempt_at"),
                    tstz_null("locked_until"),
                    text_null(n("last_error")),
                    tstz("created_at"),
                    tstz_null("sent_at"),
                ],
            ),
            table(
                "audit_events",
                vec![
                    big_pk_auto(n("id")),
                    big_integer_null(n("seq")),
                    tstz("at"),
                    big_integer_null(n("actor_id")),
                    string(n("actor_name")),
                    string(n("action")),
                    string(n("subject_type")),
                    string(n("subject_id")),
                    text_null(n("before")),
                    text_null(n("after")),
                    string_null(n("prev_hash")),
                    string_null(n("hash")),
                    string_null(n("algorithm")),
                ],
            ),
            table(
                "audit_head",
                vec![
                    integer(n("id")).primary_key().to_owned(),
                    big_integer(n("seq")),
                    string(n("hash")),
                ],
            ),
            table(
                "audit_checkpoints",
                vec![
                    big_pk_auto(n("id")),
                    string_uniq(n("day")),
                    big_integer(n("head_seq")),
                    string(n("head_hash")),
                    tstz("created_at"),
                ],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        let indexes = vec![
            index("ux_tickets_open_dedup", "tickets", &["open_dedup_key"], true),
            index("ux_audit_seq", "audit_events", &["seq"], true),
            index("ix_tickets_state", "tickets", &["state"], false),
            index("ix_tickets_assignee", "tickets", &["assignee_id"], false),
            index("ix_tickets_department", "tickets", &["department_id"], false),
            index("ux_watchers", "ticket_watchers", &["ticket_id", "user_id"], true),
            index("ix_comments_ticket", "ticket_comments", &["ticket_id"], false),
            index("ix_occurrences_ticket", "ticket_occurrences", &["ticket_id"], false),
            index("ix_events_ticket", "ticket_events", &["ticket_id"], false),
            index("ix_attachments_ticket", "attachments", &["ticket_id"], false),
            index("ux_idempotency", "idempotency_keys", &["user_id", "key"], true),
            index("ux_sla_policy", "sla_policies", &["kind", "severity"], true),
            index("ux_sla_clock", "sla_clocks", &["ticket_id", "clock"], true),
            index("ix_sla_clock_status", "sla_clocks", &["status", "deadline_at"], false),
            index(
                "ix_notifications_due",
                "notifications",
                &["status", "next_attempt_at"],
                false,
            ),
            index("ix_login_user", "login_attempts", &["username", "at"], false),
            index("ix_login_addr", "login_attempts", &["client_addr", "at"], false),
        ];
        for i in indexes {
            manager.create_index(i).await?;
        }
        // The genesis head of the audit chain: appends lock and advance this single row.
        let genesis = "0".repeat(64);
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{genesis}')"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "audit_checkpoints",
            "audit_head",
            "audit_events",
            "notifications",
            "settings",
            "calendar_days",
            "sla_pauses",
            "sla_clocks",
            "sla_policies",
            "idempotency_keys",
            "attachments",
            "ticket_events",
            "ticket_occurrences",
            "ticket_comments",
            "ticket_watchers",
            "tickets",
            "login_attempts",
            "sessions",
            "users",
            "departments",
        ] {
            manager.drop_table(Table::drop().table(n(t)).to_owned()).await?;
        }
        Ok(())
    }
}
