// Tegy (Node): a small chat product with seat billing through Polar's TypeScript SDK.
// Configuration comes only from environment variables (lib/config.mjs, README.md).
// The first stdout line is `{"app_url": "http://127.0.0.1:PORT"}` once it listens.

import { createServer } from "node:http";

import { ConfigError, loadConfig } from "./lib/config.mjs";

// node:sqlite and the SDK need Node 22; say so instead of failing on a missing module.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(`tegy: needs Node 22 or newer (package.json "engines"), this is ${process.version}\n`);
  process.exit(2);
}
const { createApp } = await import("./lib/app.mjs");
const { Store } = await import("./lib/store.mjs");

let config;
try {
  config = loadConfig();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`tegy: ${e.message}\n`);
  process.exit(2);
}

const store = new Store(config.databasePath);
let appUrl = config.appUrl;
const server = createServer(createApp(config, store, () => appUrl));

server.listen(config.port, "127.0.0.1", () => {
  const { port } = server.address();
  appUrl ??= `http://127.0.0.1:${port}`;
  process.stdout.write(`${JSON.stringify({ app_url: appUrl })}\n`);
  process.stderr.write(
    `tegy: listening on http://127.0.0.1:${port}, Polar at ${config.polarApiUrl}, ` +
      `billing enforcement ${config.enforce ? "on" : "off"}, database ${config.databasePath}\n`,
  );
});

function stop(signal) {
  process.stderr.write(`tegy: ${signal}, stopping\n`);
  server.close(() => {
    store.close();
    process.exit(0);
  });
  server.closeIdleConnections();
  // Connections still busy after 5 s are cut.
  setTimeout(() => {
    server.closeAllConnections();
  }, 5000).unref();
}
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
