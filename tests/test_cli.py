"""The ``vmeste`` command as an operator runs it: a real process, real exit codes."""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import jwt
import pytest

from tests.test_faults import require_service, without_installed_plugins
from tests.worlds import COUNTRY, MUNICIPALITY_A, ORG_A, REGION_A
from vmeste.platform.reference.validators import with_ogrn_check_digit

ROOT = Path(__file__).resolve().parent.parent
ME = """{ me { subject kind email birthDate gender addressOktmo verified orgOgrn orgName
  orgAuthority roles { role territory { code } organization { ogrn } } } }"""


def vmeste(tmp_path: Path, *args: str, dev: bool = False, **env: str
           ) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    environment.update(VMESTE_DATA_DIR=str(tmp_path / "var"), **without_installed_plugins(),
                       **env)
    if dev:
        environment["VMESTE_DEV_MODE"] = "1"
    return subprocess.run([sys.executable, "-m", "vmeste", *args], capture_output=True,
                          text=True, env=environment, cwd=tmp_path, timeout=120)


def test_invalid_setting_is_one_line_and_exit_2(tmp_path):
    result = vmeste(tmp_path, "migrate", VMESTE_MAX_PAGE_SIZE="lots")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "VMESTE_MAX_PAGE_SIZE" in lines[0]


def test_every_subcommand_and_option_has_help():
    from vmeste.cli import build_parser

    commands = next(action for action in build_parser()._actions
                    if isinstance(action, argparse._SubParsersAction))
    helped = {choice.dest for choice in commands._choices_actions if choice.help}
    assert helped == set(commands.choices)
    for name, parser in commands.choices.items():
        missing = [action.dest for action in parser._actions
                   if not isinstance(action, argparse._HelpAction) and not action.help]
        assert missing == [], f"vmeste {name}: {missing} have no help"


def test_token_refuses_outside_dev_mode(tmp_path):
    result = vmeste(tmp_path, "token", "--role", "citizen")
    assert result.returncode == 2
    assert "dev mode" in result.stderr


@pytest.mark.usefixtures("migrated_folder")
def test_token_in_dev_mode_prints_a_signed_token(tmp_path):
    result = vmeste(tmp_path, "token", "--role", "citizen", "--sub", "ivanov", dev=True)
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert (claims["iss"], claims["sub"], claims["aud"]) == ("vmeste-dev", "ivanov", "vmeste")


@pytest.mark.usefixtures("migrated_folder")
def test_token_for_unknown_territory_fails_clearly(tmp_path):
    result = vmeste(tmp_path, "token", "--role", "regional_admin", "--territory", "99999999",
                    dev=True)
    assert result.returncode == 1
    assert "NOT_FOUND" in result.stderr


@pytest.mark.usefixtures("migrated_folder")
def test_plugins_lists_builtins(tmp_path):
    result = vmeste(tmp_path, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    report = {item["name"]: item for item in document["plugins"]}
    assert report["identity_oidc"]["hooks"] == ["vmeste_resolve_identity", "vmeste_strategies"]
    assert report["identity_oidc"]["strategies"] == ["identity/oidc"]
    assert report["identity_dev"]["active_in"] == []
    assert report["deadlines"]["default"] == ["deadline/working-days"]
    assert document["kinds"]["deadline"] == {"default": ["working-days"], "elsewhere": {}}


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
    """Reference demo data and demo rules in the test's SQLite database (migrated by
    the ``migrated_folder`` fixture)."""
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
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    environment["VMESTE_DATA_DIR"] = str(tmp_path / "var")
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path, env=environment)


@pytest.mark.usefixtures("migrated_folder")
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


@pytest.mark.usefixtures("migrated_folder")
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


@pytest.mark.parametrize("command", [
    ["plugins"], ["route", "--category", "roads", "--territory", "33000000"],
    ["rules", "export", "-"], ["calendars", "list"], ["dead-letters", "list"],
    ["deadline", "--territory", "33000000", "--policy", "working-days:1"],
])
def test_an_unmigrated_database_asks_for_migrate_in_one_line(tmp_path, command):
    result = vmeste(tmp_path, *command)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "run `vmeste migrate`" in result.stderr and result.stdout == ""


def test_an_unmigrated_database_refuses_the_token_command_too(tmp_path):
    result = vmeste(tmp_path, "token", "--role", "citizen", dev=True)
    assert result.returncode == 2 and "vmeste migrate" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["migrate"], ["plugins"], ["dead-letters", "list"],
                                     ["serve"]])
def test_an_unreachable_postgres_names_host_and_port_but_not_the_password(tmp_path, command):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = vmeste(tmp_path, *command,
                    VMESTE_DATABASE_URL=f"postgres://vmeste:s3cr3t-pw@127.0.0.1:{port}/vmeste")
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr
    assert "s3cr3t-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("vmeste: cannot reach the database")


