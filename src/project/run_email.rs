//! `run.email` / `--email`: the template of `${run.email}`, the run's own customer email.
//! `{run}` in it becomes the run id. Checked against Polar's email rule
//! ([`crate::polar::email`]) by `walkthrough check` and before a run starts. Pure.

/// The default `${run.email}` template. It must pass Polar's email rule, which refuses
/// reserved and special-use domains (`example.com`, `*.test`, …; [`crate::polar::email`]),
/// and belong to nobody: Amazon SES's mailbox simulator accepts mail and drops it, and takes
/// `+label` subaddresses. A sandbox run wants an address on a domain the user owns, so a
/// sandbox run with this default says so before it starts.
pub const DEFAULT_RUN_EMAIL: &str = "success+walkthrough-{run}@simulator.amazonses.com";

/// `${run.email}`: the run's own customer email, `template` with `{run}` replaced by the run
/// id, so it is unique per run (the sandbox cleanup finds the run's subscriptions by it).
pub fn run_email(template: &str, run_id: &str) -> String {
    template.replace("{run}", run_id)
}

/// The warning a sandbox run with the default template prints before it starts: the
/// default is nobody's inbox, and Polar's sandbox mails customers only at its organization
/// members' addresses, subaddresses included (`server/polar/customer/service.py:807-845`).
/// A template Polar refuses never gets here: [`check`] stops every run with it.
pub fn sandbox_warning(template: &str) -> Option<String> {
    (template == DEFAULT_RUN_EMAIL).then(|| {
        format!(
            "warning: --target sandbox with the default run email {template:?}: it is nobody's \
             inbox, and Polar's sandbox mails customers only at its organization members' \
             addresses; set `run.email` in walkthrough.yaml (or --email) to a subaddress of a \
             member's address, such as you+{{run}}@your-company.com"
        )
    })
}

/// Whether `template` can be a run email: it has `{run}` (each run its own customer) and
/// Polar takes the address it makes. The error and a help line.
pub fn check(template: &str) -> Result<(), (String, String)> {
    let help = "use an address on a domain that takes mail, with {run} for the run id, such as \
                you+{run}@your-company.com"
        .to_string();
    if !template.contains("{run}") {
        return Err((
            format!("{template:?} has no {{run}}: each run needs its own customer email"),
            help,
        ));
    }
    match crate::polar::email::check_deliverable(&run_email(template, "20260101-000000-abcdef")) {
        Ok(()) => Ok(()),
        Err(refusal) => Err((
            format!("Polar refuses {template:?}: \"{}\"", refusal.message()),
            help,
        )),
    }
}
