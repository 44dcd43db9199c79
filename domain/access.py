"""Who may do what, for which place: the one check every handler goes through.

A user's scope is a set of area subtrees (area codes nest: a subdistrict's code starts with its
district's, so a subtree is every code that starts with its root's code):
- the subtree of their own area when they have one (a village head, a district coordinator);
- otherwise the union of their organisation's areas (an สพป. covering several districts, a
  school's catchment subdistricts);
- the whole country only by an explicit grant: the admin role, or a coordinator made national
  (`national_scope`, from a national invite or `users set-role --national`);
- otherwise nothing. Missing data (no area, no organisation, an organisation without areas) never
  widens a scope: it gives nothing.

Watched students (models.watch) follow the same scopes, narrowed for a school's own people to that
school (watch_filter, student_refusal).

Handlers use `@requires(*roles)` (chat.menus: it answers with the refusal and the menu) to refuse users without
the role, and `visible_area_filter(user)`
or `in_scope(user, area)` to see only their own places. Nothing else decides access.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, bindparam, false, or_, select, true
from sqlalchemy.orm import Session

from domain.menu_labels import MENU_REGISTER
from models import ROLES, Area, Case, Organisation, User, WatchStudent

# Every registered role reports children found and checks in those listed.
REPORTERS = ROLES
# Those who may refer a child, record them back in school and answer the follow-up questions:
# teachers and coordinators, not the village heads and local officers who report.
REFERRERS = ("teacher", "coordinator", "admin")
# Those who manage an area: its summary, exports, deadlines, invites, closing cases.
COORDINATORS = ("coordinator", "admin")
# Those who keep a school's watch list of students at risk: its teachers, and coordinators.
WATCHERS = ("teacher", "coordinator", "admin")
# The organisations whose people see the watch lists of their scope besides a school's own: the
# education offices that run the student care system, and the district, province and ministry. The
# agencies a child is referred to (สกร., colleges, พม., health) and local governments see cases, not
# the students still in class.
WATCH_OFFICES = ("primary_service_area", "secondary_service_area", "district_office", "province_office",
                 "ministry")
# A pseudo-role for `refusal` and a flow's roles: a LINE user who has not registered (yet).
UNREGISTERED = "unregistered"
# The roles of a flow open to everyone who follows the bot (registration); deactivated users are still refused.
ANYONE = (UNREGISTERED, *REPORTERS)

NOT_REGISTERED = ("ขออภัยค่ะ เมนูนี้สำหรับผู้ที่ลงทะเบียนแล้วเท่านั้น "
                  f"กรุณาพิมพ์ \"{MENU_REGISTER}\" แล้วกรอกรหัสเชิญที่ได้รับจากผู้ประสานงานในพื้นที่ของท่าน")
NOT_ALLOWED = "ขออภัยค่ะ บทบาทของท่านไม่มีสิทธิ์ใช้เมนูนี้"
DEACTIVATED = "บัญชีของท่านถูกระงับการใช้งานโดยผู้ประสานงาน หากคิดว่าเป็นความผิดพลาด กรุณาติดต่อผู้ประสานงานในพื้นที่"
NO_SCOPE = ("ขออภัยค่ะ บัญชีของท่านยังไม่ได้กำหนดพื้นที่รับผิดชอบ จึงยังไม่เห็นข้อมูลเด็กในพื้นที่ใด "
            "กรุณาติดต่อผู้ประสานงานหรือผู้ดูแลระบบ")
OUT_OF_SCOPE = ("ขออภัยค่ะ ข้อมูลนี้อยู่นอกพื้นที่ที่ท่านรับผิดชอบ จึงไม่สามารถแสดงได้ "
                "หากต้องการสิทธิ์เพิ่ม กรุณาติดต่อผู้ประสานงานของท่าน")

# The scope of an admin or a national coordinator: every code starts with "".
WHOLE_COUNTRY = ("",)


def is_registered(user: User | None) -> bool:
    return user is not None and user.role is not None and user.registered_at is not None


def may_receive_personal(user: User | None) -> bool:
    """May messages naming a child go to this user: registered and not deactivated (checked again
    when the sender sends, so a user deactivated after the message was queued gets nothing)."""
    return is_registered(user) and user.active


def refusal(user: User | None, roles: tuple[str, ...]) -> str | None:
    """The Thai reason this user may not act in one of `roles`, or None when they may."""
    if user is not None and not user.active:
        return DEACTIVATED
    if not is_registered(user):
        return None if UNREGISTERED in roles else NOT_REGISTERED
    if user.role not in roles:
        return NOT_ALLOWED
    return None


def scope_prefixes(user: User | None) -> tuple[str, ...]:
    """The area-code prefixes of everything this user may see; () is nothing, ("",) everything."""
    if not is_registered(user) or not user.active:
        return ()
    return roots(user.role, user.area, user.organisation, national=user.national_scope)


def roots(role: str | None, area: Area | None, organisation: Organisation | None, *,
          national: bool = False) -> tuple[str, ...]:
    """The area roots a user with this role, area, organisation and national grant has (or an invite
    would give). Only the admin role and a coordinator's explicit national grant give the whole country."""
    if role == "admin" or (national and role == "coordinator"):
        return WHOLE_COUNTRY
    if area is not None:
        return (area.code,)
    if organisation is not None:
        return organisation_roots(organisation)
    return ()


