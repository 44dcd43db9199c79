"""The ministry report: one row per child in a coordinator's scope, as XLSX or CSV, urgent cases first.

Besides the ministry's columns, what a coordinator needs to act on each child: the guardian's name and
phone, the address and pin, the reporter and their phone, the owning organisation and the owner, the
urgent mark, since when the case is late, and its newest history lines.

Asked for in chat ("ส่งออกรายงาน"), the file is made in the background (line/export_jobs.py) and
handed over as a download link; `flask --app bot export` writes the same file. National IDs appear in full
only for those access.sees_national_ids allows, masked for everyone else. Text a spreadsheet would
run as a formula is neutralised. Every export is audited: who, which scope, how many rows, which format.

An XLSX file has a second sheet, "นักเรียนเฝ้าระวัง", when the scope holds students on watch lists the
user may see: the numbers of domain/watch_numbers.py per school, then per district and province, and no
student's name. A CSV file is one table: it stays the cases only.
"""
from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from domain import access, audit, xlsx
from domain.case_timeline import event_words, latest_lines
from domain.official_list.list_report import inert
from domain.thai import strip_control
from domain.thai_dates import BANGKOK, age_on, be_year
from domain.thai_ids import mask_national_id
from domain.watch_numbers import LABELS as WATCH_LABELS
from domain.watch_numbers import area_rows, school_rows
from models import (
    LISTED,
    REFERRAL_STATUSES,
    REPORTED,
    SEXES,
    STATUSES,
    WATCHED,
    Area,
    Case,
    ChoiceOption,
    Organisation,
    Referral,
    User,
    case_number,
)
from models.choice import OTHER

log = logging.getLogger(__name__)

HEADERS = [
    "ลำดับ", "เลขที่เรื่อง", "เร่งด่วน", "รหัสจังหวัด", "จังหวัด", "รหัสอำเภอ", "อำเภอ", "รหัสตำบล", "ตำบล",
    "รหัสหมู่บ้าน", "หมู่บ้าน", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "เพศ", "วันเดือนปีเกิด",
    "อายุ (ปี)", "สถานะ",
    "สถานการณ์ปัจจุบัน", "สาเหตุ", "สาเหตุ (หมวดของโครงการ)", "ความต้องการ", "การส่งต่อ/สถานศึกษา",
    "วันที่เปิดเรื่อง", "วันที่ปรับปรุงล่าสุด", "ที่มา",
    "ชื่อผู้ปกครอง", "โทรศัพท์ผู้ปกครอง", "ที่อยู่", "ละติจูด", "ลองจิจูด", "ผู้แจ้ง", "โทรศัพท์ผู้แจ้ง",
    "หน่วยงานเจ้าของเรื่อง", "ผู้รับเรื่อง", "เกินกำหนดตั้งแต่", "ความเป็นมาล่าสุด",
]
URGENT = "เร่งด่วน"
# The history lines of each case in its row, newest first, each note cut to this many characters.
TIMELINE_LINES = 3
NOTE_SHOWN = 100
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
SOURCES = {REPORTED: "แจ้งจากพื้นที่", LISTED: "รายชื่อจากส่วนกลาง", WATCHED: "รายชื่อนักเรียนเฝ้าระวัง"}
WATCH_SHEET = "นักเรียนเฝ้าระวัง"
WATCH_HEADERS = ["ระดับ", "รหัสพื้นที่", "โรงเรียน", "รหัสโรงเรียน", "อำเภอ", "จังหวัด", *WATCH_LABELS.values()]
FORGOTTEN = "(ลบข้อมูลส่วนบุคคลตามคำขอ)"
BATCH = 2000  # rows read from the database at a time
COLUMNS = [getattr(Case, name) for name in (
    "id", "created_at", "updated_at", "area_code", "national_id", "title", "first_name", "last_name", "sex",
    "birth_date", "age_years", "status", "situation", "situation_note", "reason", "reason_note", "wants", "source",
    "forgotten_at", "urgent", "late_since", "guardian_name", "guardian_phone", "address", "latitude", "longitude",
    "reporter_id", "owner_id")]
REPORTER, OWNER = aliased(User), aliased(User)
PEOPLE = [REPORTER.real_name.label("reporter_name"), REPORTER.phone.label("reporter_phone"),
          Organisation.name.label("owner_org_name"), OWNER.real_name.label("owner_name")]


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    rows: int
    schools: int = 0  # the rows of schools on the watch-list sheet (XLSX)


