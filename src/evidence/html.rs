//! `index.html`: the evidence report for people. One self-contained page (inline CSS, no
//! script, no network) that works opened from `file://`; screenshots and clips are linked by
//! paths relative to the run folder. Pure: a function of the (already redacted) report.

use std::fmt::Write as _;

use serde_json::Value;

use super::console::format_ms as duration;
use super::slots::slot_title;
use crate::outcome::{
    RunOutcome, ScenarioOutcome, SlotStatus, SlotVerdict, StepOutcome, StepStatus, WebhookRecord,
};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A run-folder-relative path as an escaped relative URL: every segment percent-encoded, so
/// nothing in a path can become a scheme, a query or markup.
pub fn href(path: &str) -> String {
    let encoded: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(|seg| {
            let mut out = String::new();
            for b in seg.bytes() {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    out.push(b as char);
                } else {
                    let _ = write!(out, "%{b:02X}");
                }
            }
            out
        })
        .collect();
    esc(&encoded.join("/"))
}

fn badge(status: &str) -> String {
    format!(
        r#"<span class="badge s-{cls}">{text}</span>"#,
        cls = esc(status),
        text = esc(status)
    )
}

fn video_tag(path: &str, label: &str) -> String {
    format!(
        r#"<video controls preload="metadata" muted playsinline src="{src}" aria-label="{label}"></video>"#,
        src = href(path),
        label = esc(label)
    )
}

