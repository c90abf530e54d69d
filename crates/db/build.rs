//! Rebuild when a migration is added: `sqlx::migrate!` embeds the folder's
//! files at compile time, and Cargo does not notice a new file on its own.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
