//! Embeds the shipped pattern library (`patterns/**/*.toml`) in the binary, so that `suture fix` works on any
//! repository with no configuration and no files beside the executable.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = root.join("patterns");
    println!("cargo:rerun-if-changed=patterns");
    // The PostgreSQL test of `tests/serve_processes.rs` runs only with a database (or when one is required),
    // and otherwise shows as ignored with its reason: libtest cannot skip at run time (see
    // crates/store/build.rs, which does the same for the store's tests).
    println!("cargo::rustc-check-cfg=cfg(suture_postgres_tests)");
    println!("cargo::rerun-if-env-changed=SUTURE_TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=SUTURE_REQUIRE_POSTGRES");
    if std::env::var_os("SUTURE_TEST_DATABASE_URL").is_some()
        || std::env::var("SUTURE_REQUIRE_POSTGRES").as_deref() == Ok("1")
    {
        println!("cargo::rustc-cfg=suture_postgres_tests");
    }
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    let mut code = String::from(
        "/// The shipped pattern library: (path in the repository, file text).\npub(crate) static SHIPPED: &[(&str, &str)] = &[\n",
    );
    for file in files {
        let name = file
            .strip_prefix(&root)
            .expect("under the manifest dir")
            .display()
            .to_string();
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("shipped.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
