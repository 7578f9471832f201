"""A new component is its own folders and nothing else: a ``petitions`` package dropped into
``vmeste/platform``, ``vmeste/schema`` and ``vmeste/cli`` (here: into extra search-path
folders of those packages, so the repository stays untouched) brings its models, topic,
service, notification events, deadline kind, GraphQL field, loader and CLI command,
and no central file knows its name."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOM_FILES = {
    "platform/petitions/__init__.py": "",
    "platform/petitions/models.py": '''
        from tortoise import fields
        from tortoise.models import Model


        class Petition(Model):
            id = fields.IntField(primary_key=True)
            title = fields.CharField(max_length=200)

            class Meta:
                table = "petition"
        ''',
    "platform/petitions/component.py": '''
        from vmeste.platform.components import Component
        from vmeste.platform.hookspecs import hookimpl
        from vmeste.platform.outbox.topics import Topic


        class PetitionServices:
            def __init__(self, runtime):
                self.runtime = runtime


        async def _closed(runtime, payload, last_attempt):
            return None


        async def _scope(payload):
            return ""


        @hookimpl
        def vmeste_component():
            return Component(
                name="petitions", models=("vmeste.platform.petitions.models",),
                topics=(Topic("petition.closed", "vmeste.petition_closed", "petitions", _closed,
                              _scope),),
                services=PetitionServices, path_copies=(("petition", "territory_path"),))
        ''',
    "schema/petitions/__init__.py": "",
    "schema/petitions/component.py": '''
        import strawberry

        from vmeste.schema.parts import SchemaPart


        @strawberry.type
        class PetitionsQuery:
            @strawberry.field(description="How many petitions are open.")
            def open_petitions(self) -> int:
                return 0


        SCHEMA = SchemaPart(name="petitions", query=PetitionsQuery,
                            loaders={"petition": lambda: None})
        ''',
    "cli/petitions.py": '''
        def register(subparsers):
            subparsers.add_parser("petitions", help="manage petitions")
        ''',
}

PROBE = '''
import vmeste.cli, vmeste.platform, vmeste.schema
root = {root!r}
vmeste.platform.__path__.append(root + "/platform")
vmeste.schema.__path__.append(root + "/schema")
vmeste.cli.__path__.append(root + "/cli")

from vmeste.cli import build_parser
from vmeste.platform.db import model_modules
from vmeste.platform.plugins import build_plugin_manager, installed_components
from vmeste.platform.components import path_copies_of
from vmeste.platform.runtime import build_runtime
from vmeste.platform.settings import load_settings
from vmeste.schema import build_schema
from vmeste.platform.petitions.component import PetitionServices

settings = load_settings({{"VMESTE_DATABASE_URL": "sqlite://" + root + "/x.db"}})
runtime = build_runtime(settings)
assert "petitions" in runtime.components
assert runtime.topics["petition.closed"].queue == "petitions"
assert isinstance(runtime.service(PetitionServices), PetitionServices)
assert "vmeste.platform.petitions.models" in model_modules(settings)
assert ("petition", "territory_path") in path_copies_of(installed_components())
schema = build_schema(settings)
assert "openPetitions" in str(schema)
assert "petition" in schema.loaders
parser = build_parser(build_plugin_manager(settings))
assert parser.parse_args(["petitions"]).command == "petitions"
print("ok")
'''


@pytest.fixture
def petitions_folders(tmp_path: Path) -> Path:
    for name, text in ROOM_FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return tmp_path


def test_a_component_in_its_own_folders_reaches_every_room(petitions_folders: Path):
    # A fresh interpreter: discovery caches, and the schema, must not leak into others.
    done = subprocess.run([sys.executable, "-c", PROBE.format(root=str(petitions_folders))],
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"


def _code_words(path: Path) -> set[str]:
    """Names, attributes, imported modules and string literals of a module, docstrings
    left out (they may say what components exist)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module:
            words.update(node.module.split("."))
        elif isinstance(node, ast.Import):
            words.update(part for alias in node.names for part in alias.name.split("."))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings:
            words.update(node.value.replace(".", " ").split())
    return words


COMPONENT_WORDS = ("appeal", "poll", "vote", "ballot", "hearing", "petition")


def test_no_central_module_names_a_component():
    """The kit's own modules, the runtime, the schema and the CLI's root know no
    component by name in their code: only the components' folders do."""
    package = Path(__file__).resolve().parent.parent / "vmeste"
    central = ["platform/components.py", "platform/runtime.py", "platform/plugins.py",
               "platform/db.py", "schema/__init__.py", "schema/parts.py",
               "schema/loaders.py", "schema/context.py", "schema/view.py",
               "cli/__init__.py", "app.py", "workers/runner.py", "workers/scheduler.py"]
    for name in central:
        words = _code_words(package / name)
        named = {w for w in words if any(c in w.lower() for c in COMPONENT_WORDS)}
        assert not named, f"{name} names {sorted(named)}"