const CSS: &str = r#"
:root{--bg:#f6f7f9;--card:#fff;--ink:#1b1f24;--muted:#5f6b7a;--line:#e3e6ea;
--ok:#137a3f;--ok-bg:#e3f5ea;--bad:#b42318;--bad-bg:#fde8e6;--warn:#8a5a00;--warn-bg:#fff3d6;
--none:#5f6b7a;--none-bg:#eceff3;--accent:#3b5bdb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 24px 64px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:0 0 12px}h3{font-size:15px;margin:0}
a{color:var(--accent)}code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
header.run{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 24px;margin-bottom:24px}
header.run .title{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
dl.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:8px 24px;margin:16px 0 0}
dl.meta dt{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
dl.meta dd{margin:0;word-break:break-all}
.counts{display:flex;gap:8px;flex-wrap:wrap;margin-top:12px}
.badge{display:inline-block;border-radius:999px;padding:2px 10px;font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.03em;white-space:nowrap}
.s-verified,.s-passed{background:var(--ok-bg);color:var(--ok)}
.s-failed,.s-interrupted{background:var(--bad-bg);color:var(--bad)}
.s-unverified,.s-running{background:var(--warn-bg);color:var(--warn)}
.s-missing,.s-skipped,.s-not_runnable{background:var(--none-bg);color:var(--none)}
section.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 24px;margin-bottom:24px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:8px 10px;border-bottom:1px solid var(--line)}
th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;font-weight:600}
table.slots td.clip{width:300px}
table.slots video{width:280px;border-radius:6px;background:#000}
.what,.reason{color:var(--muted);font-size:13px}
tr.slot-missing td{background:#fafbfc}
.scenario-head{display:flex;align-items:center;gap:12px;flex-wrap:wrap;margin-bottom:4px}
.sub{color:var(--muted);font-size:13px;margin-bottom:16px}
ol.steps{list-style:none;margin:0;padding:0}
li.step{border:1px solid var(--line);border-left:4px solid var(--none);border-radius:8px;padding:14px 16px;margin:12px 0}
li.step.st-passed{border-left-color:var(--ok)}li.step.st-failed,li.step.st-interrupted{border-left-color:var(--bad)}
.step-head{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap}
.num{color:var(--muted);font-variant-numeric:tabular-nums}
.dur,.loc{color:var(--muted);font-size:13px}.loc{margin-left:auto}
.media{display:flex;gap:16px;flex-wrap:wrap;margin-top:12px}
figure{margin:0;flex:1 1 360px;max-width:540px}
figure img,figure video{width:100%;border:1px solid var(--line);border-radius:6px;display:block;background:#000}
figcaption{color:var(--muted);font-size:12px;margin-top:4px}
.clip-bad{color:var(--bad)}
.error{background:var(--bad-bg);border:1px solid #f5c2bd;border-radius:8px;padding:12px 14px;margin-top:12px}
.error .msg{margin:0;white-space:pre-wrap;font-weight:600;color:var(--bad)}
.error .where{font-size:13px;color:var(--muted);margin:6px 0}
pre.source{background:#1b1f24;color:#f1f3f5;border-radius:6px;padding:8px 12px;margin:0;overflow:auto}
pre.source .ln{color:#8a94a3;user-select:none;margin-right:12px}
.observed{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:16px;margin-top:12px}
.observed h4{margin:0 0 6px;font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
table.state td,table.hooks td{font-size:13px;padding:4px 8px}
tr.changed td{background:#fff8e1}tr.changed td.after{font-weight:600}
.ok{color:var(--ok)}.bad{color:var(--bad)}
details{margin-top:6px}summary{cursor:pointer;color:var(--muted);font-size:13px}
pre.answer{margin:4px 0 0;font-size:12px;white-space:pre-wrap;word-break:break-all}
tr.rejected td{background:#fff5f5}
details pre{white-space:pre-wrap;word-break:break-all;background:var(--bg);padding:8px;border-radius:6px}
footer{color:var(--muted);font-size:13px;text-align:center}
"#;

/// The whole page.
pub fn render_html(report: &RunOutcome) -> String {
    let mut h = String::with_capacity(32 * 1024);
    let run = &report.run;
    let run_status = run.status.as_str();
    let _ = write!(
        h,
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Billing evidence — {id}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header class="run" data-testid="run" data-status="{status}">
<div class="title"><h1>Billing lifecycle evidence</h1>{badge}</div>
<dl class="meta">
<dt>Run</dt><dd><code>{id}</code></dd>
<dt>Polar</dt><dd data-testid="target">{target}</dd>
<dt>App</dt><dd data-testid="app">{app}</dd>
<dt>State</dt><dd data-testid="state-probe">{probe}</dd>
<dt>Browser</dt><dd>{browser} {bversion}</dd>
<dt>Video</dt><dd>{video}</dd>
<dt>Started</dt><dd>{started}</dd>
<dt>Finished</dt><dd>{finished}</dd>
<dt>Tool</dt><dd>walkthrough {tool}</dd>
</dl>
"#,
        id = esc(&run.id),
        status = esc(run_status),
        badge = badge(run_status),
        target = esc(match run.target.as_str() {
            "mock" => "the mock Polar",
            "sandbox" => "Polar's sandbox",
            _ => "none (no Polar the run knows of)",
        }),
        app = esc(&match (run.app.source.as_str(), &run.app.command) {
            ("demo", _) => format!("the built-in demo app at {}", run.app.url),
            ("command", Some(cmd)) => format!("`{cmd}`, started at {}", run.app.url),
            ("fixtures", _) => format!("the fixture pages at {}", run.app.url),
            _ => format!("running at {}", run.app.url),
        }),
        probe = esc(run
            .app
            .state_probe
            .as_deref()
            .unwrap_or("no state probe configured")),
        browser = esc(&run.browser.name),
        bversion = esc(&run.browser.version),
        video = esc(if run.video.is_empty() {
            "off"
        } else {
            &run.video
        }),
        started = esc(&run.started_at.to_rfc3339()),
        finished = esc(&run
            .finished_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| "—".into())),
        tool = esc(&run.tool_version),
    );
    h.push_str(r#"<div class="counts">"#);
    for status in [
        SlotStatus::Verified,
        SlotStatus::Unverified,
        SlotStatus::Failed,
        SlotStatus::Missing,
        SlotStatus::NotRunnable,
    ] {
        let n = report.slots.iter().filter(|s| s.status == status).count();
        let status = status.as_str();
        if n > 0 {
            let _ = write!(
                h,
                r#"<span class="badge s-{s}">{n} {s}</span>"#,
                s = esc(status)
            );
        }
    }
    h.push_str("</div>\n</header>\n");

    render_slots(&mut h, report);

    for (index, scenario) in report.scenarios.iter().enumerate() {
        render_scenario(&mut h, index, scenario);
    }
    let _ = write!(
        h,
        r#"<footer>Machine-readable: <a href="report.json">report.json</a> · <a href="junit.xml">junit.xml</a> · <a href="summary.md">summary.md</a> · <a href="manifest.json">manifest.json</a> (SHA-256 of every file)</footer>
</main>
</body>
</html>
"#
    );
    h
}

fn render_slots(h: &mut String, report: &RunOutcome) {
    h.push_str(
        r#"<section class="card" id="slots">
<h2>Evidence slots</h2>
<table class="slots" data-testid="slot-table">
<thead><tr><th>Slot</th><th>Verdict</th><th>Scenario</th><th>Clip</th></tr></thead>
<tbody>
"#,
    );
    for slot in &report.slots {
        render_slot_row(h, slot);
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn render_slot_row(h: &mut String, slot: &SlotVerdict) {
    let scenario = match (&slot.scenario, slot.scenario_index) {
        (Some(name), Some(i)) => format!(
            r##"<a href="#scenario-{n}">{name}</a>"##,
            n = i + 1,
            name = esc(name)
        ),
        _ => "—".into(),
    };
    let clip = match &slot.clip {
        Some(path) => video_tag(path, &format!("clip for {}", slot.id)),
        None => r#"<span class="reason">no clip</span>"#.into(),
    };
    let _ = writeln!(
        h,
        r#"<tr class="slot-{status}" data-testid="slot-row" data-slot="{id}" data-status="{status}"><td><code>{id}</code><div class="what">{what}</div></td><td>{badge}<div class="reason">{reason}</div></td><td>{scenario}</td><td class="clip">{clip}</td></tr>"#,
        status = esc(slot.status.as_str()),
        id = esc(&slot.id),
        what = esc(slot_title(&slot.id)),
        badge = badge(slot.status.as_str()),
        reason = esc(&slot.reason),
    );
}

fn render_scenario(h: &mut String, index: usize, s: &ScenarioOutcome) {
    let _ = write!(
        h,
        r#"<section class="card scenario" id="scenario-{n}" data-testid="scenario" data-status="{status}">
<div class="scenario-head"><h2>{name}</h2>{badge}</div>
<div class="sub">{file}{slot} · {dur} · started {started}</div>
"#,
        n = index + 1,
        status = esc(s.status.as_str()),
        name = esc(&s.name),
        badge = badge(s.status.as_str()),
        file = esc(&s.file),
        slot = match &s.slot {
            Some(slot) => format!(" · slot <code>{}</code>", esc(slot)),
            None => String::new(),
        },
        dur = duration(s.duration_ms()),
        started = esc(&s.started_at.to_rfc3339()),
    );
    if let Some(source) = &s.capture.source {
        let _ = writeln!(
            h,
            r#"<div class="sub" data-testid="video-source">Video from <code>{}</code>{}{}</div>"#,
            esc(source),
            s.capture
                .fps
                .map(|fps| format!(", {fps:.1} frames captured per second of its steps"))
                .unwrap_or_default(),
            s.capture
                .note
                .as_deref()
                .map(|note| format!(" — {}", esc(note)))
                .unwrap_or_default(),
        );
    }
    if let Some(video) = &s.video {
        let _ = write!(
            h,
            r#"<div class="media"><figure>{}<figcaption>The whole scenario</figcaption></figure></div>"#,
            video_tag(video, &format!("video of {}", s.name))
        );
    }
    h.push_str(r#"<ol class="steps">"#);
    for (i, step) in s.steps.iter().enumerate() {
        let hooks: Vec<&WebhookRecord> = s.deliveries_of(i).collect();
        render_step(h, index, i, step, &hooks);
    }
    h.push_str("</ol>\n");
    render_timeline(h, s);
    h.push_str("</section>\n");
}

/// Every delivery of the scenario against its steps: when, which step, what, to where,
/// what the app answered, how fast.
fn render_timeline(h: &mut String, s: &ScenarioOutcome) {
    if s.deliveries.is_empty() {
        return;
    }
    h.push_str(r#"<div class="observed" data-testid="deliveries"><h4>Webhook deliveries</h4><table class="hooks"><thead><tr><th>At</th><th>Step</th><th>Event</th><th>Endpoint</th><th>Attempt</th><th>Answer</th><th>Latency</th></tr></thead><tbody>"#);
    for d in &s.deliveries {
        let w = &d.record;
        let at = chrono::DateTime::parse_from_rfc3339(&w.at)
            .map(|t| {
                let offset = t.with_timezone(&chrono::Utc) - s.started_at;
                format!("+{:.1} s", offset.num_milliseconds() as f64 / 1000.0)
            })
            .unwrap_or_else(|_| w.at.clone());
        let step = s
            .steps
            .get(d.step)
            .map(|st| format!("{}. {}", d.step + 1, st.name))
            .unwrap_or_default();
        let _ = write!(
            h,
            r#"<tr data-testid="delivery" data-step="{n}" data-type="{t}"{cls}><td>{at}</td><td>{step}</td><td><code>{t}</code></td><td><code>{url}</code></td><td>{attempt}</td><td>{answer}</td><td>{ms} ms</td></tr>"#,
            n = d.step + 1,
            t = esc(&w.event_type),
            cls = if w.rejected() {
                r#" class="rejected""#
            } else {
                ""
            },
            at = esc(&at),
            step = esc(&step),
            url = esc(&w.endpoint_url),
            attempt = w.attempt,
            answer = answer(w),
            ms = w.latency_ms,
        );
    }
    h.push_str("</tbody></table></div>");
}

/// What the endpoint answered: delivered, rejected with its status and the start of its
/// answer, or why nothing came back.
fn answer(w: &WebhookRecord) -> String {
    match (w.succeeded, w.status_code, &w.error) {
        (true, Some(code), _) => format!(r#"<span class="ok">{code} delivered</span>"#),
        (true, None, _) => r#"<span class="ok">delivered</span>"#.into(),
        (false, Some(code), _) => format!(
            r#"<span class="bad">rejected: HTTP {code}{}</span>{}"#,
            if w.will_retry { ", will retry" } else { "" },
            w.response_excerpt
                .as_deref()
                .map(|e| format!(
                    r#"<pre class="answer" data-testid="answer">{}</pre>"#,
                    esc(e)
                ))
                .unwrap_or_default()
        ),
        (false, None, err) => format!(
            r#"<span class="bad">{}</span>"#,
            esc(err.as_deref().unwrap_or("no answer"))
        ),
    }
}

fn render_step(
    h: &mut String,
    scenario: usize,
    index: usize,
    step: &StepOutcome,
    hooks: &[&WebhookRecord],
) {
    let status = step.status.as_str();
    let _ = write!(
        h,
        r#"<li class="step st-{status}" id="scenario-{sn}-step-{n}" data-testid="step" data-status="{status}">
<div class="step-head"><span class="num">{n}.</span><h3>{name}</h3>{badge}<span class="dur">{dur}</span><span class="loc">{file}:{line}</span></div>
"#,
        sn = scenario + 1,
        n = index + 1,
        name = esc(&step.name),
        badge = badge(status),
        dur = if step.status == StepStatus::Skipped {
            "not run".to_string()
        } else {
            duration(step.duration_ms())
        },
        file = esc(&step.location.file.display().to_string()),
        line = step.location.line,
    );
    let mut media = String::new();
    if let Some(shot) = &step.screenshot {
        let _ = write!(
            media,
            r#"<figure><a href="{src}"><img src="{src}" alt="Screenshot after “{name}”"></a><figcaption>Screenshot at the end of the step</figcaption></figure>"#,
            src = href(shot),
            name = esc(&step.name)
        );
    }
    if let Some(clip) = &step.clip.path {
        let health = match (step.clip.ok, &step.clip.problem) {
            (Some(true), _) => r#"<span class="ok">checked</span>"#.to_string(),
            (Some(false), problem) => format!(
                r#"<span class="clip-bad">check failed: {}</span>"#,
                esc(problem.as_deref().unwrap_or("no detail"))
            ),
            (None, _) => "not checked".into(),
        };
        let _ = write!(
            media,
            r#"<figure>{}<figcaption>Clip of the step · {health}</figcaption></figure>"#,
            video_tag(clip, &format!("clip of {}", step.name))
        );
    }
    for shot in &step.screenshots {
        let _ = write!(
            media,
            r#"<figure><a href="{src}"><img src="{src}" alt="{name}"></a><figcaption>{name}</figcaption></figure>"#,
            src = href(&shot.path),
            name = esc(&shot.name)
        );
    }
    if !media.is_empty() {
        let _ = write!(h, r#"<div class="media">{media}</div>"#);
    }
    if let Some(err) = &step.error {
        let _ = write!(
            h,
            r#"<div class="error" data-testid="step-error"><p class="msg">{msg}</p><div class="where">at {file}:{line}:{col}</div>"#,
            msg = esc(&err.message),
            file = esc(&err.location.file.display().to_string()),
            line = err.location.line,
            col = err.location.column,
        );
        if let Some(src) = &err.source_line {
            let _ = write!(
                h,
                r#"<pre class="source"><span class="ln">{line}</span>{src}</pre>"#,
                line = err.location.line,
                src = esc(src.trim_end())
            );
        }
        h.push_str("</div>");
    }
    let has_state = step.state_before.is_some() || step.state_after.is_some();
    if has_state || !hooks.is_empty() {
        h.push_str(r#"<div class="observed">"#);
        if has_state {
            render_state(h, step.state_before.as_ref(), step.state_after.as_ref());
        }
        if !hooks.is_empty() {
            render_webhooks(h, hooks);
        }
        h.push_str("</div>");
    }
    h.push_str("</li>\n");
}

/// Keys of the entitlement shown first, in this order; any other scalar key follows.
const STATE_KEYS: &[&str] = &[
    "status",
    "entitled",
    "plan",
    "seats",
    "members",
    "amount",
    "currency",
    "subscription_status",
    "cancel_at_period_end",
    "renews_at",
    "ends_at",
    "source",
];

fn scalar(v: Option<&Value>) -> String {
    match v {
        None => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => "null".into(),
        Some(other) => other.to_string(),
    }
}

fn render_state(h: &mut String, before: Option<&Value>, after: Option<&Value>) {
    let mut keys: Vec<String> = STATE_KEYS.iter().map(|k| k.to_string()).collect();
    for v in [before, after].into_iter().flatten() {
        if let Some(map) = v.as_object() {
            for (k, val) in map {
                if !val.is_object() && !val.is_array() && !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    let get = |v: Option<&Value>, k: &str| v.and_then(|v| v.get(k)).cloned();
    h.push_str(r#"<div data-testid="state"><h4>App state (entitlement)</h4><table class="state"><thead><tr><th></th><th>before</th><th>after</th></tr></thead><tbody>"#);
    for k in keys {
        let (b, a) = (get(before, &k), get(after, &k));
        if b.is_none() && a.is_none() {
            continue;
        }
        let changed = before.is_some() && after.is_some() && b != a;
        let _ = write!(
            h,
            r#"<tr{cls}><td><code>{k}</code></td><td>{b}</td><td class="after">{a}</td></tr>"#,
            cls = if changed { r#" class="changed""# } else { "" },
            k = esc(&k),
            b = esc(&scalar(b.as_ref())),
            a = esc(&scalar(a.as_ref())),
        );
    }
    h.push_str("</tbody></table>");
    for (label, v) in [("before", before), ("after", after)] {
        if let Some(v) = v {
            let _ = write!(
                h,
                "<details><summary>Raw state {label}</summary><pre>{}</pre></details>",
                esc(&serde_json::to_string_pretty(v).unwrap_or_default())
            );
        }
    }
    h.push_str("</div>");
}

fn render_webhooks(h: &mut String, hooks: &[&WebhookRecord]) {
    h.push_str(r#"<div data-testid="webhooks"><h4>Webhooks delivered during the step</h4><table class="hooks"><thead><tr><th>Event</th><th>Id</th><th>Attempt</th><th>Result</th></tr></thead><tbody>"#);
    for w in hooks {
        let result = answer(w);
        let _ = write!(
            h,
            r#"<tr data-testid="webhook" data-type="{t}"><td><code>{t}</code></td><td><code>{id}</code></td><td>{attempt}</td><td>{result}</td></tr>"#,
            t = esc(&w.event_type),
            id = esc(&w.event_id),
            attempt = w.attempt,
        );
    }
    h.push_str("</tbody></table></div>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::slots::slot_verdicts;
    use crate::evidence::slots::tests::{report, scenario, step};
    use crate::outcome::{StepDelivery, StepError};

    #[test]
    fn escapes_text_and_paths() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(href("scenarios/01-a/02 b.png"), "scenarios/01-a/02%20b.png");
        assert_eq!(href("javascript:alert(1)"), "javascript%3Aalert%281%29");
        assert_eq!(href("../../etc/passwd"), "etc/passwd");
        assert_eq!(href("a?b#c\"<"), "a%3Fb%23c%22%3C");
    }

    #[test]
    fn page_has_six_slot_rows_steps_errors_and_no_raw_markup_from_data() {
        let mut bad = step("<b>Pay</b>", StepStatus::Failed, "p.png", Some("p.mp4"));
        bad.error = Some(StepError {
            message: "expected <script>alert(1)</script>".into(),
            location: crate::scenario::Location {
                file: "scenarios/b.yaml".into(),
                line: 12,
                column: 9,
            },
            source_line: Some("      - expect_text: \"<active>\"".into()),
        });
        bad.state_before = Some(serde_json::json!({"status": "none", "entitled": false}));
        bad.state_after = Some(serde_json::json!({"status": "active", "entitled": true}));
        let hook = |id: &str, code: u16, excerpt: Option<&str>| StepDelivery {
            step: 0,
            record: WebhookRecord {
                event_id: id.into(),
                event_type: "subscription.active".into(),
                endpoint_url: "http://127.0.0.1:1/api/polar/webhooks".into(),
                attempt: 1,
                status_code: Some(code),
                succeeded: code < 300,
                error: None,
                will_retry: code >= 300,
                at: "2026-01-01T00:00:01Z".into(),
                latency_ms: 12,
                response_excerpt: excerpt.map(String::from),
            },
        };
        let mut pay = scenario("Checkout & pay", "payment-recovery", "failed", vec![bad]);
        pay.deliveries = vec![
            hook("evt_1", 403, Some("{\"error\":\"invalid_signature\"}")),
            hook("evt_1", 202, None),
        ];
        let mut r = report("on", vec![pay]);
        r.slots = slot_verdicts(&r, &|_| true);
        let html = render_html(&r);
        assert_eq!(html.matches(r#"data-testid="slot-row""#).count(), 6);
        assert!(html.contains(r#"data-slot="payment-recovery" data-status="failed""#));
        assert_eq!(html.matches(r#"data-status="missing""#).count(), 5);
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>Pay</b>"));
        assert!(html.contains("&lt;b&gt;Pay&lt;/b&gt;"));
        assert!(html.contains(r#"<pre class="source"><span class="ln">12</span>      - expect_text: &quot;&lt;active&gt;&quot;</pre>"#));
        assert!(
            html.contains(r#"<video controls preload="metadata" muted playsinline src="p.mp4""#)
        );
        assert!(html.contains(r#"<img src="p.png""#));
        assert!(html.contains(r#"<tr class="changed"><td><code>status</code></td><td>none</td><td class="after">active</td></tr>"#));
        assert!(html.contains(r#"data-type="subscription.active""#));
        assert!(html.contains("202 delivered"));
        // The rejected attempt shows the app's status and the start of its answer, in the
        // step and in the scenario's timeline.
        assert_eq!(html.matches("rejected: HTTP 403, will retry").count(), 2);
        assert!(html.contains("&quot;error&quot;:&quot;invalid_signature&quot;"));
        assert_eq!(
            html.matches(r#"data-testid="delivery" data-step="1""#)
                .count(),
            2
        );
        assert!(html.contains("no state probe configured"));
        assert!(
            !html.contains("src=\"http") && !html.contains("<link"),
            "no external resources"
        );
        assert!(!html.contains("<script"));
    }
}
