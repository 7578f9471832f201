"""What a category asks of a request beyond its text: attribute definitions (Open311's
service definition) and search keywords, both kept on the category and edited with it.

A definition is ``{code, datatype, required, description, order, variable,
datatype_description, values}`` as in GeoReport v2; list datatypes carry their
``values`` (``{key, name}``). Checked when a category is edited, so a request is only
ever checked against a sound definition.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from vmeste.platform.i18n import _

#: A number as people write one: ASCII digits, a sign, a point or a comma (float()
#: would also take ``nan``, ``inf`` and ``1_0``, which no form means).
_NUMBER = re.compile(r"[-+]?[0-9]+([.,][0-9]+)?")

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
MAX_ATTRIBUTES = 50
MAX_VALUES = 200
MAX_KEYWORDS = 30
KEYWORD_MAX = 64
DESCRIPTION_MAX = 500
VALUE_MAX = 4_000
_CODE = re.compile(r"[A-Za-z0-9_\-]{1,64}")


class AttributeProblem(ValueError):
    """One sentence saying what is wrong, for the field that holds it."""


def _text(item: dict[str, Any], name: str, limit: int, required: bool = False) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise AttributeProblem(_("Attribute {code}: {name} is required",
                                     code=item.get("code", "?"), name=name))
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise AttributeProblem(_("Attribute {code}: {name} is text of at most {limit} "
                                 "characters", code=item.get("code", "?"), name=name,
                                 limit=limit))
    return value.strip()


def _values(item: dict[str, Any], code: str) -> list[dict[str, str]]:
    values = item.get("values")
    if item["datatype"] not in LIST_DATATYPES:
        if values:
            raise AttributeProblem(_("Attribute {code}: only list datatypes have values",
                                     code=code))
        return []
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_VALUES:
        raise AttributeProblem(_("Attribute {code}: a list needs 1 to {limit} values",
                                 code=code, limit=MAX_VALUES))
    out: list[dict[str, str]] = []
    for value in values:
        if not isinstance(value, dict):
            raise AttributeProblem(_("Attribute {code}: each value is {{key, name}}", code=code))
        key = value.get("key")
        key = str(key) if isinstance(key, int | str) and not isinstance(key, bool) else ""
        name = value.get("name")
        if not key or len(key) > KEYWORD_MAX or not isinstance(name, str) or not name.strip():
            raise AttributeProblem(_("Attribute {code}: each value is {{key, name}}", code=code))
        if any(v["key"] == key for v in out):
            raise AttributeProblem(_("Attribute {code}: value {key} is repeated", code=code,
                                     key=key))
        out.append({"key": key, "name": name.strip()[:255]})
    return out


def check_definitions(raw: Any) -> list[dict[str, Any]]:
    """The definitions in their stored shape (``order`` filled in), or a problem."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ATTRIBUTES:
        raise AttributeProblem(_("Attributes are a list of at most {limit} definitions",
                                 limit=MAX_ATTRIBUTES))
    out: list[dict[str, Any]] = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise AttributeProblem(_("Each attribute is an object"))
        code = item.get("code")
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            raise AttributeProblem(_("An attribute code: Latin letters, digits, «_» and «-», "
                                     "up to 64 characters"))
        if any(d["code"] == code for d in out):
            raise AttributeProblem(_("Attribute {code} is repeated", code=code))
        if item.get("datatype") not in DATATYPES:
            raise AttributeProblem(_("Attribute {code}: the datatype is one of {choices}",
                                     code=code, choices=", ".join(DATATYPES)))
        order = item.get("order", position)
        if not isinstance(order, int) or isinstance(order, bool) or order < 1 or any(
                d["order"] == order for d in out):
            raise AttributeProblem(_("Attribute {code}: the order is a positive number no "
                                     "other attribute has", code=code))
        for flag in ("required", "variable"):
            if not isinstance(item.get(flag, flag == "variable"), bool):
                raise AttributeProblem(_("Attribute {code}: {name} is true or false",
                                         code=code, name=flag))
        out.append({
            "code": code, "datatype": item["datatype"], "order": order,
            "required": bool(item.get("required", False)),
            "variable": bool(item.get("variable", True)),
            "description": _text(item, "description", DESCRIPTION_MAX, required=True),
            "datatype_description": _text(item, "datatype_description", DESCRIPTION_MAX),
            "values": _values(item, code),
        })
    return sorted(out, key=lambda d: d["order"])


def check_keywords(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_KEYWORDS or not all(
            isinstance(k, str) and 0 < len(k.strip()) <= KEYWORD_MAX and "," not in k
            for k in raw):
        raise AttributeProblem(_("Keywords are up to {count} words or phrases of at most "
                                 "{limit} characters, without commas", count=MAX_KEYWORDS,
                                 limit=KEYWORD_MAX))
    return list(dict.fromkeys(k.strip() for k in raw))


def _value(definition: dict[str, Any], given: list[str]) -> str | list[str]:
    code, datatype = definition["code"], definition["datatype"]
    if datatype == "multivaluelist":
        keys = {v["key"] for v in definition["values"]}
        if any(v not in keys for v in given):
            raise AttributeProblem(_("Attribute {code}: not one of its values", code=code))
        return list(dict.fromkeys(given))
    if len(given) != 1:
        raise AttributeProblem(_("Attribute {code} takes one value", code=code))
    value = given[0].strip()
    if len(value) > VALUE_MAX:
        raise AttributeProblem(_("Attribute {code}: at most {limit} characters", code=code,
                                 limit=VALUE_MAX))
    if datatype == "singlevaluelist" and value not in {v["key"] for v in definition["values"]}:
        raise AttributeProblem(_("Attribute {code}: not one of its values", code=code))
    if datatype == "string" and ("\n" in value or "\r" in value):
        raise AttributeProblem(_("Attribute {code}: one line of text", code=code))
    if datatype == "number" and not _NUMBER.fullmatch(value):
        raise AttributeProblem(_("Attribute {code}: a number", code=code))
    if datatype == "datetime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise AttributeProblem(_("Attribute {code}: an ISO 8601 date and time",
                                     code=code)) from None
    return value


def check_values(definitions: list[dict[str, Any]], given: dict[str, list[str]]
                 ) -> tuple[dict[str, str | list[str]], list[str]]:
    """The answers to keep (by code) and every problem with them: an unknown code, a
    required answer missing (empty counts as missing), a value of the wrong kind.
    Attributes that are not ``variable`` only inform and take no answer."""
    wanted = {d["code"]: d for d in definitions if d["variable"]}
    problems = [_("Attribute {code} is not asked for by this service", code=code)
                for code in given if code not in wanted]
    answers: dict[str, str | list[str]] = {}
    for code, definition in wanted.items():
        values = [v for v in given.get(code, []) if v.strip()]
        if not values:
            if definition["required"]:
                problems.append(_("Attribute {code} is required", code=code))
            continue
        try:
            answers[code] = _value(definition, values)
        except AttributeProblem as problem:
            problems.append(str(problem))
    return answers, problems
