"""Putting a school's class list (read by domain/official_list/class_list.py) on its watch list: each
row's risk factors matched to the coordinators' "risk_factor" list, then every student added, updated, or
left as they are when the list says nothing new of them (`flask watch import`).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from domain import watch
from domain.pdpa import forgotten_ids
from domain.report_text import Option, compact, match_option
from models import Organisation, User, choice_options
from models.choice import OTHER

# How a school's file separates the risk factors of one student ("ยากจน, ขาดเรียนบ่อย / ติดเกม").
SEPARATORS = re.compile(r"[,;/\n、]+")
# Between the words kept as "อื่น ๆ" and the row's own note, as the chat's flow joins them.
NOTE_JOIN = " · "
# Words that join factors ("ยากจน และ ขาดเรียน") and the marks around one ("(ทุนเสมอภาค)"): read word by word,
# they name no factor, and kept as "อื่น ๆ" they would add a factor nobody wrote. So would a word without a
# letter: a dash, a list's "1.", an emoji.
JOINING = {"และ", "กับ", "หรือ", "รวมทั้ง", "and", "or"}
BRACKETS = "()[]{}\"'“”‘’"
# A class list sent in the chat and neither imported nor cancelled is kept this long (it names children):
# then its content is emptied and its buttons say to send it again.
UPLOAD_KEPT = timedelta(hours=24)


class ClassRow(Protocol):
    """What a row of the class list holds (domain.official_list.class_list.ClassRow)."""

    title: str | None
    first_name: str
    last_name: str | None
    sex: str | None
    national_id: str | None
    class_name: str
    group: str
    risk_text: str | None
    note: str | None


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows of children whose data was removed on request (pdpa forget): left out, as the official list does.
    forgotten: int = 0

    def as_text(self) -> str:
        text = (f"นำเข้ารายชื่อเฝ้าระวังแล้ว: เพิ่ม {self.added:,} คน, ปรับข้อมูล {self.updated:,} คน, "
                f"ไม่เปลี่ยนแปลง {self.unchanged:,} คน")
        if self.forgotten:
            text += f", ไม่นำเข้า {self.forgotten:,} คนที่ลบข้อมูลส่วนบุคคลตามคำขอแล้ว"
        return text


def risk_options(session: Session) -> list[Option]:
    return [Option(code, label, synonyms) for code, label, synonyms in choice_options(session, "risk_factor")]


def match_risk_factors(said: str, options: Sequence[Option]) -> tuple[list[str], list[str]]:
    """The risk factors `said` names, each once in the order said, and the words that name none. Each part
    between separators is an option's label or synonym as a whole ("ขาด เรียนบ่อย"), or else is read word
    by word ("ยากจน ติดเกม"): matching the part at once would take "ยากจน" and drop "ติดเกม"."""
    whole = {compact(key): option.code for option in options for key in (option.label, *option.synonyms)}
    codes: list[str] = []
    unknown: list[str] = []
    for part in SEPARATORS.split(said):
        exact = whole.get(compact(part))
        found = [(exact, part)] if exact else [(match_option(word, options), word) for word in factor_words(part)]
        for code, words in found:
            if code is None:
                unknown.append(words)
            elif code not in codes:
                codes.append(code)
    return codes, unknown


def factor_words(part: str) -> list[str]:
    """The words of `part` that may name a factor: without the marks around them, joining words and
    words without a letter left out."""
    found = (word.strip(BRACKETS) for word in part.split())
    return [word for word in found if word.casefold() not in JOINING and any(ch.isalpha() for ch in word)]


def unmatched_words(session: Session, rows: Iterable[ClassRow]) -> Counter:
    """The words of the rows' risk factors that name no option (to be kept as "อื่น ๆ"), with how many rows
    have each: what a coordinator may add as synonyms (`flask lists synonyms risk_factor ...`)."""
    options = risk_options(session)
    return Counter(word for row in rows for word in dict.fromkeys(match_risk_factors(row.risk_text or "", options)[1]))


def student_fields(row: ClassRow, options: Sequence[Option], teacher: User | None) -> dict[str, Any]:
    """The watch list's fields of a row (domain.watch.add_student): words naming no risk factor are kept
    as "อื่น ๆ", in the risk note before the row's own note."""
    codes, unknown = match_risk_factors(row.risk_text or "", options)
    if unknown and OTHER not in codes:
        codes.append(OTHER)
    notes = [" ".join(unknown), row.note]
    return {"title": row.title, "first_name": row.first_name, "last_name": row.last_name or "", "sex": row.sex,
            "national_id": row.national_id, "class_name": row.class_name, "group": row.group,
            "risk_factors": codes or None, "risk_note": NOTE_JOIN.join(note for note in notes if note) or None,
            "teacher_id": teacher.id if teacher else None}


def import_students(session: Session, school: Organisation, rows: Iterable[ClassRow], *, now: datetime,
                    rules: watch.Rules, teacher: User | None = None, actor: User | None = None,
                    source: str = "cli") -> ImportResult:
    """Put `rows` on `school`'s list in the caller's transaction. A student already there (watch.find_student)
    whose row says nothing new is left as they are, even if a teacher has taken them off the list since;
    any other is added or updated (and followed again) by watch.add_student. `actor` and `source` are who
    imported and the message that asked (None and "cli" for `flask watch import`)."""
    options = risk_options(session)
    students = watch.students_of(session, school)  # once: add_student is told of each one added
    rows = list(rows)
    forgotten = forgotten_ids(session, [row.national_id for row in rows if row.national_id])
    result = ImportResult()
    for row in rows:
        if row.national_id in forgotten:
            result.forgotten += 1
            continue
        fields = student_fields(row, options, teacher)
        found = watch.find_student(students, fields["national_id"], fields["class_name"], fields["first_name"],
                                   fields["last_name"])
        if found is not None and all(getattr(found, name) == value for name, value in fields.items()
                                     if value is not None):
            result.unchanged += 1
            continue
        student, created = watch.add_student(session, school, fields, actor, now=now, rules=rules, source=source,
                                             kind="imported", students=students)
        if created:
            students.append(student)
            result.added += 1
        else:
            result.updated += 1
    return result
