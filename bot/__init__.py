"""Flask application factory for the พาน้องกลับมาเรียน LINE bot."""
from __future__ import annotations

from typing import Any

from flask import Flask
from linebot.v3 import WebhookParser

from models.crypto import FieldCipher

from . import config as config_module
from .cli import db_cli, deadline_cli, sender_cli
from .coordinator_cli import COMMANDS as COORDINATOR_COMMANDS
from .db import Database
from .demo import demo_data
from .dispatcher import Dispatcher
from .downloads import DownloadLinks
from .downloads import bp as downloads_bp
from .export import Exporter
from .line_client import LineClient
from .list_cli import list_cli
from .outbox import Sender
from .pacing import QuietHours, RateLimits
from .people_cli import COMMANDS as PEOPLE_COMMANDS
from .photos import PhotoFetcher
from .webhook import bp as webhook_bp


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = config_module.load(config)
    config_module.check_line_channel(settings)
    app = Flask(__name__, instance_relative_config=True, instance_path=settings["INSTANCE_PATH"] or None)
    settings["DATABASE_URL"] = config_module.database_url(settings["DATABASE_URL"], app.instance_path)
    settings["PUBLIC_BASE_URL"] = config_module.public_base_url(settings)
    app.config.from_mapping(settings)
    config_module.configure_logging(app.config["LOG_LEVEL"])

    # handlers and scheduler import bot helpers, so import them once the package is loaded
    from handlers import ROUTES
    from scheduler.cli import scheduler_cli

    cipher = FieldCipher.from_text(config_module.data_encryption_key(app.config, app.instance_path))
    db = Database(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"], cipher)
    links = DownloadLinks(cipher.derive_key("download links"), app.config["PUBLIC_BASE_URL"])
    line = LineClient(app.config["LINE_CHANNEL_ACCESS_TOKEN"], app.config["LINE_API_BASE_URL"],
                      app.config["LINE_TIMEOUT_SECONDS"], pool_size=app.config["SENDER_THREADS"])
    sender = Sender(db, line, app.config["SENDER_THREADS"], app.config["SENDER_POLL_SECONDS"],
                    quiet_hours=QuietHours.parse(app.config["QUIET_HOURS"]),
                    rate_limits=RateLimits({"reply": app.config["LINE_RATE_LIMIT"],
                                            "push": app.config["LINE_RATE_LIMIT"],
                                            "multicast": app.config["LINE_MULTICAST_RATE_LIMIT"]}),
                    prepare=links.expand)
    app.extensions.update(
        db=db,
        line=line,
        webhook_parser=WebhookParser(app.config["LINE_CHANNEL_SECRET"]),
        dispatcher=Dispatcher(ROUTES, db, app.config),
        sender=sender,
        photos=PhotoFetcher(db, line, app.config["SENDER_POLL_SECONDS"]),
        exporter=Exporter(db, sender, app.config["SENDER_POLL_SECONDS"], links),
        download_links=links,
    )
    app.register_blueprint(webhook_bp)
    app.register_blueprint(downloads_bp)
    # Only the scheduler's command: it runs in its own process, when `flask scheduler run` starts it.
    for command in (db_cli, sender_cli, deadline_cli, scheduler_cli, *PEOPLE_COMMANDS, *COORDINATOR_COMMANDS,
                    demo_data, list_cli):
        app.cli.add_command(command)
    if app.config["SIMULATOR"]:
        from .simulator import enable_simulator

        enable_simulator(app)
    return app
