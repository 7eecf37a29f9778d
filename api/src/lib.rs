#![doc = include_str!("../README.md")]

pub mod app;
pub mod bench;
pub mod bench_aqi;
pub mod bench_enterprises;
pub mod bench_inspection;
pub mod bench_metqc;
pub mod bench_permits;
pub mod bootstrap;
pub mod db;
pub mod demo_quality;
pub mod demo_source;
pub mod server;
pub mod settings;
