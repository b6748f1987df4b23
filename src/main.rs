//! The `walkthrough` binary: builds the runtime, hands the arguments to `cli::run`
//! and turns its outcome into the process exit code. Nothing else lives here.

fn main() {
    let code = walkthrough::cli::main();
    std::process::exit(code);
}
