//! sea-orm entities, one module per table.

pub mod attachment;
pub mod audit_checkpoint;
pub mod audit_event;
pub mod audit_head;
pub mod calendar_day;
pub mod catalog_field;
pub mod catalog_resource;
pub mod catalog_version;
pub mod data_source;
pub mod department;
pub mod field_tag_event;
pub mod idempotency_key;
pub mod login_attempt;
pub mod notification;
pub mod session;
pub mod setting;
pub mod sla_clock;
pub mod sla_pause;
pub mod sla_policy;
pub mod tag_suggestion;
pub mod ticket;
pub mod ticket_comment;
pub mod ticket_event;
pub mod ticket_occurrence;
pub mod ticket_watcher;
pub mod user;
