//! The integration suite: one binary, a module per feature. Every test spawns the real app
//! on its own database (SQLite, or PostgreSQL + Redis when ECOGOV_TEST_DATABASE_URL is set).

#![expect(clippy::unwrap_used, reason = "tests fail fast")]

mod api;
mod audit;
mod auth;
mod catalog;
mod classification;
mod datasources;
mod demo;
mod email;
mod enterprises;
mod models;
mod permissions;
mod permits;
mod quality;
mod reconciliation;
mod sensitivity;
mod sla;
mod thematic;
mod tickets;
mod workers;

pub use ecogov_tests::*;

/// GraphQL fragments shared by the modules.
pub mod q {
    /// Fields of a ticket.
    pub const TICKET: &str = "id kind state version title severity recurrenceCount reopenCount assignee { id username } department { id name } sla { clock status deadlineAt deadlineLocal breachedAt deadlineVersion budgetMinutes consumedMinutes } availableTransitions { event to requires }";
    /// Creates a ticket.
    pub fn create() -> String {
        format!("mutation($i:CreateTicketInput!){{ createTicket(input:$i){{ {TICKET} }} }}")
    }
    /// Transitions a ticket.
    pub fn transition() -> String {
        format!("mutation($i:TransitionInput!){{ transition(input:$i){{ {TICKET} }} }}")
    }
    /// Reads a ticket.
    pub fn ticket() -> String {
        format!(
            "query($id:ID!){{ ticket(id:$id){{ {TICKET} history {{ event fromState toState note reason }} attachments {{ id sha256 sizeBytes }} comments {{ body }} }} }}"
        )
    }
    /// Uploads evidence.
    pub const UPLOAD: &str = "mutation($i:EvidenceInput!){ uploadEvidence(input:$i){ id sha256 sizeBytes fileName } }";
}
