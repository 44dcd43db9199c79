"""Flask application factory for the พาน้องกลับมาเรียน LINE bot."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from linebot.v3 import WebhookParser

from . import config as config_module
from .cli import db_cli
from .db import Database
from .dispatcher import Dispatcher
from .downloads import bp as downloads_bp
from .line_client import LineClient
from .list_cli import list_cli
from .outbox import Sender
from .people_cli import COMMANDS as PEOPLE_COMMANDS
from .photos import PhotoFetcher
from .webhook import bp as webhook_bp


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    settings = config_module.load(config)
    settings["DATABASE_URL"] = config_module.database_url(settings["DATABASE_URL"], app.instance_path)
    app.config.from_mapping(settings)
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from handlers import ROUTES  # handlers import bot helpers, so import them once the package is loaded

    db = Database(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"])
    line = LineClient(app.config["LINE_CHANNEL_ACCESS_TOKEN"], app.config["LINE_API_BASE_URL"],
                      app.config["LINE_TIMEOUT_SECONDS"], pool_size=app.config["SENDER_THREADS"])
    app.extensions.update(
        db=db,
        line=line,
        webhook_parser=WebhookParser(app.config["LINE_CHANNEL_SECRET"]),
        dispatcher=Dispatcher(ROUTES, db, app.config),
        sender=Sender(db, line, app.config["SENDER_THREADS"], app.config["SENDER_POLL_SECONDS"]),
        photos=PhotoFetcher(db, line, app.config["SENDER_POLL_SECONDS"]),
    )
    app.register_blueprint(webhook_bp)
    app.register_blueprint(downloads_bp)
    for command in (db_cli, *PEOPLE_COMMANDS, list_cli):
        app.cli.add_command(command)
    if app.config["SIMULATOR"]:
        from .simulator import enable_simulator

        enable_simulator(app)
    return app
