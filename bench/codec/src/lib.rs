//! Nothing here: the codec comparisons are the criterion benchmark in `benches/codec.rs`.
