//! Adapters: the room index and broadcast selection (in-memory; remote adapters sit beside it).
