"""Every Tortoise model of the platform, as one app named ``vmeste``."""

from vmeste.platform.appeals.models import Appeal, AppealCopy, AppealEvent, CompetenceRule
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.identity.models import RoleAssignment, User
from vmeste.platform.policies.models import ConfigVersion, RegionPolicy
from vmeste.platform.reference.models import Category, Organization, Territory

__all__ = [
    "Appeal",
    "AppealCopy",
    "AppealEvent",
    "AuditEvent",
    "Category",
    "CompetenceRule",
    "ConfigVersion",
    "Organization",
    "RegionPolicy",
    "RoleAssignment",
    "Territory",
    "User",
]
