//! `loupe-forwarder` (work in progress).
fn main() {}
