//! The HTTP side: long-polling requests and the responses the engine gives.

pub(crate) mod polling;
pub(crate) mod response;
