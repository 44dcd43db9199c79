"""Flask application factory for the พาน้องกลับมาเรียน LINE bot.

The app is the top layer: it builds the services the lower layers are handed (the database, the
LINE client, the background senders) and lets each web and command module register itself.
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from linebot.v3 import WebhookParser

from bot import config as config_module
from bot import (
    coordinator_cli,
    dashboard,
    db_cli,
    deadline_cli,
    download_page,
    line_cli,
    list_cli,
    lists_cli,
    people_cli,
    photo_page,
    scheduler_cli,
    sender_cli,
    watch_cli,
    webhook,
)
from chat.dispatcher import Dispatcher
from handlers import ROUTES
from line.class_lists import ClassListReader
from line.client import LineClient
from line.download_links import KEY_PURPOSE, DownloadLinks
from line.export_jobs import Exporter
from line.loading import LoadingAnimation
from line.outbox import Sender
from line.pacing import QuietHours, RateLimits
from line.photos import PhotoFetcher
from models.crypto import FieldCipher
from models.database import Database

# Each registers its blueprint or its command group on the app (the scheduler's command only starts
# the scheduler process, which runs apart from the web workers: Procfile "scheduler").
MODULES = (webhook, download_page, photo_page, dashboard, db_cli, sender_cli, deadline_cli, scheduler_cli, people_cli,
           coordinator_cli, list_cli, lists_cli, line_cli, watch_cli)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = config_module.load(config)
    config_module.check_line_channel(settings)
    app = Flask(__name__, instance_relative_config=True, instance_path=settings["INSTANCE_PATH"] or None)
    settings["DATABASE_URL"] = config_module.database_url(settings["DATABASE_URL"], app.instance_path)
    settings["PUBLIC_BASE_URL"] = config_module.public_base_url(settings)
    app.config.from_mapping(settings)
    config_module.configure_logging(app.config["LOG_LEVEL"])

    cipher = FieldCipher.from_text(config_module.data_encryption_key(app.config, app.instance_path))
    db = Database(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"], cipher)
    links = DownloadLinks(cipher.derive_key(KEY_PURPOSE), app.config["PUBLIC_BASE_URL"])
    line = LineClient(app.config["LINE_CHANNEL_ACCESS_TOKEN"], app.config["LINE_API_BASE_URL"],
                      app.config["LINE_TIMEOUT_SECONDS"])
    sender = Sender(db, line, app.config["SENDER_THREADS"], app.config["SENDER_POLL_SECONDS"],
                    connections=app.config["SENDER_CONNECTIONS"],
                    quiet_hours=QuietHours.parse(app.config["QUIET_HOURS"]),
                    rate_limits=RateLimits({"reply": app.config["LINE_REPLY_RATE_LIMIT"],
                                            "push": app.config["LINE_RATE_LIMIT"],
                                            "multicast": app.config["LINE_MULTICAST_RATE_LIMIT"]}),
                    prepare=links.expand)
    app.extensions.update(
        db=db,
        line=line,
        webhook_parser=WebhookParser(app.config["LINE_CHANNEL_SECRET"]),
        dispatcher=Dispatcher(ROUTES, db, app.config,
                              loading=LoadingAnimation(line, app.config["LOADING_AFTER_SECONDS"])),
        sender=sender,
        photos=PhotoFetcher(db, line, app.config["SENDER_POLL_SECONDS"]),
        class_lists=ClassListReader(db, line, sender, app.config["SENDER_POLL_SECONDS"]),
        exporter=Exporter(db, sender, app.config["SENDER_POLL_SECONDS"], links),
        download_links=links,
    )
    for module in MODULES:
        module.init_app(app)
    return app
