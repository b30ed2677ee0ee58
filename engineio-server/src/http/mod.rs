//! The HTTP side: long-polling requests, CORS, refusals and the responses the engine gives.

pub(crate) mod cors;
pub(crate) mod polling;
pub(crate) mod refusal;
pub(crate) mod response;