def export_file(session: Session, roots: tuple[str, ...], fmt: str, full_ids: bool, now: datetime,
                viewer: User | None = None) -> ExportFile:
    """The report of the cases under `roots` (area-code prefixes; ("",) is the whole country), for `viewer`
    (None: the command line, which sees everything)."""
    rows = report_rows(session, roots, full_ids, now.astimezone(BANGKOK).date(), viewer)
    schools = school_rows(session, roots, viewer) if fmt == "xlsx" else []  # a CSV file is one table
    if fmt == "xlsx":
        sheets = [(WATCH_SHEET, WATCH_HEADERS, watch_sheet_rows(session, roots, viewer, schools))] if schools else []
        content, count = to_xlsx(HEADERS, rows, sheets)
    else:
        content, count = to_csv(HEADERS, rows)
    scope = "-".join(roots) if roots != access.WHOLE_COUNTRY else "all"
    local = now.astimezone(BANGKOK)
    filename = f"pnk-report-{scope[:40]}-{be_year(local.date())}{local:%m%d-%H%M}.{fmt}"
    return ExportFile(filename, FORMATS[fmt], content, count, len(schools))


def watch_sheet_rows(session: Session, roots: tuple[str, ...], viewer: User | None, schools) -> list[list]:
    """The watch-list sheet: a row for each school (`schools`, domain.watch_numbers.school_rows), then
    the totals of each district and each province; counts only."""
    levels = [("โรงเรียน", schools), ("อำเภอ", area_rows(session, roots, "district", viewer)),
              ("จังหวัด", area_rows(session, roots, "province", viewer))]
    return [[level, row.code, row.school or "", row.school_code or "", row.district, row.province,
             *(count for _, _, count in row.numbers.lines())] for level, rows in levels for row in rows]


def report_rows(session: Session, roots: tuple[str, ...], full_ids: bool, today: date,
                viewer: User | None = None) -> Iterator[list]:
    """One row per case. A row holds the family's contacts, the notes, the reporter, the owner and the
    history's notes only for a `viewer` who would see them on the case's card (access.sees_case_details: a
    village head exporting their area gets the child, the address and the statuses, as on the basic card)."""
    names = _area_names(session, roots)
    placed = placements(session, roots)
    choices = {(o.list_name, o.code): o for o in session.scalars(select(ChoiceOption))}
    # Columns, not Case objects: a national file is 100,000 cases, and the ORM's bookkeeping for each
    # would take longer than writing the file.
    query = (select(*COLUMNS, *PEOPLE).outerjoin(REPORTER, REPORTER.id == Case.reporter_id)
             .outerjoin(Organisation, Organisation.id == Case.owner_org_id).outerjoin(OWNER, OWNER.id == Case.owner_id)
             .where(access.prefix_filter(roots, Case.area_code))
             .order_by(Case.urgent.desc(), Case.area_code, Case.id).execution_options(yield_per=BATCH))
    for number, (case, history) in enumerate(_with_history(session, session.execute(query)), start=1):
        code = case.area_code or ""
        levels = [(code[:n], names.get(code[:n], "")) if len(code) >= n else ("", "") for n in (2, 4, 6, 8)]
        reason = choices.get(("reason", case.reason))
        details = viewer is None or access.sees_case_details(viewer, case)
        yield [
            number, case_number(case.id, case.created_at), URGENT if case.urgent else "",
            *(cell for level in levels for cell in level),
            (case.national_id if full_ids else mask_national_id(case.national_id)) if case.national_id else "",
            case.title or "", case.first_name if not case.forgotten_at else FORGOTTEN, case.last_name,
            SEXES.get(case.sex, ""), _be_date(case.birth_date), _age(case, today),
            STATUSES.get(case.status, case.status),
            _label(choices, "situation", case.situation, case.situation_note if details else None),
            _label(choices, "reason", case.reason, case.reason_note if details else None),
            reason.official_category if reason and reason.official_category else "",
            _label(choices, "wants", case.wants, None),
            placed.get(case.id, ""),
            _be_date(case.created_at.astimezone(BANGKOK).date()), _be_date(case.updated_at.astimezone(BANGKOK).date()),
            SOURCES.get(case.source, case.source),
            (case.guardian_name or "") if details else "", (case.guardian_phone or "") if details else "",
            case.address or "",
            "" if case.latitude is None else case.latitude, "" if case.longitude is None else case.longitude,
            *((case.reporter_name or "", case.reporter_phone or "") if details else ("", "")),
            case.owner_org_name or "", (case.owner_name or "") if details else "",
            _be_date(case.late_since.astimezone(BANGKOK).date()) if case.late_since else "",
            "\n".join(f"{_be_date(line.at.astimezone(BANGKOK).date())} "
                      f"{event_words(line.kind, line.from_status, line.to_status, line.note if details else None, NOTE_SHOWN)}"
                      for line in history),
        ]


def _with_history(session: Session, result) -> Iterator[tuple]:
    """Each row of `result` with its case's newest history lines, read for a batch of rows at a time."""
    for batch in result.partitions():
        lines = latest_lines(session, [row.id for row in batch], TIMELINE_LINES)
        for row in batch:
            yield row, lines.get(row.id, [])


