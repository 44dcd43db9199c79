"""The numbers the ministry's form asks a local government for ("ตัวเลขพื้นที่ของฉัน"), always counted
from the cases, never typed; and the Google Form's pre-filled link that carries them.

What each count means, for the cases under a scope's area-code prefixes (each case counted once per line;
the lines marked "of which" split the line above them exactly):

- on_list: children from the ministry's list (Case.source LISTED);
- reported: children reported from the field (source "report"), who are not on the list. Every line below
  counts them too, wherever they fit (a report starts at ติดตามพบแล้ว, so it is checked and found);
- checked: a check-in outcome, every status but รอติดตาม (to_find); checked + unchecked = on_list + reported;
- found: the child was met: ติดตามพบแล้ว, ส่งต่อหน่วยงานแล้ว, กลับเข้าเรียนแล้ว, เรียนต่อเนื่อง, or closed with
  an in-school reason (IN_SCHOOL_CLOSE_REASONS). Of which:
  - returned: in school (back_in_school, staying, closed with an in-school reason);
  - wants_to_return: not in school yet, and wants one of the options other than "not_now";
  - does_not_want: not in school yet, and wants "not_now" (ยังไม่พร้อมเรียน);
  - wants_unknown: not in school yet, nobody recorded what the child wants;
- not_found: ไม่พบตัว; moved: ย้ายออกนอกพื้นที่;
- closed_other: closed for any other reason (deceased, finished compulsory school, a duplicate...), so that
  checked = found + not_found + moved + closed_other;
- referred: children with an open or done referral (pending, accepted, done), whatever their status now;
  of which referred_<kind>, by the receiving organisation's kind (models.REFERRAL_KINDS);
- unchecked: still รอติดตาม (to_find).

Two aggregate queries (one over the cases, one over their referrals by organisation kind) on the
indexed cases.area_code prefix, like domain/summary.py: nothing here reads a name or a national ID.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import urlencode, urlsplit

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from domain.access import prefix_filter
from models import IN_SCHOOL, LISTED, OPEN_REFERRAL, REFERRAL_KINDS, REPORTED, Case, Organisation, Referral

# close_reason codes (migration 0009's list) that mean the child is in education, only elsewhere.
IN_SCHOOL_CLOSE_REASONS = ("staying_in_school", "other_affiliation", "abroad")
NOT_NOW = "not_now"
# Referrals that put a child with an agency: still open, or the child started there.
COUNTED_REFERRALS = (*OPEN_REFERRAL, "done")

# Every count's name (what a form mapping names) and its Thai label, in the order the card and the text show.
LABELS = {
    "on_list": "เด็กตามรายชื่อ",
    "reported": "แจ้งพบเพิ่มเติม (ไม่อยู่ในรายชื่อ)",
    "checked": "ติดตามแล้ว",
    "found": "พบตัว",
    "wants_to_return": "พบตัว ประสงค์กลับเข้าเรียน",
    "does_not_want": "พบตัว ไม่ประสงค์กลับเข้าเรียน",
    "returned": "พบตัว กลับเข้าเรียนแล้ว",
    "wants_unknown": "พบตัว ยังไม่ระบุความต้องการ",
    "not_found": "ไม่พบตัว",
    "moved": "ย้ายออกนอกพื้นที่",
    "closed_other": "ปิดเรื่องด้วยเหตุอื่น",
    "referred": "ส่งต่อหน่วยงาน",
    **{f"referred_{kind}": f"ส่งต่อ {label}" for kind, label in REFERRAL_KINDS.items()},
    "unchecked": "ยังไม่ได้ติดตาม",
}
# Lines that split the line above them, indented on the card.
PARTS = frozenset({"wants_to_return", "does_not_want", "returned", "wants_unknown",
                   *(f"referred_{kind}" for kind in REFERRAL_KINDS)})


@dataclass(frozen=True)
class Counts:
    """Counts by name, the names and their Thai labels in `labels` (a subclass's): a missing name is 0, a
    name not in it an error (a typo must not read as zero)."""

    labels: ClassVar[Mapping[str, str]] = {}
    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, name: str) -> int:
        if name not in self.labels:
            raise KeyError(name)
        return self.counts.get(name, 0)

    def lines(self) -> list[tuple[str, str, int]]:
        """(name, Thai label, count) of every count, in the labels' order."""
        return [(name, label, self[name]) for name, label in self.labels.items()]


@dataclass(frozen=True)
class AreaNumbers(Counts):
    labels: ClassVar[Mapping[str, str]] = LABELS

    def as_text(self, heading: list[str]) -> str:
        """The plain text to paste into the form: the heading lines, then one count a line (digits without a
        thousands separator, which a form's number field would refuse)."""
        return "\n".join([*heading, *(f"{label}: {count} คน" for _, label, count in self.lines())])


def count_area_numbers(session: Session, roots: tuple[str, ...]) -> AreaNumbers:
    """The counts of the cases under `roots` (area-code prefixes; ("",) the whole country, () nothing)."""
    if not roots:
        return AreaNumbers()
    within = prefix_filter(roots, Case.area_code)
    in_school = or_(Case.status.in_(IN_SCHOOL),
                    and_(Case.status == "closed", Case.closed_reason.in_(IN_SCHOOL_CLOSE_REASONS)))
    waiting = Case.status.in_(("found", "referred"))  # found, not in school yet
    conditions = {
        "on_list": Case.source == LISTED,
        "reported": Case.source == REPORTED,
        "checked": Case.status != "to_find",
        "found": or_(waiting, in_school),
        "returned": in_school,
        "wants_to_return": and_(waiting, Case.wants.is_not(None), Case.wants != NOT_NOW),
        "does_not_want": and_(waiting, Case.wants == NOT_NOW),
        "wants_unknown": and_(waiting, Case.wants.is_(None)),
        "not_found": Case.status == "not_found",
        "moved": Case.status == "moved",
        "closed_other": and_(Case.status == "closed", ~in_school),
        "unchecked": Case.status == "to_find",
    }
    row = session.execute(select(*(func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
                                   for condition in conditions.values())).where(within)).one()
    counts = dict(zip(conditions, row))
    referred = (select(Organisation.kind, func.count(distinct(Referral.case_id)))
                .join(Referral, Referral.organisation_id == Organisation.id).join(Case, Case.id == Referral.case_id)
                .where(within, Referral.status.in_(COUNTED_REFERRALS)).group_by(Organisation.kind))
    for kind, count in session.execute(referred):
        if kind in REFERRAL_KINDS:
            counts[f"referred_{kind}"] = count
    # Distinct over all kinds: a child referred to two agencies in turn is one referred child.
    counts["referred"] = session.scalar(select(func.count(distinct(Referral.case_id)))
                                        .join(Case, Case.id == Referral.case_id)
                                        .where(within, Referral.status.in_(COUNTED_REFERRALS)))
    return AreaNumbers({name: int(value) for name, value in counts.items()})


# ----------------------------------------------------------------------------- the Google Form hand-off

FORM_HOSTS = ("docs.google.com", "forms.gle")
# A form's address on docs.google.com: the published form (/forms/d/e/ID/...) or the editor's id (/forms/d/ID/...).
FORM_PATH = re.compile(r"/forms/d/(e/)?([A-Za-z0-9_-]+)(/[A-Za-z]*)?/?")
SHORT_PATH = re.compile(r"/[A-Za-z0-9_-]+")
ENTRY_ID = re.compile(r"entry\.[0-9]{1,20}")
BAD_URL = "ลิงก์แบบฟอร์มไม่ถูกต้อง ต้องเป็นลิงก์ Google Forms ที่ขึ้นต้นด้วย https://docs.google.com/forms/ หรือ https://forms.gle/"


def prefilled_form_url(form_url: str, mapping: dict[str, str], counts: AreaNumbers | Mapping[str, int]) -> str:
    """The Google Form's pre-filled link: the form at `form_url` with each entry of `mapping` (a form entry id,
    "entry.123456", to a count name of LABELS) filled in with that count. The officer opens it, checks the
    answers and submits the form themselves.

    Any query or fragment of `form_url` (a link copied with ?usp=sf_link, or an older pre-filled one) is
    dropped. Raises ValueError, with a Thai message for whoever set the deadline up, for a URL that is not a
    Google Form over https, an entry id not shaped "entry.<digits>", or a count name that does not exist."""
    base = _form_base(form_url)
    values = counts.counts if isinstance(counts, AreaNumbers) else counts
    params = [("usp", "pp_url")]
    for entry, name in mapping.items():
        if not isinstance(entry, str) or ENTRY_ID.fullmatch(entry) is None:
            raise ValueError(f"รหัสช่องในแบบฟอร์มไม่ถูกต้อง: {str(entry)[:40]!r} (ต้องเป็นรูปแบบ entry.123456)")
        if name not in LABELS:
            raise ValueError(f"ไม่มีตัวเลขชื่อ {str(name)[:40]!r} (ใช้ได้: {', '.join(LABELS)})")
        params.append((entry, str(int(values.get(name, 0)))))
    return f"{base}?{urlencode(params)}"


def _form_base(form_url: str) -> str:
    """The form's viewform address (or its forms.gle short link) without query, or ValueError."""
    try:
        parts = urlsplit(form_url.strip())
        port = parts.port
    except (AttributeError, ValueError):  # not a string, or a port that is not a number
        raise ValueError(BAD_URL) from None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "https" or host not in FORM_HOSTS or port is not None or parts.username is not None \
            or parts.netloc.lower() != host:
        raise ValueError(BAD_URL)
    if host == "forms.gle":
        if SHORT_PATH.fullmatch(parts.path) is None:
            raise ValueError(BAD_URL)
        return f"https://forms.gle{parts.path}"
    match = FORM_PATH.fullmatch(parts.path)
    if match is None:
        raise ValueError(BAD_URL)
    published, form_id = match.group(1) or "", match.group(2)
    return f"https://docs.google.com/forms/d/{published}{form_id}/viewform"
