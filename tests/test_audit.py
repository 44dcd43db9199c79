"""The audit trail records who did what, and cannot be changed afterwards."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from domain import audit
from models import AuditEntry


def test_history_answers_who_looked_at_a_record(db):
    with db.transaction() as session:
        audit.record(session, "view", "case", 7, actor_label="cli:somchai", area_code="400101", source="cli")
        audit.record(session, "view", "case", 8, actor_label="cli:other")
        audit.record(session, "export", "case", 7, actor_label="cli:somchai", rows=1)
    with db.transaction() as session:
        views = audit.history(session, "case", 7, action="view")
        assert [(e.actor_label, e.area_code, e.source) for e in views] == [("cli:somchai", "400101", "cli")]
        assert [e.action for e in audit.history(session, "case", 7)] == ["view", "export"]


@pytest.mark.parametrize("change", [
    update(AuditEntry).values(action="edited"),
    delete(AuditEntry),
])
def test_entries_cannot_be_changed_or_deleted(db, change):
    with db.transaction() as session:
        audit.record(session, "view", "case", 1)
    with pytest.raises(DBAPIError, match="append-only"):
        with db.transaction() as session:
            session.execute(change)
    with db.transaction() as session:
        assert [e.action for e in audit.history(session, "case", 1)] == ["view"]
