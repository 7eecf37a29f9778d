//! DataLoaders: a page of tickets with assignee, department and SLA costs a constant number
//! of queries (one per loader), not one per row.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use ecogov_domain::entity::{department, sla_clock, source_system, user};
use ecogov_domain::service::{Core, directory, sla, source_system as systems};

/// Users by id.
pub struct UserLoader(pub Core);
/// Departments by id.
pub struct DepartmentLoader(pub Core);
/// SLA clocks by ticket id.
pub struct ClockLoader(pub Core);
/// Source systems by code (a page of catalog resources with their source systems).
pub struct SourceSystemLoader(pub Core);

type LoadError = Arc<ecogov_domain::Error>;

impl Loader<i64> for UserLoader {
    type Value = user::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(directory::users_by_ids(&self.0, keys)
            .await
            .map_err(Arc::new)?
            .into_iter()
            .map(|u| (u.id, u))
            .collect())
    }
}

impl Loader<i64> for DepartmentLoader {
    type Value = department::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(directory::departments_by_ids(&self.0, keys)
            .await
            .map_err(Arc::new)?
            .into_iter()
            .map(|d| (d.id, d))
            .collect())
    }
}

impl Loader<i64> for ClockLoader {
    type Value = Vec<sla_clock::Model>;
    type Error = LoadError;
    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut out: HashMap<i64, Vec<sla_clock::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for c in sla::clocks_of(&self.0, keys).await.map_err(Arc::new)? {
            out.entry(c.ticket_id).or_default().push(c);
        }
        Ok(out)
    }
}

impl Loader<String> for SourceSystemLoader {
    type Value = source_system::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        Ok(systems::by_codes(&self.0, keys)
            .await
            .map_err(Arc::new)?
            .into_iter()
            .map(|s| (s.code.clone(), s))
            .collect())
    }
}
