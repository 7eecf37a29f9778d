//! Building the [`Core`] and the first start: migrations, built-in calendar, first admin,
//! demo data.

use std::sync::Arc;

use anyhow::Context;
use ecogov_domain::blob::BlobStore;
use ecogov_domain::catalog::contact::ContactInput;
use ecogov_domain::catalog::diff::Snapshot;
use ecogov_domain::catalog::lifecycle::Event as CatalogEvent;
use ecogov_domain::hashchain::HashAlgorithm;
use ecogov_domain::password::Password;
use ecogov_domain::role::Role;
use ecogov_domain::service::{
    Actor, Core, SecurityPolicy, calendar, catalog, datasource, directory, source_system, tickets,
};
use ecogov_domain::time::SharedClock;
use ecogov_domain::token::TokenSigner;
use ecogov_domain::workflow::{Event, Severity, TicketKind};
use sea_orm::DatabaseConnection;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::settings::Settings;

/// Builds the core services over a connected database.
pub fn core(settings: &Settings, db: DatabaseConnection, clock: SharedClock) -> anyhow::Result<Core> {
    let key = settings.signing_key_bytes()?;
    let audit_algorithm: HashAlgorithm = settings
        .audit_algorithm
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown audit algorithm {}", settings.audit_algorithm))?;
    Ok(Core {
        db,
        clock,
        signer: TokenSigner::new(&key),
        blobs: BlobStore::new(settings.data_dir.join("blobs")),
        audit_algorithm,
        security: SecurityPolicy {
            max_failed_per_account: settings.max_failed_logins,
            max_failed_per_address: settings.max_failed_logins_per_address,
            lockout_minutes: settings.lockout_minutes,
            idle_timeout_minutes: settings.idle_timeout_minutes,
            token_ttl_hours: settings.token_ttl_hours,
        },
        public_url: Arc::from(settings.public_url.as_str()),
        mail_from: Arc::from(settings.mail_from.as_str()),
        catalog_index: Default::default(),
        secrets: ecogov_domain::secretbox::SecretBox::new(&settings.credentials_key_bytes()?),
    })
}

/// What the first start did, for the console.
#[derive(Debug, Default)]
pub struct FirstStart {
    /// The admin's password if it was generated (shown once).
    pub generated_admin_password: Option<String>,
    /// Whether the admin was created now.
    pub admin_created: bool,
    /// Demo accounts' password, if demo data was seeded now.
    pub demo_password: Option<String>,
}

