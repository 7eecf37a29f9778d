#![doc = include_str!("../README.md")]

pub mod blob;
pub mod calendar;
pub mod entity;
pub mod error;
pub mod hashchain;
pub mod password;
pub mod role;
pub mod service;
pub mod sla;
pub mod time;
pub mod token;
pub mod workflow;

pub use error::{Error, Result};
