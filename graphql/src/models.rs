//! Source systems (来源系统) and data models (数据模型) in the schema.
//!
//! Reads need `ViewCatalog`, writes `ManageCatalog`. Contacts of a source system show phone
//! and e-mail in full only to catalog managers and the owner department's users; everyone else
//! gets them masked (`masked: true`).

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use ecogov_domain::Error;
use ecogov_domain::catalog::contact::ContactInput;
use ecogov_domain::catalog::data_model::{self as dm, DanglingKind, EntityDraft, ModelDraft, RelationDraft};
use ecogov_domain::entity::{data_model, source_system};
use ecogov_domain::service::data_model::{self as models, Detail};
use ecogov_domain::service::source_system::{self as systems, SourceSystemFilter, SourceSystemInput as DomainInput};
use tokio::sync::OnceCell;

use crate::catalog::CatalogResource;
use crate::error::ApiError;
use crate::query::{actor, core, paginate, parse_id};
use crate::types::{Department, load_department};

/// A contact as entered.
#[derive(InputObject)]
pub struct SourceSystemContactInput {
    /// 姓名.
    pub name: String,
    /// 职责 (系统负责人, 运维联系人...).
    #[graphql(default)]
    pub role: String,
    /// 手机号或 区号-座机号.
    #[graphql(default)]
    pub phone: String,
    /// 电子邮箱.
    #[graphql(default)]
    pub email: String,
}

/// A source system as entered (the code cannot change after creation).
#[derive(InputObject)]
pub struct SourceSystemInput {
    /// Code, 1-64 of `[a-z0-9-]`, named by catalog resources (`sourceSystem`).
    pub code: String,
    /// 名称.
    pub name: String,
    /// 说明.
    #[graphql(default)]
    pub description: String,
    /// Owner department.
    pub owner_department_id: ID,
    /// Contacts (at most 10; each with a phone or an e-mail).
    #[graphql(default)]
    pub contacts: Vec<SourceSystemContactInput>,
}

impl SourceSystemInput {
    fn into_domain(self) -> Result<DomainInput, ApiError> {
        Ok(DomainInput {
            owner_department_id: parse_id("ownerDepartmentId", &self.owner_department_id)?,
            code: self.code,
            name: self.name,
            description: self.description,
            contacts: self
                .contacts
                .into_iter()
                .map(|c| ContactInput {
                    name: c.name,
                    role: c.role,
                    phone: c.phone,
                    email: c.email,
                })
                .collect(),
        })
    }
}

/// Filters of the source-system list.
#[derive(InputObject, Default)]
pub struct SourceSystemFilterInput {
    /// Only systems owned by this department.
    pub owner_department_id: Option<ID>,
    /// Only active (true) or inactive (false) systems.
    pub active: Option<bool>,
}

/// A contact of a source system, as the caller may see it.
#[derive(SimpleObject)]
pub struct SourceSystemContact {
    /// 姓名.
    pub name: String,
    /// 职责.
    pub role: String,
    /// 电话 (masked unless the caller may see it).
    pub phone: Option<String>,
    /// 电子邮箱 (masked unless the caller may see it).
    pub email: Option<String>,
    /// Whether phone and e-mail are masked for the caller.
    pub masked: bool,
}

/// A source system (来源系统).
pub struct SourceSystem(pub source_system::Model);

