"""Faults on a deadline day: LINE failing or hanging, a worker killed mid-conversation, the database
dropping its connections or going away for a moment. Nothing may be lost or done twice."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import psycopg
import pytest
from linebot.v3.messaging import TextMessage
from sqlalchemy import func, select, update

from bench.common import Gunicorn, venv_env
from domain.menu_labels import MENU_ABOUT, MENU_HELP
from handlers import welcome
from helpers import SECRET, TOKEN, wait_for
from line.outbox import queue_messages
from models import InboundEvent, OutboxMessage, utcnow

# What each of these user texts is answered with.
ANSWERS = {"สวัสดี": welcome.WELCOME, MENU_HELP: welcome.HELP, MENU_ABOUT: welcome.ABOUT,
           "มีเด็กไม่ได้ไปโรงเรียนค่ะ": welcome.NOT_UNDERSTOOD}


def needs_postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server connections to lose")


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def drain_outbox(db) -> None:
    """Wait until every outbox row is sent or failed; retries are made due at once (time passes)."""

    def drained() -> bool:
        with db.transaction() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                            .values(not_before=utcnow()))
            return not session.scalar(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.status.in_(("pending", "sending"))))

    wait_for(drained, "every outbox row to be sent or failed", timeout=30)


def received_texts(line, user_id) -> Counter:
    return Counter(m["text"] for m in line.messages_to(user_id))


def test_line_failing_and_hanging_for_a_while_loses_nothing_and_delivers_once(app, db, line, new_chat):
    chats = [new_chat() for _ in range(5)]
    line.fail_next(4, status=500)
    line.fail_next(3, status=429, retry_after=1)
    # Longer than LINE_TIMEOUT_SECONDS: LINE takes the call but the bot never hears back.
    line.hang_next(4, 3.0)
    for chat in chats:
        for said in ("สวัสดี", MENU_HELP):
            assert chat.post(line.text_event(chat.user_id, said)).status_code == 200
    with db.transaction() as session:  # notices to other users go by push, with a retry key
        for chat in chats:
            queue_messages(session, chat.user_id, [TextMessage(text="แจ้งเตือนจากผู้ประสานงาน")], personal=False)
    app.extensions["sender"].poll_seconds = 0.05
    drain_outbox(db)
    for chat in chats:
        assert received_texts(line, chat.user_id) == Counter(
            [welcome.WELCOME, welcome.HELP, "แจ้งเตือนจากผู้ประสานงาน"]), chat.user_id
    assert count(db, OutboxMessage, OutboxMessage.status != "sent") == 0
    assert not line.pushes() or all(c.json["messages"][0]["text"] == "แจ้งเตือนจากผู้ประสานงาน"
                                    for c in line.pushes())


def test_reply_that_timed_out_after_line_took_it_is_not_pushed_again(app, db, line, chat):
    line.hang_next(1, 3.0, paths="/reply")
    assert chat.post(line.text_event(chat.user_id, "สวัสดี")).status_code == 200
    drain_outbox(db)
    assert [m["text"] for m in line.messages_to(chat.user_id)] == [welcome.WELCOME]
    assert line.pushes() == []


# --------------------------------------------------------------------- a worker killed under load

def post(port: int, body: bytes, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/callback", body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def deliver_like_line(line, port: int, event: dict) -> None:
    """POST one event until it is answered 200, redelivering it as LINE does after a failure."""
    body, headers = line.webhook_request([event])
    for _ in range(50):
        try:
            if post(port, body, headers) == 200:
                return
        except OSError:
            pass  # the worker died with the connection open
        time.sleep(0.2)
        body, headers = line.webhook_request([line.redelivered(event)])
    raise AssertionError("event never accepted")


def test_worker_killed_mid_conversation_loses_nothing_and_the_conversation_goes_on(
        database_url, app, db, line, line_server, tmp_path):
    needs_postgres(database_url)
    env = venv_env(DATABASE_URL=database_url, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                   LINE_API_BASE_URL=line_server[1], SENDER_POLL_SECONDS="0.2", LOG_LEVEL="WARNING",
                   DATABASE_POOL_SIZE="10")  # other test runs share the server's max_connections
    line.set_latency(0.05)  # deliveries are in flight when the worker dies
    users = [f"Ukilled{i:02d}" for i in range(10)]
    texts = list(ANSWERS)
    sent: dict[str, list[str]] = {u: [] for u in users}
    web = Gunicorn(env, log_path=tmp_path / "gunicorn.log").start()
    try:
        def converse(user: str) -> None:
            for i in range(12):
                said = texts[i % len(texts)]
                deliver_like_line(line, web.port, line.text_event(user, said))
                sent[user].append(said)

        threads = [threading.Thread(target=converse, args=(u,)) for u in users]
        for t in threads:
            t.start()
        time.sleep(1.0)
        os.kill(web.worker_pids()[0], signal.SIGKILL)
        for t in threads:
            t.join(60)
        # The live worker finishes its sends within seconds; what stays claimed longer, the dead
        # worker had claimed. Those wait CLAIM_EXPIRES (5 min) for a poller: let that time pass.
        settled = lambda: count(db, OutboxMessage, OutboxMessage.status == "pending") + count(  # noqa: E731
            db, OutboxMessage, OutboxMessage.status == "sending",
            OutboxMessage.claimed_at > utcnow() - timedelta(seconds=3))
        wait_for(lambda: settled() == 0, "the live worker's sends to finish", timeout=30)
        with db.transaction() as session:
            orphans = session.execute(update(OutboxMessage).where(OutboxMessage.status == "sending")
                                      .values(claimed_at=utcnow() - timedelta(hours=1))).rowcount
        wait_for(lambda: count(db, OutboxMessage, OutboxMessage.status != "sent") == 0,
                 "the dead worker's rows to be sent", timeout=30)
        for user in users:  # the conversation goes on, on whichever worker
            deliver_like_line(line, web.port, line.text_event(user, "สวัสดี"))
            sent[user].append("สวัสดี")
        wait_for(lambda: count(db, OutboxMessage, OutboxMessage.status != "sent") == 0,
                 "every answer of the conversation going on to be sent", timeout=30)
    finally:
        web.stop()
        line.set_latency(0)
    events = sum(len(s) for s in sent.values())
    assert count(db, InboundEvent) == events, "an event was lost or recorded twice"
    # Each text event commits its reply with it: no event without its answer, no answer without its event.
    assert count(db, OutboxMessage) == events
    assert count(db, OutboxMessage, OutboxMessage.status != "sent") == 0
    duplicates = 0
    for user in users:
        expected = Counter(ANSWERS[s] for s in sent[user])
        got = received_texts(line, user)
        assert not expected - got, f"{user} never received {expected - got}"
        duplicates += sum((got - expected).values())
    # Only a message LINE took just before its worker died can arrive twice.
    assert duplicates <= orphans


# ---------------------------------------------------------------- the database goes away and back

class TcpProxy:
    """A loopback TCP forwarder in front of PostgreSQL that can be cut and restored."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            src.close()  # each socket is the source of exactly one pipe

    def cut(self) -> None:
        self.up = False
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.open.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_terminated_database_connections_are_replaced_without_losing_an_event(database_url, db, chat, line):
    needs_postgres(database_url)
    assert chat.says("สวัสดี")  # the pool now holds connections
    with psycopg.connect(database_url, autocommit=True) as admin:
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]
    assert killed >= 1
    assert [m["text"] for m in chat.says(MENU_HELP)] == [welcome.HELP]
    assert count(db, InboundEvent) == 2


