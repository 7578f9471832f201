"""A new component is its own folders and nothing else: a ``polls`` package dropped into
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
    "platform/polls/__init__.py": "",
    "platform/polls/models.py": '''
        from tortoise import fields
        from tortoise.models import Model


        class Poll(Model):
            id = fields.IntField(primary_key=True)
            title = fields.CharField(max_length=200)

            class Meta:
                table = "poll"
        ''',
    "platform/polls/component.py": '''
        from vmeste.platform.components import Component
        from vmeste.platform.hookspecs import hookimpl
        from vmeste.platform.outbox.topics import Topic


        class PollServices:
            def __init__(self, runtime):
                self.runtime = runtime


        async def _closed(runtime, payload, last_attempt):
            return None


        async def _scope(payload):
            return ""


        @hookimpl
        def vmeste_component():
            return Component(
                name="polls", models=("vmeste.platform.polls.models",),
                topics=(Topic("poll.closed", "vmeste.poll_closed", "polls", _closed,
                              _scope),),
                services=PollServices, path_copies=(("poll", "territory_path"),))
        ''',
    "schema/polls/__init__.py": "",
    "schema/polls/component.py": '''
        import strawberry

        from vmeste.schema.parts import SchemaPart


        @strawberry.type
        class PollsQuery:
            @strawberry.field(description="How many polls are open.")
            def open_polls(self) -> int:
                return 0


        SCHEMA = SchemaPart(name="polls", query=PollsQuery,
                            loaders={"poll": lambda: None})
        ''',
    "cli/polls.py": '''
        def register(subparsers):
            subparsers.add_parser("polls", help="manage polls")
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
from vmeste.platform.polls.component import PollServices

settings = load_settings({{"VMESTE_DATABASE_URL": "sqlite://" + root + "/x.db"}})
runtime = build_runtime(settings)
assert "polls" in runtime.components
assert runtime.topics["poll.closed"].queue == "polls"
assert isinstance(runtime.service(PollServices), PollServices)
assert "vmeste.platform.polls.models" in model_modules(settings)
assert ("poll", "territory_path") in path_copies_of(installed_components())
schema = build_schema(settings)
assert "openPolls" in str(schema)
assert "poll" in schema.loaders
parser = build_parser(build_plugin_manager(settings))
assert parser.parse_args(["polls"]).command == "polls"
print("ok")
'''


@pytest.fixture
def polls_folders(tmp_path: Path) -> Path:
    for name, text in ROOM_FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return tmp_path


def test_a_component_in_its_own_folders_reaches_every_room(polls_folders: Path):
    # A fresh interpreter: discovery caches, and the schema, must not leak into others.
    done = subprocess.run([sys.executable, "-c", PROBE.format(root=str(polls_folders))],
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
        named = {w for w in words if any(c in w.lower() for c in ("appeal", "poll", "hearing"))}
        assert not named, f"{name} names {sorted(named)}"
