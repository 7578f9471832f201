"""POST requests: a form-encoded GeoReport request becomes an appeal on the ``open311``
channel, through the appeals' intake (moderation, routing and terms like any other),
with its Open311 facts written in the same transaction.

The applicant is the client application's user, named under the client's own issuer
(``open311:<client>``, see :mod:`vmeste.platform.appeals.on_behalf`) by ``account_id``,
else the e-mail, else ``device_id``; a request naming none of them is anonymous and
gets an applicant of its own. The e-mail, name and phone given are kept on the request
and, where the applicant has none yet, on the applicant, so the answer can reach them.

Where the request is: ``address_id`` (an OKTMO code) first, else ``lat``/``long``
through the territories' boundaries, else the jurisdiction or the territory the
client's key was made for; an address string alone is kept as given but locates
nothing.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.appeals.intake import ADDRESS_MAX, SubmitInput
from vmeste.platform.appeals.models import Appeal, Channel
from vmeste.platform.appeals.on_behalf import open311_issuer
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.open311 import catalog
from vmeste.platform.open311.formats import NOT_XML, Open311Error
from vmeste.platform.open311.models import Open311Client, Open311Request
from vmeste.platform.reference.attributes import check_values
from vmeste.platform.reference.models import Territory
from vmeste.platform.reference.services import EMAIL

DESCRIPTION_MAX = 4_000
URL_MAX = 2_000
TEXT_MAX = 255
PHONE_MAX = 32
#: The longest territory code (the column's length): a longer one is refused before
#: any query, which the database layer would refuse with an error of its own.
TERRITORY_CODE_MAX = Territory._meta.fields_map["code"].max_length  # type: ignore[attr-defined]
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]{1,64})\](\[\])?")
_PHONE = re.compile(r"\+?[\d\s()\-]{5,32}")


@dataclass
class Form:
    """The request's fields (one value each, the last given) and its attributes."""

    fields: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs: Sequence[tuple[str, str]]) -> Form:
        """Refuses control characters (but tab and line ends): nothing a person types,
        and published through XML they would break the document for every reader."""
        form = cls()
        for name, value in pairs:
            if NOT_XML.search(name) or NOT_XML.search(value):
                raise Open311Error(400, _("Field {name} holds a control character",
                                          name=NOT_XML.sub("?", name)[:64]))
            if (found := _ATTRIBUTE.fullmatch(name)) is not None:
                form.attributes.setdefault(found.group(1), []).append(value)
            else:
                form.fields[name] = value.strip()
        return form

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


def _limited(form: Form, name: str, limit: int, problems: list[str]) -> str:
    value = form.get(name)
    if len(value) > limit:
        problems.append(_("{name} is longer than {limit} characters", name=name, limit=limit))
    return value[:limit]


