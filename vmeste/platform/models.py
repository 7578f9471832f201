"""Every Tortoise model of the platform, as one app named ``vmeste``."""

from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.models import RoleAssignment, User
from vmeste.platform.policies.models import ConfigVersion, RegionPolicy
from vmeste.platform.reference.models import Category, Organization, Territory

__all__ = [
    "AuditEvent",
    "Category",
    "ConfigVersion",
    "Organization",
    "RegionPolicy",
    "RoleAssignment",
    "Territory",
    "User",
]
