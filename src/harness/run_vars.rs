//! The variables every scenario of a run starts with: `run.*`, `app.url`, what the testbed
//! provides (`polar.*`, the token as a secret), then the `--var`s, which win.

use crate::scenario::Vars;
use crate::testbed::RunningTestbed;

use super::{run_email, Run};

pub(super) fn base_vars(run: &Run<'_>, testbed: &RunningTestbed) -> Vars {
    let mut vars = Vars::new();
    vars.set("run.id", run.run_id);
    vars.set("run.email", &run_email(&run.plan.email, run.run_id));
    vars.set("run.started_at", &run.started_at.to_rfc3339());
    vars.set("app.url", testbed.app_url().as_str().trim_end_matches('/'));
    for var in testbed.vars() {
        if var.secret {
            vars.set_secret(var.name, &var.value);
        } else {
            vars.set(var.name, &var.value);
        }
    }
    for (name, value) in &run.plan.vars {
        vars.set(name, value);
    }
    vars
}
