"""People, areas and invites: what registration, the CLI and the coordinators' chat commands share.

Areas come from a CSV of DOPA codes (province 2 digits, district 4, subdistrict 6, village 8;
each starts with its parent's). Invite codes fix a newcomer's role, organisation and area; their
use limit is enforced by one conditional UPDATE, so two people cannot both take the last use.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from domain import access
from domain.thai import InvalidInput, parse_id, quote, strip_control, to_ascii_digits
from domain.thai_names import is_name_word
from models import AREA_LEVELS, ORGANISATION_KINDS, ROLES, Area, Invite, Organisation, User
from models.audit_entry import AuditEntry

# ----------------------------------------------------------------------------- areas

LEVEL_BY_LENGTH = {2 * (i + 1): level for i, level in enumerate(AREA_LEVELS)}
CODE_HEADERS = {"code", "รหัส", "รหัสพื้นที่", "geocode"}
NAME_HEADERS = {"name", "ชื่อ", "ชื่อพื้นที่"}


class AreaFileError(Exception):
    """The file was not loaded; `problems` says which lines to fix."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def normalize_area_code(raw: str) -> str:
    """Digits of a DOPA code; the 8-digit zero-padded form ("40010000") becomes the short one ("4001")."""
    code = re.sub(r"\s+", "", to_ascii_digits(raw))
    # No real district, subdistrict or village number is 00, so trailing 00 pairs are padding.
    while len(code) > 2 and len(code) % 2 == 0 and code.endswith("00"):
        code = code[:-2]
    return code


def read_area_csv(data: bytes) -> list[tuple[int, str, str]]:
    """(line number, code, name) rows of a CSV in UTF-8 or the Thai Windows encoding (cp874).

    The columns are found by header (code/รหัส, name/ชื่อ); a file without a header is code,name.
    """
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = data.decode("cp874")
    rows = list(csv.reader(io.StringIO(content)))
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    code_col = next((i for i, h in enumerate(header) if h in CODE_HEADERS), None)
    name_col = next((i for i, h in enumerate(header) if h in NAME_HEADERS), None)
    start = 2
    if code_col is None or name_col is None:
        code_col, name_col, start = 0, 1, 1
        rows = [[], *rows]  # keep line numbers right: there was no header line
    return [(number, _cell(row, code_col), _cell(row, name_col))
            for number, row in enumerate(rows[1:], start=start) if any(cell.strip() for cell in row)]


def _cell(row: list[str], index: int) -> str:
    return strip_control(row[index]).strip() if index < len(row) else ""


def load_areas(session: Session, rows: list[tuple[int, str, str]]) -> LoadResult:
    """Create or rename the areas in `rows`, parents first; load nothing if any row is wrong."""
    problems: list[str] = []
    wanted: dict[str, tuple[int, str]] = {}
    for line, raw_code, name in rows:
        code = normalize_area_code(raw_code)
        if not code.isdigit() or len(code) not in LEVEL_BY_LENGTH:
            problems.append(f"line {line}: code {raw_code!r} is not a DOPA code of 2, 4, 6 or 8 digits")
        elif not name:
            problems.append(f"line {line}: code {code} has no name")
        elif code in wanted:
            problems.append(f"line {line}: code {code} repeats line {wanted[code][0]}")
        else:
            wanted[code] = (line, name)
    existing = {area.code: area for area in session.scalars(select(Area))}
    for code, (line, _) in wanted.items():
        parent = code[:-2]
        if parent and parent not in wanted and parent not in existing:
            problems.append(f"line {line}: code {code} needs its parent {parent}, which is neither in the file "
                            "nor loaded")
    if problems:
        raise AreaFileError(problems)

    result = LoadResult()
    for length in sorted({len(code) for code in wanted}):  # parents first: children need their ids
        for code in (c for c in wanted if len(c) == length):
            name = wanted[code][1]
            level = LEVEL_BY_LENGTH[length]
            parent = existing.get(code[:-2]) if length > 2 else None
            area = existing.get(code)
            if area is None:
                existing[code] = Area(code=code, level=level, name=name, parent=parent)
                session.add(existing[code])
                result.created += 1
            elif (area.name, area.level, area.parent_id) != (name, level, parent.id if parent else None):
                area.name, area.level, area.parent = name, level, parent
                result.updated += 1
            else:
                result.unchanged += 1
        session.flush()
    return result


