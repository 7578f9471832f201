"""Read operations for the compiled-reads differential test, drawn with plain hypothesis
strategies over the subset the compiler answers: one or two root fields (aliased),
connections with edges, cursors, page info and counts, random fields and to-one
relations nested three deep, fragments and inline fragments, ``__typename``, paging
and filters, every argument a literal or a variable. Argument values come from the
seeded world (real codes, ids and cursors) as often as not, and are now and then out
of range or garbage, so that the plans' refusals are exercised too.

Now and then an operation steps outside the subset (a resolved field, ``node(id:)``,
a directive, introspection, a broken document); such an operation is marked
``compilable=False``, and the resolvers must answer it on both paths.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from hypothesis import strategies as st
from strawberry import relay

from tests.read_world import ReadWorld
from vmeste.schema.pagination import encode_cursor


@dataclass(frozen=True)
class Enum:
    """An enum value: bare in a literal, its name in a variable's JSON."""

    name: str


@dataclass(frozen=True)
class Operation:
    query: str
    variables: dict[str, Any]
    operation_name: str | None
    #: Every part lies in the subset plans answer (a caller or an argument may still
    #: make the plan step aside).
    compilable: bool


@dataclass(frozen=True)
class NodeType:
    scalars: tuple[str, ...]
    relations: Mapping[str, str]
    #: Fields the resolvers answer: an operation with one has no plan.
    resolved: tuple[str, ...]


TYPES = {
    "Appeal": NodeType(
        ("id", "number", "status", "channel", "applicantType", "legalTrack", "text",
         "address", "latitude", "longitude", "answer", "rating", "reworkCount", "createdAt",
         "updatedAt", "answeredAt", "routingTrace"),
        {"category": "Category", "territory": "Territory", "organization": "Organization",
         "targetOrganization": "Organization", "complainedOrganization": "Organization"},
        ("events { action fromStatus toStatus reason actor }",
         # Not dueAt: during a pause it is "as if the pause ended now", a moving target.
         "deadline { policy registeredAt overdue }",
         "applicant { kind lastName verified }", "executor { subject }")),
    "Territory": NodeType(("id", "code", "name", "kind", "timezone", "boundary", "path"),
                          {"parent": "Territory"},
                          ("children(first: 3) { totalCount edges { node { code } } }",)),
    "Organization": NodeType(("id", "ogrn", "inn", "name", "kind", "connected",
                              "contacts { email phone }"),
                             {"territory": "Territory", "parent": "Organization"}, ()),
    "Category": NodeType(("id", "code", "name", "competenceLevel", "active", "path"),
                         {"parent": "Category"}, ("children { code }",)),
}
#: Root field → (node type, filter input type); connections.
LISTS = {"appeals": ("Appeal", "AppealFilter"), "myAppeals": ("Appeal", None),
         "territories": ("Territory", "TerritoryFilter"),
         "organizations": ("Organization", "OrganizationFilter"),
         "categories": ("Category", "CategoryFilter")}
#: Root field → (node type, argument, its type); one object or null.
SINGLES = {"appeal": ("Appeal", "id", "ID!"), "territory": ("Territory", "code", "String!"),
           "organization": ("Organization", "ogrn", "String!"),
           "category": ("Category", "code", "String!")}
#: The appeal roots, where visibility differs by caller, come up most often.
ROOTS = ("appeals", "appeals", "appeals", "myAppeals", "appeal", "appeal", "appeal",
         "territories", "territory", "organizations", "organization", "categories",
         "category")
MAX_DEPTH = 3
STATUSES = ("MODERATION", "REJECTED", "UNROUTED", "ROUTED", "IN_PROGRESS",
            "CLARIFICATION_REQUESTED", "ANSWERED", "CLOSED", "WITHDRAWN")
CHANNELS = ("PORTAL", "WIDGET", "APP", "OPERATOR", "SOCIAL", "OPEN311")
SEARCHES = ("Киров", "город", "министерство", "школа", "Севастоп", "zz", "", " ", "%", "_",
            "ЖКХ")
GARBAGE = ("", "garbage", "Q3Vyc29yOng=", "cursor:1", "!!!", "0")


def literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def plain(value: Any) -> Any:
    """A value as a variable's JSON carries it."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


@dataclass
class Document:
    """The operation being drawn: its variable definitions, values and fragments."""

    draw: Any
    definitions: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)
    compilable: bool = True
    names: count[int] = field(default_factory=count)

    def chance(self, one_in: int) -> bool:
        """About one time in ``one_in`` (hypothesis draws the bounds of a range far
        more often than the values between, so the middle one is the rare one)."""
        if one_in == 2:
            return bool(self.draw(st.booleans()))
        return bool(self.draw(st.integers(0, one_in - 1)) == one_in // 2)

    def argument(self, value: Any, graphql_type: str) -> str:
        """``value`` as a literal or as a variable of ``graphql_type`` (sometimes with
        the value as the variable's default instead of sent)."""
        if self.draw(st.booleans()):
            return literal(value)
        name = f"v{next(self.names)}"
        if not graphql_type.endswith("!") and value is not None and self.chance(5):
            self.definitions.append(f"${name}: {graphql_type} = {literal(value)}")
        else:
            self.definitions.append(f"${name}: {graphql_type}")
            self.variables[name] = plain(value)
        return f"${name}"

    def key(self, name: str) -> str:
        return f"a{next(self.names)}: {name}" if self.chance(5) else name

    def wrap(self, type_name: str, items: list[str]) -> str:
        """The items, some of them moved into an inline or a named fragment."""
        if len(items) > 1 and self.chance(3):
            cut = self.draw(st.integers(0, len(items) - 1))
            inner, items = items[cut:], items[:cut]
            kind = self.draw(st.sampled_from(("inline", "bare", "named", "named")))
            body = " ".join(inner)
            if kind == "named":
                name = f"F{next(self.names)}"
                self.fragments.append(f"fragment {name} on {type_name} {{ {body} }}")
                items.append(f"...{name}")
            else:
                condition = f" on {type_name}" if kind == "inline" else ""
                items.append(f"...{condition} {{ {body} }}")
        return " ".join(items)

    def outside(self, one_in: int) -> bool:
        """Whether to step outside the subset here."""
        if self.chance(one_in):
            self.compilable = False
            return True
        return False


def _object(doc: Document, type_name: str, depth: int) -> str:
    spec = TYPES[type_name]
    draw = doc.draw
    items = [doc.key(name) for name in draw(st.lists(st.sampled_from(spec.scalars),
                                                     max_size=6, unique=True))]
    if depth < MAX_DEPTH:
        for relation in draw(st.lists(st.sampled_from(sorted(spec.relations)), max_size=2,
                                      unique=True)):
            target = spec.relations[relation]
            items.append(f"{doc.key(relation)} {{ {_object(doc, target, depth + 1)} }}")
            if doc.chance(8):  # the same field again, merged by the executor
                items.append(f"{relation} {{ {_object(doc, target, MAX_DEPTH)} }}")
    if doc.chance(6):
        items.append(doc.key("__typename"))
    if "id" in spec.scalars and doc.chance(10):
        items.append("... on Node { id }")
    if spec.resolved and doc.outside(25):
        items.append(draw(st.sampled_from(spec.resolved)))
    return doc.wrap(type_name, items or ["id"])


def _connection(doc: Document, type_name: str) -> str:
    draw = doc.draw
    items = []
    if not doc.chance(6):
        edge = ["cursor"] if doc.chance(3) else []
        if not doc.chance(8):
            edge.append(f"{doc.key('node')} {{ {_object(doc, type_name, 0)} }}")
        if doc.chance(8):
            edge.append("__typename")
        items.append(f"{doc.key('edges')} {{ {doc.wrap(type_name + 'Edge', edge or ['cursor'])} }}")
    if doc.chance(3):
        info = draw(st.lists(st.sampled_from(("hasNextPage", "hasPreviousPage", "startCursor",
                                              "endCursor", "__typename")),
                             min_size=1, max_size=5, unique=True))
        items.append(f"{doc.key('pageInfo')} {{ {' '.join(info)} }}")
    if doc.chance(3):
        items.append(doc.key("totalCount"))
    if doc.chance(8):
        items.append("__typename")
    return doc.wrap(type_name + "Connection", items or ["totalCount"])


@dataclass(frozen=True)
class Pools:
    """Argument values from the seeded world, and ones no row has."""

    appeal_ids: tuple[str, ...]
    codes: Mapping[str, tuple[str, ...]]
    keys: Mapping[str, tuple[int, ...]]

    @classmethod
    def of(cls, world: ReadWorld) -> Pools:
        invalid = tuple(relay.to_base64("Appeal", pk) for pk in (0, 999_999, 2**31, "x", -1))
        return cls(
            appeal_ids=(*world.appeals.values(), *world.reference_ids, *invalid,
                        relay.to_base64("Foo", 1), "garbage", ""),
            codes={"territory": (*world.codes["territory"], "00000000", ""),
                   "organization": (*world.codes["organization"], "1027700000000", "abc"),
                   "category": (*world.codes["category"], "nope", ""),
                   "search": (*SEARCHES, world.codes["organization"][1],
                              world.codes["inn"][1])},
            keys={name: tuple(keys) for name, keys in world.keys.items()})


def _size(doc: Document) -> int:
    if doc.chance(15):
        return int(doc.draw(st.sampled_from((101, 1000, -1, -100))))
    return int(doc.draw(st.one_of(st.integers(0, 4), st.integers(0, 100))))


def _cursor(doc: Document, pools: Pools, type_name: str) -> str:
    choice = doc.draw(st.integers(0, 19))
    if choice < 17:
        return encode_cursor(doc.draw(st.sampled_from(pools.keys[type_name])))
    if choice < 19:
        return encode_cursor(doc.draw(st.sampled_from((0, -1, 2**31, 2**40))))
    return str(doc.draw(st.sampled_from(GARBAGE)))


def _paging(doc: Document, pools: Pools, type_name: str) -> list[str]:
    mode = "both" if doc.chance(20) else doc.draw(st.sampled_from((
        "none", "first", "first", "last", "first-after", "last-before", "after", "before",
        "window")))
    arguments = {}
    if mode in ("first", "first-after", "window", "both"):
        arguments["first"] = (_size(doc), "Int")
    if mode in ("last", "last-before", "both"):
        arguments["last"] = (_size(doc), "Int")
    if mode in ("first-after", "after", "window"):
        arguments["after"] = (_cursor(doc, pools, type_name), "String")
    if mode in ("last-before", "before", "window"):
        arguments["before"] = (_cursor(doc, pools, type_name), "String")
    return [f"{name}: {doc.argument(value, kind)}" for name, (value, kind) in arguments.items()]


def _filter_fields(doc: Document, pools: Pools, filter_type: str) -> dict[str, tuple[Any, str]]:
    draw, codes = doc.draw, pools.codes
    some = st.sampled_from
    options: dict[str, tuple[st.SearchStrategy[Any], str]] = {
        "AppealFilter": {
            "status": (st.lists(some(STATUSES).map(Enum), max_size=3, unique=True),
                       "[AppealStatus!]"),
            "organizationOgrn": (some(codes["organization"]), "String"),
            "categoryCode": (some(codes["category"]), "String"),
            "territoryCode": (some(codes["territory"]), "String"),
            "channel": (some(CHANNELS).map(Enum), "Channel"),
            "overdue": (st.booleans(), "Boolean")},
        "TerritoryFilter": {
            "kind": (some(("COUNTRY", "REGION", "MUNICIPALITY", "SETTLEMENT")).map(Enum),
                     "TerritoryKind"),
            "parentCode": (some(codes["territory"]), "String"),
            "withinCode": (some(codes["territory"]), "String"),
            "search": (some(codes["search"]), "String")},
        "OrganizationFilter": {
            "kind": (some(("FEDERAL", "REGIONAL", "MUNICIPAL", "INSTITUTION", "INDUSTRY"))
                     .map(Enum), "OrganizationKind"),
            "territoryCode": (some(codes["territory"]), "String"),
            "parentOgrn": (some(codes["organization"]), "String"),
            "connected": (st.booleans(), "Boolean"),
            "search": (some(codes["search"]), "String")},
        "CategoryFilter": {
            "parentCode": (some(codes["category"]), "String"),
            "rootsOnly": (st.booleans(), "Boolean!"),
            "competenceLevel": (some(("FEDERAL", "REGIONAL", "MUNICIPAL", "INSTITUTION"))
                                .map(Enum), "CompetenceLevel"),
            "active": (st.booleans(), "Boolean"),
            "search": (some(codes["search"]), "String")},
    }[filter_type]
    chosen = draw(st.lists(some(sorted(options)), min_size=1, max_size=3, unique=True))
    fields = {}
    for name in chosen:
        strategy, kind = options[name]
        nullable = not kind.endswith("!")
        fields[name] = (None if nullable and doc.chance(10) else draw(strategy), kind)
    return fields


def _filter(doc: Document, pools: Pools, filter_type: str) -> str:
    fields = _filter_fields(doc, pools, filter_type)
    if doc.draw(st.booleans()):
        return doc.argument({k: v for k, (v, _) in fields.items()}, filter_type)
    return "{" + ", ".join(f"{k}: {doc.argument(v, t)}" for k, (v, t) in fields.items()) + "}"


def _root(doc: Document, pools: Pools, name: str) -> tuple[str, str]:
    """The root field with its arguments, and a selection of its type."""
    draw = doc.draw
    if name in LISTS:
        type_name, filter_type = LISTS[name]
        arguments = _paging(doc, pools, type_name)
        if filter_type is not None and doc.chance(2):
            arguments.append(f"filter: {_filter(doc, pools, filter_type)}")
        if name == "myAppeals" and doc.chance(3):
            statuses = draw(st.lists(st.sampled_from(STATUSES).map(Enum), max_size=3))
            arguments.append(f"status: {doc.argument(statuses, '[AppealStatus!]')}")
    else:
        type_name, argument, kind = SINGLES[name]
        pool = {"appeal": pools.appeal_ids, "territory": pools.codes["territory"],
                "organization": pools.codes["organization"],
                "category": pools.codes["category"]}[name]
        arguments = [f"{argument}: {doc.argument(draw(st.sampled_from(pool)), kind)}"]
    directive = ""
    if doc.outside(30):
        directive = draw(st.sampled_from((" @include(if: true)", " @skip(if: false)")))
    listed = f"({', '.join(arguments)})" if arguments else ""
    return f"{name}{listed}{directive}", _body(doc, name)


def _body(doc: Document, name: str) -> str:
    if name in LISTS:
        return _connection(doc, LISTS[name][0])
    return _object(doc, SINGLES[name][0], 0)


def _outside_root(doc: Document, pools: Pools) -> str:
    doc.compilable = False
    kind = doc.draw(st.sampled_from(("node", "node", "introspection", "broken")))
    if kind == "node":
        node = doc.argument(doc.draw(st.sampled_from(pools.appeal_ids)), "ID!")
        return (f"node(id: {node}) {{ id __typename ... on Appeal {{ status text }} "
                "... on Territory { code } ... on Organization { ogrn } }")
    if kind == "introspection":
        return '__type(name: "Appeal") { name kind }'
    return doc.draw(st.sampled_from(('appeals(first: "x") { totalCount }',
                                     "appeal { id }", "territories { edges { nope } }")))


@st.composite
def operations(draw: Any, pools: Pools) -> Operation:
    doc = Document(draw)
    names = draw(st.lists(st.sampled_from(ROOTS), min_size=1, max_size=2))
    fields = []
    for index, name in enumerate(names):
        head, body = _root(doc, pools, name)
        if len(names) > 1 or doc.chance(4):
            head = f"r{index}: {head}"
        fields.append(f"{head} {{ {body} }}")
        if doc.chance(8):  # the same root again: the executor merges the two selections
            fields.append(f"{head} {{ {_body(doc, name)} }}")
    if doc.chance(10):
        fields.append(draw(st.sampled_from(("__typename", "t: __typename"))))
    if doc.chance(15):
        fields.append(_outside_root(doc, pools))
    variables = f"({', '.join(doc.definitions)})" if doc.definitions else ""
    named = doc.chance(4)
    head = f"query Read{variables}" if named else (f"query{variables}" if variables else "")
    operation = f"{head} {{ {' '.join(fields)} }}".strip()
    operation_name = None
    if named and doc.chance(2):
        operation_name = "Read" if not doc.chance(10) else "Nope"
        if doc.chance(2):  # chosen by name from two
            operation += " query Other { __typename }"
    return Operation(" ".join([operation, *doc.fragments]), doc.variables, operation_name,
                     doc.compilable)
