//! One file per enterprise (一企一档): the rules, free of storage.
//!
//! An enterprise is keyed by its unified social credit code ([`crate::ident::CreditCode`],
//! GB 32100-2015). Several source systems describe it: discharge permits and registrations,
//! online monitoring points, enforcement (inspections and penalty cases), environmental impact
//! approvals and emission declarations. Each source record is parsed once at the edge
//! ([`record`]): a malformed credit code (or any other malformed value) refuses the row with a
//! Chinese reason; a code that fails only its check character is kept and flagged suspect.
//!
//! [`merge`] turns the records of one enterprise into its identity: per field (name, address,
//! legal representative, industry, coordinates) the value of the highest-ranked source that has
//! one, by an admin-configured precedence. Sources that disagree (text compared after
//! normalisation, coordinates beyond a distance tolerance) make a conflict; the candidates are
//! kept side by side.

pub mod merge;
pub mod record;

pub use merge::{
    Candidate, Coordinates, Field, FieldOutcome, Merged, Observation, Precedence, Value, distance_m, merge,
    normalise_text,
};
pub use record::{
    Detail, EmissionItem, EnforcementKind, Identity, ManagementCategory, Outlet, Payload, RawEmission, RawOutlet,
    RawRecord, RowProblem, Source, SourceRecord, parse_batch,
};
