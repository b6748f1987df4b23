"""Tegy (Python): a small chat product with seat billing through Polar's Python SDK.

Configuration comes only from environment variables (tegy/config.py, README.md). The first
stdout line is ``{"app_url": "http://127.0.0.1:PORT"}`` once it listens; stderr gets one
line per request. SIGTERM or Ctrl-C stops it (requests in flight get 5 s).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys

import uvicorn

from tegy.app import create_app
from tegy.config import ConfigError, load_config
from tegy.store import Store


def main() -> int:
    try:
        config = load_config(os.environ)
    except ConfigError as e:
        print(f"tegy: {e}", file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", config.port))
    except OSError as e:
        print(f"tegy: cannot listen on 127.0.0.1:{config.port}: {e.strerror}", file=sys.stderr)
        return 2
    sock.listen(128)
    port = sock.getsockname()[1]
    app_url = config.app_url or f"http://127.0.0.1:{port}"
    try:
        store = Store(config.database_path)
    except (OSError, sqlite3.Error) as e:
        print(f"tegy: cannot open the database {config.database_path}: {e}", file=sys.stderr)
        return 2
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, store, app_url),
            log_level="warning",
            access_log=False,  # the app logs each request itself, without its query string
            server_header=False,
            timeout_graceful_shutdown=5,
        )
    )
    print(json.dumps({"app_url": app_url}, separators=(",", ":")), flush=True)
    enforce = "on" if config.enforce else "off"
    print(
        f"tegy: listening on http://127.0.0.1:{port}, Polar {config.polar_server}, "
        f"billing enforcement {enforce}, database {config.database_path}",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn stops on SIGTERM or Ctrl-C (the app's lifespan closes the store), then ends
    # the process with that signal.
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
