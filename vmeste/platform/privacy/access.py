"""Who may use a data right: a signed-in person, for their own data only.

No role reaches another person's export or erasure: an operator, an executor or an
administrator acts for a body, and a body does not erase its citizens (docs/privacy.md).
"""

from __future__ import annotations

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal


def owner(principal: Principal) -> User:
    """The signed-in person asking for their own data."""
    if principal.user is None:
        raise DomainError.of(None, _("Sign in to use your data rights"),
                             ErrorCode.UNAUTHENTICATED)
    return principal.user
