//! Decides at build time whether the PostgreSQL runs of the store tests run or show as ignored.
//!
//! Why a build script: libtest cannot skip a test at run time, so a PostgreSQL test without a database used
//! to print a line nobody sees and report "ok", having run nothing. With this cfg unset the tests are
//! `#[ignore]`d with the reason, which `cargo test` shows. They run when `SUTURE_TEST_DATABASE_URL` is set,
//! and also under `SUTURE_REQUIRE_POSTGRES=1`, where a missing URL then fails them.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(suture_postgres_tests)");
    println!("cargo::rerun-if-env-changed=SUTURE_TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=SUTURE_REQUIRE_POSTGRES");
    let url = std::env::var_os("SUTURE_TEST_DATABASE_URL").is_some();
    let required = std::env::var("SUTURE_REQUIRE_POSTGRES").as_deref() == Ok("1");
    if url || required {
        println!("cargo::rustc-cfg=suture_postgres_tests");
    }
}