def find_area(session: Session, code: str) -> Area | None:
    return session.scalar(select(Area).where(Area.code == normalize_area_code(code)))


# A place's name as typed, with the level word people write before it ("ต.", "อำเภอ" ...); the areas
# table keeps names without them.
_PLACE_WORD = re.compile(r"(?:(ตำบล|ต\.|แขวง|อำเภอ|อ\.|เขต|จังหวัด|จ\.)\s*)?([^\s.]+)")
_PLACE_LEVEL = {"ตำบล": "subdistrict", "ต.": "subdistrict", "แขวง": "subdistrict", "อำเภอ": "district",
                "อ.": "district", "เขต": "district", "จังหวัด": "province", "จ.": "province"}


def find_place(session: Session, said: str) -> Area | None:
    """The subdistrict, district or province a person typed ("ต.บ้านฝาง อ.บ้านฝาง จ.ขอนแก่น",
    "สำราญ"): the most precise area named whose every other named area lies above it; None when
    nothing matches or the words fit several places."""
    words = [(m.group(2), _PLACE_LEVEL.get(m.group(1))) for m in _PLACE_WORD.finditer(said)]
    if not words:
        return None
    named = list(session.scalars(select(Area).where(Area.name.in_({name for name, _ in words}),
                                                    Area.level != "village")))
    candidates = [[a for a in named if a.name == name and level in (None, a.level)] for name, level in words]
    fitting = [a for a in named if any(a in c for c in candidates)
               and all(any(a.code.startswith(b.code) for b in c) for c in candidates)]
    deepest = max((len(a.code) for a in fitting), default=0)
    best = [a for a in fitting if len(a.code) == deepest]
    return best[0] if len(best) == 1 else None


# ----------------------------------------------------------------------------- organisations

def save_organisation(session: Session, kind: str, name: str, code: str | None, areas: list[Area]) -> Organisation:
    """Create an organisation, or update the one with the same code (so the CLI can be re-run).

    Updating one that covers areas with no areas is refused: it would silently leave its users with no scope.
    """
    if kind not in ORGANISATION_KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of: {', '.join(ORGANISATION_KINDS)}")
    org = session.scalar(select(Organisation).where(Organisation.code == code)) if code else None
    if org is not None and org.areas and not areas:
        raise ValueError(f"organisation {code} covers {', '.join(sorted(a.code for a in org.areas))}: give its "
                         "areas again with --area (without them its users would lose their scope)")
    if org is None:
        org = Organisation(code=code)
        session.add(org)
    org.kind, org.name, org.areas = kind, name, areas
    session.flush()
    return org


def find_organisation(session: Session, key: str) -> Organisation | None:
    """By its ministry code, or by its id."""
    condition = Organisation.code == key
    if (number := parse_id(key)) is not None:
        condition = or_(condition, Organisation.id == number)
    return session.scalar(select(Organisation).where(condition).order_by(Organisation.id).limit(1))


# ----------------------------------------------------------------------------- invites

# Upper-case letters and digits without the look-alikes 0/O, 1/I/L: codes get read aloud and retyped.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8
DEFAULT_INVITE_DAYS = 14
INVITABLE_ROLES = ("reporter", "teacher", "coordinator")

ROLE_LABELS = {
    "reporter": "ผู้แจ้งข้อมูล (ผู้นำชุมชน/เจ้าหน้าที่ท้องถิ่น)",
    "teacher": "ครู",
    "coordinator": "ผู้ประสานงาน",
    "admin": "ผู้ดูแลระบบ",
}

_CODE_SEPARATORS = re.compile(r"[\s\-._/\u2010-\u2015\u2212\u200b]+")
_THAI_LETTERS = re.compile(r"[\u0e01-\u0e4f\u0e5a-\u0e5b]")


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def format_invite_code(code: str) -> str:
    """"ABCD-EF23": two groups of four are easier to read out and retype."""
    return f"{code[:4]}-{code[4:]}"