def _coordinate(form: Form, name: str, bound: float, problems: list[str]) -> float | None:
    text = form.get(name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not -bound <= value <= bound:
        problems.append(_("{name} must be a number from -{bound} to {bound}", name=name,
                          bound=int(bound)))
        return None
    return value


@dataclass(frozen=True)
class Filed:
    appeal: Appeal
    account_id: str


def _contacts(form: Form, problems: list[str]) -> dict[str, str]:
    found = {name: _limited(form, name, TEXT_MAX, problems)
             for name in ("email", "first_name", "last_name", "device_id", "account_id")}
    found["phone"] = _limited(form, "phone", PHONE_MAX, problems)
    if found["email"] and not EMAIL.fullmatch(found["email"]):
        problems.append(_("email is not an e-mail address"))
    if found["phone"] and not _PHONE.fullmatch(found["phone"]):
        problems.append(_("phone is not a phone number"))
    return found


def _media(form: Form, problems: list[str]) -> str:
    url = _limited(form, "media_url", URL_MAX, problems)
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        problems.append(_("media_url must be an http or https address"))
    return url


def _subject(contacts: Mapping[str, str]) -> str:
    for name, prefix in (("account_id", "account"), ("email", "email"),
                         ("device_id", "device")):
        if contacts[name]:
            value = contacts[name].lower() if name == "email" else contacts[name]
            return f"{prefix}:{value}"
    return f"anonymous:{uuid.uuid4().hex}"


async def _territory_code(form: Form, client: Open311Client, jurisdiction: Territory | None,
                          point: bool, problems: list[str]) -> str | None:
    if address_id := form.get("address_id"):
        if len(address_id) > TERRITORY_CODE_MAX or \
                not await Territory.filter(code=address_id).exists():
            problems.append(_("address_id {code} is not a known OKTMO code",
                              code=address_id[:TERRITORY_CODE_MAX]))
        return address_id
    if point:
        return None  # the intake finds the territory whose boundary holds the point
    if jurisdiction is not None:
        return jurisdiction.code
    if client.territory_id is not None:
        return await Territory.filter(id=client.territory_id).first().values_list(
            "code", flat=True)  # type: ignore[return-value]
    problems.append(_("Give the location: lat and long, or address_id (an OKTMO code)"))
    return None


def _text(description: str, service: catalog.Service, answers: Mapping[str, object]) -> str:
    """The appeal's text: the description, else the service and the answers given."""
    if description:
        return description
    lines = [service.name] + [f"{code}: {', '.join(v) if isinstance(v, list) else v}"
                              for code, v in answers.items()]
    return "\n".join(lines)


async def file_request(appeals: AppealServices, client: Open311Client, principal: Principal,
                       form: Form, jurisdiction: Territory | None) -> Filed:
    code = form.get("service_code")
    if not code:
        raise Open311Error(400, _("service_code is required"))
    service = await catalog.service(code)
    if service is None:
        raise Open311Error(404, _("Service {code} not found", code=code))
    problems: list[str] = []
    description = _limited(form, "description", DESCRIPTION_MAX, problems)
    latitude = _coordinate(form, "lat", 90, problems)
    longitude = _coordinate(form, "long", 180, problems)
    if (form.get("lat") == "") != (form.get("long") == ""):
        problems.append(_("Give both lat and long"))
    address = _limited(form, "address_string", ADDRESS_MAX, problems)
    contacts = _contacts(form, problems)
    media_url = _media(form, problems)
    answers, attribute_problems = check_values(list(service.attributes), form.attributes)
    problems += attribute_problems
    point = latitude is not None and longitude is not None
    territory_code = await _territory_code(form, client, jurisdiction, point, problems)
    if problems:
        raise Open311Error(400, *problems)
    subject = _subject(contacts)

    async def keep(conn: BaseDBAsyncClient, appeal: Appeal) -> None:
        await Open311Request.create(
            appeal=appeal, client=client, service_code=code, address_string=address,
            address_id=form.get("address_id"), latitude=latitude, longitude=longitude,
            media_url=media_url, attributes=answers, requested_at=appeal.created_at,
            **contacts, using_db=conn)
        await _fill_applicant(conn, appeal.applicant_id, contacts)

    try:
        appeal = await appeals.submit(principal, SubmitInput(
            text=_text(description, service, answers), category_code=code,
            channel=Channel.OPEN311, territory_code=territory_code, latitude=latitude,
            longitude=longitude, address=address, on_behalf_of_subject=subject,
            on_behalf_of_issuer=open311_issuer(str(client.id))), within=keep)
    except DomainError as refused:
        status = 403 if any(e.code == ErrorCode.FORBIDDEN for e in refused.errors) else 400
        raise Open311Error(status, *(e.message for e in refused.errors)) from None
    return Filed(appeal, contacts["account_id"])


async def _fill_applicant(conn: BaseDBAsyncClient, user_id: int,
                          contacts: Mapping[str, str]) -> None:
    """The contacts given, on an applicant that has none of its own yet."""
    user = await User.get(id=user_id).using_db(conn)
    changed = [name for name in ("email", "first_name", "last_name", "phone")
               if contacts[name] and not getattr(user, name)]
    for name in changed:
        setattr(user, name, contacts[name])
    if changed:
        await user.save(update_fields=changed, using_db=conn)
