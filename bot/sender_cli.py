"""`flask --app bot sender run`: a process that only delivers messages (Procfile: sender)."""
from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

sender_cli = AppGroup("sender", help="Deliver queued LINE messages (a process type for scaling out).")


@sender_cli.command("run")
def run_sender() -> None:
    """Deliver queued messages until SIGTERM or Ctrl-C. Any number may run beside the web processes."""
    sender = current_app.extensions["sender"]
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    sender.ensure_started()
    click.echo(f"sender: up to {sender.connections} LINE calls in flight, polling every {sender.poll_seconds}s")
    stopping.wait()
    sender.stop()  # finishes the calls under way; rows it claimed but did not start go back after CLAIM_EXPIRES


def init_app(app: Flask) -> None:
    app.cli.add_command(sender_cli)
