//! A product's own app (the project file's `app:`) on the mock Polar: the mock starts, the
//! app's webhook endpoint is registered on it (so the app gets a real secret), the app's
//! environment is rendered from what the run now knows (`${app.port}`, `${polar.*}`), and
//! the app is started and waited for — or, with no `command`, checked to answer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::http_client::Url;
use crate::intercept::{Intercept, PolarHosts};
use crate::polar::types::{WebhookEndpointCreate, WebhookFormat};
use crate::polar::webhook::EVENT_TYPES;
use crate::polar::PolarClient;
use crate::polar_mock::{MockConfig, MockPolar};
use crate::project::AppSpec;

use super::app_process::{check_reachable, AppLaunch, AppProcess};
use super::TestbedError;

/// The app of a project file, and the seed of its mock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectApp {
    pub spec: AppSpec,
    pub seed: Option<PathBuf>,
}

/// The mock and the app, running.
pub struct RunningProjectApp {
    pub mock: Arc<MockPolar>,
    pub app_url: Url,
    pub webhook_secret: Option<String>,
    pub state_path: Option<String>,
    /// `None` for an app that was already running.
    pub process: Option<AppProcess>,
    /// The command that started it.
    pub command: Option<String>,
    pub organization_id: String,
    /// Polar's own hostnames answered for the app (`app.intercept_polar`).
    pub intercept: Option<Intercept>,
}

/// `${name}` → value, for the app's URL and environment.
fn render(template: &str, values: &BTreeMap<&str, String>) -> String {
    render_with(template, values, |v| v.to_string())
}

/// `app.command` with its `${…}` filled in before the shell sees it, each value one
/// single-quoted shell word (so a value with spaces, quotes or `$` stays what it is).
fn render_command(template: &str, values: &BTreeMap<&str, String>) -> String {
    render_with(template, values, |v| {
        format!("'{}'", v.replace('\'', "'\\''"))
    })
}