LOCAL_POSTGRES = "127.0.0.1:5432"


@pytest.mark.parametrize(("url", "problem"), [
    (f"postgres://postgres:s3cr3t-pw@{LOCAL_POSTGRES}/nonexistent_db_xyz",
     'database "nonexistent_db_xyz" does not exist'),
    (f"postgres://nobody_xyz:s3cr3t-pw@{LOCAL_POSTGRES}/postgres",
     'role "nobody_xyz" does not exist'),
])
def test_a_postgres_that_refuses_the_login_is_one_line_and_exit_2(tmp_path, url, problem):
    """The server answers but says no (unknown role, wrong password, no such database):
    a line naming where and why, as for a server that does not answer."""
    require_service(f"postgres://{LOCAL_POSTGRES}", 5432)
    result = vmeste(tmp_path, "plugins", VMESTE_DATABASE_URL=url)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"vmeste: the database at {LOCAL_POSTGRES} refused the connection: {problem}"]
    assert "s3cr3t-pw" not in result.stderr + result.stdout


def test_a_sqlite_file_in_a_folder_that_cannot_exist_is_one_clear_line(tmp_path):
    (tmp_path / "plain-file").write_text("not a folder")
    result = vmeste(tmp_path, "migrate",
                    VMESTE_DATABASE_URL=f"sqlite://{tmp_path}/plain-file/db.sqlite3")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (f"vmeste: cannot create the SQLite file {tmp_path}/"
                                     f"plain-file/db.sqlite3: {tmp_path}/plain-file is not a "
                                     "folder")


@pytest.mark.usefixtures("migrated_folder")
def test_expected_input_problems_never_show_a_traceback(tmp_path):
    (tmp_path / "bad.csv").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "calendar.json").write_text("{not json")
    cases = [
        (["import", "territories", "missing.csv"], 2, "missing.csv: no such file"),
        (["import", "territories", "bad.csv"], 1, "bad.csv: 1 error(s); nothing was written"),
        (["rules", "import", "bad.csv"], 1, "nothing was written"),
        (["route", "--category", "roads", "--territory", "33000000", "--at", "2026-02-30"],
         2, "is not a date"),
        (["route", "--category", "roads", "--territory", "99999999"], 1, "NOT_FOUND"),
        (["calendars", "import", "calendar.json"], 2, "not JSON"),
        (["rules", "export", str(tmp_path / "no-such-dir" / "rules.csv")], 2, "no-such-dir"),
    ]
    for command, code, message in cases:
        result = vmeste(tmp_path, *command)
        assert (result.returncode, "Traceback" in result.stderr) == (code, False), \
            (command, result.stderr)
        assert message in result.stderr, (command, result.stderr)


