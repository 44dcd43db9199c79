"""`flask --app bot db ...`: bring any database to the current schema with Alembic."""
from __future__ import annotations

import os

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup

from models.database import get_db

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "models", "migrations")


def _run(action, *args, **kwargs) -> None:
    with get_db().engine.begin() as connection:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", MIGRATIONS)
        cfg.attributes["connection"] = connection
        action(cfg, *args, **kwargs)


def upgrade_database(revision: str = "head") -> None:
    _run(command.upgrade, revision)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade_database(revision)
    click.echo(f"database at {revision}: {current_app.config['DATABASE_URL'].split('@')[-1]}")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    _run(command.downgrade, revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    _run(command.revision, message=message, autogenerate=True)


@db_cli.command("current")
def current() -> None:
    """Show the revision the database is at."""
    _run(command.current)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
