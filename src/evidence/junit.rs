//! `junit.xml`: a test suite per scenario and a test case per step, for CI test tabs.
//! Failures carry `file:line:col`, the message and the scenario's source line; the step's
//! screenshot and clip are attached with `[[ATTACHMENT|path]]` lines in `system-out`
//! (the Jenkins/GitLab convention; paths are relative to the run folder). A retried
//! scenario's cases are its last attempt's steps; each earlier failed attempt is on the case
//! of the step that failed, as Maven Surefire writes reruns (and GitLab, Jenkins and GitHub
//! test reporters read them): `<flakyFailure>` on a case that passed on a retry,
//! `<rerunFailure>` when it failed again, and a `<failure>` under `--fail-on-flaky`.
//! A merged folder (`walkthrough merge`) gets a test suite per run instead, its cases all its
//! scenarios' steps. Hand-written XML with escaping; pure over the (already redacted) report.

use std::fmt::Write as _;

use crate::outcome::{
    RunOutcome, ScenarioOutcome, ScenarioStatus, StepError, StepOutcome, StepStatus,
};

/// Escapes text for XML content and attribute values, dropping characters XML 1.0 forbids.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn secs(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    ms: u64,
}

fn counts(report: &RunOutcome, index: usize, s: &ScenarioOutcome) -> Counts {
    let mut c = Counts {
        tests: s.steps.len(),
        ms: s.duration_ms(),
        // Under --fail-on-flaky a flaky scenario's cases that failed before are failures.
        failures: earlier_failures(report, index, s)
            .iter()
            .filter(|e| e.first().is_some_and(|e| e.kind == "failure"))
            .count(),
        ..Counts::default()
    };
    for step in &s.steps {
        match step.status {
            StepStatus::Failed => c.failures += 1,
            StepStatus::Interrupted => c.errors += 1,
            StepStatus::Skipped => c.skipped += 1,
            StepStatus::Passed => {}
        }
    }
    if s.status == ScenarioStatus::NotRunnable {
        c.tests += 1;
        c.skipped += 1;
    }
    c
}

/// The counts of all the report's scenarios together.
fn total(report: &RunOutcome) -> Counts {
    report
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| counts(report, i, s))
        .fold(Counts::default(), |a, c| Counts {
            tests: a.tests + c.tests,
            failures: a.failures + c.failures,
            errors: a.errors + c.errors,
            skipped: a.skipped + c.skipped,
            ms: a.ms + c.ms,
        })
}

/// The whole document.
pub fn render_junit(report: &RunOutcome) -> String {
    if !report.merged.is_empty() {
        return render_merged(report);
    }
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total = total(report);
    let _ = writeln!(
        x,
        r#"<testsuites name="walkthrough {id}{on}" tests="{t}" failures="{f}" errors="{e}" skipped="{s}" time="{time}" timestamp="{ts}">"#,
        id = xml_escape(&report.run.id),
        // A CI matrix runs the same scenarios in several browsers: say which one this is.
        on = match report.run.browser.name.as_str() {
            "" => String::new(),
            name => xml_escape(&format!(" on {name} {}", report.run.browser.version)),
        },
        t = total.tests,
        f = total.failures,
        e = total.errors,
        s = total.skipped,
        time = secs(total.ms),
        ts = report.run.started_at.format("%Y-%m-%dT%H:%M:%S"),
    );
    for (i, scenario) in report.scenarios.iter().enumerate() {
        render_suite(&mut x, report, i, scenario);
    }
    x.push_str("</testsuites>\n");
    x
}

