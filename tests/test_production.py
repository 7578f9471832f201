"""``VMESTE_ENV=production``: the commands and the ASGI factory refuse unsafe settings,
one line a problem naming the variable, and start on a safe configuration."""

import base64
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.test_faults import RABBITMQ_URL, REDIS_URL, without_installed_plugins
from vmeste.platform.production import (
    PLACEHOLDER_WORDS,
    ProcessKind,
    ProductionRefused,
    production_problems,
    production_warnings,
    secret_key_weakness,
)
from vmeste.platform.settings import PRODUCTION_WAIVERS, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
#: Refusals come before any connection: no database answers at this address.
NOWHERE = "postgres://vmeste:pw@127.0.0.1:1/vmeste"


def safe_environment(database_url: str = NOWHERE) -> dict[str, str]:
    return {
        "VMESTE_ENV": "production", "VMESTE_DATABASE_URL": database_url,
        "VMESTE_BROKER_URL": RABBITMQ_URL,
        "VMESTE_OIDC_ISSUER": "https://esia.example/",
        "VMESTE_OIDC_JWKS_URL": "https://esia.example/jwks",
        "VMESTE_SECRET_KEY": secrets.token_hex(32), "VMESTE_INTROSPECTION": "0",
        "VMESTE_RATE_LIMIT_STORAGE_URL": REDIS_URL,
    }


def command_environment(tmp_path: Path, changes: dict[str, str]) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    environment.update({"VMESTE_DATA_DIR": str(tmp_path / "var"), **without_installed_plugins(),
                        **safe_environment(), **changes})
    return environment


def vmeste(tmp_path: Path, *args: str, **changes: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vmeste", *args], capture_output=True,
                          text=True, env=command_environment(tmp_path, changes), cwd=tmp_path,
                          timeout=120)


def production(**changes: str) -> Settings:
    return load_settings({**safe_environment(), **changes})


SQLITE = "sqlite://var/vmeste.sqlite3"


@pytest.mark.parametrize(("command", "changes", "variable"), [
    (["serve"], {"VMESTE_DEV_MODE": "1", "VMESTE_GRAPHIQL": "0"}, "VMESTE_DEV_MODE"),
    (["serve"], {"VMESTE_OIDC_ISSUER": ""}, "VMESTE_OIDC_ISSUER"),
    (["worker"], {"VMESTE_OIDC_ISSUER": "vmeste-dev"}, "VMESTE_OIDC_ISSUER"),
    (["scheduler"], {"VMESTE_OIDC_JWKS_URL": ""}, "VMESTE_OIDC_JWKS_URL"),
    (["migrate"], {"VMESTE_SECRET_KEY": ""}, "VMESTE_SECRET_KEY"),
    (["serve"], {"VMESTE_SECRET_KEY": "change-me-to-a-long-random-string"},
     "VMESTE_SECRET_KEY"),
    (["worker"], {"VMESTE_SECRET_KEY": "x" * 48}, "VMESTE_SECRET_KEY"),
    (["serve"], {"VMESTE_DATABASE_URL": SQLITE}, "VMESTE_DATABASE_URL"),
    (["serve", "--workers", "2"], {"VMESTE_DATABASE_URL": SQLITE,
                                   "VMESTE_EMBEDDED_WORKERS": "1"}, "VMESTE_DATABASE_URL"),
    (["scheduler"], {"VMESTE_DATABASE_URL": SQLITE}, "VMESTE_DATABASE_URL"),
    (["serve"], {"VMESTE_BROKER_URL": "memory://"}, "VMESTE_BROKER_URL"),
    (["worker"], {"VMESTE_BROKER_URL": "memory://"}, "VMESTE_BROKER_URL"),
    (["serve"], {"VMESTE_GRAPHIQL": "1"}, "VMESTE_GRAPHIQL"),
    (["migrate"], {"VMESTE_INTROSPECTION": "1"}, "VMESTE_INTROSPECTION"),
])
def test_an_unsafe_setting_is_one_line_naming_it_and_exit_2(tmp_path, command, changes,
                                                            variable):
    result = vmeste(tmp_path, *command, **changes)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"vmeste: unsafe in production: {variable}: "), lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_every_problem_is_its_own_line(tmp_path):
    result = vmeste(tmp_path, "serve", VMESTE_DEV_MODE="1", VMESTE_SECRET_KEY="",
                    VMESTE_BROKER_URL="memory://")
    assert result.returncode == 2
    named = [line.split(": ")[1] for line in result.stderr.strip().splitlines()]
    assert named == ["unsafe in production"] * 4
    assert [line.split(": ")[2] for line in result.stderr.strip().splitlines()] == [
        "VMESTE_DEV_MODE", "VMESTE_SECRET_KEY", "VMESTE_BROKER_URL", "VMESTE_GRAPHIQL"]