def normalize_invite_code(text: str) -> str:
    """The code as stored, from what the user typed: Thai digits, spaces, dashes, lower case are fine."""
    code = _CODE_SEPARATORS.sub("", to_ascii_digits(text)).upper()
    if _THAI_LETTERS.search(code):
        raise InvalidInput("รหัสเชิญเป็นตัวอักษรภาษาอังกฤษและตัวเลข แต่ข้อความที่ได้รับมีตัวอักษรไทย "
                           "แป้นพิมพ์อาจยังเป็นภาษาไทยอยู่ กรุณาสลับเป็นภาษาอังกฤษแล้วพิมพ์ใหม่ค่ะ")
    if len(code) != INVITE_LENGTH or any(c not in INVITE_ALPHABET for c in code):
        raise InvalidInput(f"รหัสเชิญมีตัวอักษรภาษาอังกฤษและตัวเลข {INVITE_LENGTH} ตัว เช่น ABCD-2345 "
                           f"(ได้รับ {quote(code)}) กรุณาตรวจสอบอีกครั้งค่ะ")
    return code


def create_invite(session: Session, role: str, organisation: Organisation | None, area: Area | None, *,
                  now: datetime, days: int = DEFAULT_INVITE_DAYS, max_uses: int = 1,
                  created_by: User | None = None, national: bool = False) -> Invite:
    """A new invite; `created_by`, when given, is the coordinator it is made for, and it must lie in their scope.

    `national` makes a national coordinator: the only way an invite gives the whole country.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    if role == "teacher" and (organisation is None or organisation.kind != "school"):
        raise ValueError("a teacher's invite needs a school organisation")
    if national and (role != "coordinator" or area is not None):
        raise ValueError("only a coordinator's invite can be national, and then without an area")
    if days < 1 or max_uses < 1:
        raise ValueError("an invite must last at least a day and allow at least one use")
    if not access.roots(role, area, organisation, national=national):
        raise ValueError("this invite would give no area: give an area, or an organisation that covers some")
    if created_by is not None and not access.may_invite(created_by, role, area, organisation, national=national):
        raise ValueError("this invite would reach outside the scope of the coordinator it is made for")
    invite = Invite(code=_unused_code(session), role=role, organisation=organisation, area=area,
                    national_scope=national, max_uses=max_uses, uses=0, expires_at=now + timedelta(days=days),
                    created_by_id=created_by.id if created_by else None, created_at=now)
    session.add(invite)
    session.flush()
    return invite


def _unused_code(session: Session) -> str:
    # 31^8 codes: a clash is rare, but a unique-constraint error in the user's face would be worse.
    while True:
        code = new_invite_code()
        if session.scalar(select(Invite.id).where(Invite.code == code)) is None:
            return code


# The one answer to a code that does not exist, has expired or is used up: someone guessing codes
# learns nothing about which codes exist.
INVITE_UNUSABLE = ("รหัสเชิญนี้ใช้ไม่ได้ค่ะ อาจพิมพ์ผิด หมดอายุ หรือถูกใช้ครบจำนวนแล้ว "
                   "กรุณาตรวจสอบอีกครั้ง หรือขอรหัสใหม่จากผู้ประสานงานค่ะ")
# Guessing: this many wrong codes within INVITE_LOCKOUT of each other, and the user waits INVITE_LOCKOUT
# from the last one. Counted from the audit log, which records every wrong code as WRONG_INVITE.
MAX_WRONG_INVITES = 5
INVITE_LOCKOUT = timedelta(hours=1)
WRONG_INVITE = "invite_wrong"
# Text that is not even shaped like a code: audited, not counted.
MALFORMED_INVITE = "invite_malformed"


def usable_invite(session: Session, code: str, now: datetime) -> tuple[Invite | None, str | None]:
    """The invite of this code (as normalize_invite_code gives it) and None; or None and why it cannot
    be used ("unknown", "expired", "used_up": for the audit log, never for the user)."""
    invite = session.scalar(select(Invite).where(Invite.code == code))
    if invite is None:
        return None, "unknown"
    if invite.expires_at <= now:
        return None, "expired"
    if invite.uses >= invite.max_uses:
        return None, "used_up"
    if not _still_granted(session, invite):
        return None, "inviter_out_of_scope"
    return invite, None


def _still_granted(session: Session, invite: Invite) -> bool:
    """Would the coordinator who made the invite still be allowed to make it? A code outlives neither its
    coordinator's deactivation nor their move to another area (a code from the CLI has no coordinator)."""
    if invite.created_by_id is None:
        return True
    inviter = session.get(User, invite.created_by_id)
    return access.may_invite(inviter, invite.role, invite.area, invite.organisation, national=invite.national_scope)