#[Object]
impl SourceSystem {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Named by catalog resources (`sourceSystem`).
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// The department that owns the system.
    async fn owner_department(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Department>> {
        load_department(ctx, Some(self.0.owner_department_id)).await
    }
    /// Contacts; phone and e-mail masked unless the caller manages the catalog or belongs to
    /// the owner department.
    async fn contacts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SourceSystemContact>> {
        let views = systems::visible_contacts(actor(ctx)?, &self.0).map_err(ApiError)?;
        Ok(views
            .into_iter()
            .map(|v| SourceSystemContact {
                name: v.name,
                role: v.role,
                phone: v.phone,
                email: v.email,
                masked: v.masked,
            })
            .collect())
    }
    /// Inactive systems stay on the resources that name them; new references are refused.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Send as `expectedVersion` with the next change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Relation cardinality (关系基数), read from the first endpoint to the second.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Cardinality {
    /// 一对一
    OneToOne,
    /// 一对多
    OneToMany,
    /// 多对一
    ManyToOne,
    /// 多对多
    ManyToMany,
}

impl From<Cardinality> for dm::Cardinality {
    fn from(c: Cardinality) -> Self {
        match c {
            Cardinality::OneToOne => dm::Cardinality::OneToOne,
            Cardinality::OneToMany => dm::Cardinality::OneToMany,
            Cardinality::ManyToOne => dm::Cardinality::ManyToOne,
            Cardinality::ManyToMany => dm::Cardinality::ManyToMany,
        }
    }
}

impl From<dm::Cardinality> for Cardinality {
    fn from(c: dm::Cardinality) -> Self {
        match c {
            dm::Cardinality::OneToOne => Cardinality::OneToOne,
            dm::Cardinality::OneToMany => Cardinality::OneToMany,
            dm::Cardinality::ManyToOne => Cardinality::ManyToOne,
            dm::Cardinality::ManyToMany => Cardinality::ManyToMany,
        }
    }
}

/// An entity as entered: a catalog resource's bound table in a group.
#[derive(InputObject)]
pub struct DataModelEntityInput {
    /// 实体分组.
    pub group: String,
    /// Catalog resource.
    pub resource_id: ID,
    /// One of the resource's bound tables (`data_source_code.table`).
    pub table: String,
}

/// A relation as entered: a field of one entity's resource to a field of another's.
#[derive(InputObject)]
pub struct DataModelRelationInput {
    /// First endpoint's resource (an entity of the model).
    pub from_resource_id: ID,
    /// First endpoint's field name.
    pub from_field: String,
    /// Second endpoint's resource (an entity of the model).
    pub to_resource_id: ID,
    /// Second endpoint's field name.
    pub to_field: String,
    /// 关系基数.
    pub cardinality: Cardinality,
    /// 说明.
    #[graphql(default)]
    pub description: String,
}

/// A whole data model as entered; an update replaces every entity and relation.
#[derive(InputObject)]
pub struct DataModelInput {
    /// Code, unique, 1-64 of `[A-Za-z0-9_.-]`.
    pub code: String,
    /// 名称.
    pub name: String,
    /// 说明.
    #[graphql(default)]
    pub description: String,
    /// Entities, in order.
    #[graphql(default)]
    pub entities: Vec<DataModelEntityInput>,
    /// Relations, in order.
    #[graphql(default)]
    pub relations: Vec<DataModelRelationInput>,
}

impl DataModelInput {
    fn into_draft(self) -> Result<ModelDraft, ApiError> {
        let mut entities = Vec::with_capacity(self.entities.len());
        for (i, e) in self.entities.into_iter().enumerate() {
            entities.push(EntityDraft {
                group: e.group,
                resource_id: parse_id(&format!("entities[{i}].resourceId"), &e.resource_id)?,
                table: e.table,
            });
        }
        let mut relations = Vec::with_capacity(self.relations.len());
        for (i, r) in self.relations.into_iter().enumerate() {
            relations.push(RelationDraft {
                from_resource_id: parse_id(&format!("relations[{i}].fromResourceId"), &r.from_resource_id)?,
                from_field: r.from_field,
                to_resource_id: parse_id(&format!("relations[{i}].toResourceId"), &r.to_resource_id)?,
                to_field: r.to_field,
                cardinality: r.cardinality.into(),
                description: r.description,
            });
        }
        Ok(ModelDraft {
            code: self.code,
            name: self.name,
            description: self.description,
            entities,
            relations,
        })
    }
}

/// An entity of a model.
pub struct DataModelEntity(models::EntityView);

#[Object]
impl DataModelEntity {
    /// 实体分组.
    async fn group(&self) -> &str {
        &self.0.group
    }
    /// The catalog resource.
    async fn resource(&self) -> CatalogResource {
        CatalogResource(self.0.resource.clone())
    }
    /// The bound table (`data_source_code.table`).
    async fn table(&self) -> &str {
        &self.0.table
    }
}

/// An entity group (实体分组) with its entities.
#[derive(SimpleObject)]
pub struct DataModelGroup {
    /// Group name.
    pub name: String,
    /// Entities in the group, in model order.
    pub entities: Vec<DataModelEntity>,
}

/// A relation between two fields.
pub struct DataModelRelation(models::RelationView);

#[Object]
impl DataModelRelation {
    /// Position in the model (problems refer to it).
    async fn index(&self) -> i32 {
        self.0.index as i32
    }
    async fn from_resource(&self) -> CatalogResource {
        CatalogResource(self.0.from_resource.clone())
    }
    async fn from_field(&self) -> &str {
        &self.0.from_field
    }
    async fn to_resource(&self) -> CatalogResource {
        CatalogResource(self.0.to_resource.clone())
    }
    async fn to_field(&self) -> &str {
        &self.0.to_field
    }
    async fn cardinality(&self) -> Cardinality {
        self.0.cardinality.into()
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
}

/// What no longer matches the catalog.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum DataModelProblemKind {
    /// A relation's field was removed from its resource by a later catalog version.
    FieldRemoved,
    /// An entity's table is no longer bound to its resource.
    TableUnbound,
}

/// A relation or entity of a model that no longer matches the catalog.
#[derive(SimpleObject)]
pub struct DataModelProblem {
    /// What kind.
    pub kind: DataModelProblemKind,
    /// Relation index (field removed) or entity index (table unbound).
    pub index: i32,
    /// The resource's code.
    pub resource_code: String,
    /// The missing field or table.
    pub name: String,
    /// The catalog version that removed the field, when known.
    pub removed_in_version: Option<i32>,
    /// In Chinese.
    pub message: String,
}

/// A data model (数据模型).
pub struct DataModel {
    model: data_model::Model,
    detail: OnceCell<Detail>,
}

impl DataModel {
    fn new(model: data_model::Model) -> Self {
        DataModel {
            model,
            detail: OnceCell::new(),
        }
    }

