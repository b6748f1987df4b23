//! The variables every scenario of a run starts with: `run.*`, `app.url`, what the target
//! provides (`polar.*`, the token as a secret), then the `--var`s, which win.

use crate::scenario::Vars;
use crate::testbed::RunningTarget;

use super::{run_email, Run};

pub(super) fn base_vars(run: &Run<'_>, target: &RunningTarget) -> Vars {
    let mut vars = Vars::new();
    vars.set("run.id", run.run_id);
    vars.set("run.email", &run_email(run.run_id));
    vars.set("run.started_at", &run.started_at.to_rfc3339());
    vars.set("app.url", target.app_url().as_str().trim_end_matches('/'));
    for var in target.vars() {
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
