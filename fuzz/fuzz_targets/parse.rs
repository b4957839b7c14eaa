//! Parses arbitrary UTF-8 as SPL: the parser, the printer and the static checks must never
//! panic, whatever the input (`make fuzz`). The stricter round-trip property is the
//! `roundtrip` target (`make fuzz-roundtrip`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = loupe_query::parse(text) {
        let printed = p.to_string();
        let _ = loupe_query::parse(&printed);
        let _ = loupe_query::unsupported_functions(&p);
        let _ = loupe_query::needs::event_fields(&p.commands);
    }
});
