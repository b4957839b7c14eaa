//! The console is embedded from `web/dist`: without a web build, say which target makes it.
fn main() {
    let index = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist/index.html");
    println!("cargo:rerun-if-changed=../web/dist");
    if !index.exists() {
        panic!(
            "\n\nthe console is not built ({} is missing): run `make web` (npm ci && npm run build in web/), or `make test` / `make release`, which do it\n\n",
            index.display()
        );
    }
}