def test_a_waiver_lets_the_command_start(tmp_path):
    """Waived, introspection no longer stops `migrate`: it goes on to the database,
    which is the next thing that stops it here."""
    result = vmeste(tmp_path, "migrate", VMESTE_INTROSPECTION="1", VMESTE_GRAPHIQL="1",
                    VMESTE_PRODUCTION_ALLOW="introspection, graphiql")
    assert result.returncode == 2
    assert "unsafe in production" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "vmeste: cannot reach the database at 127.0.0.1:1")


def test_an_unknown_waiver_is_refused_naming_the_known_ones(tmp_path):
    result = vmeste(tmp_path, "serve", VMESTE_PRODUCTION_ALLOW="introspection,secret_key")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "vmeste: invalid setting VMESTE_PRODUCTION_ALLOW: unknown check 'secret_key'; the "
        "checks that can be waived are graphiql, identity_provider, introspection"]
    with pytest.raises(SettingsError) as caught:
        load_settings({"VMESTE_PRODUCTION_ALLOW": "graphql"})
    assert caught.value.variable == "VMESTE_PRODUCTION_ALLOW"


def test_each_waiver_lifts_its_own_check_only():
    lifted = {"graphiql": "VMESTE_GRAPHIQL", "introspection": "VMESTE_INTROSPECTION",
              "identity_provider": "VMESTE_OIDC_ISSUER"}
    assert set(lifted) == set(PRODUCTION_WAIVERS)
    unsafe = {"VMESTE_GRAPHIQL": "1", "VMESTE_INTROSPECTION": "1", "VMESTE_OIDC_ISSUER": ""}
    everything = {p.split(":")[0] for p in
                  production_problems(production(**unsafe), ProcessKind.API)}
    assert everything == set(lifted.values())
    for waiver, variable in lifted.items():
        left = production_problems(production(**unsafe, VMESTE_PRODUCTION_ALLOW=waiver),
                                   ProcessKind.API)
        assert {p.split(":")[0] for p in left} == everything - {variable}
    # What cannot be waived stays, whatever is allowed.
    kept = production(VMESTE_OIDC_ISSUER="vmeste-dev", VMESTE_SECRET_KEY="",
                      VMESTE_PRODUCTION_ALLOW=",".join(PRODUCTION_WAIVERS))
    assert [p.split(":")[0] for p in production_problems(kept, ProcessKind.API)] == [
        "VMESTE_OIDC_ISSUER", "VMESTE_SECRET_KEY"]


@pytest.mark.parametrize("kind", list(ProcessKind))
def test_a_safe_configuration_passes_every_kind_of_process(kind):
    settings = production()
    assert production_problems(settings, kind, processes=4) == []
    assert production_warnings(settings, kind) == []


def test_development_is_never_refused():
    settings = load_settings({"VMESTE_DEV_MODE": "1", "VMESTE_BROKER_URL": "memory://"})
    assert settings.environment == "development"
    for kind in ProcessKind:
        assert production_problems(settings, kind, processes=8) == []
        assert production_warnings(settings, kind) == []


def test_dev_mode_names_the_dev_issuer_while_its_plugin_is_loaded():
    live = production_problems(production(VMESTE_DEV_MODE="1", VMESTE_GRAPHIQL="0"),
                               ProcessKind.API)
    assert live == ["VMESTE_DEV_MODE: on, so the dev token issuer is live: anyone who can run "
                    "`vmeste token` or read the data folder's dev-issuer-key.pem signs in "
                    "with any role; switch it off"]
    blocked = production_problems(production(VMESTE_DEV_MODE="1", VMESTE_GRAPHIQL="0",
                                             VMESTE_DISABLE_PLUGINS="identity_dev"),
                                  ProcessKind.API)
    assert len(blocked) == 1 and "dev token issuer" not in blocked[0]


