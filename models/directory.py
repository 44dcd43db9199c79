"""Who uses the bot, for which place: areas, organisations, users and their roles."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.crypto import EncryptedText, SealedText

# Area levels, top down. Codes follow the Ministry of Interior (DOPA): province 2 digits,
# district 4, subdistrict 6, village 8, each starting with its parent's code, so a
# subtree is every code that starts with the root's code.
AREA_LEVELS = ("province", "district", "subdistrict", "village")

ROLES = ("reporter", "teacher", "coordinator", "admin")

ORGANISATION_KINDS = {
    "local_government": "องค์กรปกครองส่วนท้องถิ่น (เทศบาล/อบต.)",
    "school": "โรงเรียน",
    "primary_service_area": "สำนักงานเขตพื้นที่การศึกษาประถมศึกษา (สพป.)",
    "secondary_service_area": "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา (สพม.)",
    "learning_promotion": "สำนักงานส่งเสริมการเรียนรู้ (สกร./กศน.)",
    "vocational_college": "วิทยาลัยอาชีวศึกษา",
    "social_development": "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์ (พม.)",
    "health": "หน่วยงานสาธารณสุข",
    "district_office": "ที่ว่าการอำเภอ",
    "province_office": "ศาลากลางจังหวัด / ศึกษาธิการจังหวัด",
    "ministry": "กระทรวง",
}


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id])


organisation_areas = Table(
    "organisation_areas",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    # Ministry code where one exists (school code, local government code, ...).
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The areas it is responsible for (an อบต. its subdistrict, a สพป. several districts).
    areas: Mapped[list[Area]] = relationship(secondary=organisation_areas)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    # False after an unfollow (block): kept for the audit trail, never pushed to.
    following: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    unfollowed_at: Mapped[datetime | None]

    # Set by registration; a user with no role sees only public information.
    role: Mapped[str | None] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The root of what they may see; None: their organisation's areas (see domain.access.roots).
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # A coordinator who sees the whole country: only ever an explicit grant, never missing data.
    national_scope: Mapped[bool] = mapped_column(default=False)
    # A coordinator who owns prevention for their scope (an area office's officer for the student care
    # system): told when a watched student is raised (domain.watch). Set with `flask watch owner`.
    owns_prevention: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Encrypted at rest: the name with a random nonce; the phone deterministically, as people.find_user
    # looks users up by it with ==.
    real_name: Mapped[str | None] = mapped_column(SealedText("user_name", 200))
    phone: Mapped[str | None] = mapped_column(EncryptedText("user_phone"))
    pdpa_accepted_at: Mapped[datetime | None]
    registered_at: Mapped[datetime | None]
    # A coordinator can deactivate a user in their scope; unlike unfollow, this removes access.
    active: Mapped[bool] = mapped_column(default=True)
    # The invite they registered with: who let them in, for the audit trail.
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id", use_alter=True, ondelete="SET NULL"))

    organisation: Mapped[Organisation | None] = relationship()
    area: Mapped[Area | None] = relationship()
