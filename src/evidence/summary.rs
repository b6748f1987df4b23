//! `summary.md`: the run in a few Markdown tables, fit for a CI job summary
//! (`$GITHUB_STEP_SUMMARY`, a merge-request note); for a merged folder, a slot × (target,
//! browser) table and the runs. Pure over the (already redacted) report.

use std::fmt::Write as _;

use super::console::format_ms as duration;
use super::merge::column_label;
use crate::outcome::{RunOutcome, StepStatus};

/// Makes text safe inside one Markdown table cell: no line breaks, pipes escaped, no HTML.
pub fn md_cell(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(one_line.len());
    for ch in one_line.chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push('\''),
            c => out.push(c),
        }
    }
    out
}

fn mark(status: &str) -> &'static str {
    match status {
        "verified" | "passed" => "✅",
        "failed" | "interrupted" => "❌",
        "unverified" | "running" => "⚠️",
        "flaky" => "🔁",
        _ => "⬜",
    }
}

/// Why the run failed when only flaky scenarios failed it (`--fail-on-flaky`), or how many
/// passed only on a retry.
fn flaky_verdict(report: &RunOutcome) -> Option<String> {
    let flaky = report.flaky();
    if flaky.is_empty() {
        return None;
    }
    let names = flaky
        .iter()
        .map(|n| format!("“{}”", md_cell(n)))
        .collect::<Vec<_>>()
        .join(", ");
    Some(if report.retry.fail_on_flaky {
        format!(
            "**Failed because flaky:** {names} passed only on a retry, and `--fail-on-flaky` \
             fails the run for that (exit 5)."
        )
    } else {
        format!(
            "🔁 {names} passed only on a retry (flaky); the run passes (`--fail-on-flaky` would \
             fail it)."
        )
    })
}

/// `### Flaky`: each failed attempt of a scenario that passed on a retry, with its error
/// and where its evidence is.
fn flaky_section(m: &mut String, report: &RunOutcome) {
    let mut lines = Vec::new();
    for (i, s) in report.scenarios.iter().enumerate() {
        for a in report.attempts_of(i) {
            let video = a
                .video
                .as_deref()
                .map(|v| format!(" (video `{}`)", md_cell(v)))
                .unwrap_or_default();
            lines.push(format!(
                "- **{}**, attempt {} of {}: {}{video}",
                md_cell(&s.name),
                a.attempt,
                report.attempts_of(i).len() + 1,
                md_cell(&a.reason),
            ));
        }
    }
    if !lines.is_empty() {
        m.push_str("\n### Retried attempts\n\n");
        for line in lines {
            m.push_str(&line);
            m.push('\n');
        }
    }
}

/// A merged folder's summary (`walkthrough merge`): the slots per target and browser with
/// the overall verdict, the runs, then every scenario with its run, and the failures.
fn render_merged(report: &RunOutcome) -> String {
    let merged = &report.merged;
    let mut m = String::new();
    let status = report.run.status.as_str();
    let _ = writeln!(
        m,
        "## {} Billing lifecycle evidence: {status} ({} runs merged)\n",
        mark(status),
        merged.runs.len()
    );
    let labels: Vec<String> = merged
        .matrix
        .iter()
        .map(|c| md_cell(&column_label(&c.target, &c.browser)))
        .collect();
    let _ = writeln!(
        m,
        "| Slot | Overall | {} |\n|---|---|{}",
        labels.join(" | "),
        "---|".repeat(labels.len())
    );
    for (k, slot) in report.slots.iter().enumerate() {
        let cells: Vec<String> = merged
            .matrix
            .iter()
            .filter_map(|c| c.slots.get(k))
            .map(|v| verdict(v.status.as_str(), v.flaky))
            .collect();
        let _ = writeln!(
            m,
            "| `{}` | {} | {} |",
            md_cell(&slot.id),
            verdict(slot.status.as_str(), slot.flaky),
            cells.join(" | ")
        );
    }
    m.push_str("\n| Run | Target · browser | Shard | Status | Folder |\n|---|---|---|---|---|\n");
    for r in &merged.runs {
        let _ = writeln!(
            m,
            "| `{}` | {} {} | {} | {} {} | `{}` |",
            md_cell(&r.run.id),
            md_cell(&column_label(&r.run.target, &r.run.browser.name)),
            md_cell(&r.run.browser.version),
            r.shard
                .map(|s| format!("{}/{}", s.index, s.of))
                .unwrap_or_else(|| "—".into()),
            mark(r.run.status.as_str()),
            r.run.status.as_str(),
            md_cell(&r.dir),
        );
    }
    let slot_reasons: Vec<String> = report
        .slots
        .iter()
        .filter(|s| s.status.as_str() != "verified")
        .map(|s| {
            format!(
                "- `{}` {}: {}",
                md_cell(&s.id),
                s.status.as_str(),
                md_cell(&s.reason)
            )
        })
        .collect();
    if !slot_reasons.is_empty() {
        m.push_str("\n### Slots not verified\n\n");
        m.push_str(&slot_reasons.join("\n"));
        m.push('\n');
    }
    failures_section(&mut m, report);
    m.push_str(
        "\nOpen `index.html` in the merged folder for every run's screenshots, clips, webhooks \
         and state.\n",
    );
    m
}

