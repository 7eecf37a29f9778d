//! The data resource catalog (数据资源目录): resources, their fields (数据元), versions,
//! grading, the Excel layout, schema drift and search; source-system contacts and data models.

pub mod contact;
pub mod data_model;
pub mod diff;
pub mod drift;
pub mod introspect;
pub mod lifecycle;
pub mod model;
pub mod search;
pub mod xlsx;
