//! `walkthrough merge --out DIR FOLDER...`: many run folders into one folder with one report
//! (the work is [`crate::evidence::merge`]'s).

use std::path::PathBuf;

use crate::evidence::merge::{merge, MergePlan};

/// What `walkthrough merge --help` says after the options.
const HELP: &str = "\
Each FOLDER is first checked against its manifest.json, as `walkthrough verify` does: a
changed, missing or added file refuses the merge (exit 1), naming the folder and the file.
Each run is then copied whole to DIR/runs/NN-<target>-<browser>[-shard-I-of-N]/ (its own
manifest with it), and DIR gets one report.json, index.html, junit.xml (a test suite per
run), summary.md (the slots per target and browser) and a manifest.json over everything,
so `walkthrough verify DIR` passes.

Slots: in one target and browser (shards, reruns) a slot is verified when a run verified it
there (flaky when another run failed it); overall the worst target and browser that ran it
decides (failed > unverified > verified), so a sandbox run and a production run merge into
the final report. A slot no run covers stays in the report as missing or not_runnable.

Exit codes: 0 merged (the verdicts are in the report), 1 an input failed verification or is
not a finished run, 2 usage, 6 DIR could not be written (not empty: see --overwrite).

Example (a CI matrix's artifacts): walkthrough merge --out merged artifacts/*/";

#[derive(Debug, clap::Args)]
#[command(after_help = HELP)]
pub struct Args {
    /// The merged folder: missing or empty, or holding an earlier run or merge with
    /// --overwrite.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace the earlier run or merge in --out (emptied first).
    #[arg(long)]
    pub overwrite: bool,
    /// The run folders to merge (each with its manifest.json), in any order.
    #[arg(value_name = "FOLDER", required = true)]
    pub folders: Vec<PathBuf>,
}

pub async fn run(args: Args) -> i32 {
    let plan = MergePlan {
        inputs: args.folders,
        out: args.out,
        overwrite: args.overwrite,
    };
    match merge(&plan) {
        Ok(done) => {
            let o = &done.outcome;
            for column in &o.merged.matrix {
                let verified = column
                    .slots
                    .iter()
                    .filter(|s| s.status == crate::outcome::SlotStatus::Verified)
                    .count();
                eprintln!(
                    "{}: {} run(s), {verified} of {} slots verified",
                    crate::evidence::merge::column_label(&column.target, &column.browser),
                    column.runs.len(),
                    column.slots.len()
                );
            }
            eprintln!(
                "merged {} run(s): {}",
                o.merged.runs.len(),
                o.run.status.as_str()
            );
            println!("{}", done.out.join("index.html").display());
            super::exit::PASSED
        }
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
