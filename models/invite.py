"""Invite codes a coordinator hands out: each fixes the role, organisation and area of whoever registers with it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.crypto import EncryptedText
from models.directory import Area, Organisation


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Upper-case letters and digits without look-alikes (see domain.people.new_invite_code), stored
    # encrypted (deterministic, so the lookup and the unique index work): a copy of the database hands
    # out no unused code.
    code: Mapped[str] = mapped_column(EncryptedText("invite_code"), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # None: the organisation's own areas.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # Makes a national coordinator: the one way, with the admin role, to the whole country.
    national_scope: Mapped[bool] = mapped_column(default=False)
    max_uses: Mapped[int] = mapped_column(default=1)
    # Raised by one conditional UPDATE, so two people cannot both take the last use.
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    # None when made with the CLI.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()
    area: Mapped[Area | None] = relationship()


class RichMenu(Base):
    """The LINE rich menu currently shown for one menu name (public, reporter, coordinator)."""

    __tablename__ = "rich_menus"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    line_rich_menu_id: Mapped[str] = mapped_column(String(64))
    # sha256 of the menu definition and its image: sync replaces the menu only when it changed.
    signature: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
