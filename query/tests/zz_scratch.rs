use loupe_query::*;
#[test]
fn dump() {
    let input = std::fs::read_to_string("/tmp/in.txt").unwrap_or_default();
    let mut out = String::new();
    for line in input.lines() {
        match parse(line) {
            Ok(p) => {
                out.push_str(&p.to_string());
                out.push('\n');
                out.push_str(&serde_json::to_string(&p).unwrap());
                out.push('\n');
            }
            Err(e) => {
                out.push_str(&format!("ERR {e} {:?}\n", e));
            }
        }
    }
    std::fs::write("/tmp/out.txt", out).unwrap();
}
