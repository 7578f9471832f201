"""Subscriptions: a citizen asks to hear of the stages of a hearing they can see, and
stops. Both are idempotent (one row per person and hearing, by a unique key), so a
repeated tap changes nothing."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.hearings.access import visible_hearings
from vmeste.platform.hearings.models import Hearing, HearingSubscription
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal


async def _visible(principal: Principal, hearing_id: int) -> Hearing:
    require_authenticated(principal)
    if principal.user is None:
        raise DomainError.of(None, _("Only a person subscribes"), ErrorCode.FORBIDDEN)
    hearing = await Hearing.filter(visible_hearings(principal),
                                   id=hearing_id).first()
    if hearing is None:
        raise DomainError.of("id", _("Hearing not found"), ErrorCode.NOT_FOUND)
    return hearing


async def subscribe(principal: Principal, hearing_id: int) -> Hearing:
    hearing = await _visible(principal, hearing_id)
    assert principal.user is not None
    try:
        await HearingSubscription.get_or_create(hearing_id=hearing.id,
                                                user_id=principal.user.id)
    except IntegrityError:  # a concurrent tap made it
        pass
    return hearing


async def unsubscribe(principal: Principal, hearing_id: int) -> Hearing:
    hearing = await _visible(principal, hearing_id)
    assert principal.user is not None
    await HearingSubscription.filter(hearing_id=hearing.id, user_id=principal.user.id).delete()
    return hearing