/// `✅ verified`, with ` (flaky)` when it is.
fn verdict(status: &str, flaky: bool) -> String {
    format!(
        "{} {}{}",
        mark(status),
        md_cell(status),
        if flaky { " (flaky)" } else { "" }
    )
}

/// `### Failures`: every failed step with where it is (and its run, in a merged folder).
fn failures_section(m: &mut String, report: &RunOutcome) {
    let run_of = |i: usize| {
        let n = report.merged.scenario_run.get(&i)?;
        let r = report.merged.runs.get(*n)?;
        Some(format!("{} › ", md_cell(&r.dir)))
    };
    let failures: Vec<String> = report
        .scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            let run = run_of(i).unwrap_or_default();
            s.steps.iter().filter_map(move |st| {
                let err = st.error.as_ref()?;
                Some(format!(
                    "- **{run}{} › {}** at `{}:{}:{}`: {}",
                    md_cell(&s.name),
                    md_cell(&st.name),
                    md_cell(&err.location.file.display().to_string()),
                    err.location.line,
                    err.location.column,
                    md_cell(&err.message),
                ))
            })
        })
        .collect();
    if !failures.is_empty() {
        m.push_str("\n### Failures\n\n");
        for f in failures {
            m.push_str(&f);
            m.push('\n');
        }
    }
}