def invite_lockout(session: Session, user: User, now: datetime) -> datetime | None:
    """Until when `user` may not try invite codes, or None: the last MAX_WRONG_INVITES wrong codes came
    within INVITE_LOCKOUT, and the last of them less than INVITE_LOCKOUT ago. While locked nothing new
    is counted, so once the wait is over the user has MAX_WRONG_INVITES tries again."""
    latest = list(session.scalars(
        select(AuditEntry.at).where(AuditEntry.actor_id == user.id, AuditEntry.action == WRONG_INVITE)
        .order_by(AuditEntry.at.desc()).limit(MAX_WRONG_INVITES)))
    if len(latest) < MAX_WRONG_INVITES or latest[0] - latest[-1] >= INVITE_LOCKOUT:
        return None
    until = latest[0] + INVITE_LOCKOUT
    return until if until > now else None


def take_invite_use(session: Session, invite_id: int, now: datetime) -> bool:
    """Count one use if the invite still has one and has not expired; False when someone else took the last."""
    result = session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.uses < Invite.max_uses, Invite.expires_at > now)
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# ----------------------------------------------------------------------------- users

def parse_real_name(text: str) -> str:
    """A first name and a surname, in Thai or Latin letters; a title (นาย, นาง, ...) may lead."""
    name = " ".join(text.split())
    if not name:
        raise InvalidInput("กรุณาพิมพ์ชื่อและนามสกุลจริง เช่น สมชาย ใจดี")
    if not all(map(is_name_word, name.split(" "))):
        raise InvalidInput(f"ชื่อควรมีเฉพาะตัวอักษร (ได้รับ {quote(name)}) กรุณาพิมพ์ชื่อและนามสกุลจริง เช่น สมชาย ใจดี")
    if len(name.split(" ")) < 2 or len(name) > 100:
        raise InvalidInput(f"กรุณาพิมพ์ทั้งชื่อและนามสกุล โดยเว้นวรรคระหว่างกัน (ได้รับ {quote(name)}) "
                           "เช่น สมชาย ใจดี")
    return name


def register(session: Session, user: User, invite_id: int, real_name: str, phone: str,
             pdpa_accepted_at: datetime, now: datetime) -> bool:
    """Make `user` a registered user with the invite's role, organisation and area.

    Returns False, changing nothing, when the invite's last use went to someone else meanwhile, or its
    coordinator may no longer hand it out.
    """
    invite = session.get(Invite, invite_id)
    if not _still_granted(session, invite) or not take_invite_use(session, invite_id, now):
        return False
    user.role, user.organisation, user.area = invite.role, invite.organisation, invite.area
    user.national_scope = invite.national_scope
    user.real_name, user.phone = real_name, phone
    user.pdpa_accepted_at, user.registered_at = pdpa_accepted_at, now
    user.invite_id, user.active = invite.id, True
    return True


def find_users(session: Session, key: str) -> list[User]:
    """By LINE user id, or by phone number: every registered user who gave it. Phones are not unique
    (an office phone, or someone typing another's number), so a caller must not just take the first."""
    if key.startswith("U"):
        return list(session.scalars(select(User).where(User.line_user_id == key)))
    phone = re.sub(r"\D", "", to_ascii_digits(key))
    return list(session.scalars(select(User).where(User.phone == phone, User.registered_at.is_not(None))
                                .order_by(User.id)))