@pytest.mark.parametrize(("changes", "kind", "processes", "refused"), [
    # One process running the worker and the scheduler itself, on a durable broker.
    ({"VMESTE_EMBEDDED_WORKERS": "1"}, ProcessKind.API, 1, False),
    ({"VMESTE_EMBEDDED_WORKERS": "1"}, ProcessKind.COMMAND, 1, False),
    ({"VMESTE_EMBEDDED_WORKERS": "1"}, ProcessKind.API, 2, True),
    ({"VMESTE_EMBEDDED_WORKERS": "1"}, ProcessKind.WORKER, 1, True),
    ({}, ProcessKind.API, 1, True),  # a real broker: workers are processes of their own
    ({}, ProcessKind.COMMAND, 1, True),
])
def test_sqlite_is_refused_wherever_a_second_process_would_open_it(changes, kind, processes,
                                                                  refused):
    settings = production(VMESTE_DATABASE_URL=SQLITE, **changes)
    named = [p.split(":")[0] for p in production_problems(settings, kind, processes)]
    assert named == (["VMESTE_DATABASE_URL"] if refused else [])


def test_the_in_memory_broker_on_sqlite_says_how_one_process_stays_safe():
    (problem,) = production_problems(production(VMESTE_DATABASE_URL=SQLITE,
                                                VMESTE_BROKER_URL="memory://"), ProcessKind.API)
    assert problem.startswith("VMESTE_BROKER_URL: ") and "VMESTE_EMBEDDED_WORKERS=1" in problem


_KEYS = random.Random(20261202)  # seeded: a flaky draw would hide a real regression


@pytest.mark.parametrize("make", [lambda: _KEYS.randbytes(32).hex(),
                                  lambda: _KEYS.randbytes(16).hex(),
                                  lambda: base64.urlsafe_b64encode(_KEYS.randbytes(32)).decode(),
                                  lambda: base64.b64encode(_KEYS.randbytes(24)).decode()],
                         ids=["hex-32", "hex-16", "urlsafe-32", "base64-24"])
def test_random_keys_are_never_taken_for_weak_ones(make):
    """What ``openssl rand -hex|-base64`` and ``secrets.token_*`` print, 5,000 of each."""
    weak = [key for key in (make() for _ in range(5000)) if secret_key_weakness(key)]
    assert weak == []


@pytest.mark.parametrize(("key", "reason"), [
    ("", "empty"),
    ("s3cr3t-but-short", "16 characters"),
    ("please-change-me-before-production-1234", "placeholder"),
    ("my-production-secret-key-for-vmeste-2026", "placeholder"),
    ("Replace_With_32_Random_Characters!!", "placeholder"),
    ("at least 32 random characters", "29 characters"),  # the chart's comment, as typed
    ("at least 32 random characters, really", "placeholder"),
    ("0" * 64, "pattern"),
    ("Zq8#" * 10, "pattern"),
    ("abcdefghijklmnopqrstuvwxyz0123456789", "pattern"),
    ("0123456789abcdef0123456789ABCDEF", "pattern"),
])
def test_weak_keys_are_named_with_the_reason(key, reason):
    problem = secret_key_weakness(key)
    assert problem is not None and reason in problem
    assert "openssl rand -hex 32" in problem


@pytest.mark.parametrize("word", PLACEHOLDER_WORDS)
def test_a_random_key_that_happens_to_hold_a_placeholder_word_is_still_a_key(word):
    # From token_urlsafe(32), holding "dummy" in mixed case: it once failed the check.
    assert secret_key_weakness("1xs3ZJ9Zw2GG0vPKb_09lFDUmmYCNAHFS1NjYYQvKtY") is None
    mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(word))
    assert secret_key_weakness(f"Qx7kP2vLm9Hs3{mixed}Zr4TbN8wYc3Jd6Gf") is None


