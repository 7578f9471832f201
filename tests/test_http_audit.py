"""The graphql-http audit (github.com/graphql/graphql-http) of GraphQL over HTTP against
a real server on a loopback port: no MUST may fail and no SHOULD may warn.

Its node packages come from tests/http_audit/package.json, installed by ``./run``. Without
node or the packages the test skips, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
import pytest
import uvicorn

from vmeste.app import create_app
from vmeste.platform.settings import Settings

AUDIT = Path(__file__).with_name("http_audit")


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the GraphQL-over-HTTP audit: {reason}")
    pytest.skip(reason)


@pytest.fixture
def node() -> str:
    executable = shutil.which("node")
    if executable is None:
        _unavailable("node is not installed")
    if not (AUDIT / "node_modules" / "graphql-http").is_dir():
        _unavailable("graphql-http is not installed: npm install --prefix tests/http_audit")
    return executable


@pytest.fixture
def server(empty_database: Settings) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(empty_database), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not served.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        assert httpx.get(f"{base}/readyz").status_code == 200
        yield f"{base}/graphql"
    finally:
        served.should_exit = True
        thread.join(timeout=30)


def test_graphql_over_http_audit_passes(node: str, server: str) -> None:
    run = subprocess.run([node, str(AUDIT / "audit.mjs"), server], cwd=AUDIT,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    assert len(results) > 50, "the audit ran too few checks"
    failed = [r for r in results if r["status"] != "ok" and not r["name"].startswith("MAY")]
    assert failed == [], json.dumps(failed, ensure_ascii=False, indent=1)
    # The optional (MAY) behaviours are part of the contract too: GET queries, 400 on bad
    # parameters and on unparsable JSON.
    optional = [r for r in results if r["status"] != "ok"]
    assert optional == [], json.dumps(optional, ensure_ascii=False, indent=1)