fn render_suite(x: &mut String, report: &RunOutcome, index: usize, s: &ScenarioOutcome) {
    let c = counts(report, index, s);
    let _ = writeln!(
        x,
        r#"  <testsuite name="{name}" tests="{t}" failures="{f}" errors="{e}" skipped="{sk}" time="{time}" timestamp="{ts}" file="{file}">"#,
        name = xml_escape(&s.name),
        t = c.tests,
        f = c.failures,
        e = c.errors,
        sk = c.skipped,
        time = secs(s.duration_ms()),
        ts = s.started_at.format("%Y-%m-%dT%H:%M:%S"),
        file = xml_escape(&s.file),
    );
    x.push_str("    <properties>\n");
    let mut props = vec![
        ("status", s.status.as_str().to_string()),
        ("target", report.run.target.clone()),
        ("browser", report.run.browser.name.clone()),
        ("browser_version", report.run.browser.version.clone()),
    ];
    if let Some(n) = Some(report.attempts_of(index).len()).filter(|n| *n > 0) {
        props.push(("attempts", (n + 1).to_string()));
    }
    if let Some(slot) = &s.slot {
        props.push(("slot", slot.clone()));
        if let Some(v) = report.slots.iter().find(|v| &v.id == slot) {
            props.push(("slot_verdict", v.status.as_str().to_string()));
            if v.flaky {
                props.push(("slot_flaky", "true".to_string()));
            }
        }
    }
    if let Some(video) = &s.video {
        props.push(("video", video.clone()));
    }
    if let Some(source) = &s.capture.source {
        props.push(("video_source", source.clone()));
    }
    if let Some(fps) = s.capture.fps {
        props.push(("video_fps", format!("{fps:.1}")));
    }
    for (k, v) in props {
        let _ = writeln!(
            x,
            r#"      <property name="{}" value="{}"/>"#,
            xml_escape(k),
            xml_escape(&v)
        );
    }
    x.push_str("    </properties>\n");
    render_cases(x, report, index, s);
    x.push_str("  </testsuite>\n");
}

