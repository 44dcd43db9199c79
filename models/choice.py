"""The lists people choose from (a child's situation, the reason they left school, what they want):
data the coordinators change in this table, not in code. Seeded by migration 0006.

Cases store an option's code, so a label can be reworded without touching old cases, and an option
is retired by setting active to false. The option whose code is "other" asks for the reporter's
own words. Synonyms are the other words reporters type for an option (migration 0022; coordinators add
them with `flask lists synonyms`), read by domain/report_text.py.
"""
from __future__ import annotations

from sqlalchemy import Row, String, UniqueConstraint, false, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, JSONType

OTHER = "other"


class ChoiceOption(Base):
    __tablename__ = "choice_options"
    # Reference data: the test fixtures keep these rows between tests.
    __table_args__ = (UniqueConstraint("list_name", "code"), {"info": {"reference_data": True}})

    id: Mapped[int] = mapped_column(primary_key=True)
    list_name: Mapped[str] = mapped_column(String(32))  # situation | reason | wants
    code: Mapped[str] = mapped_column(String(32))
    # Shown on a quick-reply button: LINE cuts labels after 20 characters (the whole label is still sent).
    label: Mapped[str] = mapped_column(String(100))
    # The programme's own category this option is counted under on its dashboard, where one fits.
    official_category: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # A safeguarding reason (abuse, child labour, exploitation, no carer): a case given it is urgent.
    urgent: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Words that also mean this option ("ไม่มีเงิน" for ยากจน), matched ignoring spaces, dots and case; the
    # server default lets coordinators INSERT an option in SQL without them.
    synonyms: Mapped[list] = mapped_column(JSONType, default=list, server_default=text("'[]'"))


def active_options(session: Session, *list_names: str) -> dict[str, list[Row]]:
    """Each list's active options, in order, as rows of (code, label, synonyms, urgent): in one query,
    however many lists (the check-in and the report read three when they start)."""
    options: dict[str, list[Row]] = {list_name: [] for list_name in list_names}
    for row in session.execute(
            select(ChoiceOption.list_name, ChoiceOption.code, ChoiceOption.label, ChoiceOption.synonyms,
                   ChoiceOption.urgent)
            .where(ChoiceOption.list_name.in_(list_names), ChoiceOption.active)
            .order_by(ChoiceOption.position, ChoiceOption.id)):
        options[row.list_name].append(row)
    return options


def choice_list(session: Session, list_name: str) -> list[tuple[str, str]]:
    """The active options of a list, in order, as (code, label)."""
    return [(row.code, row.label) for row in active_options(session, list_name)[list_name]]


def choice_options(session: Session, list_name: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """The active options of a list, in order, as (code, label, synonyms): what a typed answer or a
    free-text report is matched against (domain.report_text.Option takes them as they are)."""
    return [(row.code, row.label, tuple(row.synonyms or ())) for row in active_options(session, list_name)[list_name]]


def choice_label(session: Session, list_name: str, code: str | None) -> str | None:
    """The label of an option, retired ones included; the code itself when the option is gone."""
    if code is None:
        return None
    label = session.scalar(select(ChoiceOption.label).where(ChoiceOption.list_name == list_name,
                                                             ChoiceOption.code == code))
    return label or code