def organisation_roots(organisation: Organisation) -> tuple[str, ...]:
    """The roots of an organisation's areas; () for one without areas (which gives nothing)."""
    return _outermost(a.code for a in organisation.areas)


def _outermost(codes) -> tuple[str, ...]:
    """Drop codes inside another code of the set: a district already covers its subdistricts."""
    kept: list[str] = []
    for code in sorted(set(codes), key=len):
        if not any(code.startswith(root) for root in kept):
            kept.append(code)
    return tuple(sorted(kept))


def code_in_scope(prefixes: tuple[str, ...], code: str) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


def in_scope(user: User | None, area: Area | None) -> bool:
    """May this user see things located in `area`? Things with no area are national: only for national scope."""
    return code_visible(user, area.code if area is not None else None)


def code_visible(user: User | None, code: str | None) -> bool:
    """in_scope for an area known by its code alone (a case's area_code), None for no area."""
    prefixes = scope_prefixes(user)
    if code is None:
        return prefixes == WHOLE_COUNTRY
    return code_in_scope(prefixes, code)


def area_refusal(user: User | None, area: Area | None) -> str | None:
    """The Thai reason this user may not see or act on things in `area`, or None when they may.

    For a handler about one thing (a case, a child): `if reason := access.area_refusal(ctx.user, area): ...`.
    """
    return refusal(user, REPORTERS) or (None if in_scope(user, area) else OUT_OF_SCOPE)


def visible_area_filter(user: User | None, code_column=Area.code) -> ColumnElement[bool]:
    """A WHERE condition on an area-code column keeping only rows this user may see.

    Join your table to Area and pass the result to .where(): for example
    `select(Case).join(Area, Case.area_id == Area.id).where(visible_area_filter(user))`.
    """
    return prefix_filter(scope_prefixes(user), code_column)


def prefix_filter(prefixes: tuple[str, ...], code_column=Area.code) -> ColumnElement[bool]:
    """A WHERE condition keeping codes under any of `prefixes`: ("",) keeps all (even none), () nothing."""
    if prefixes == WHOLE_COUNTRY:
        return true()
    if not prefixes:
        return false()
    # The prefix is written into the SQL (quoted by SQLAlchemy), not sent as a parameter: PostgreSQL
    # uses an index for LIKE only when it sees the pattern, and a prepared statement's generic plan
    # would not.
    return or_(*(code_column.startswith(bindparam(None, prefix, literal_execute=True)) for prefix in prefixes))


def own_school(user: User | None) -> Organisation | None:
    """The school a teacher or a school's coordinator belongs to, or None (an area office, a village head)."""
    organisation = user.organisation if user is not None else None
    return organisation if organisation is not None and organisation.kind == "school" else None


def class_list_school(user: User | None) -> Organisation | None:
    """The school whose class list this user may send in the chat: their own, for an active teacher or
    coordinator of a school; None for anyone else (an admin or an area office imports with the CLI)."""
    return own_school(user) if refusal(user, ("teacher", "coordinator")) is None else None


def watch_filter(user: User | None) -> ColumnElement[bool]:
    """A WHERE condition on watch_students (joined to Area on its area_id) keeping the students this user
    may see: none for those who are not WATCHERS; a school's own teachers and coordinator that school's
    students (whatever area their invite gave them, and never another school's in the same area);
    everyone else their scope's."""
    if refusal(user, WATCHERS):
        return false()
    school = own_school(user)
    if school is not None and user.role != "admin":
        return WatchStudent.school_id == school.id
    return visible_area_filter(user) if watches_area(user) else false()


def student_refusal(user: User | None, student: WatchStudent) -> str | None:
    """The Thai reason this user may not see or act on a watched student, or None when they may (the
    same rule as watch_filter, for one student)."""
    return refusal(user, WATCHERS) or (None if _keeps_list(user, student.school_id, student.area) else OUT_OF_SCOPE)


def sees_watch_lists(user: User | None) -> bool:
    """Has this user any watch list to see: a school's own people, and the watchers of a WATCH_OFFICE or
    of no organisation (not an agency's: their menus leave the watch list out)."""
    return refusal(user, WATCHERS) is None and (own_school(user) is not None or watches_area(user))


def keeps_watch_list(user: User | None, school: Organisation, area: Area | None) -> bool:
    """May this user put students on `school`'s watch list, whose students are scoped by `area`
    (domain.watch.school_area)? Whoever would then see them (student_refusal): adding a student already
    on the list shows their card."""
    return refusal(user, WATCHERS) is None and _keeps_list(user, school.id, area)


def _keeps_list(user: User, school_id: int, area: Area | None) -> bool:
    school = own_school(user)
    if school is not None and user.role != "admin":
        return school_id == school.id
    return watches_area(user) and in_scope(user, area)


