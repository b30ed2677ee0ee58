//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test binary uses its own part

pub mod node;
