#![doc = include_str!("../README.md")]

pub mod air;
pub mod blob;
pub mod calendar;
pub mod catalog;
pub mod enterprise;
pub mod entity;
pub mod error;
pub mod hashchain;
pub mod ident;
pub mod met;
pub mod password;
pub mod permit;
pub mod quality;
pub mod reconciliation;
pub mod role;
pub mod secretbox;
pub mod sensitivity;
pub mod service;
pub mod sla;
#[cfg(test)]
mod testdb;
pub mod time;
pub mod token;
pub mod workflow;

pub use error::{Error, Result};