/// The whole summary.
pub fn render_summary(report: &RunOutcome) -> String {
    if !report.merged.is_empty() {
        return render_merged(report);
    }
    let run = &report.run;
    let status = run.status.as_str();
    let mut m = String::new();
    let _ = writeln!(
        m,
        "## {} Billing lifecycle evidence: {status}\n",
        mark(status)
    );
    let _ = writeln!(
        m,
        "Run `{}` · target {} · {} {} · video {} · app {}\n",
        md_cell(&run.id),
        md_cell(&run.target),
        md_cell(&run.browser.name),
        md_cell(&run.browser.version),
        md_cell(if run.video.is_empty() {
            "off"
        } else {
            &run.video
        }),
        md_cell(&run.app_url),
    );
    if let Some(why) = flaky_verdict(report) {
        let _ = writeln!(m, "{why}\n");
    }
    m.push_str("| Slot | Verdict | Scenario | Why |\n|---|---|---|---|\n");
    for slot in &report.slots {
        let _ = writeln!(
            m,
            "| `{}` | {} {}{} | {} | {} |",
            md_cell(&slot.id),
            mark(slot.status.as_str()),
            md_cell(slot.status.as_str()),
            if slot.flaky { " (flaky)" } else { "" },
            slot.scenario
                .as_deref()
                .map(md_cell)
                .unwrap_or_else(|| "—".into()),
            md_cell(&slot.reason),
        );
    }
    m.push_str("\n| Scenario | Status | Steps passed | Duration |\n|---|---|---|---|\n");
    for (i, s) in report.scenarios.iter().enumerate() {
        let attempts = match report.attempts_of(i).len() {
            0 => String::new(),
            n => format!(" ({} attempts)", n + 1),
        };
        let passed = s
            .steps
            .iter()
            .filter(|st| st.status == StepStatus::Passed)
            .count();
        let _ = writeln!(
            m,
            "| {} | {} {}{attempts} | {passed}/{} | {} |",
            md_cell(&s.name),
            mark(s.status.as_str()),
            md_cell(s.status.as_str()),
            s.steps.len(),
            duration(s.duration_ms()),
        );
    }
    failures_section(&mut m, report);
    flaky_section(&mut m, report);
    m.push_str(
        "\nOpen `index.html` in the run folder for screenshots, clips, webhooks and state.\n",
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::slots::slot_verdicts;
    use crate::evidence::slots::tests::{report, scenario, step};
    use crate::outcome::StepError;

    #[test]
    fn cells_stay_on_one_line_and_cannot_break_the_table() {
        assert_eq!(
            md_cell("a | b\nc  <i>`x`</i>"),
            "a \\| b c &lt;i&gt;'x'&lt;/i&gt;"
        );
    }

    #[test]
    fn table_has_a_row_per_slot_and_per_scenario_and_lists_failures() {
        let mut bad = step("Pay | now", StepStatus::Failed, "p.png", Some("p.mp4"));
        bad.error = Some(StepError {
            message: "expected active\nbut saw none".into(),
            location: crate::scenario::Location {
                file: "scenarios/r.yaml".into(),
                line: 3,
                column: 9,
            },
            source_line: None,
        });
        let mut r = report(
            "on",
            vec![
                scenario("Recovery", "payment-recovery", "failed", vec![bad]),
                scenario(
                    "Checkout",
                    "new-user-to-checkout",
                    "passed",
                    vec![step("Open", StepStatus::Passed, "o.png", Some("o.mp4"))],
                ),
            ],
        );
        r.slots = slot_verdicts(&r, &|_| true);
        let md = render_summary(&r);
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(rows.len(), 6, "{md}");
        assert!(
            rows[0].starts_with("| `new-user-to-checkout` | ✅ verified | Checkout |"),
            "{}",
            rows[0]
        );
        assert!(
            rows[4].starts_with("| `payment-recovery` | ❌ failed | Recovery |"),
            "{}",
            rows[4]
        );
        assert!(
            rows[2].starts_with("| `continue-using` | ⬜ missing | — |"),
            "{}",
            rows[2]
        );
        assert!(
            md.contains("| Recovery | ❌ failed | 0/1 | 2.4 s |"),
            "{md}"
        );
        assert!(
            md.contains("| Checkout | ✅ passed | 1/1 | 2.4 s |"),
            "{md}"
        );
        assert!(md.contains("- **Recovery › Pay \\| now** at `scenarios/r.yaml:3:9`: expected active but saw none"), "{md}");
        // Every table row has the same number of unescaped cell separators.
        for line in md.lines().filter(|l| l.starts_with('|')) {
            let pipes = line.replace("\\|", "").matches('|').count();
            assert_eq!(pipes, 5, "{line}");
        }
    }

    #[test]
    fn a_flaky_scenario_is_marked_with_its_attempts_and_says_why_a_strict_run_failed() {
        let lenient = render_summary(&crate::evidence::junit::tests::flaky_report(false));
        assert!(
            lenient.contains("| `new-user-to-checkout` | ✅ verified (flaky) | Checkout |"),
            "{lenient}"
        );
        assert!(
            lenient.contains("| Checkout | 🔁 flaky (2 attempts) | 2/2 | 2.4 s |"),
            "{lenient}"
        );
        assert!(lenient.contains("🔁 “Checkout” passed only on a retry (flaky); the run passes"));
        assert!(lenient.contains("### Retried attempts\n\n- **Checkout**, attempt 1 of 2: step 2 “Pay” failed: no element &lt;Pay&gt; (video `s/01/scenario.mp4`)\n"), "{lenient}");
        assert!(!lenient.contains("### Failures"), "{lenient}");
        let strict = render_summary(&crate::evidence::junit::tests::flaky_report(true));
        assert!(
            strict.contains("**Failed because flaky:** “Checkout” passed only on a retry, and `--fail-on-flaky` fails the run for that (exit 5)."),
            "{strict}"
        );
        for line in strict.lines().filter(|l| l.starts_with('|')) {
            let pipes = line.replace("\\|", "").matches('|').count();
            assert_eq!(pipes, 5, "{line}");
        }
    }
}
