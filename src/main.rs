//! The `downballot` binary: everything lives in the library crates.

/// mimalloc instead of glibc's malloc: the surge path allocates small strings on several threads
/// at once, where glibc's arenas and free-list consolidation showed up in profiles.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    downballot_app::main()
}
