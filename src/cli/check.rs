//! `walkthrough check`: loads and validates the project file (when there is one) and the
//! scenario files without running anything. Prints every diagnostic to stderr (exit 3), or
//! a one-line summary (exit 0).

use std::path::PathBuf;

use crate::scenario;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files or directories (a directory yields its `*.yaml`/`*.yml`, not `flows/`)
    /// [default: the project file's `scenarios`, else scenarios/].
    pub paths: Vec<PathBuf>,
    /// The project file [default: walkthrough.yaml in this folder or the nearest parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A variable for `${name}`, as `name=value` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = super::run::parse_var)]
    pub vars: Vec<(String, String)>,
}

pub async fn run(args: Args) -> i32 {
    let project = match super::run::load_project(args.config.as_ref()) {
        Ok(project) => project,
        Err(e) => {
            if let crate::harness::RunError::InvalidProject(d) = &e {
                eprint!("{}", d.render());
            }
            eprintln!("\nerror: {e}");
            return e.exit_code();
        }
    };
    // `polar.seed` is read the way the mock will read it.
    if let Some(seed) = project.as_ref().and_then(|p| p.polar_seed.as_ref()) {
        if let Err(e) = crate::polar_mock::check_seed(seed) {
            eprintln!("error: polar.seed: {e}");
            return super::exit::INVALID_SCENARIOS;
        }
    }
    let paths = match (args.paths.is_empty(), &project) {
        (false, _) => args.paths,
        (true, Some(p)) if !p.scenarios.is_empty() => p.scenarios.clone(),
        _ => vec![PathBuf::from("scenarios")],
    };
    let opts = scenario::LoadOptions::with_cli_vars(args.vars);
    match scenario::load(&paths, &opts) {
        Ok(loaded) => {
            let steps: usize = loaded.scenarios.iter().map(|s| s.steps.len()).sum();
            println!(
                "ok: {} scenario{}, {} step{}",
                loaded.scenarios.len(),
                if loaded.scenarios.len() == 1 { "" } else { "s" },
                steps,
                if steps == 1 { "" } else { "s" }
            );
            super::exit::PASSED
        }
        Err(diags) => {
            eprint!("{}", diags.render());
            let n = diags.items.len();
            eprintln!(
                "\nerror: {n} problem{} found; nothing was run",
                if n == 1 { "" } else { "s" }
            );
            super::exit::INVALID_SCENARIOS
        }
    }
}
