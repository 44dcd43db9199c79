"""Who is told at once about a new report on a case: the people who act on it, not everyone who may see it.

An ordinary report goes to the nearest responsible coordinators (the lowest level whose scope covers the
case's area) and the coordinators of the case's owning organisation; the levels above see it in their
daily summary, so a national coordinator is not pushed every report in the country. A report with a
safeguarding reason (Case.urgent) goes to every level of coordinators covering the area but the national
one (which hears only when there is nobody nearer), and to the registered users of the social-development
organisations (พม.) responsible for the area, who act on abuse, child labour and children without a carer.

Every recipient may see the case (domain.access.in_scope): the notice names the child.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.access import (
    COORDINATORS,
    WHOLE_COUNTRY,
    coordinator_levels,
    in_scope,
    nearest_coordinators,
    scope_prefixes,
)
from models import Case, Organisation, User

# Organisation.kind of the provincial offices of social development and human security (พม.).
SOCIAL_DEVELOPMENT = "social_development"


def new_case_recipients(session: Session, case: Case, *, urgent: bool) -> list[User]:
    """The users pushed a new report on `case` at once, each once, in a stable order."""
    if urgent:
        levels = coordinator_levels(session, case.area)
        local = [user for level in levels for user in level if scope_prefixes(user) != WHOLE_COUNTRY]
        coordinators = local or (levels[-1] if levels else [])
        people = [*coordinators, *owning_coordinators(session, case), *social_development_users(session, case)]
    else:
        people = [*nearest_coordinators(session, case.area), *owning_coordinators(session, case)]
    return list({user.id: user for user in people}.values())


def owning_coordinators(session: Session, case: Case) -> list[User]:
    """The coordinators of the organisation that owns the case, those of them who may see it."""
    if case.owner_org_id is None:
        return []
    users = session.scalars(select(User).where(User.organisation_id == case.owner_org_id,
                                               User.role.in_(COORDINATORS), User.following).order_by(User.id))
    return [user for user in users if in_scope(user, case.area)]


def social_development_users(session: Session, case: Case) -> list[User]:
    """The registered users of the พม. organisations one of whose areas covers the case's area (and who
    may see it: a user with a narrower area of their own is not told of a child outside it)."""
    if case.area is None:
        return []
    users = session.scalars(select(User).join(Organisation, User.organisation_id == Organisation.id)
                            .where(Organisation.kind == SOCIAL_DEVELOPMENT, User.following).order_by(User.id))
    return [user for user in users
            if any(case.area.code.startswith(area.code) for area in user.organisation.areas)
            and in_scope(user, case.area)]
