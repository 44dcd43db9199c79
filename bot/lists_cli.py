"""`flask --app bot lists ...`: the coordinators' choice lists (a child's situation, the reason, what they
want, ...), their options, and the synonyms that typed answers and free-text reports are matched by."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from domain import audit
from domain.report_text import compact
from domain.thai import strip_control
from models import ChoiceOption
from models.database import get_db

lists_cli = AppGroup("lists", help="The coordinators' choice lists: options and their synonyms.")

MAX_SYNONYM = 50  # a word or a short phrase: a longer one would never be typed as it is
MAX_SYNONYMS = 100


@lists_cli.command("show")
@click.argument("list_name", required=False)
def show_lists(list_name: str | None) -> None:
    """Every option of LIST_NAME (or of every list): code, label, retired or not, synonyms."""
    with get_db().transaction() as session:
        query = select(ChoiceOption).order_by(ChoiceOption.list_name, ChoiceOption.position, ChoiceOption.id)
        options = session.scalars(query.where(ChoiceOption.list_name == list_name) if list_name else query).all()
        if not options:
            raise click.ClickException(f"no list {list_name!r}" if list_name else "no lists")
        for option in options:
            retired = "" if option.active else " (retired)"
            click.echo(f"{option.list_name}\t{option.code}\t{option.label}{retired}\t{', '.join(option.synonyms)}")


@lists_cli.command("synonyms")
@click.argument("list_name")
@click.argument("code")
@click.option("--add", "added", multiple=True, metavar="WORDS", help="a word or phrase that means this option (repeat)")
@click.option("--remove", "removed", multiple=True, metavar="WORDS", help="a synonym to take away (repeat)")
def set_synonyms(list_name: str, code: str, added: tuple[str, ...], removed: tuple[str, ...]) -> None:
    """The synonyms of option CODE of LIST_NAME, e.g. `lists synonyms reason poverty --add "ไม่มีค่าเทอม"`;
    without --add or --remove, only shows them. Spaces, dots and case do not matter when matching, so a
    word that differs from a synonym or the label only by those is already there."""
    with get_db().transaction() as session:
        option = session.scalar(select(ChoiceOption).where(ChoiceOption.list_name == list_name,
                                                           ChoiceOption.code == code))
        if option is None:
            raise click.ClickException(f"no option {code!r} in list {list_name!r} (see `lists show`)")
        words, new = list(option.synonyms), []
        for word in (" ".join(strip_control(w).split()) for w in added):
            if not 2 <= len(word) <= MAX_SYNONYM or len(compact(word)) < 2:
                raise click.BadParameter(f"{word!r}: 2 to {MAX_SYNONYM} characters", param_hint="--add")
            known = {compact(w) for w in (option.label, *words)}
            if compact(word) in known:
                click.echo(f"already there: {word}")
            else:
                words.append(word)
                new.append(word)
        for word in removed:
            kept = [w for w in words if compact(w) != compact(word)]
            if len(kept) == len(words):
                raise click.BadParameter(f"{word!r} is not a synonym of {code}", param_hint="--remove")
            words = kept
        if len(words) > MAX_SYNONYMS:
            raise click.BadParameter(f"at most {MAX_SYNONYMS} synonyms an option", param_hint="--add")
        if words != option.synonyms:
            option.synonyms = words  # a new list, so that SQLAlchemy sees the JSON column change
            audit.record_cli(session, "set_synonyms", "choice_option", option.id, list_name=list_name, code=code,
                             added=new, removed=list(removed))
        click.echo(f"{list_name} {code} ({option.label}): {', '.join(words) or 'no synonyms'}")


def init_app(app: Flask) -> None:
    app.cli.add_command(lists_cli)