/// Seeds the calendar and the first admin if missing; demo data if asked. Idempotent.
pub async fn first_start(core: &Core, settings: &Settings) -> anyhow::Result<FirstStart> {
    calendar::seed_builtin(core)
        .await
        .context("seeding the built-in calendar")?;
    let mut out = FirstStart::default();
    if !directory::any_user(core).await? {
        let (password, generated) = match &settings.admin_password {
            Some(p) => (p.expose().to_owned(), false),
            None => (Password::generate(), true),
        };
        directory::create_user(
            core,
            None,
            directory::NewUser {
                username: "admin".into(),
                display_name: "系统管理员".into(),
                email: None,
                role: Role::Admin,
                department_id: None,
                password: password.clone(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the first admin: {}", e.user_message()))?;
        out.admin_created = true;
        if generated {
            out.generated_admin_password = Some(password);
        }
        if settings.demo {
            out.demo_password = Some(seed_demo(core, &settings.data_dir).await?);
        }
    }
    Ok(out)
}

/// Demo departments, users and tickets in several states. Returns the demo users' password.
async fn seed_demo(core: &Core, data_dir: &std::path::Path) -> anyhow::Result<String> {
    let err = |e: ecogov_domain::Error| anyhow::anyhow!("demo data: {}", e.user_message());
    let password = "Demo-Wuhan-2026".to_owned();
    let center = directory::create_department(
        core,
        None,
        directory::NewDepartment {
            code: "DRC".into(),
            name: "数据资源中心".into(),
            external: false,
            manager_id: None,
        },
    )
    .await
    .map_err(err)?;
    let air = directory::create_department(
        core,
        None,
        directory::NewDepartment {
            code: "AIR".into(),
            name: "大气环境处".into(),
            external: false,
            manager_id: None,
        },
    )
    .await
    .map_err(err)?;
    let ops = directory::create_department(
        core,
        None,
        directory::NewDepartment {
            code: "CITY-OPS".into(),
            name: "市城市运行管理中心".into(),
            external: true,
            manager_id: None,
        },
    )
    .await
    .map_err(err)?;
    directory::create_department(
        core,
        None,
        directory::NewDepartment {
            code: "CREDIT".into(),
            name: "市社会信用信息中心".into(),
            external: true,
            manager_id: None,
        },
    )
    .await
    .map_err(err)?;
    let mk = |username: &str, name: &str, role: Role, dept: Option<i64>| directory::NewUser {
        username: username.into(),
        display_name: name.into(),
        email: Some(format!("{username}@sthjj.wuhan.gov.cn")),
        role,
        department_id: dept,
        password: password.clone(),
    };
    let manager = directory::create_user(core, None, mk("zhangwei", "张伟", Role::Manager, Some(center.id)))
        .await
        .map_err(err)?;
    let reviewer = directory::create_user(core, None, mk("liuyang", "刘洋", Role::Manager, Some(air.id)))
        .await
        .map_err(err)?;
    let operator = directory::create_user(core, None, mk("wangfang", "王芳", Role::Operator, Some(center.id)))
        .await
        .map_err(err)?;
    directory::create_user(core, None, mk("chenjing", "陈静", Role::Auditor, None))
        .await
        .map_err(err)?;
    directory::create_user(core, None, mk("secadmin", "安全管理员", Role::SecurityAdmin, None))
        .await
        .map_err(err)?;
    let ops_user = directory::create_user(
        core,
        None,
        mk("cityops", "城运中心对接人", Role::Department, Some(ops.id)),
    )
    .await
    .map_err(err)?;
    directory::set_department_manager(core, &Actor::system_admin(), center.id, Some(manager.id))
        .await
        .map_err(err)?;

    let as_actor = |u: &ecogov_domain::entity::user::Model| directory_actor(u);
    let m = as_actor(&manager)?;
    let demo = [
        (
            "国控站 0001A 小时数据 PM2.5 缺测",
            "2026-11-30 08:00-14:00 武汉市东湖梨园站 PM2.5 连续 6 小时缺测。",
            Severity::High,
        ),
        (
            "地表水断面 总磷 数值超出量程",
            "长江 杨泗港断面 总磷 2.7 mg/L，超出仪器量程上限，疑似设备故障。",
            Severity::Medium,
        ),
        (
            "排污许可证号格式错误 3 条",
            "市局回流数据中 3 条许可证号不符合 HJ 608-2017 编码规则。",
            Severity::Low,
        ),
    ];
    let mut ids = Vec::new();
    for (title, desc, sev) in demo {
        let t = tickets::create(
            core,
            &m,
            tickets::NewTicket {
                kind: TicketKind::QualityIssue,
                title: title.into(),
                description: desc.into(),
                severity: sev,
                subject: Some(tickets::Subject {
                    kind: "dataset".into(),
                    id: "WH-AIR-HOURLY".into(),
                }),
                department_id: Some(center.id),
                reviewer_id: None,
                watcher_ids: vec![],
            },
        )
        .await
        .map_err(err)?;
        ids.push(t);
    }
    if let Some(first) = ids.first() {
        let t = tickets::transition(
            core,
            &m,
            first.id,
            tickets::TransitionInput {
                event: Some(Event::Assign),
                expected_version: first.version,
                assignee_id: Some(operator.id),
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
        tickets::transition(
            core,
            &as_actor(&operator)?,
            t.id,
            tickets::TransitionInput {
                event: Some(Event::Start),
                expected_version: t.version,
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
    }
    seed_demo_catalog(core, data_dir, &m, &as_actor(&reviewer)?).await?;
    let ops_actor = as_actor(&ops_user)?;
    tickets::create(
        core,
        &ops_actor,
        tickets::NewTicket {
            kind: TicketKind::DataRequest,
            title: "申请共享全市空气质量小时数据".into(),
            description: "城运中心大屏需接入全市 23 个国控、省控站点的空气质量小时数据。".into(),
            severity: Severity::Medium,
            subject: Some(tickets::Subject {
                kind: "dataset".into(),
                id: "WH-AIR-HOURLY".into(),
            }),
            department_id: None,
            reviewer_id: None,
            watcher_ids: vec![],
        },
    )
    .await
    .map_err(err)?;
    Ok(password)
}

/// The demo source database (Wuhan-like datasets with planted defects), registered as a data
/// source and catalogued: resources created by `author`, published by `approver`.
async fn seed_demo_catalog(
    core: &Core,
    data_dir: &std::path::Path,
    author: &Actor,
    approver: &Actor,
) -> anyhow::Result<()> {
    let err = |e: ecogov_domain::Error| anyhow::anyhow!("demo catalog: {}", e.user_message());
    let path = data_dir.join("demo").join("wuhan-sources.sqlite");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    crate::demo_source::create(&path, core.now()).await?;
    // The data source URL must not depend on the working directory of later runs.
    let path = std::fs::canonicalize(&path).with_context(|| format!("cannot resolve {}", path.display()))?;
    // The source systems the demo datasets come from (来源系统), owned by the data center.
    let owner = ecogov_domain::entity::department::Entity::find()
        .filter(ecogov_domain::entity::department::Column::Code.eq("DRC"))
        .one(&core.db)
        .await?
        .context("demo department DRC missing")?;
    let systems = [
        (
            "air-network",
            "空气质量自动监测网络",
            "国控、省控、市控空气质量自动监测站数据采集与审核系统",
        ),
        (
            "water-network",
            "地表水水质监测网络",
            "地表水国控、省控断面自动站与手工监测数据系统",
        ),
        (
            "permit-platform",
            "全国排污许可证管理信息平台",
            "全国排污许可证申请、核发与执行报告平台（市局回流数据）",
        ),
        (
            "met-bureau",
            "武汉市气象局地面观测",
            "地面气象观测站逐小时观测数据共享接口",
        ),
        ("enforcement", "生态环境移动执法系统", "行政处罚与执法检查案件办理系统"),
        (
            "enterprise-registry",
            "企业环境信息库",
            "排污单位基本信息与统一社会信用代码登记",
        ),
    ];
    for (i, (code, name, description)) in systems.into_iter().enumerate() {
        source_system::create(
            core,
            author,
            source_system::SourceSystemInput {
                code: code.into(),
                name: name.into(),
                description: description.into(),
                owner_department_id: owner.id,
                contacts: vec![ContactInput {
                    name: "王芳".into(),
                    role: "系统运维联系人".into(),
                    phone: format!("027-8561{:04}", 2300 + i),
                    email: format!("{code}@sthjj.wuhan.gov.cn"),
                }],
            },
        )
        .await
        .map_err(err)?;
    }
    let source = "wuhan-demo";
    datasource::create(
        core,
        &Actor::system_admin(),
        datasource::NewDataSource {
            code: source.into(),
            name: "武汉市生态环境数据演示库".into(),
            url: format!("sqlite://{}?mode=ro", path.display()),
            source_system: String::new(),
        },
    )
    .await
    .map_err(err)?;
    let mut resources = std::collections::BTreeMap::new();
    for d in crate::demo_source::catalog(source, "DRC") {
        let r = catalog::create(
            core,
            author,
            Snapshot {
                resource: d.resource,
                fields: d.fields,
            },
        )
        .await
        .map_err(err)?;
        let r = catalog::transition(core, author, r.id, CatalogEvent::Submit, r.version, None)
            .await
            .map_err(err)?;
        let r = catalog::transition(core, approver, r.id, CatalogEvent::Approve, r.version, None)
            .await
            .map_err(err)?;
        resources.insert(r.code.clone(), r.id);
    }
    seed_demo_quality(core, source, &resources).await.map_err(err)
}

/// The demo's quality rules and an hourly schedule whose first run is due at once, so the
/// workers inspect every dataset as soon as `ecogov serve` starts.
async fn seed_demo_quality(
    core: &Core,
    source: &str,
    resources: &std::collections::BTreeMap<String, i64>,
) -> Result<(), ecogov_domain::Error> {
    use ecogov_domain::service::quality;
    let ds = datasource::list(core, &Actor::system_admin())
        .await?
        .into_iter()
        .find(|d| d.code == source)
        .ok_or(ecogov_domain::Error::NotFound("data_source"))?;
    // The demo tables record UTC times.
    datasource::set_time_zone(core, &Actor::system_admin(), ds.id, "UTC").await?;
    for rule in crate::demo_quality::rules() {
        let resource_id = *resources
            .get(rule.resource)
            .ok_or(ecogov_domain::Error::NotFound("catalog_resource"))?;
        let kind = rule
            .kind()
            .map_err(|e| ecogov_domain::Error::Internal(format!("demo rule {}: {e}", rule.code)))?;
        let actor = if rule.is_custom() {
            Actor::system_admin()
        } else {
            Actor::system()
        };
        quality::create_rule(
            core,
            &actor,
            quality::RuleInput {
                resource_id,
                code: rule.code.to_owned(),
                bound_table: None,
                kind,
                severity: rule.severity,
                warn: None,
                fail: None,
                auto_close_after: None,
                enabled: true,
            },
        )
        .await?;
    }
    for id in resources.values() {
        quality::set_schedule(
            core,
            &Actor::system(),
            *id,
            quality::ScheduleInput {
                cron: "0 * * * *".into(),
                working_days_only: false,
                incremental: false,
                watermark_column: None,
                enabled: true,
                first_run_at: Some(core.now()),
            },
        )
        .await?;
    }
    Ok(())
}

fn directory_actor(u: &ecogov_domain::entity::user::Model) -> anyhow::Result<Actor> {
    ecogov_domain::service::auth::actor_of(u, "").map_err(|e| anyhow::anyhow!("{e}"))
}
