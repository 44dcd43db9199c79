"""`flask --app bot areas|org|invite|users|richmenu ...`: set up places, organisations and people.

Each command runs in one transaction: it changes everything it was asked to, or nothing.
"""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from domain import access, audit, people
from line import richmenu
from models import ORGANISATION_KINDS, ROLES, Area, Organisation, utcnow
from models.database import get_db

areas_cli = AppGroup("areas", help="The province → district → subdistrict → village tree (DOPA codes).")
org_cli = AppGroup("org", help="Organisations (schools, local governments, service area offices, ...).")
invite_cli = AppGroup("invite", help="Invite codes that let people register with a role.")
users_cli = AppGroup("users", help="Registered users: deactivate, re-activate, change role.")
richmenu_cli = AppGroup("richmenu", help="The rich menus shown at the bottom of the chat.")
COMMANDS = (areas_cli, org_cli, invite_cli, users_cli, richmenu_cli)


@areas_cli.command("load")
@click.argument("file", type=click.File("rb"))
def load_areas(file) -> None:
    """Create or rename the areas in FILE, a CSV with columns code,name (UTF-8 or cp874).

    Loading the same file again changes nothing; a file with any wrong line loads nothing.
    """
    try:
        with get_db().transaction() as session:
            result = people.load_areas(session, people.read_area_csv(file.read()))
            audit.record_cli(session, "load", "areas", None, file=file.name, created=result.created,
                             updated=result.updated)
    except people.AreaFileError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"nothing loaded: {len(exc.problems)} problem(s) in {file.name}") from None
    click.echo(f"areas: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")


@areas_cli.command("count")
def count_areas() -> None:
    """How many areas of each level are loaded."""
    with get_db().transaction() as session:
        counts = dict(session.execute(select(Area.level, func.count()).group_by(Area.level)).all())
    for level in ("province", "district", "subdistrict", "village"):
        click.echo(f"{level}: {counts.get(level, 0)}")


@org_cli.command("create")
@click.option("--kind", required=True, type=click.Choice(list(ORGANISATION_KINDS)))
@click.option("--name", required=True)
@click.option("--code", help="Ministry code (school code, local government code); re-running with it updates.")
@click.option("--area", "area_codes", multiple=True, help="DOPA code of an area it covers; repeat for more.")
def create_organisation(kind: str, name: str, code: str | None, area_codes: tuple[str, ...]) -> None:
    """Create (or update, by --code) an organisation and the areas it covers."""
    with get_db().transaction() as session:
        areas = [existing_area(session, c) for c in area_codes]
        try:
            org = people.save_organisation(session, kind, name, code, areas)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        audit.record_cli(session, "save", "organisation", org.id, kind=kind, areas=[a.code for a in areas])
        click.echo(f"organisation {org.id} ({org.code or 'no code'}): {org.name}, "
                   f"{len(areas)} area(s)")


@org_cli.command("list")
def list_organisations() -> None:
    with get_db().transaction() as session:
        for org in session.scalars(select(Organisation).order_by(Organisation.id)):
            codes = ",".join(sorted(a.code for a in org.areas)) or "-"
            click.echo(f"{org.id}\t{org.code or '-'}\t{org.kind}\t{org.name}\t{codes}")


