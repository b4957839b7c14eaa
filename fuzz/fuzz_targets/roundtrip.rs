//! Whatever parses as SPL must
//! print (canonical SPL) to text that parses again to the same tree (spans aside).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut first) = loupe_query::parse(text) else {
        return;
    };
    let printed = first.to_string();
    let mut second = match loupe_query::parse(&printed) {
        Ok(p) => p,
        Err(e) => panic!("the printed form of {text:?} does not parse: {printed:?}: {e}"),
    };
    first.strip_spans();
    second.strip_spans();
    assert_eq!(
        first, second,
        "round trip of {text:?} via {printed:?} changed the tree"
    );
});
