"""The reference of the types a plugin sees (``docs/plugins.md``, *Types a plugin sees*
and *Testing a plugin*) lists exactly the fields the dataclasses have, so it cannot
drift from the code as fields are added, renamed or dropped."""

from __future__ import annotations

import dataclasses
import re
from enum import Enum
from pathlib import Path

import pytest

from vmeste.platform.appeals.moderation import ModerationRequest, ModerationResult, Verdict
from vmeste.platform.appeals.router import (
    RoutingContext,
    RoutingDecision,
    RoutingRequest,
    StepOutcome,
)
from vmeste.platform.components import Component
from vmeste.platform.deadlines.clock import CalendarDays, WorkingDays, WorkingHours
from vmeste.platform.deadlines.policy import DeadlineRequest
from vmeste.platform.events.domain import DomainEvent
from vmeste.platform.hookspecs import ChannelSettings, ChannelSpec, StrategySpec
from vmeste.platform.identity.tokens import IdentityClaims
from vmeste.platform.notifications.channels import DeliveryError, OutgoingMessage
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.strategies import Mode, StrategyKind
from vmeste.platform.votes.methods import (
    Choice,
    MethodRequest,
    MethodResult,
    OptionFacts,
    VoteRules,
)
from vmeste.schema.parts import SchemaPart
from vmeste.testkit import BackgroundRun, OutboxEntry

DOCS = (Path(__file__).resolve().parent.parent / "docs" / "plugins.md").read_text(
    encoding="utf-8")
REFERENCE = [StrategySpec, StrategyKind, ChannelSpec, ChannelSettings, OutgoingMessage,
             RoutingRequest, RoutingContext, RoutingDecision, StepOutcome, ModerationRequest,
             ModerationResult, DeadlineRequest, WorkingDays, CalendarDays, WorkingHours,
             VoteRules, OptionFacts, Choice, MethodRequest, MethodResult, DomainEvent,
             Component, Topic, SchemaPart, IdentityClaims]
#: A documented field: a bullet opening with the name and its type in backticks.
FIELD = re.compile(r"^- `(\w+)` \(`", re.M)


def section(heading: str, level: str = "##") -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    found = re.search(rf"^{level} {re.escape(heading)}\n(.*?)(?=^#{{1,{len(level)}}} |\Z)",
                      DOCS, re.M | re.S)
    assert found, f"docs/plugins.md has no '{level} {heading}'"
    return found.group(1)


def subsection(name: str) -> str:
    found = re.search(rf"^### {name}\n(.*?)(?=^#|\Z)", section("Types a plugin sees"),
                      re.M | re.S)
    assert found, f"docs/plugins.md, Types a plugin sees: no '### {name}'"
    return found.group(1)


@pytest.mark.parametrize("cls", REFERENCE, ids=lambda cls: cls.__name__)
def test_every_field_is_documented_and_nothing_else(cls: type) -> None:
    text = subsection(cls.__name__)
    assert f"`{cls.__module__}.{cls.__name__}`" in text, "the import path"
    fields = [field.name for field in dataclasses.fields(cls)]
    assert FIELD.findall(text) == fields, "the fields, in declaration order"
    frozen = cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert ("(frozen)" in text) == frozen, "whether it is frozen"


@pytest.mark.parametrize("enum", [Mode], ids=lambda enum: enum.__name__)
def test_every_enum_member_is_documented(enum: type[Enum]) -> None:
    text = subsection(enum.__name__)
    assert re.findall(r"^- `(\w+)`:", text, re.M) == [member.value for member in enum]


def test_the_moderation_verdicts_and_delivery_error_are_described() -> None:
    verdicts = subsection("ModerationResult")
    assert all(f"`{verdict.value}`" in verdicts for verdict in Verdict)
    text = subsection(DeliveryError.__name__)
    assert f"`{DeliveryError.__module__}.{DeliveryError.__name__}`" in text


@pytest.mark.parametrize("cls", [BackgroundRun, OutboxEntry], ids=lambda cls: cls.__name__)
def test_the_testing_fixtures_results_are_documented(cls: type) -> None:
    text = section("Testing a plugin: the fixtures")
    block = re.search(rf"`{cls.__name__}`[^\n]*\n((?:  +- .*\n(?:    .*\n)*)+)", text)
    assert block, f"no field list after `{cls.__name__}`"
    listed = re.findall(r"^  +- `(\w+)` \(`", block.group(1), re.M)
    assert listed == [field.name for field in dataclasses.fields(cls)]


def test_the_fixtures_are_all_documented() -> None:
    text = section("Testing a plugin: the fixtures")
    for fixture in ("db", "vmeste_app", "graphql", "make_token", "region_policy",
                    "submit_appeal", "clock", "outbox", "run_background"):
        assert re.search(rf"`{fixture}[`(]", text), fixture