/// A merged folder's document (`walkthrough merge`): a test suite per run, named by its
/// target, browser and shard, whose cases are its scenarios' steps (the classname is the
/// scenario), each run judged by its own retry policy.
fn render_merged(report: &RunOutcome) -> String {
    let runs: Vec<RunOutcome> = (0..report.merged.runs.len())
        .filter_map(|n| report.of_run(n))
        .collect();
    let all = runs
        .iter()
        .map(total)
        .fold(Counts::default(), |a, c| Counts {
            tests: a.tests + c.tests,
            failures: a.failures + c.failures,
            errors: a.errors + c.errors,
            skipped: a.skipped + c.skipped,
            ms: a.ms + c.ms,
        });
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        r#"<testsuites name="walkthrough {id} ({n} runs)" tests="{t}" failures="{f}" errors="{e}" skipped="{s}" time="{time}" timestamp="{ts}">"#,
        id = xml_escape(&report.run.id),
        n = runs.len(),
        t = all.tests,
        f = all.failures,
        e = all.errors,
        s = all.skipped,
        time = secs(all.ms),
        ts = report.run.started_at.format("%Y-%m-%dT%H:%M:%S"),
    );
    for (run, sub) in report.merged.runs.iter().zip(&runs) {
        let c = total(sub);
        let shard = run.shard.map(|s| format!("{}/{}", s.index, s.of));
        let name = format!(
            "{}{} (run {})",
            super::merge::column_label(&run.run.target, &run.run.browser.name),
            shard
                .as_deref()
                .map(|s| format!(" · shard {s}"))
                .unwrap_or_default(),
            run.run.id
        );
        let _ = writeln!(
            x,
            r#"  <testsuite name="{name}" tests="{t}" failures="{f}" errors="{e}" skipped="{sk}" time="{time}" timestamp="{ts}">"#,
            name = xml_escape(&name),
            t = c.tests,
            f = c.failures,
            e = c.errors,
            sk = c.skipped,
            time = secs(c.ms),
            ts = run.run.started_at.format("%Y-%m-%dT%H:%M:%S"),
        );
        x.push_str("    <properties>\n");
        let props = [
            ("run_id", run.run.id.clone()),
            ("dir", run.dir.clone()),
            ("status", run.run.status.as_str().to_string()),
            ("target", run.run.target.clone()),
            ("browser", run.run.browser.name.clone()),
            ("browser_version", run.run.browser.version.clone()),
            ("shard", shard.unwrap_or_default()),
            ("video", run.run.video.clone()),
        ];
        for (k, v) in props.into_iter().filter(|(_, v)| !v.is_empty()) {
            let _ = writeln!(
                x,
                r#"      <property name="{k}" value="{}"/>"#,
                xml_escape(&v)
            );
        }
        x.push_str("    </properties>\n");
        for (i, s) in sub.scenarios.iter().enumerate() {
            render_cases(&mut x, sub, i, s);
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// The cases of scenario `index`: one per step, with its earlier attempts' failures, or
/// one skipped case when it is not runnable on the run's target.
fn render_cases(x: &mut String, report: &RunOutcome, index: usize, s: &ScenarioOutcome) {
    let earlier = earlier_failures(report, index, s);
    for (i, step) in s.steps.iter().enumerate() {
        render_case(x, s, i, step, &earlier[i]);
    }
    if s.status == ScenarioStatus::NotRunnable {
        let _ = writeln!(
            x,
            r#"    <testcase name="{name}" classname="{class}" time="0.000" file="{file}"><skipped message="{m}"/></testcase>"#,
            name = xml_escape(&s.name),
            class = xml_escape(&s.name),
            file = xml_escape(&s.file),
            m = xml_escape(&format!("not runnable on target {}", report.run.target)),
        );
    }
}

/// A failed earlier attempt of a retried scenario, on the case of the step that failed.
struct Earlier<'a> {
    /// `flakyFailure` (the scenario passed on a retry), `failure` (it did, under
    /// --fail-on-flaky: the case's first one) or `rerunFailure` (Surefire's name for a
    /// failed run of a test retried and failed again, and for the rest).
    kind: &'static str,
    attempt: u32,
    attempts: usize,
    step: &'a StepOutcome,
    video: Option<&'a str>,
}

/// For each of the scenario's cases (its last attempt's steps), the earlier attempts that
/// failed at that step, matched by name and place (else the first case).
fn earlier_failures<'a>(
    report: &'a RunOutcome,
    index: usize,
    s: &ScenarioOutcome,
) -> Vec<Vec<Earlier<'a>>> {
    let mut cases: Vec<Vec<Earlier>> = s.steps.iter().map(|_| Vec::new()).collect();
    let earlier = report.attempts_of(index);
    for a in earlier {
        let failed = a
            .steps
            .iter()
            .find(|st| matches!(st.status, StepStatus::Failed | StepStatus::Interrupted));
        let Some(step) = failed else { continue };
        let case = s
            .steps
            .iter()
            .position(|st| {
                st.name == step.name && st.location == step.location && st.given == step.given
            })
            .or_else(|| s.steps.iter().position(|st| st.name == step.name))
            .unwrap_or(0);
        let Some(list) = cases.get_mut(case) else {
            continue;
        };
        let kind = match s.status {
            ScenarioStatus::Flaky if !report.retry.fail_on_flaky => "flakyFailure",
            ScenarioStatus::Flaky if list.is_empty() => "failure",
            _ => "rerunFailure",
        };
        list.push(Earlier {
            kind,
            attempt: a.attempt,
            attempts: earlier.len() + 1,
            step,
            video: a.video.as_deref(),
        });
    }
    cases
}

/// The message attribute and the body of a step's error: `file:line: first line`, and
/// `file:line:col: message` with the source line.
fn error_parts(err: &StepError) -> (String, String) {
    let first = err.message.lines().next().unwrap_or_default();
    let mut body = format!(
        "{}:{}:{}: {}",
        err.location.file.display(),
        err.location.line,
        err.location.column,
        err.message
    );
    if let Some(src) = &err.source_line {
        let _ = write!(body, "\n{:>5} | {}", err.location.line, src.trim_end());
    }
    let message = format!(
        "{}:{}: {first}",
        err.location.file.display(),
        err.location.line
    );
    (message, body)
}

/// The step's screenshots and clip as `[[ATTACHMENT|path]]` lines.
fn attachments(step: &StepOutcome) -> String {
    let mut out = String::new();
    for path in step
        .screenshot
        .iter()
        .chain(step.screenshots.iter().map(|s| &s.path))
        .chain(step.clip.path.iter())
    {
        let _ = writeln!(out, "[[ATTACHMENT|{path}]]");
    }
    out
}

