//! `walkthrough merge --out DIR FOLDER...`: many run folders into one folder with one report
//! (the work is [`crate::evidence::merge`]'s).

use std::path::PathBuf;

use crate::evidence::merge::{merge, MergePlan};

/// Each FOLDER is checked against its manifest.json first (as `walkthrough verify` does); a
/// changed, missing or added file refuses the merge (exit 1) and names the folder and the
/// file. Each run is then copied whole to DIR/runs/NN-<target>-<browser>[-shard-I-of-N]/,
/// and DIR gets one report.json, index.html, junit.xml (a test suite per run), summary.md
/// (the slots per target and browser) and a manifest.json over everything, so
/// `walkthrough verify DIR` passes. In one target and browser a slot is verified when a run
/// verified it there (shards, reruns); overall the worst target and browser that ran it
/// decides. Exit codes: 0 merged, 1 an input failed verification or is not a finished run,
/// 2 usage, 6 DIR could not be written (exists and is not empty: see --overwrite).
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
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
