"""SQLAlchemy models. Importing this package registers every table on Base.metadata."""
from .audit import AuditEntry
from .base import Base, WorkQueue, utcnow
from .cases import (
    SEXES,
    STATUSES,
    TO_FIND,
    TRANSITIONS,
    Case,
    CaseElsewhere,
    CaseEvent,
    CasePhoto,
    IllegalTransition,
    OutsideReport,
    can_move,
    case_by_number,
    case_number,
    find_duplicate,
    open_case,
    record_event,
    report_outside,
)
from .choices import ChoiceOption, choice_label, choice_list
from .conversation import Conversation
from .downloads import Download
from .deadlines import Deadline, DeadlineReminder, DeadlineReport
from .events import InboundEvent
from .exports import ExportJob
from .invites import Invite, RichMenu
from .outbox import OutboxMessage
from .people import AREA_LEVELS, ORGANISATION_KINDS, ROLES, Area, Organisation, User, organisation_areas
from .referrals import OPEN_REFERRAL, REFERRAL_KINDS, REFERRAL_STATUSES, Referral
from .scheduler import SchedulerLease

__all__ = [
    "AREA_LEVELS", "OPEN_REFERRAL", "ORGANISATION_KINDS", "REFERRAL_KINDS", "REFERRAL_STATUSES", "ROLES", "SEXES",
    "STATUSES", "TO_FIND", "TRANSITIONS", "Area", "AuditEntry", "Base", "Case", "CaseElsewhere", "CaseEvent",
    "CasePhoto", "ChoiceOption", "Conversation", "Deadline", "DeadlineReminder", "DeadlineReport", "Download",
    "ExportJob", "IllegalTransition", "InboundEvent", "Invite", "Organisation", "OutboxMessage", "OutsideReport",
    "Referral", "RichMenu", "SchedulerLease", "User", "WorkQueue", "can_move", "case_by_number", "case_number",
    "choice_label", "choice_list", "find_duplicate", "open_case", "organisation_areas", "record_event",
    "report_outside", "utcnow",
]