    /// Entities, relations and problems, loaded once per object whatever the client asks.
    async fn detail(&self, ctx: &Context<'_>) -> async_graphql::Result<&Detail> {
        let (a, c) = (actor(ctx)?, core(ctx)?);
        Ok(self
            .detail
            .get_or_try_init(|| models::detail(c, a, &self.model))
            .await
            .map_err(ApiError)?)
    }
}

#[Object]
impl DataModel {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn code(&self) -> &str {
        &self.model.code
    }
    async fn name(&self) -> &str {
        &self.model.name
    }
    async fn description(&self) -> &str {
        &self.model.description
    }
    /// Send as `expectedVersion` with the next change.
    async fn version(&self) -> i32 {
        self.model.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }
    /// Entities in order.
    async fn entities(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DataModelEntity>> {
        Ok(self
            .detail(ctx)
            .await?
            .entities
            .iter()
            .cloned()
            .map(DataModelEntity)
            .collect())
    }
    /// Entity groups (实体分组) in order of first appearance.
    async fn groups(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DataModelGroup>> {
        Ok(self
            .detail(ctx)
            .await?
            .groups()
            .into_iter()
            .map(|(name, entities)| DataModelGroup {
                name,
                entities: entities.into_iter().map(DataModelEntity).collect(),
            })
            .collect())
    }
    /// Relations in order.
    async fn relations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DataModelRelation>> {
        Ok(self
            .detail(ctx)
            .await?
            .relations
            .iter()
            .cloned()
            .map(DataModelRelation)
            .collect())
    }
    /// What no longer matches the catalog now (fields removed by later versions, tables no
    /// longer bound). Empty when the model is sound.
    async fn problems(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DataModelProblem>> {
        Ok(self
            .detail(ctx)
            .await?
            .problems
            .iter()
            .map(|p| DataModelProblem {
                kind: match p.dangling.kind {
                    DanglingKind::FieldRemoved => DataModelProblemKind::FieldRemoved,
                    DanglingKind::TableUnbound => DataModelProblemKind::TableUnbound,
                },
                index: p.dangling.index as i32,
                resource_code: p.dangling.resource_code.clone(),
                name: p.dangling.name.clone(),
                removed_in_version: p.removed_in_version,
                message: p.dangling.message.clone(),
            })
            .collect())
    }
}

/// Source-system and data-model queries.
#[derive(Default)]
pub struct ModelQuery;

#[Object]
impl ModelQuery {
    /// One source system by id or code.
    async fn source_system(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> async_graphql::Result<SourceSystem> {
        let (a, c) = (actor(ctx)?, core(ctx)?);
        let m = match (id, code) {
            (Some(id), _) => systems::get(c, a, parse_id("id", &id)?).await,
            (None, Some(code)) => systems::get_by_code(c, a, &code).await,
            (None, None) => Err(Error::MissingField("id")),
        };
        Ok(SourceSystem(m.map_err(ApiError)?))
    }

    /// Source systems by code, filtered (Relay connection, at most 200 per page).
    async fn source_systems(
        &self,
        ctx: &Context<'_>,
        filter: Option<SourceSystemFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, SourceSystem, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        let f = filter.unwrap_or_default();
        let filter = SourceSystemFilter {
            owner_department_id: f
                .owner_department_id
                .as_ref()
                .map(|i| parse_id("ownerDepartmentId", i))
                .transpose()?,
            active: f.active,
        };
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = systems::list(&c, &a, &filter, page).await?;
            Ok((rows.into_iter().map(SourceSystem).collect(), total))
        })
        .await
    }

    /// One data model by id or code.
    async fn data_model(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> async_graphql::Result<DataModel> {
        let (a, c) = (actor(ctx)?, core(ctx)?);
        let m = match (id, code) {
            (Some(id), _) => models::get(c, a, parse_id("id", &id)?).await,
            (None, Some(code)) => models::get_by_code(c, a, &code).await,
            (None, None) => Err(Error::MissingField("id")),
        };
        Ok(DataModel::new(m.map_err(ApiError)?))
    }

    /// Data models by code (Relay connection, at most 200 per page).
    async fn data_models(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Connection<usize, DataModel, EmptyFields, EmptyFields>> {
        let (a, c) = (actor(ctx)?.clone(), core(ctx)?.clone());
        paginate(after, before, first, last, |page| async move {
            let (rows, total) = models::list(&c, &a, page).await?;
            Ok((rows.into_iter().map(DataModel::new).collect(), total))
        })
        .await
    }
}

/// Source-system and data-model mutations.
#[derive(Default)]
pub struct ModelMutation;

#[Object]
impl ModelMutation {
    /// Registers a source system (active, version 1).
    async fn create_source_system(
        &self,
        ctx: &Context<'_>,
        input: SourceSystemInput,
    ) -> async_graphql::Result<SourceSystem> {
        let m = systems::create(core(ctx)?, actor(ctx)?, input.into_domain()?)
            .await
            .map_err(ApiError)?;
        Ok(SourceSystem(m))
    }

    /// Updates name, description, owner department and contacts (the code cannot change).
    async fn update_source_system(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: SourceSystemInput,
    ) -> async_graphql::Result<SourceSystem> {
        let m = systems::update(
            core(ctx)?,
            actor(ctx)?,
            parse_id("id", &id)?,
            expected_version,
            input.into_domain()?,
        )
        .await
        .map_err(ApiError)?;
        Ok(SourceSystem(m))
    }

    /// Deactivates a source system: resources keep it, new references are refused.
    async fn deactivate_source_system(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> async_graphql::Result<SourceSystem> {
        let m = systems::set_active(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, expected_version, false)
            .await
            .map_err(ApiError)?;
        Ok(SourceSystem(m))
    }

    /// Reactivates a source system.
    async fn activate_source_system(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> async_graphql::Result<SourceSystem> {
        let m = systems::set_active(core(ctx)?, actor(ctx)?, parse_id("id", &id)?, expected_version, true)
            .await
            .map_err(ApiError)?;
        Ok(SourceSystem(m))
    }

    /// Creates a data model with its entities and relations (version 1).
    async fn create_data_model(&self, ctx: &Context<'_>, input: DataModelInput) -> async_graphql::Result<DataModel> {
        let m = models::create(core(ctx)?, actor(ctx)?, input.into_draft()?)
            .await
            .map_err(ApiError)?;
        Ok(DataModel::new(m))
    }

    /// Replaces a data model whole: attributes, entities and relations (a new version).
    async fn update_data_model(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: DataModelInput,
    ) -> async_graphql::Result<DataModel> {
        let m = models::update(
            core(ctx)?,
            actor(ctx)?,
            parse_id("id", &id)?,
            expected_version,
            input.into_draft()?,
        )
        .await
        .map_err(ApiError)?;
        Ok(DataModel::new(m))
    }
}