def test_database_away_for_a_moment_gets_503_then_each_redelivery_is_handled_once(
        database_url, db, line, make_app, caplog):
    needs_postgres(database_url)
    real = urlsplit(database_url)
    proxy = TcpProxy(real.hostname, real.port or 5432)
    try:
        app = make_app(real._replace(netloc=f"{real.username}@127.0.0.1:{proxy.port}").geturl())
        client = app.test_client()
        first = line.text_event("Udbaway", "สวัสดี")
        second = line.text_event("Udbaway", MENU_HELP)

        def deliver(*events):
            body, headers = line.webhook_request(list(events))
            status = client.post("/callback", data=body, headers=headers).status_code
            app.extensions["sender"].wait_idle(10)
            return status

        assert deliver(first) == 200
        proxy.cut()
        assert deliver(line.redelivered(first), second) == 503  # LINE will redeliver both
        assert deliver(line.redelivered(second)) == 503
        assert count(db, InboundEvent) == 1
        proxy.restore()
        assert deliver(line.redelivered(first), line.redelivered(second)) == 200
        assert deliver(line.redelivered(second)) == 200
    finally:
        proxy.close()
    drain_outbox(db)
    assert count(db, InboundEvent) == 2
    assert [m["text"] for m in line.messages_to("Udbaway")] == [welcome.WELCOME, welcome.HELP]
