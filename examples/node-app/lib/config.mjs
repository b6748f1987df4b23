// The app's configuration, read only from environment variables. A missing or malformed
// variable stops the app with a message that names it; no message ever shows a value of the
// access token or the webhook secret.

import { fileURLToPath } from "node:url";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));

export class ConfigError extends Error {}

const OFF = new Set(["0", "false", "no", "off"]);
const ON = new Set(["1", "true", "yes", "on"]);

/**
 * `PORT` (default 3000; 0 picks a free one), `POLAR_API_URL`, `POLAR_ACCESS_TOKEN`,
 * `POLAR_PRODUCT_ID`, `POLAR_WEBHOOK_SECRET` (required), `BILLING_ENFORCE` (default on),
 * `DATABASE_PATH` (default `data/tegy.sqlite` in the app folder), `APP_URL` (the address
 * Polar sends the browser back to; default `http://127.0.0.1:PORT`).
 */
export function loadConfig(env = process.env) {
  const get = (name) => {
    const v = env[name];
    return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
  };
  const missing = [
    "POLAR_API_URL",
    "POLAR_ACCESS_TOKEN",
    "POLAR_PRODUCT_ID",
    "POLAR_WEBHOOK_SECRET",
  ].filter((name) => get(name) === null);
  if (missing.length) {
    throw new ConfigError(
      `missing environment variable${missing.length > 1 ? "s" : ""}: ${missing.join(", ")} ` +
        "(see README.md: the Polar API URL, an organization access token, the product id and the webhook secret)",
    );
  }

  const portText = get("PORT") ?? "3000";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new ConfigError(`PORT must be a number from 0 to 65535, not ${JSON.stringify(portText)}`);
  }

  const apiUrl = get("POLAR_API_URL").replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/]+/.test(apiUrl)) {
    throw new ConfigError(`POLAR_API_URL must be an http(s) URL such as https://sandbox-api.polar.sh, not ${JSON.stringify(apiUrl)}`);
  }

  const enforceText = (get("BILLING_ENFORCE") ?? "on").toLowerCase();
  if (!ON.has(enforceText) && !OFF.has(enforceText)) {
    throw new ConfigError(`BILLING_ENFORCE must be on or off (1/0, true/false), not ${JSON.stringify(enforceText)}`);
  }

  const appUrl = get("APP_URL")?.replace(/\/+$/, "") ?? null;
  if (appUrl !== null && !/^https?:\/\/[^\s/]+/.test(appUrl)) {
    throw new ConfigError(`APP_URL must be an http(s) URL, not ${JSON.stringify(appUrl)}`);
  }

  return {
    port,
    appUrl,
    polarApiUrl: apiUrl,
    polarAccessToken: get("POLAR_ACCESS_TOKEN"),
    productId: get("POLAR_PRODUCT_ID"),
    webhookSecret: get("POLAR_WEBHOOK_SECRET"),
    enforce: ON.has(enforceText),
    databasePath: get("DATABASE_PATH") ?? `${APP_DIR}data/tegy.sqlite`,
  };
}
