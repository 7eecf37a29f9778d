//! The eco-environment domain classification (资源分类 类/项/目) as editable data, seeded
//! with a built-in scheme after 《生态环境信息分类与代码》 that admins extend and correct.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates and seeds `classifications`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// (path, name): 类 1 digit, 项 2, 目 3.
const BUILTIN: &[(&str, &str)] = &[
    ("1", "生态环境质量"),
    ("1/01", "生态状况"),
    ("1/01/001", "自然保护地"),
    ("1/01/002", "生物多样性"),
    ("1/02", "大气环境"),
    ("1/02/001", "空气质量日报"),
    ("1/02/002", "降尘与沙尘"),
    ("1/02/003", "空气质量自动监测"),
    ("1/03", "水环境"),
    ("1/03/001", "饮用水水源地"),
    ("1/03/002", "地表水断面监测"),
    ("1/03/003", "地下水"),
    ("1/04", "土壤环境"),
    ("1/04/001", "土壤环境监测"),
    ("1/05", "气象与气候"),
    ("1/05/001", "地面气象观测"),
    ("1/06", "声环境"),
    ("1/06/001", "功能区声环境监测"),
    ("2", "污染源监管"),
    ("2/01", "企业与排污单位"),
    ("2/01/001", "企业基本信息"),
    ("2/02", "排污许可"),
    ("2/02/001", "排污许可证"),
    ("2/03", "在线监测"),
    ("2/03/001", "废气在线监测"),
    ("2/03/002", "废水在线监测"),
    ("2/04", "排放申报"),
    ("2/04/001", "排放量申报"),
    ("3", "执法监督"),
    ("3/01", "行政处罚"),
    ("3/01/001", "行政处罚案件"),
    ("3/02", "信访投诉"),
    ("3/02/001", "环境信访投诉"),
    ("4", "环境管理"),
    ("4/01", "环境影响评价"),
    ("4/01/001", "环评审批"),
    ("4/02", "固体废物"),
    ("4/02/001", "危险废物转移"),
    ("5", "综合与政务服务"),
    ("5/01", "综合管理"),
    ("5/01/001", "综合统计"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let n = Alias::new;
        manager
            .create_table(
                Table::create()
                    .table(n("classifications"))
                    .col(big_pk_auto(n("id")))
                    .col(string_uniq(n("path")))
                    .col(string_null(n("parent_path")))
                    .col(small_integer(n("level")))
                    .col(string(n("name")))
                    .col(text(n("description")))
                    .col(boolean(n("active")))
                    .col(boolean(n("builtin")))
                    .col(timestamp_with_time_zone(n("updated_at")))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(n("classifications"))
            .columns([
                n("path"),
                n("parent_path"),
                n("level"),
                n("name"),
                n("description"),
                n("active"),
                n("builtin"),
                n("updated_at"),
            ])
            .to_owned();
        for (path, name) in BUILTIN {
            let parent = path.rsplit_once('/').map(|(p, _)| p.to_owned());
            let level = path.split('/').count() as i16;
            let row: [Expr; 8] = [
                Expr::val(*path),
                Expr::val(parent),
                Expr::val(level),
                Expr::val(*name),
                Expr::val(""),
                Expr::val(true),
                Expr::val(true),
                Expr::current_timestamp(),
            ];
            insert.values_panic(row);
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("classifications")).to_owned())
            .await
    }
}
