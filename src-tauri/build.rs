fn main() {
    // The shipped protocols are embedded; rebuild when they change.
    println!("cargo:rerun-if-changed=../screening-protocols");
    tauri_build::build()
}
