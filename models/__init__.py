"""SQLAlchemy models. Importing this package registers every table on Base.metadata."""
from models.audit_entry import AuditEntry
from models.base import Base, WorkQueue, utcnow
from models.case import (
    IN_SCHOOL,
    LISTED,
    REPORTED,
    SEXES,
    STATUSES,
    TO_FIND,
    TRANSITIONS,
    WATCHED,
    Case,
    CaseElsewhere,
    CaseEvent,
    CasePhoto,
    IllegalTransition,
    OutsideReport,
    add_report,
    can_move,
    case_by_number,
    case_number,
    find_duplicate,
    open_case,
    record_event,
    report_outside,
)
from models.choice import ChoiceOption, active_options, choice_label, choice_list, choice_options
from models.conversation import Conversation
from models.deadline import DEADLINE_RULES, Deadline, DeadlineReminder, DeadlineReport
from models.directory import AREA_LEVELS, ORGANISATION_KINDS, ROLES, Area, Organisation, User, organisation_areas
from models.download import Download
from models.export_job import ExportJob
from models.inbound_event import InboundEvent
from models.invite import Invite, RichMenu
from models.notice import DEFAULT_MODE, NOTICE_KINDS, NOTICE_MODES, Notice, NoticeSetting, PushUsage
from models.outbox_message import OutboxMessage
from models.referral import OPEN_REFERRAL, REFERRAL_KINDS, REFERRAL_STATUSES, Referral
from models.scheduler_lease import SchedulerLease
from models.step_deadline import FollowUpRound, StepDeadline, follow_up_days, step_deadlines
from models.transfer import TRANSFER_KINDS, TRANSFER_STATUSES, CaseTransfer
from models.watch import FOLLOWED, GROUPS, WATCH_STATUSES, ClassListUpload, SchoolTerm, WatchEvent, WatchStudent

__all__ = [
    "AREA_LEVELS", "DEADLINE_RULES", "DEFAULT_MODE", "IN_SCHOOL", "LISTED", "NOTICE_KINDS", "NOTICE_MODES", "REPORTED",
    "TRANSFER_KINDS", "TRANSFER_STATUSES", "WATCHED",
    "CaseTransfer", "FollowUpRound", "Notice", "NoticeSetting", "PushUsage", "StepDeadline", "follow_up_days",
    "step_deadlines", "OPEN_REFERRAL", "ORGANISATION_KINDS", "REFERRAL_KINDS", "REFERRAL_STATUSES", "ROLES",
    "SEXES", "STATUSES", "TO_FIND", "TRANSITIONS", "Area", "AuditEntry", "Base", "Case", "CaseElsewhere", "CaseEvent",
    "CasePhoto", "ChoiceOption", "Conversation", "Deadline", "DeadlineReminder", "DeadlineReport", "Download",
    "ExportJob", "IllegalTransition", "InboundEvent", "Invite", "Organisation", "OutboxMessage", "OutsideReport",
    "Referral", "RichMenu", "SchedulerLease", "User", "WorkQueue", "active_options", "add_report", "can_move",
    "case_by_number",
    "case_number", "choice_label", "choice_list", "choice_options", "find_duplicate", "open_case", "organisation_areas",
    "record_event", "report_outside", "utcnow",
    "FOLLOWED", "GROUPS", "WATCH_STATUSES", "ClassListUpload", "SchoolTerm", "WatchEvent", "WatchStudent",
]