/// An earlier attempt's failure as Surefire writes a flaky or rerun failure: the message,
/// the error with its source line, and the attempt's screenshot, clip and video named in
/// its own `system-out` (a `failure` holds text only, so there they follow the error).
fn render_earlier(x: &mut String, e: &Earlier) {
    let (message, body) = match &e.step.error {
        Some(err) => error_parts(err),
        None => (format!("step “{}” failed", e.step.name), String::new()),
    };
    let prefix = if e.kind == "failure" {
        "flaky (--fail-on-flaky): "
    } else {
        ""
    };
    let message = format!(
        "{prefix}attempt {} of {} failed: {message}",
        e.attempt, e.attempts
    );
    let mut out = attachments(e.step);
    if let Some(video) = e.video {
        let _ = writeln!(out, "attempt {} video: {video}", e.attempt);
    }
    let (m, kind) = (xml_escape(&message), e.kind);
    if kind == "failure" {
        let text = xml_escape(&format!("{body}\n{out}"));
        let _ = writeln!(
            x,
            r#"      <failure message="{m}" type="flaky">{text}</failure>"#
        );
        return;
    }
    let _ = writeln!(
        x,
        r#"      <{kind} message="{m}" type="{kind}"><stackTrace>{b}</stackTrace><system-out>{o}</system-out></{kind}>"#,
        b = xml_escape(&body),
        o = xml_escape(&out),
    );
}

