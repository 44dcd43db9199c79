"""SQLAlchemy models. Importing this package registers every table on Base.metadata."""
from .base import Base, utcnow
from .conversation import Conversation
from .events import InboundEvent
from .invites import Invite, RichMenu
from .outbox import OutboxMessage
from .people import AREA_LEVELS, ORGANISATION_KINDS, ROLES, Area, Organisation, User, organisation_areas

__all__ = [
    "AREA_LEVELS", "ORGANISATION_KINDS", "ROLES", "Area", "Base", "Conversation", "InboundEvent",
    "Invite", "Organisation", "OutboxMessage", "RichMenu", "User", "organisation_areas", "utcnow",
]