def placements(session: Session, roots: tuple[str, ...]) -> dict[int, str]:
    """By case id, where each child under `roots` was referred or enrolled, in one query: the latest
    referral's organisation and its status ("วิทยาลัยเทคนิคขอนแก่น, รับเรื่องแล้ว"), and the school the
    case records the child enrolled in, with the date, when that is not the same organisation."""
    rows = session.execute(
        select(Case.id, Case.school_name, Case.enrolled_on, Organisation.name, Referral.status)
        .outerjoin(Referral, Referral.case_id == Case.id)
        .outerjoin(Organisation, Organisation.id == Referral.organisation_id)
        .where(access.prefix_filter(roots, Case.area_code), Referral.id.is_not(None) | Case.school_name.is_not(None))
        .order_by(Case.id, Referral.created_at, Referral.id)
    ).all()
    latest = {case_id: row for case_id, *row in rows}  # the last referral of each case wins
    placed = {}
    for case_id, (school, enrolled_on, organisation, status) in latest.items():
        parts = [f"{organisation}, {REFERRAL_STATUSES.get(status, status)}"] if organisation else []
        if school and school != organisation:
            parts.append(f"เข้าเรียน {school}")
        if enrolled_on and (school or status == "done"):
            parts[-1] += f" ({_be_date(enrolled_on)})"
        placed[case_id] = "; ".join(parts)
    return placed


def _area_names(session: Session, roots: tuple[str, ...]) -> dict[str, str]:
    """Names of every area under `roots` and of the areas above them (a district's province)."""
    above = [root[:n] for root in roots for n in range(2, len(root), 2)]
    within = access.prefix_filter(roots, Area.code)
    return dict(session.execute(select(Area.code, Area.name).where(within | Area.code.in_(above))).all())


def _label(choices: dict, list_name: str, code: str | None, note: str | None) -> str:
    if code is None:
        return ""
    option = choices.get((list_name, code))
    label = option.label if option else code
    return f"{label}: {note}" if code == OTHER and note else label


def _be_date(day: date | None) -> str:
    return f"{day.day:02d}/{day.month:02d}/{be_year(day)}" if day else ""


def _age(case, today: date) -> int | str:
    if case.birth_date:
        return age_on(case.birth_date, today)
    return case.age_years if case.age_years is not None else ""


def _safe(cell):
    # Control characters: they are not allowed in an XLSX cell, and no stored value may stop a file. Most
    # text has none, which isprintable() (C, no regular expression) tells at a fraction of a national
    # file's time; it is False for newlines and a few more too, and those go through strip_control.
    if not isinstance(cell, str):
        return cell
    return inert(cell if cell.isprintable() else strip_control(cell))


def to_xlsx(headers: list[str], rows: Iterable[list],
            sheets: Iterable[tuple[str, list[str], Iterable[list]]] = ()) -> tuple[bytes, int]:
    """The file and how many rows its first sheet holds. `sheets`: more sheets after it, each (title,
    headers, rows). Written by domain/xlsx.py as the rows come: a national file holds one row in memory,
    not the sheet, and nothing goes to disk. Each cell keeps its type (an ID with leading zeros stays
    text, a number a number), text is cleaned as in a CSV file (_safe), and empty text and None leave
    the cell empty. About a tenth of the time openpyxl took (docs/performance.md, "XLSX export")."""
    content, counts = xlsx.write(
        [("รายงาน", chain([headers], rows)), *((title, chain([more], more_rows)) for title, more, more_rows in sheets)],
        _safe)
    return content, counts[0] - 1


def to_csv(headers: list[str], rows: Iterable[list]) -> tuple[bytes, int]:
    """UTF-8 with a BOM: Excel then shows the Thai (it reads a CSV without one in the Windows code page)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    count = 0
    for count, row in enumerate(rows, start=1):
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig"), count


def record_export(session: Session, roots: tuple[str, ...], file: ExportFile, full_ids: bool, *,
                  actor: User | None = None, actor_label: str | None = None, source: str | None = None) -> None:
    audit.record(session, "export", "area", "-".join(roots) or "all", actor=actor, actor_label=actor_label,
                 area_code=roots[0] if len(roots) == 1 and roots[0] else None, source=source,
                 scope=list(roots), rows=file.rows, watch_schools=file.schools,
                 format=file.filename.rsplit(".", 1)[1], national_ids="full" if full_ids else "masked")


def job_roots(user: User | None, area_code: str | None) -> tuple[str, ...]:
    """What an export for `user` of `area_code` (None: their whole scope) may hold now; () nothing.
    Every registered role may export its whole scope; one area of it is a coordinator's drill-down only."""
    if access.refusal(user, access.REPORTERS):
        return ()
    prefixes = access.scope_prefixes(user)
    if area_code is None:
        return prefixes
    if access.refusal(user, access.COORDINATORS):
        return ()
    return (area_code,) if access.code_in_scope(prefixes, area_code) else ()