@invite_cli.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--org", "org_key", help="Organisation code or id (required for teachers: their school).")
@click.option("--area", "area_code", help="DOPA code of the area they will cover; default: the organisation's.")
@click.option("--expires-days", default=people.DEFAULT_INVITE_DAYS, show_default=True, type=click.IntRange(1))
@click.option("--uses", default=1, show_default=True, type=click.IntRange(1))
@click.option("--national", is_flag=True, help="A national coordinator: the whole country (no --area).")
def create_invite(role: str, org_key: str | None, area_code: str | None, expires_days: int, uses: int,
                  national: bool) -> None:
    """Print a new invite code for ROLE in ORG (and AREA), or for a national coordinator."""
    with get_db().transaction() as session:
        organisation = None
        if org_key:
            organisation = people.find_organisation(session, org_key)
            if organisation is None:
                raise click.ClickException(f"no organisation with code or id {org_key!r} (see `org list`)")
        area = existing_area(session, area_code) if area_code else None
        try:
            invite = people.create_invite(session, role, organisation, area, now=utcnow(), days=expires_days,
                                          max_uses=uses, national=national)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        scope = access.roots(role, area, organisation, national=national)
        audit.record_cli(session, "create", "invite", invite.id, area_code=area.code if area else None, role=role,
                         uses=uses, scope=list(scope), national=national)
        click.echo(people.format_invite_code(invite.code))
        click.echo(f"{role}, {uses} use(s), expires {invite.expires_at:%Y-%m-%d %H:%M} UTC, "
                   f"scope: {', '.join(scope) if scope != access.WHOLE_COUNTRY else 'whole country'}", err=True)


@users_cli.command("deactivate")
@click.argument("who")
def deactivate_user(who: str) -> None:
    """Take away WHO's access (a LINE user id starting with U, or a phone number)."""
    _set_active(who, False)


@users_cli.command("activate")
@click.argument("who")
def activate_user(who: str) -> None:
    """Give WHO's access back."""
    _set_active(who, True)


def _set_active(who: str, active: bool) -> None:
    with get_db().transaction() as session:
        user = existing_user(session, who)
        richmenu.set_active(session, user, active)
        audit.record_cli(session, "activate" if active else "deactivate", "user", user.id)
        click.echo(f"{'activated' if active else 'deactivated'} user {user.id}")


@users_cli.command("set-role")
@click.argument("who")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--org", "org_key", help="Organisation code or id; default: unchanged.")
@click.option("--area", "area_code", help="DOPA code of their area; 'none' for the organisation's.")
@click.option("--national", is_flag=True, help="A national coordinator: the whole country. Without it, "
                                               "any national grant is taken away.")
def set_role(who: str, role: str, org_key: str | None, area_code: str | None, national: bool) -> None:
    """Change a registered user's role (and organisation, area or national grant); their rich menu follows."""
    if national and role != "coordinator":
        raise click.UsageError("--national is for the coordinator role only (an admin sees the whole country)")
    with get_db().transaction() as session:
        user = existing_user(session, who)
        if user.registered_at is None:
            raise click.ClickException("this user has not registered: send them an invite instead")
        if org_key:
            user.organisation = people.find_organisation(session, org_key)
            if user.organisation is None:
                raise click.ClickException(f"no organisation with code or id {org_key!r}")
        if area_code:
            user.area = None if area_code == "none" else existing_area(session, area_code)
        user.role, user.national_scope = role, national
        richmenu.show_menu(session, user)
        audit.record_cli(session, "set_role", "user", user.id, area_code=user.area.code if user.area else None,
                         role=role, organisation=user.organisation_id, national=national)
        click.echo(f"user {user.id}: {role}, {access.scope_label(user)}")


@richmenu_cli.command("sync")
def sync_rich_menus() -> None:
    """Create or update the rich menus on LINE and link registered users to theirs."""
    with get_db().transaction() as session:
        outcome = richmenu.sync(session, current_app.extensions["line"], current_app.config["LIFF_ID"])
    for name, what in outcome.items():
        click.echo(f"{name}: {what}")


def existing_area(session, code: str) -> Area:
    area = people.find_area(session, code)
    if area is None:
        raise click.ClickException(f"no area with code {code!r} (load them with `areas load`)")
    return area


def existing_user(session, who: str):
    users = people.find_users(session, who)
    if not users:
        raise click.ClickException(f"no user {who!r}")
    if len(users) > 1:
        raise click.ClickException(f"{len(users)} registered users gave the phone {who!r}; name one by its LINE user "
                                   "id: " + ", ".join(u.line_user_id for u in users))
    return users[0]


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
