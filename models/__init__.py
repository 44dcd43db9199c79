"""SQLAlchemy models. Importing this package registers every table on Base.metadata."""
from .base import Base, utcnow
from .conversation import Conversation
from .deadlines import Deadline, DeadlineReminder, DeadlineReport
from .events import InboundEvent
from .outbox import OutboxMessage
from .people import AREA_LEVELS, ORGANISATION_KINDS, ROLES, Area, Organisation, User, organisation_areas
from .scheduler import SchedulerLease

__all__ = [
    "AREA_LEVELS", "ORGANISATION_KINDS", "ROLES", "Area", "Base", "Conversation", "Deadline",
    "DeadlineReminder", "DeadlineReport", "InboundEvent", "Organisation", "OutboxMessage", "SchedulerLease",
    "User", "organisation_areas", "utcnow",
]
