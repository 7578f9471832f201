"""The committed ``schema.graphql`` is the contract frontend teams code against; it
must never drift from the code."""

from pathlib import Path

from vmeste.platform.settings import load_settings
from vmeste.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_schema_is_current():
    current = build_schema(load_settings({})).as_str() + "\n"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == current, (
        "schema.graphql is stale: run `vmeste export-schema`"
    )


def test_schema_does_not_depend_on_limits_settings():
    tight = load_settings({"VMESTE_MAX_PAGE_SIZE": "10", "VMESTE_DEFAULT_PAGE_SIZE": "5",
                           "VMESTE_INTROSPECTION": "0"})
    assert build_schema(tight).as_str() == build_schema(load_settings({})).as_str()
