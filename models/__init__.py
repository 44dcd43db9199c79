"""SQLAlchemy models. Importing this package registers every table on Base.metadata."""
from .audit import AuditEntry
from .base import Base, utcnow
from .conversation import Conversation
from .downloads import Download
from .events import InboundEvent
from .invites import Invite, RichMenu
from .outbox import OutboxMessage
from .people import AREA_LEVELS, ORGANISATION_KINDS, ROLES, Area, Organisation, User, organisation_areas

__all__ = [
    "AREA_LEVELS", "ORGANISATION_KINDS", "ROLES", "Area", "AuditEntry", "Base", "Conversation", "Download",
    "InboundEvent", "Invite", "Organisation", "OutboxMessage", "RichMenu", "User", "organisation_areas", "utcnow",
]
