"""Importing the ministry's official list into cases: all or nothing, idempotent, in bulk.

Each valid row of an ImportReport (domain.official_list.list_report) is one child. A child not yet known becomes a
case "to_find" in the area its address resolved to (and so with the local government and school
covering that area), owned by that local government (domain.ownership); a child already known (the same national ID, or without IDs the same name and
birth date in the same area) keeps their case and history, and only what the list says about them is
updated, with a "list_updated" event saying what changed. Re-importing the same file changes nothing.

The caller runs this in one transaction: a failure leaves nothing half-imported. The database work
is a handful of statements per thousand rows (bulk lookups, multi-row INSERTs, executemany UPDATEs),
never one per row.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from domain import audit
from domain.official_list.list_areas import AreaIndex
from domain.official_list.list_report import ListRow
from domain.ownership import default_owner_orgs
from domain.pdpa import forgotten_ids
from domain.thai_names import parse_title
from models import LISTED, Area, Case, CaseEvent, utcnow
from models.case import ENCRYPTED_FIELDS
from models.database import copy_rows, unprepared, update_rows

# What the list says about a child, always taken from the newest list.
LIST_FIELDS = ("title", "first_name", "last_name", "sex", "birth_date", "grade", "previous_school", "affiliation",
               "list_group")
# Where the child lives: taken from the list only while nobody has been to see them (a check-in or a
# report knows better, and a moved child must not be moved back by an old address).
PLACE_FIELDS = ("area_id", "address")
# Rows per lookup query: well inside every database's limit on bound parameters.
CHUNK = 1000


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repeated: int = 0  # the same child twice in the file (without IDs): imported once
    forgotten: int = 0  # children whose data was deleted on request (pdpa forget): left out
    unplaced: int = 0  # imported without an area: only national coordinators see them

    def as_text(self) -> str:
        lines = [f"นำเข้าแล้ว: รายชื่อใหม่ {self.created:,} คน, ปรับปรุงข้อมูล {self.updated:,} คน, "
                 f"ไม่เปลี่ยนแปลง {self.unchanged:,} คน"]
        if self.repeated:
            lines.append(f"ชื่อ วันเกิด และพื้นที่ซ้ำกันในไฟล์ (นำเข้าครั้งเดียว) {self.repeated:,} แถว")
        if self.forgotten:
            lines.append(f"ข้ามเด็กที่ลบข้อมูลส่วนบุคคลตามคำขอแล้ว {self.forgotten:,} คน")
        if self.unplaced:
            lines.append(f"ยังไม่ได้จัดเข้าพื้นที่ {self.unplaced:,} คน (ผู้ประสานงานระดับประเทศเห็นเท่านั้น)")
        return "\n".join(lines)


def area_index(session: Session) -> AreaIndex:
    """The area tree in the database, for placing list rows by their address."""
    return AreaIndex(dict(session.execute(select(Area.code, Area.name)).all()))


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_rows(session: Session, rows: Sequence[ListRow], *, filename: str, digest: str, source: str,
                actor_label: str | None = None, now: datetime | None = None) -> ImportResult:
    """Create or update the cases of `rows` (valid rows, placed by area_code) in `session`'s transaction."""
    with unprepared(session):
        return _import(session, rows, filename, digest, source, actor_label, now or utcnow())


def _import(session: Session, rows: Sequence[ListRow], filename: str, digest: str, source: str,
            actor_label: str | None, now: datetime) -> ImportResult:
    result = ImportResult()
    area_ids = _area_ids(session, {row.area_code for row in rows if row.area_code})
    wanted = [(row, case_fields(row, area_ids)) for row in rows]
    by_id = _existing_by_national_id(session, [f["national_id"] for _, f in wanted if f["national_id"]])
    without_id = _existing_without_id(session, {f["first_name"] for _, f in wanted})
    forgotten = forgotten_ids(session, [f["national_id"] for _, f in wanted if f["national_id"]])

    new: list[tuple[ListRow, dict]] = []
    changes: list[tuple[ListRow, dict, dict]] = []  # row, the case as it is, what changes
    seen: set = set()
    for row, fields in wanted:
        if fields["national_id"] in forgotten:
            result.forgotten += 1
            continue
        existing = by_id.get(fields["national_id"]) if fields["national_id"] else None
        if existing is None and (fields["national_id"] is None or fields["birth_date"] is not None):
            # As open_case does: without an ID, or an ID the database does not know, the same
            # name and birth date in the same area is the same child when that case has no ID.
            existing = without_id.get(identity(fields))
        key = ("case", existing["id"]) if existing else ("row", fields["national_id"] or identity(fields))
        if key in seen:
            result.repeated += 1
            continue
        seen.add(key)
        result.unplaced += fields["area_id"] is None
        if existing is None:
            new.append((row, fields))
            continue
        changed = _changes(existing, fields)
        if changed:
            changes.append((row, existing, changed))
        else:
            result.unchanged += 1

    origin = {"file": filename, "sha256": digest}
    _insert(session, new, origin, source, now)
    _update(session, changes, origin, source, now)
    result.created, result.updated = len(new), len(changes)
    audit.record(session, "import", "official_list", digest[:16], actor_label=actor_label, source=source,
                 file=filename, rows=len(rows), created=result.created, updated=result.updated,
                 unchanged=result.unchanged, repeated=result.repeated, forgotten=result.forgotten)
    return result