fn render_with(
    template: &str,
    values: &BTreeMap<&str, String>,
    quote: impl Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        match (values.get(name), name.strip_prefix("env.")) {
            (Some(v), _) => out.push_str(&quote(v)),
            (None, Some(var)) => out.push_str(&quote(&std::env::var(var).unwrap_or_default())),
            (None, None) => out.push_str(&rest[start..start + 3 + end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The environment names written when a project file does not say which the app reads.
const DEFAULT_ENV: [(&str, &str); 6] = [
    ("POLAR_API_URL", "${polar.api_url}"),
    ("POLAR_ACCESS_TOKEN", "${polar.token}"),
    ("POLAR_PRODUCT_ID", "${polar.product_id}"),
    ("POLAR_ORGANIZATION_ID", "${polar.organization_id}"),
    ("POLAR_WEBHOOK_SECRET", "${polar.webhook_secret}"),
    ("POLAR_CONTROL_URL", "${polar.control_url}"),
];

/// For an app someone starts by hand (`mock-polar --env-file`): registers `app + path` on
/// the running `mock` and renders the app's environment — the project file's `app.env`,
/// plus each `POLAR_*` name it does not set. `${app.port}` is the port of `app`.
pub async fn dev_env(
    mock: &MockPolar,
    app: &Url,
    webhook_path: &str,
    env: Option<&[(String, String)]>,
) -> Result<Vec<(String, String)>, TestbedError> {
    let secret = register_endpoint(mock, app, webhook_path, None).await?;
    let port = app.port_or_known_default().unwrap_or(80);
    let values = BTreeMap::from([
        ("app.port", port.to_string()),
        ("polar.api_url", mock.base_url()),
        ("polar.token", mock.token()),
        ("polar.product_id", mock.product_id()),
        ("polar.organization_id", mock.organization_id()),
        ("polar.webhook_secret", secret),
        ("polar.control_url", mock.control_url()),
    ]);
    let defaults: Vec<(String, String)> = DEFAULT_ENV
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    // The project's names first, then each `POLAR_*` default it does not set itself: a dev
    // server started by hand finds the mock under the usual names too.
    let mut out: Vec<(String, String)> = env
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| (k.clone(), render(v, &values)))
        .collect();
    for (k, v) in defaults {
        if !out.iter().any(|(name, _)| *name == k) {
            out.push((k, render(&v, &values)));
        }
    }
    Ok(out)
}

impl ProjectApp {
    /// Starts the mock, registers the webhook endpoint, starts the app (output in `logs`).
    pub async fn start(&self, logs: &Path) -> Result<RunningProjectApp, TestbedError> {
        let config = MockConfig {
            port: None,
            fixtures_dir: self.seed.clone(),
        };
        let mock = Arc::new(MockPolar::start(config).await?);
        let intercept = self.intercept(&mock).await?;
        let organization_id = mock.organization_id();
        let port = crate::process::free_port()
            .map_err(|e| TestbedError::Usage(format!("no free loopback port: {e}")))?;
        let mut values: BTreeMap<&str, String> = BTreeMap::from([
            ("app.port", port.to_string()),
            ("polar.api_url", mock.base_url()),
            ("polar.token", mock.token()),
            ("polar.product_id", mock.product_id()),
            ("polar.organization_id", organization_id.clone()),
            ("polar.control_url", mock.control_url()),
        ]);
        let url_text = render(&self.spec.url, &values);
        let app_url = Url::parse(&format!("{}/", url_text.trim_end_matches('/')))
            .map_err(|e| TestbedError::Usage(format!("app.url `{url_text}` is not a URL: {e}")))?;
        let webhook_secret = match &self.spec.webhook_path {
            Some(path) => Some(
                register_endpoint(&mock, &app_url, path, self.spec.webhook_events.as_deref())
                    .await?,
            ),
            None => None,
        };
        values.insert(
            "polar.webhook_secret",
            webhook_secret.clone().unwrap_or_default(),
        );
        let process = match &self.spec.command {
            Some(command) => {
                let launch = AppLaunch {
                    command: render_command(command, &values),
                    cwd: self.spec.cwd.clone(),
                    // The intercept's proxy and CA first: the project's own env wins.
                    env: intercept
                        .iter()
                        .flat_map(Intercept::app_env)
                        .chain(
                            self.spec
                                .env
                                .iter()
                                .map(|(k, v)| (k.clone(), render(v, &values))),
                        )
                        .collect(),
                    ready: ready_url(&app_url, self.spec.ready.as_deref())?,
                    ready_timeout: self.spec.ready_timeout,
                    log: logs.join("app.log"),
                };
                Some(AppProcess::start(&launch).await?)
            }
            None => {
                check_reachable(&ready_url(&app_url, self.spec.ready.as_deref())?).await?;
                None
            }
        };
        Ok(RunningProjectApp {
            mock,
            app_url,
            webhook_secret,
            state_path: self.spec.state.clone(),
            process,
            command: self.spec.command.clone(),
            organization_id,
            intercept,
        })
    }

    /// Starts the intercept `app.intercept_polar` asks for, in front of `mock`.
    async fn intercept(&self, mock: &MockPolar) -> Result<Option<Intercept>, TestbedError> {
        if self.spec.intercept_polar.is_empty() {
            return Ok(None);
        }
        let hosts: Vec<PolarHosts> = self
            .spec
            .intercept_polar
            .iter()
            .map(|h| match h.as_str() {
                "production" => PolarHosts::Production,
                _ => PolarHosts::Sandbox,
            })
            .collect();
        let upstream = mock.address();
        let intercept = Intercept::start(&hosts, upstream)
            .await
            .map_err(|e| TestbedError::Usage(e.to_string()))?;
        let names: Vec<&str> = hosts.iter().flat_map(|h| h.names()).collect();
        // The checkout and portal links the app gets are on Polar's page host, as on Polar.
        mock.set_page_origin(Some(intercept.page_origin()));
        eprintln!(
            "  polar: {} answered by the mock for the app and the browser (a CA of this run only)",
            names.join(", ")
        );
        Ok(Some(intercept))
    }
}

/// `ready` as a URL: a path on the app, a full URL, or the app URL itself.
fn ready_url(app: &Url, ready: Option<&str>) -> Result<Url, TestbedError> {
    match ready {
        None => Ok(app.clone()),
        Some(r) => app
            .join(r)
            .map_err(|e| TestbedError::Usage(format!("app.ready `{r}` is not a path or URL: {e}"))),
    }
}

/// Registers `app + path` on the mock through its REST API, as the app's own setup would
/// on Polar, for `events` (`None`: every event type Polar has); returns the endpoint's
/// signing secret.
async fn register_endpoint(
    mock: &MockPolar,
    app: &Url,
    path: &str,
    events: Option<&[String]>,
) -> Result<String, TestbedError> {
    let url = app
        .join(path)
        .map_err(|e| TestbedError::Usage(format!("app.webhook_path `{path}`: {e}")))?;
    let client = PolarClient::builder(mock.base_url(), mock.token())
        .build()
        .map_err(TestbedError::Client)?;
    let endpoint = client
        .create_webhook_endpoint(&WebhookEndpointCreate {
            url: url.to_string(),
            name: Some("walkthrough: the app under test".into()),
            format: WebhookFormat::Raw,
            events: match events {
                Some(list) => list.to_vec(),
                None => EVENT_TYPES.iter().map(|e| e.to_string()).collect(),
            },
        })
        .await
        .map_err(TestbedError::WebhookEndpoint)?;
    Ok(endpoint.secret)
}

impl RunningProjectApp {
    /// How the browser reaches Polar's names when the run answers as them.
    pub fn host_route(&self) -> Option<crate::browser::HostRoute> {
        self.intercept.as_ref().map(|i| crate::browser::HostRoute {
            names: i
                .browser_hosts()
                .into_iter()
                .map(|(name, _)| name)
                .collect(),
            tls: i.browser_tls(),
            proxy: i.browser_proxy(),
            spki_sha256: i.trusted_spki().to_string(),
        })
    }

    /// Stops the app (SIGTERM to its group, SIGKILL after a grace period), then the mock.
    pub async fn stop(self) {
        if let Some(process) = self.process {
            process.stop().await;
        }
        // Said once the app had the whole run to call Polar: the likely reason its steps
        // failed, rather than a failure of its own.
        if let Some(intercept) = &self.intercept {
            let counts = intercept.counts();
            eprintln!(
                "  polar: through the run's names, the app opened {} connection(s) and the \
                 browser {}; {} other connection(s) passed through untouched",
                counts.app_intercepted, counts.browser_sessions, counts.passed_through
            );
        }
        if let Some(note) = self.intercept.as_ref().and_then(Intercept::idle_note) {
            eprintln!("note: {note}");
        }
        drop(self.intercept);
        drop(self.mock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_take_run_values_and_the_environment() {
        let values = BTreeMap::from([("app.port", "4100".to_string())]);
        std::env::set_var("WALKTHROUGH_TEST_RENDER", "from-env");
        assert_eq!(
            render(
                "http://127.0.0.1:${app.port}/x?${env.WALKTHROUGH_TEST_RENDER}",
                &values
            ),
            "http://127.0.0.1:4100/x?from-env"
        );
        assert_eq!(render("${unknown} and ${", &values), "${unknown} and ${");
    }

    #[test]
    fn a_command_gets_its_values_as_single_shell_words() {
        let values = BTreeMap::from([
            ("app.port", "4100".to_string()),
            ("polar.api_url", "http://127.0.0.1:9/it's $HOME".to_string()),
        ]);
        let command = render_command(
            "uvicorn app:app --port ${app.port} --env ${polar.api_url}",
            &values,
        );
        assert_eq!(
            command,
            "uvicorn app:app --port '4100' --env 'http://127.0.0.1:9/it'\\''s $HOME'"
        );
        // What the shell makes of it: the values unchanged, one argument each.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(render_command(
                "printf '%s|' ${app.port} ${polar.api_url}",
                &values,
            ))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "4100|http://127.0.0.1:9/it's $HOME|"
        );
    }

    #[tokio::test]
    async fn a_dev_env_has_the_projects_names_and_the_polar_defaults_it_lacks() {
        let mock = MockPolar::start(MockConfig::default()).await.unwrap();
        let app = Url::parse("http://127.0.0.1:3000/").unwrap();
        let project_env = vec![
            ("PORT".to_string(), "${app.port}".to_string()),
            (
                "POLAR_ACCESS_TOKEN".to_string(),
                "${polar.token}".to_string(),
            ),
        ];
        let env = dev_env(&mock, &app, "/hooks", Some(&project_env))
            .await
            .unwrap();
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "PORT",
                "POLAR_ACCESS_TOKEN",
                "POLAR_API_URL",
                "POLAR_PRODUCT_ID",
                "POLAR_ORGANIZATION_ID",
                "POLAR_WEBHOOK_SECRET",
                "POLAR_CONTROL_URL"
            ]
        );
        assert_eq!(env[0].1, "3000");
        assert_eq!(env[2].1, mock.base_url());
    }
}
