"""Report exports a coordinator asked for in chat, made in the background (line/export_jobs.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, WorkQueue


class ExportJob(WorkQueue, Base):
    """One requested file: pending -> exporting -> done | failed. The file itself goes to a download link."""

    __tablename__ = "export_jobs"
    __table_args__ = (Index("ix_export_jobs_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The area asked for (from the summary card); None: the user's whole scope.
    area_code: Mapped[str | None] = mapped_column(String(8))
    format: Mapped[str] = mapped_column(String(8))  # xlsx | csv
    rows: Mapped[int | None]
    finished_at: Mapped[datetime | None]