def case_fields(row: ListRow, area_ids: dict[str, int]) -> dict[str, Any]:
    """A list row as Case columns."""
    return {
        "national_id": row.national_id,
        # "ด.ช." as the report flow stores it, "เด็กชาย", so both kinds of case read alike.
        "title": parse_title(row.title) or row.title if row.title else None,
        # A row may have an ID but no name; the columns are not nullable.
        "first_name": row.first_name or "",
        "last_name": row.last_name or "",
        "sex": row.sex,
        "birth_date": row.birth_date,
        "grade": row.grade,
        "previous_school": row.previous_school,
        "affiliation": row.affiliation,
        "list_group": row.group,
        "area_id": area_ids.get(row.area_code),
        "address": address_of(row),
    }


def address_of(row: ListRow) -> str | None:
    """"12/3 หมู่ 4": the house as the list gives it (the area names are in the case's area)."""
    parts = [row.house_no, f"หมู่ {row.moo}" if row.moo else None]
    return " ".join(p for p in parts if p) or None


def identity(fields: dict[str, Any]) -> tuple:
    return fields["area_id"], fields["first_name"], fields["last_name"], fields["birth_date"]


# ---------------------------------------------------------------- bulk reads

_COMPARED = (Case.id, Case.status, Case.national_id, *(getattr(Case, f) for f in LIST_FIELDS + PLACE_FIELDS))


def _chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _area_ids(session: Session, codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(codes)):
        found.update(session.execute(select(Area.code, Area.id).where(Area.code.in_(chunk))).all())
    return found


def _existing_by_national_id(session: Session, national_ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for chunk in _chunks(national_ids):
        query = select(*_COMPARED).where(Case.national_id.in_(chunk))
        for row in session.execute(query).mappings():
            found[row["national_id"]] = dict(row)
    return found


def _existing_without_id(session: Session, first_names: set[str]) -> dict[tuple, dict]:
    found: dict[tuple, dict] = {}
    for chunk in _chunks(sorted(first_names)):
        query = select(*_COMPARED).where(Case.national_id.is_(None), Case.first_name.in_(chunk)) \
            .order_by(Case.id)
        for row in session.execute(query).mappings():
            found.setdefault(identity(row), dict(row))
    return found


def _changes(existing: dict, fields: dict) -> dict[str, Any]:
    """The columns the list changes on an existing case."""
    names = LIST_FIELDS + (PLACE_FIELDS if existing["status"] == "to_find" else ())
    changed = {name: fields[name] for name in names if fields[name] != existing[name]}
    if fields["national_id"] and not existing["national_id"]:
        changed["national_id"] = fields["national_id"]
    return changed


# --------------------------------------------------------------- bulk writes

def _insert(session: Session, new: list[tuple[ListRow, dict]], origin: dict, source: str, now: datetime) -> None:
    if not new:
        return
    # The local government responsible for each child's area owns the case: one lookup for the file.
    owners = default_owner_orgs(session, {row.area_code for row, fields in new if fields["area_id"]})
    cases = [{**fields, "status": "to_find", "source": LISTED, "created_at": now, "updated_at": now,
              "owner_org_id": owners.get(row.area_code) if fields["area_id"] else None}
             for row, fields in new]
    if session.get_bind().dialect.name == "postgresql":
        # Ids taken from the sequence first, so that COPY can write the cases and their events.
        ids = session.scalars(text("SELECT nextval(pg_get_serial_sequence('cases', 'id')) "
                                   "FROM generate_series(1, :n)"), {"n": len(cases)}).all()
        copy_rows(session, Case.__table__, [{"id": case_id, **case} for case_id, case in zip(ids, cases)])
    else:
        # One multi-row INSERT per thousand rows (insertmanyvalues); RETURNING gives the ids in row order.
        table = Case.__table__
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), cases).scalars().all()
    _add_events(session, [
        {"case_id": case_id, "at": now, "actor_id": None, "kind": "listed", "from_status": None,
         "to_status": "to_find", "note": None, "source": source, "details": {**origin, "row": row.row}}
        for case_id, (row, _) in zip(ids, new)
    ])


def _add_events(session: Session, events: list[dict]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        copy_rows(session, CaseEvent.__table__, events)
    else:
        session.execute(insert(CaseEvent.__table__), events)


def _update(session: Session, changes: list[tuple[ListRow, dict, dict]], origin: dict, source: str,
            now: datetime) -> None:
    if not changes:
        return
    if session.get_bind().dialect.name == "postgresql":
        # Every compared column of each changed case, the unchanged ones as they are, in one UPDATE.
        columns = ("id", "national_id", *LIST_FIELDS, *PLACE_FIELDS)
        update_rows(session, Case.__table__, [{**{c: changed.get(c, existing[c]) for c in columns}, "updated_at": now}
                                              for _, existing, changed in changes])
    else:
        # executemany by primary key, grouped by the set of columns each row changes.
        session.execute(update(Case), [{"id": existing["id"], **changed, "updated_at": now}
                                       for _, existing, changed in changes])
    _add_events(session, [
        {"case_id": existing["id"], "at": now, "actor_id": None, "kind": "list_updated", "from_status": None,
         "to_status": None, "note": None, "source": source,
         "details": {**origin, "row": row.row,
                     # An encrypted field's values stay in its column: only that it changed.
                     "changed": {k: None if k in ENCRYPTED_FIELDS else [_json(existing.get(k)), _json(v)]
                                 for k, v in changed.items()}}}
        for row, existing, changed in changes
    ])


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