fn render_case(
    x: &mut String,
    s: &ScenarioOutcome,
    index: usize,
    step: &StepOutcome,
    earlier: &[Earlier],
) {
    let _ = write!(
        x,
        r#"    <testcase name="{n:02} {name}" classname="{class}" time="{time}" file="{file}" line="{line}">"#,
        n = index + 1,
        name = xml_escape(&step.name),
        class = xml_escape(&s.name),
        time = secs(step.duration_ms()),
        file = xml_escape(&step.location.file.display().to_string()),
        line = step.location.line,
    );
    x.push('\n');
    let detail = |kind: &str| -> String {
        match &step.error {
            Some(err) => {
                let (message, body) = error_parts(err);
                format!(
                    r#"      <{kind} message="{m}" type="{kind}">{b}</{kind}>"#,
                    m = xml_escape(&message),
                    b = xml_escape(&body),
                )
            }
            None => format!(r#"      <{kind} message="{kind}" type="{kind}"/>"#),
        }
    };
    match step.status {
        StepStatus::Passed => {}
        StepStatus::Failed => {
            x.push_str(&detail("failure"));
            x.push('\n');
        }
        StepStatus::Interrupted => {
            x.push_str(&detail("error"));
            x.push('\n');
        }
        StepStatus::Skipped => {
            x.push_str("      <skipped message=\"an earlier step did not pass\"/>\n");
        }
    }
    // Surefire's order: the case's own failure, then its rerun and flaky failures.
    for e in earlier {
        render_earlier(x, e);
    }
    let mut out = attachments(step);
    // CI readers attach files from the case's own output: the failed attempts' too.
    for e in earlier {
        let _ = write!(
            out,
            "attempt {} (failed):\n{}",
            e.attempt,
            attachments(e.step)
        );
    }
    for w in s.deliveries_of(index) {
        let _ = writeln!(
            out,
            "webhook {} {} attempt {}: {}",
            w.event_type,
            w.event_id,
            w.attempt,
            match (w.succeeded, w.status_code) {
                (true, Some(c)) => format!("delivered ({c})"),
                (true, None) => "delivered".into(),
                (false, Some(c)) => format!(
                    "rejected: HTTP {c}{}",
                    w.response_excerpt
                        .as_deref()
                        .map(|e| format!(" {e}"))
                        .unwrap_or_default()
                ),
                (false, None) => w.error.clone().unwrap_or_else(|| "no answer".into()),
            }
        );
    }
    if let Some(problem) = &step.clip.problem {
        let _ = writeln!(out, "clip check failed: {problem}");
    }
    if !out.is_empty() {
        let _ = writeln!(x, "      <system-out>{}</system-out>", xml_escape(&out));
    }
    x.push_str("    </testcase>\n");
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::evidence::slots::tests::{report, scenario, step};

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(
            xml_escape("a<b>&\"c\" 'd'\u{1}\u{7}\tz"),
            "a&lt;b&gt;&amp;&quot;c&quot; &apos;d&apos;\tz"
        );
    }

    #[test]
    fn a_suite_per_scenario_and_a_case_per_step_with_failure_and_attachments() {
        let mut failing = step(
            "Pay <now>",
            StepStatus::Failed,
            "s/02.png",
            Some("s/02.mp4"),
        );
        failing.error = Some(crate::outcome::StepError {
            message: "expected \"active\" & got \"none\"".into(),
            location: crate::scenario::Location {
                file: "scenarios/b.yaml".into(),
                line: 9,
                column: 7,
            },
            source_line: Some("      - expect_text: active".into()),
        });
        let mut recovery = scenario(
            "Recovery",
            "payment-recovery",
            "failed",
            vec![
                step("Open", StepStatus::Passed, "s/01.png", Some("s/01.mp4")),
                failing,
                step("Later", StepStatus::Skipped, "s/03.png", None),
            ],
        );
        recovery.capture = crate::outcome::VideoCapture {
            source: Some("bidi-screenshots".into()),
            fps: Some(9.46),
            note: None,
        };
        let r = report(
            "on",
            vec![
                recovery,
                scenario(
                    "Smoke",
                    "production-smoke",
                    "passed",
                    vec![step("Verify", StepStatus::Passed, "t/01.png", None)],
                ),
            ],
        );
        let xml = render_junit(&r);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
        assert!(xml.contains(r#"tests="4" failures="1" errors="0" skipped="1""#));
        assert_eq!(xml.matches("<testsuite ").count(), 2);
        assert_eq!(xml.matches("<testcase ").count(), 4);
        assert!(xml.contains(
            r#"<testsuite name="Recovery" tests="3" failures="1" errors="0" skipped="1""#
        ));
        assert!(xml.contains(r#"<testcase name="02 Pay &lt;now&gt;" classname="Recovery""#));
        assert!(xml.contains(
            r#"<failure message="scenarios/b.yaml:9: expected &quot;active&quot; &amp; got &quot;none&quot;" type="failure">scenarios/b.yaml:9:7: expected"#
        ));
        assert!(xml.contains("    9 |       - expect_text: active</failure>"));
        assert!(xml.contains("[[ATTACHMENT|s/02.png]]\n[[ATTACHMENT|s/02.mp4]]\n</system-out>"));
        assert!(xml.contains(r#"<skipped message="an earlier step did not pass"/>"#));
        assert!(xml.contains(r#"<property name="slot" value="payment-recovery"/>"#));
        // The browser and where the video came from, for a CI matrix over browsers.
        assert!(
            xml.contains(r#"<testsuites name="walkthrough 20260101-000000-abcdef on chrome 140""#)
        );
        assert!(xml.contains(r#"<property name="browser" value="chrome"/>"#));
        assert!(xml.contains(r#"<property name="browser_version" value="140"/>"#));
        assert!(xml.contains(r#"<property name="video_source" value="bidi-screenshots"/>"#));
        assert!(xml.contains(r#"<property name="video_fps" value="9.5"/>"#));
        // Well-formed: every opened element closes, in order.
        assert_balanced(&xml);
    }

    /// A report whose "Checkout" passed on its second attempt after its step "Pay" failed.
    pub(crate) fn flaky_report(fail_on_flaky: bool) -> RunOutcome {
        let mut failed = step(
            "Pay",
            StepStatus::Failed,
            "s/01/02.png",
            Some("s/01/02.mp4"),
        );
        failed.error = Some(crate::outcome::StepError {
            message: "no element <Pay>".into(),
            location: failed.location.clone(),
            source_line: None,
        });
        let first = vec![
            step(
                "Open",
                StepStatus::Passed,
                "s/01/01.png",
                Some("s/01/01.mp4"),
            ),
            failed,
        ];
        let last = vec![
            step("Open", StepStatus::Passed, "a2/01.png", Some("a2/01.mp4")),
            step("Pay", StepStatus::Passed, "a2/02.png", Some("a2/02.mp4")),
        ];
        let mut r = report(
            "on",
            vec![scenario("Checkout", "new-user-to-checkout", "flaky", last)],
        );
        let mut earlier = scenario("Checkout", "new-user-to-checkout", "failed", first);
        earlier.video = Some("s/01/scenario.mp4".into());
        let (started_at, duration) = (earlier.started_at, earlier.duration);
        let attempt = crate::outcome::AttemptOutcome::take(
            &mut earlier,
            1,
            "step 2 “Pay” failed: no element <Pay>".into(),
            started_at,
            duration,
        );
        r.attempts.insert(0, vec![attempt]);
        r.retry = crate::outcome::RetryPolicy {
            retries: 1,
            fail_on_flaky,
        };
        r.slots = crate::evidence::slots::slot_verdicts(&r, &|_| true);
        r
    }

    #[test]
    fn a_flaky_case_carries_a_flaky_failure_with_its_attempts_evidence() {
        let xml = render_junit(&flaky_report(false));
        assert!(
            xml.contains(r#"tests="2" failures="0" errors="0" skipped="0""#),
            "{xml}"
        );
        assert_eq!(xml.matches("<flakyFailure ").count(), 1, "{xml}");
        assert!(!xml.contains("<failure"), "{xml}");
        // On the case of the step that failed, with Surefire's children.
        let pay = &xml[xml.find(r#"<testcase name="02 Pay""#).unwrap()..];
        assert!(pay.starts_with(
            "<testcase name=\"02 Pay\" classname=\"Checkout\" time=\"1.200\" file=\"scenarios/a.yaml\" line=\"4\">\n      <flakyFailure message=\"attempt 1 of 2 failed: scenarios/a.yaml:4: no element &lt;Pay&gt;\" type=\"flakyFailure\"><stackTrace>scenarios/a.yaml:4:5: no element &lt;Pay&gt;</stackTrace><system-out>[[ATTACHMENT|s/01/02.png]]\n[[ATTACHMENT|s/01/02.mp4]]\nattempt 1 video: s/01/scenario.mp4\n</system-out></flakyFailure>\n"
        ), "{pay}");
        // The case's own output attaches the last attempt's files, then the failed one's.
        assert!(pay.contains("<system-out>[[ATTACHMENT|a2/02.png]]\n[[ATTACHMENT|a2/02.mp4]]\nattempt 1 (failed):\n[[ATTACHMENT|s/01/02.png]]\n[[ATTACHMENT|s/01/02.mp4]]\n</system-out>"), "{pay}");
        assert!(xml.contains(r#"<property name="attempts" value="2"/>"#));
        assert!(xml.contains(r#"<property name="slot_flaky" value="true"/>"#));
        assert_balanced(&xml);
    }

    #[test]
    fn under_fail_on_flaky_the_flaky_case_is_a_failure() {
        let xml = render_junit(&flaky_report(true));
        assert!(
            xml.contains(r#"tests="2" failures="1" errors="0" skipped="0""#),
            "{xml}"
        );
        assert!(!xml.contains("<flakyFailure"), "{xml}");
        assert!(xml.contains(
            r#"<failure message="flaky (--fail-on-flaky): attempt 1 of 2 failed: scenarios/a.yaml:4: no element &lt;Pay&gt;" type="flaky">scenarios/a.yaml:4:5: no element &lt;Pay&gt;"#
        ), "{xml}");
        assert_balanced(&xml);
    }

    /// A small tag-balance check (the XML here has no comments, CDATA or processing
    /// instructions besides the declaration).
    fn assert_balanced(xml: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = xml.split_once("?>").unwrap().1;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').unwrap() + start;
            let tag = &rest[start + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "in {xml}");
            } else if !tag.ends_with('/') {
                stack.push(tag.split_whitespace().next().unwrap().to_string());
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }
}