def watches_area(user: User) -> bool:
    """Does this watcher see their scope's watch lists: the admin, and those of no organisation or of a
    WATCH_OFFICE (not a school's own people: they see their school's)."""
    return user.role == "admin" or user.organisation is None or user.organisation.kind in WATCH_OFFICES


def sees_case_details(user: User | None, case: Case) -> bool:
    """Beyond the child and the address, may this user (whose scope holds the case) see the family's
    name and phone, the reporter, the owner and the timeline with its notes? Those who act on cases
    (REFERRERS), the case's owner and its own reporter; a village head who only visits the family does not."""
    return user is not None and (user.role in REFERRERS or user.id in (case.owner_id, case.reporter_id))


def sees_national_ids(user: User | None) -> bool:
    """May this user get children's national IDs in full (in an export)? Admins, and coordinators whose
    whole scope is a province or wider: those who compile the province's report for the ministry.
    Everyone else, district and organisation coordinators included, gets them masked, as in chat."""
    if refusal(user, COORDINATORS):
        return False
    prefixes = scope_prefixes(user)  # () is no scope at all, not "nothing narrower than a province"
    return bool(prefixes) and all(len(prefix) <= 2 for prefix in prefixes)


def covers(actor: User | None, theirs: tuple[str, ...]) -> bool:
    """Do all of `theirs` (roots from `roots()`) lie inside the scope of `actor`, an active coordinator?

    A coordinator may manage a user, or hand out an invite, only for places inside their own scope.
    """
    if refusal(actor, COORDINATORS):
        return False
    mine = scope_prefixes(actor)
    return bool(theirs) and all(code_in_scope(mine, prefix) for prefix in theirs)


def may_invite(actor: User | None, role: str, area: Area | None, organisation: Organisation | None, *,
               national: bool = False) -> bool:
    """May coordinator `actor` hand out an invite for this role, area, organisation and grant? The scope it
    gives, and every area of its organisation (whose users receive that organisation's referrals), must
    lie inside the actor's own scope."""
    return (covers(actor, roots(role, area, organisation, national=national))
            and (organisation is None or covers(actor, organisation_roots(organisation))))


def manages(actor: User | None, user: User) -> bool:
    """May coordinator `actor` deactivate `user`: is all of the user's scope inside the actor's?"""
    return covers(actor, roots(user.role, user.area, user.organisation, national=user.national_scope))


def scope_label(user: User) -> str:
    """The user's scope in Thai words, for confirmations and summaries."""
    return scope_label_for(user.role, user.area, user.organisation, national=user.national_scope)


def scope_label_for(role: str | None, area: Area | None, organisation: Organisation | None, *,
                    national: bool = False) -> str:
    """In Thai words, the scope `roots(role, area, organisation, national=national)` gives."""
    prefixes = roots(role, area, organisation, national=national)
    if prefixes == WHOLE_COUNTRY:
        return "ทั้งประเทศ"
    if area is not None:
        return area_label(area)
    if prefixes:
        return "พื้นที่ของ" + organisation.name
    return "ยังไม่ได้กำหนดพื้นที่"


LEVEL_PREFIX = {"province": "จังหวัด", "district": "อำเภอ", "subdistrict": "ตำบล", "village": ""}


def area_label(area: Area) -> str:
    """"ตำบลสำราญ อำเภอเมืองขอนแก่น จังหวัดขอนแก่น": the area and its parents, as Thai addresses read."""
    parts = []
    while area is not None:
        parts.append(LEVEL_PREFIX.get(area.level, "") + area.name)
        area = area.parent
    return " ".join(parts)


def coordinators_covering(session: Session, area: Area | None) -> list[User]:
    """The active coordinators and admins who may see `area`: national ones, and those of the area
    itself or any area above it (whose codes are its code's prefixes)."""
    prefixes = [] if area is None else [area.code[:n] for n in range(2, len(area.code) + 1, 2)]
    candidates = session.scalars(
        select(User).outerjoin(User.area)
        .where(User.role.in_(COORDINATORS), User.following,
               or_(User.area_id.is_(None), User.role == "admin", User.national_scope, Area.code.in_(prefixes)))
        .order_by(User.id)
    )
    return [user for user in candidates if in_scope(user, area)]


def coordinator_levels(session: Session, area: Area | None) -> list[list[User]]:
    """The coordinators who may see `area`, nearest first, grouped by level: those whose narrowest
    root covering the area is longest (a subdistrict's, then a district's, a province's), then the
    national ones (a national grant, admins). A notice goes to the first group; escalation goes one
    group up."""
    by_depth: dict[int, list[User]] = {}
    for user in coordinators_covering(session, area):
        prefixes = scope_prefixes(user)
        depth = -1 if prefixes == WHOLE_COUNTRY or area is None else \
            max(len(prefix) for prefix in prefixes if area.code.startswith(prefix))
        by_depth.setdefault(depth, []).append(user)
    return [by_depth[depth] for depth in sorted(by_depth, reverse=True)]


def nearest_coordinators(session: Session, area: Area | None) -> list[User]:
    """The lowest level of coordinators whose scope covers `area` (national ones only when nobody nearer)."""
    levels = coordinator_levels(session, area)
    return levels[0] if levels else []
