//! The `qoltanba` command: a thin shell over the library (src/cli: arguments, commands, printers). Exit codes
//! (README, "The CLI"): 0 valid, 1 verified and invalid, 2 bad usage or unreadable input.

use std::process::ExitCode;

use clap::Parser;

mod cli;

/// `println!` that ends the process quietly when stdout is closed (`qoltanba forms list | head`), as command-line
/// tools do, instead of panicking.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if writeln!(out, $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = cli::args::Cli::parse();
    cli::print::finish(cli::commands::run(cli.command))
}
