"""The lease that lets only one scheduler process act on SQLite (PostgreSQL uses an advisory lock)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class SchedulerLease(Base):
    """Held by `holder` until `expires_at`; the holder renews it, anyone may take it once it expires."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime]
