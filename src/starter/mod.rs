//! `walkthrough init`'s starter files: a commented `walkthrough.yaml`, the six lifecycle
//! scenarios and their flows (the ones this tool proves itself with, each headed by a note
//! on what to adapt), and a GitHub workflow. Written into a folder, never over a file that
//! is already there. Imports nothing of the crate; knows only file names and contents.

use std::path::{Path, PathBuf};

/// A note on top of every scenario and flow file.
const ADAPT: &str = "\
# Written by `walkthrough init` from the scenarios walkthrough proves itself with.
# ADAPT: the locators on the app's pages (`testid`, `label`, plain text) are the demo app's
# page contract (docs/demo-app.md); change them to your app's test ids, labels and texts.
# The ones on Polar's checkout and portal follow Polar's pages
# (contract/polar-hosted-pages.json in walkthrough's repository): keep them.
";

/// The note on top of the canary, which touches Polar's pages only.
const CANARY: &str = "\
# Written by `walkthrough init`. Nothing to adapt: it checks Polar's own pages.
";

/// The starter files: (relative path, contents).
pub fn files() -> Vec<(&'static str, String)> {
    let scenario = |text: &str| format!("{ADAPT}\n{text}");
    vec![
        (
            "walkthrough.yaml",
            include_str!("walkthrough.yaml").to_string(),
        ),
        (
            ".github/workflows/walkthrough.yml",
            include_str!("workflow.yml").to_string(),
        ),
        (
            "scenarios/00-polar-pages-canary.yaml",
            format!(
                "{CANARY}\n{}",
                include_str!("../../scenarios/00-polar-pages-canary.yaml")
            ),
        ),
        (
            "scenarios/01-new-user-to-checkout.yaml",
            scenario(include_str!("../../scenarios/01-new-user-to-checkout.yaml")),
        ),
        (
            "scenarios/02-checkout-return-to-active.yaml",
            scenario(include_str!(
                "../../scenarios/02-checkout-return-to-active.yaml"
            )),
        ),
        (
            "scenarios/03-continue-using.yaml",
            scenario(include_str!("../../scenarios/03-continue-using.yaml")),
        ),
        (
            "scenarios/04-portal-cancellation.yaml",
            scenario(include_str!("../../scenarios/04-portal-cancellation.yaml")),
        ),
        (
            "scenarios/05-payment-recovery.yaml",
            scenario(include_str!("../../scenarios/05-payment-recovery.yaml")),
        ),
        (
            "scenarios/06-production-smoke.yaml",
            scenario(include_str!("../../scenarios/06-production-smoke.yaml")),
        ),
        (
            "scenarios/flows/cancel-in-portal.yaml",
            scenario(include_str!("../../scenarios/flows/cancel-in-portal.yaml")),
        ),
        (
            "scenarios/flows/new-workspace.yaml",
            scenario(include_str!("../../scenarios/flows/new-workspace.yaml")),
        ),
        (
            "scenarios/flows/open-checkout.yaml",
            scenario(include_str!("../../scenarios/flows/open-checkout.yaml")),
        ),
        (
            "scenarios/flows/pay.yaml",
            scenario(include_str!("../../scenarios/flows/pay.yaml")),
        ),
        (
            "scenarios/flows/send-turn.yaml",
            scenario(include_str!("../../scenarios/flows/send-turn.yaml")),
        ),
    ]
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} already exist{}: {}; nothing was written", .0.len(), if .0.len() == 1 { "s" } else { "" }, .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Exists(Vec<PathBuf>),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes every starter file under `dir`, or nothing when any of them exists.
pub fn write(dir: &Path) -> Result<Vec<PathBuf>, InitError> {
    let files = files();
    let existing: Vec<PathBuf> = files
        .iter()
        .map(|(rel, _)| dir.join(rel))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(rel);
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, text));
        result.map_err(|source| InitError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_everything_once_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(dir.path()).unwrap();
        assert_eq!(written.len(), files().len());
        let project = std::fs::read_to_string(dir.path().join("walkthrough.yaml")).unwrap();
        assert!(project.contains("webhook_path"));
        let flow = std::fs::read_to_string(dir.path().join("scenarios/flows/pay.yaml")).unwrap();
        assert!(flow.starts_with("# Written by `walkthrough init`"));
        std::fs::write(dir.path().join("scenarios/03-continue-using.yaml"), "mine").unwrap();
        let err = write(dir.path()).unwrap_err().to_string();
        assert!(err.contains("already exist"), "{err}");
        assert!(err.contains("walkthrough.yaml"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("scenarios/03-continue-using.yaml")).unwrap(),
            "mine",
            "nothing is overwritten"
        );
    }

    #[test]
    fn the_starter_project_file_and_scenarios_check_clean() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path()).unwrap();
        let project = crate::project::load(&dir.path().join("walkthrough.yaml"))
            .unwrap_or_else(|d| panic!("{}", d.render()));
        let loaded = crate::scenario::load(
            &project.scenarios,
            &crate::scenario::LoadOptions::with_cli_vars(Vec::new()),
        )
        .unwrap_or_else(|d| panic!("{}", d.render()));
        assert_eq!(loaded.scenarios.len(), 7);
    }

    #[test]
    fn the_starter_run_email_line_checks_clean_once_uncommented() {
        let text = include_str!("walkthrough.yaml");
        let line = "  # email: you+{run}@your-company.com";
        assert!(text.contains(line), "the option is written, commented");
        assert!(
            text.contains("The sandbox needs"),
            "with what the sandbox needs"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("walkthrough.yaml");
        std::fs::write(
            &file,
            text.replace(line, "  email: you+{run}@your-company.com"),
        )
        .unwrap();
        let project = crate::project::load(&file).unwrap_or_else(|d| panic!("{}", d.render()));
        assert_eq!(
            project.run.email.as_deref(),
            Some("you+{run}@your-company.com")
        );
    }
}