@pytest.mark.parametrize(("url", "problem"), [
    ("amqp://guest@127.0.0.1:5672/", "no password"),
    ("amqp://guest:pa55word@127.0.0.1:99999/", "between 1 and 65535"),
    ("redis://:pa55word@/0", "host is missing"),
    ("kafka://127.0.0.1", "unsupported scheme"),
])
def test_a_bad_broker_url_is_refused_at_start_without_its_password(tmp_path, url, problem):
    result = vmeste(tmp_path, "migrate", VMESTE_BROKER_URL=url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "VMESTE_BROKER_URL" in lines[0] and problem in lines[0]
    assert "pa55word" not in result.stderr


def vmeste_on(db, *args: str) -> subprocess.CompletedProcess[str]:
    """``vmeste`` on the test's database and data folder (the signing key), so the test's
    app accepts the tokens it prints."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    environment.update(VMESTE_DATABASE_URL=db.database_url, VMESTE_DATA_DIR=str(db.data_dir),
                       VMESTE_DEV_MODE="1")
    return subprocess.run([sys.executable, "-m", "vmeste", *args],
                          capture_output=True, text=True, env=environment, cwd=ROOT,
                          timeout=120)


def token_on(db, *args: str) -> subprocess.CompletedProcess[str]:
    return vmeste_on(db, "token", *args)


async def test_plugins_show_the_default_and_where_a_policy_chooses_another(world, db,
                                                                          region_policy):
    # A policy is validated as it will run, so least-loaded needs its settings.
    await region_policy(REGION_A, "routing", "least-loaded",
                        {"parent_ogrn": ORG_A, "category_codes": ["roads"]})
    await region_policy(MUNICIPALITY_A, "moderation", "basic", active=False)
    result = await asyncio.to_thread(vmeste_on, db, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    routing = document["kinds"]["routing"]
    assert "competence-table" in routing["default"] and "least-loaded" not in routing["default"]
    assert routing["elsewhere"] == {REGION_A: ["least-loaded"]}
    assert document["kinds"]["moderation"]["elsewhere"] == {MUNICIPALITY_A: []}
    plugins = {item["name"]: item for item in document["plugins"]}
    assert plugins["least_loaded"]["active_in"] == [REGION_A]
    text = await asyncio.to_thread(vmeste_on, db, "plugins")
    assert f"{REGION_A}: least-loaded" in text.stdout and f"{MUNICIPALITY_A}: none" in text.stdout


async def me(graphql, result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    body = await graphql(ME, token=result.stdout.strip())
    assert "errors" not in body, body
    return body["data"]["me"]


async def test_a_default_token_has_a_full_demo_profile(world, db, graphql):
    """The configurator needs no --territory (the country), and the token says who the
    person is as the demo's printed tokens do."""
    profile = await me(graphql, await asyncio.to_thread(
        token_on, db, "--role", "federal_configurator"))
    assert profile == {
        "subject": "dev-federal_configurator-RU", "kind": "PERSON",
        "email": "dev-federal_configurator-RU@demo.vmeste.localhost",
        "birthDate": "1990-01-01", "gender": "male", "addressOktmo": MUNICIPALITY_A,
        "verified": True, "orgOgrn": "", "orgName": "", "orgAuthority": "",
        "roles": [{"role": "FEDERAL_CONFIGURATOR", "territory": {"code": COUNTRY},
                   "organization": None}]}
    moderator = await me(graphql, await asyncio.to_thread(
        token_on, db, "--role", "moderator", "--territory", REGION_A))
    assert moderator["addressOktmo"] == REGION_A


async def test_profile_options_reach_me_through_the_app(world, db, graphql):
    company = with_ogrn_check_digit("102770013219")
    profile = await me(graphql, await asyncio.to_thread(
        token_on, db, "--role", "citizen", "--sub", "anna", "--birthdate", "1985-03-08",
        "--gender", "female", "--address-oktmo", MUNICIPALITY_A, "--unverified",
        "--legal-entity", company))
    assert profile["subject"] == "anna" and profile["kind"] == "LEGAL"
    assert (profile["birthDate"], profile["gender"], profile["addressOktmo"]) == (
        "1985-03-08", "female", MUNICIPALITY_A)
    assert profile["verified"] is False and profile["roles"] == []
    assert (profile["orgOgrn"], profile["orgAuthority"]) == (company, "representative")
    assert company in profile["orgName"]
    known = await me(graphql, await asyncio.to_thread(
        token_on, db, "--role", "citizen", "--sub", "boris", "--legal-entity", ORG_A))
    assert known["orgOgrn"] == ORG_A and "ОГРН" not in known["orgName"]


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--role", "operator"], 2, "--role operator needs --org"),
    (["--role", "moderator", "--org", ORG_A], 2, "--role moderator needs --territory"),
    (["--role", "citizen", "--legal-entity", "1027700132196"], 2, "--legal-entity"),
    (["--role", "citizen", "--birthdate", "1990-02-30"], 2, "--birthdate"),
    (["--role", "citizen", "--birthdate", "2100-01-01"], 2, "is in the future"),
    (["--role", "citizen", "--gender", "other"], 2, "--gender"),
    (["--role", "citizen", "--address-oktmo", "99999999"], 1, "NOT_FOUND"),
])
async def test_token_options_are_checked_without_a_traceback(world, db, args, code, message):
    result = await asyncio.to_thread(token_on, db, *args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.usefixtures("migrated_folder")
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


def test_serve_runs_a_process_per_core_where_several_can_run(tmp_path):
    from dataclasses import replace

    from vmeste.cli.database import default_workers
    from vmeste.platform.settings import load_settings

    sqlite = load_settings({"VMESTE_DATA_DIR": str(tmp_path)})
    assert default_workers(sqlite) == 1
    postgres = replace(sqlite, database_url="postgres://db/vmeste", embedded_workers=False,
                       broker_url="amqp://broker")
    assert default_workers(postgres) == (os.cpu_count() or 1)
    assert default_workers(replace(postgres, embedded_workers=True)) == 1


def test_a_server_process_freezes_its_start_up_heap_and_collects_young_objects_rarely(
        tmp_path):
    """In a process of its own: a frozen heap is never collected, so tests may not."""
    env = {"VMESTE_DATA_DIR": str(tmp_path), "VMESTE_EMBEDDED_WORKERS": "false",
           **without_installed_plugins()}
    script = textwrap.dedent(f"""
        import gc
        from starlette.testclient import TestClient
        from vmeste.app import SERVER_GC_THRESHOLDS, create_app
        from vmeste.platform.settings import load_settings
        settings = load_settings({env!r})
        before = gc.get_threshold()
        with TestClient(create_app(settings, server=True, manage_database=False)):
            print(before == SERVER_GC_THRESHOLDS, gc.get_threshold() == SERVER_GC_THRESHOLDS,
                  gc.get_freeze_count() > 0)
    """)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                         text=True).stdout.split()
    assert out[-3:] == ["False", "True", "True"]
