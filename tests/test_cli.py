"""The ``vmeste`` command as an operator runs it: a real process, real exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

ROOT = Path(__file__).resolve().parent.parent


def vmeste(tmp_path: Path, *args: str, dev: bool = False, **env: str
           ) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    environment.update(VMESTE_DATA_DIR=str(tmp_path / "var"), **env)
    if dev:
        environment["VMESTE_DEV_MODE"] = "1"
    return subprocess.run([sys.executable, "-m", "vmeste", *args], capture_output=True,
                          text=True, env=environment, cwd=tmp_path, timeout=120)


def test_invalid_setting_is_one_line_and_exit_2(tmp_path):
    result = vmeste(tmp_path, "migrate", VMESTE_MAX_PAGE_SIZE="lots")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "VMESTE_MAX_PAGE_SIZE" in lines[0]


def test_token_refuses_outside_dev_mode(tmp_path):
    result = vmeste(tmp_path, "token", "--role", "citizen")
    assert result.returncode == 2
    assert "dev mode" in result.stderr


def test_token_in_dev_mode_prints_a_signed_token(tmp_path):
    assert vmeste(tmp_path, "migrate").returncode == 0
    result = vmeste(tmp_path, "token", "--role", "citizen", "--sub", "ivanov", dev=True)
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert (claims["iss"], claims["sub"], claims["aud"]) == ("vmeste-dev", "ivanov", "vmeste")


def test_token_for_unknown_territory_fails_clearly(tmp_path):
    assert vmeste(tmp_path, "migrate").returncode == 0
    result = vmeste(tmp_path, "token", "--role", "regional_admin", "--territory", "99999999",
                    dev=True)
    assert result.returncode == 1
    assert "NOT_FOUND" in result.stderr


def test_plugins_lists_builtins(tmp_path):
    assert vmeste(tmp_path, "migrate").returncode == 0
    result = vmeste(tmp_path, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    report = {item["name"]: item for item in json.loads(result.stdout)}
    assert report["identity_oidc"]["hooks"] == ["vmeste_resolve_identity", "vmeste_strategies"]
    assert report["identity_oidc"]["strategies"] == ["identity/oidc"]
    assert report["identity_dev"]["active_in"] == []


def test_export_schema_matches_committed_file(tmp_path):
    result = vmeste(tmp_path, "export-schema", "--output", "-")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "schema.graphql").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [["serve", "--workers", "2"]])
def test_sqlite_refuses_several_workers(tmp_path, command):
    result = vmeste(tmp_path, *command)
    assert result.returncode == 2
    assert "SQLite" in result.stderr
