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


def test_several_api_processes_refuse_the_in_memory_broker(tmp_path):
    """Each process would hold its own in-memory queue and take back the others' jobs
    on start; several processes need a real broker and separate workers."""
    result = vmeste(tmp_path, "serve", "--workers", "2",
                    VMESTE_DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert result.returncode == 2
    assert "VMESTE_BROKER_URL" in result.stderr


def demo_database(tmp_path: Path) -> None:
    """Reference demo data and demo rules in the test's SQLite database."""
    script = ("import asyncio\n"
              "from tortoise.transactions import in_transaction\n"
              "from vmeste.platform.db import connect\n"
              "from vmeste.platform.settings import load_settings\n"
              "from vmeste.platform.reference.demo import load_demo_data\n"
              "from vmeste.platform.appeals.demo import build_demo_rules\n"
              "from vmeste.platform.appeals.rules_import import upsert_rule_rows\n"
              "from vmeste.platform.identity.principal import SYSTEM\n"
              "async def main():\n"
              "    async with connect(load_settings()):\n"
              "        await load_demo_data()\n"
              "        async with in_transaction() as conn:\n"
              "            await upsert_rule_rows(await build_demo_rules(), principal=SYSTEM,\n"
              "                                   publish=True, conn=conn)\n"
              "asyncio.run(main())\n")
    assert vmeste(tmp_path, "migrate").returncode == 0
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    environment["VMESTE_DATA_DIR"] = str(tmp_path / "var")
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path, env=environment)


def test_route_explains_its_decision_as_json(tmp_path):
    demo_database(tmp_path)
    result = vmeste(tmp_path, "route", "--category", "roads.potholes", "--territory",
                    "33701000001", "--json")
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["fallback"] is False and decision["organization_ogrn"]
    assert [step["strategy"] for step in decision["trace"]][-1] == "competence-table"
    unknown = vmeste(tmp_path, "route", "--category", "nope", "--territory", "33000000")
    assert unknown.returncode == 1 and "NOT_FOUND" in unknown.stderr


def test_rules_import_with_a_tie_lists_it_and_changes_nothing(tmp_path):
    demo_database(tmp_path)
    export = vmeste(tmp_path, "rules", "export", "before.csv")
    assert export.returncode == 0, export.stderr
    header = "category_code,territory_code,organization_ogrn,priority,applicant_type,channel,"
    (tmp_path / "tie.csv").write_text(
        header + "valid_from,valid_to\n"
        "snow.roads,33000000,1084339697474,7,,,,\n"
        "snow.roads,33000000,1024367235430,7,,,,\n", encoding="utf-8")
    result = vmeste(tmp_path, "rules", "import", "tie.csv", "--publish")
    assert result.returncode == 1
    assert "строка 3" in result.stderr and "Ничья со строкой 2" in result.stderr
    assert vmeste(tmp_path, "rules", "export", "after.csv").returncode == 0
    assert (tmp_path / "before.csv").read_text() == (tmp_path / "after.csv").read_text()
    bad = vmeste(tmp_path, "rules", "import", "before.csv")
    assert bad.returncode == 0 and "unchanged" in bad.stdout


def test_import_boundaries_from_geojson_all_or_nothing(tmp_path):
    demo_database(tmp_path)
    ring = [[49.5, 58.5], [49.8, 58.5], [49.8, 58.7], [49.5, 58.7], [49.5, 58.5]]

    def collection(*features: tuple[str, list]) -> str:
        return json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"oktmo": code},
             "geometry": {"type": "Polygon", "coordinates": [coords]}}
            for code, coords in features]})

    (tmp_path / "kirov.geojson").write_text(
        collection(("33701000", ring), ("33701000001", ring)), encoding="utf-8")
    result = vmeste(tmp_path, "import", "boundaries", "kirov.geojson")
    assert result.returncode == 0, result.stderr
    assert "features 2, updated 2, unchanged 0" in result.stdout
    again = vmeste(tmp_path, "import", "boundaries", "kirov.geojson")
    assert "updated 0, unchanged 2" in again.stdout

    (tmp_path / "bad.geojson").write_text(
        collection(("33701000", ring[::-1]), ("33799999", ring), ("33000000", ring[:3])),
        encoding="utf-8")
    bad = vmeste(tmp_path, "import", "boundaries", "bad.geojson")
    assert bad.returncode == 1
    assert "объект 2, поле oktmo: Территория 33799999 не найдена" in bad.stderr
    assert "объект 3, поле geometry: Кольцо 1: нужно не меньше 4 точек" in bad.stderr
    assert "nothing was written" in bad.stderr
    assert "unchanged 2" in vmeste(tmp_path, "import", "boundaries", "kirov.geojson").stdout
