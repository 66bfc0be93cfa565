//! The `downballot` binary: everything lives in the library crates.

fn main() -> std::process::ExitCode {
    downballot_app::main()
}