@pytest.mark.parametrize("key", [
    "Please-replace-this-with-a-long-random-string-before-deploy",
    "this-is-not-a-real-secret-change-it-before-going-live-2024",
    "mysecretkeyforthevmesteinstallation2026",
    "MySecretKeyForProductionUse2026abcdef",
    "CHANGEME_CHANGEME_CHANGEME_1234567890",
])
def test_placeholder_sentences_are_refused_however_they_are_written(key):
    assert "placeholder" in secret_key_weakness(key)


def test_warnings_for_per_process_counters_and_a_plain_http_key_set(capsys):
    from vmeste.cli.common import check_production

    settings = production(VMESTE_RATE_LIMIT_STORAGE_URL="",
                          VMESTE_OIDC_JWKS_URL="http://esia.example/jwks")
    api = production_warnings(settings, ProcessKind.API)
    assert [w.split(":")[0] for w in api] == ["VMESTE_RATE_LIMIT_STORAGE_URL",
                                               "VMESTE_OIDC_JWKS_URL"]
    private = production(VMESTE_WEBHOOK_ALLOW_PRIVATE="1")
    assert [w.split(":")[0] for w in production_warnings(private, ProcessKind.WORKER)] == [
        "VMESTE_WEBHOOK_ALLOW_PRIVATE"]
    assert [w.split(":")[0] for w in production_warnings(settings, ProcessKind.WORKER)] == [
        "VMESTE_OIDC_JWKS_URL"]
    check_production(settings, ProcessKind.WORKER)
    assert capsys.readouterr().err.splitlines() == [
        f"vmeste: warning: {production_warnings(settings, ProcessKind.WORKER)[0]}"]
    check_production(settings, ProcessKind.API)  # the app's lifespan logs an API's own
    assert capsys.readouterr().err == ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_asgi_factory_refuses_in_its_lifespan(tmp_path):
    """uvicorn started on the factory, as an image may run it without `vmeste serve`:
    the lifespan logs each problem and the server exits before it listens."""
    environment = command_environment(tmp_path, {"VMESTE_SECRET_KEY": ""})
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "vmeste.app:app_from_environment",
         "--port", str(free_port())], capture_output=True, text=True, env=environment,
        cwd=ROOT, timeout=120)
    assert result.returncode == 3  # uvicorn's exit code for a failed startup
    refusals = [line for line in result.stderr.splitlines()
                if "cannot start: unsafe in production: " in line]
    assert len(refusals) == 1 and "VMESTE_SECRET_KEY: empty" in refusals[0], result.stderr
    assert "Application startup failed" in result.stderr


async def test_the_lifespan_refuses_before_it_opens_the_database(db):
    from vmeste.app import create_app

    app = create_app(replace(db, environment="production", dev_mode=False, graphiql=False))
    with pytest.raises(ProductionRefused) as refused:
        async with app.router.lifespan_context(app):
            pass
    assert [p.split(":")[0] for p in refused.value.problems][:2] == [
        "VMESTE_OIDC_ISSUER", "VMESTE_SECRET_KEY"]


def test_a_safe_production_configuration_migrates_and_serves(vmeste_database_url, tmp_path):
    """The whole safe configuration on PostgreSQL: `migrate` runs, `serve` gets ready,
    answers a query and refuses introspection."""
    if vmeste_database_url.startswith("sqlite"):
        pytest.skip("production runs on PostgreSQL: the suite's PostgreSQL pass runs this")
    changes = {"VMESTE_DATABASE_URL": vmeste_database_url}
    migrated = vmeste(tmp_path, "migrate", **changes)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "vmeste", "serve", "--workers", "1", "--port", str(port)],
        env=command_environment(tmp_path, changes), cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not get ready"
            time.sleep(0.2)
        plain = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"})
        assert plain.json() == {"data": {"__typename": "Query"}}
        schema = httpx.post(f"{base}/graphql", json={"query": "{ __schema { types { name } } }"})
        assert schema.json().get("errors"), schema.text
        assert httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}).status_code != 200
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    # Neither refused nor warned about: no line names a setting.
    assert "VMESTE_" not in stderr, stderr
