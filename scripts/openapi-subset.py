#!/usr/bin/env python3
"""Cut the part of Polar's OpenAPI document that tests/polar_mock_schema.rs validates against.

The full document (../shared/polar/openapi-2026-04.json, 2.7 MB) lives outside the repository;
a checkout alone has only the subset this script writes. The subset holds:

- `openapi` and `info` as they are, plus `x-subset-of` naming the source file and its SHA-256;
- the operations listed in fixtures/polar/openapi-subset.txt (`METHOD /path`), each whole,
  and the `webhooks` entries listed there (`webhook TYPE`);
- every `components.schemas` entry reachable from those through `$ref`s, transitively, and the
  `components.securitySchemes` the kept operations name.

Output is deterministic (sorted keys, two-space indentation, ASCII, trailing newline), so
regenerating from the same document gives the same bytes; the schema test checks exactly that
whenever the full document is present.

Usage: scripts/openapi-subset.py [--source FULL.json] [--list LIST.txt] [--out SUBSET.json]
(`--out -` writes to stdout).
"""

import argparse
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_NAME = "openapi-2026-04.json"
DEFAULT_SOURCE = os.path.join(ROOT, "..", "shared", "polar", SOURCE_NAME)
DEFAULT_LIST = os.path.join(ROOT, "fixtures", "polar", "openapi-subset.txt")
DEFAULT_OUT = os.path.join(ROOT, "fixtures", "polar", "openapi-2026-04.subset.json")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
SCHEMA_REF = "#/components/schemas/"


def read_list(path):
    """Returns ([(method, path)], [webhook type]) from the list file."""
    operations, webhooks = [], []
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2:
                sys.exit(f"{path}:{number}: expected `METHOD /path` or `webhook TYPE`: {line!r}")
            head, name = parts
            if head == "webhook":
                webhooks.append(name)
            elif head.lower() in METHODS and name.startswith("/"):
                operations.append((head.lower(), name))
            else:
                sys.exit(f"{path}:{number}: expected `METHOD /path` or `webhook TYPE`: {line!r}")
    return operations, webhooks


def refs_in(node, found):
    """Adds every `$ref` string under `node` to `found`."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            refs_in(value, found)
    elif isinstance(node, list):
        for value in node:
            refs_in(value, found)


def subset(doc, operations, webhooks, source_name, source_sha256):
    paths = {}
    for method, path in operations:
        item = doc.get("paths", {}).get(path)
        if item is None or method not in item:
            sys.exit(f"the document has no operation {method.upper()} {path}")
        kept = paths.setdefault(path, {})
        kept[method] = item[method]
        # Parameters shared by every operation of the path belong to each of them.
        if "parameters" in item:
            kept["parameters"] = item["parameters"]

    hooks = {}
    for kind in webhooks:
        item = doc.get("webhooks", {}).get(kind)
        if item is None:
            sys.exit(f"the document has no webhook {kind}")
        hooks[kind] = item

    all_schemas = doc.get("components", {}).get("schemas", {})
    schemas = {}
    pending = set()
    refs_in(paths, pending)
    refs_in(hooks, pending)
    while pending:
        ref = pending.pop()
        if not ref.startswith(SCHEMA_REF):
            sys.exit(f"unsupported $ref {ref!r}: only {SCHEMA_REF}… is resolved")
        name = ref[len(SCHEMA_REF):]
        if name in schemas:
            continue
        if name not in all_schemas:
            sys.exit(f"dangling $ref {ref!r}")
        schemas[name] = all_schemas[name]
        found = set()
        refs_in(schemas[name], found)
        pending |= {r for r in found if r[len(SCHEMA_REF):] not in schemas}

    components = {"schemas": schemas}
    scheme_names = set()
    for item in paths.values():
        for method, op in item.items():
            if method in METHODS:
                for requirement in op.get("security", doc.get("security", [])):
                    scheme_names.update(requirement)
    all_schemes = doc.get("components", {}).get("securitySchemes", {})
    if scheme_names:
        components["securitySchemes"] = {
            name: all_schemes[name] for name in scheme_names if name in all_schemes
        }

    return {
        "openapi": doc["openapi"],
        "info": doc["info"],
        "x-subset-of": {
            "source": source_name,
            "sha256": source_sha256,
            "generator": "scripts/openapi-subset.py",
            "list": "fixtures/polar/openapi-subset.txt",
            "note": "Only the operations and webhooks tests/polar_mock_schema.rs validates "
            "against, and the component schemas they reach through $ref. "
            "Regenerate with scripts/openapi-subset.py; do not edit by hand.",
        },
        "paths": paths,
        "webhooks": hooks,
        "components": components,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=os.environ.get("POLAR_OPENAPI", DEFAULT_SOURCE))
    parser.add_argument("--list", default=DEFAULT_LIST)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()

    with open(args.source, "rb") as f:
        raw = f.read()
    doc = json.loads(raw)
    operations, webhooks = read_list(args.list)
    # Named by file name only: the location differs between checkouts, the bytes must not.
    result = subset(doc, operations, webhooks, SOURCE_NAME, hashlib.sha256(raw).hexdigest())
    text = json.dumps(result, sort_keys=True, indent=2, ensure_ascii=True) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="ascii", newline="\n") as f:
            f.write(text)
        print(f"wrote {args.out}: {len(text.encode())} bytes, {len(result['paths'])} paths, "
              f"{len(webhooks)} webhooks, {len(result['components']['schemas'])} schemas",
              file=sys.stderr)


if __name__ == "__main__":
    main()
