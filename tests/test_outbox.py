"""Delivery through LINE's failures: retries, Retry-After, refused reply tokens, long answers."""
from __future__ import annotations

from linebot.v3.messaging import TextMessage
from sqlalchemy import select

from helpers import deliver_queued, wait_for
from line.outbox import queue_messages
from models import OutboxMessage


def queue(app, user_id, count, reply_token=None) -> int:
    with app.extensions["db"].transaction() as session:
        # Users the database does not know, and no child named: not personal (see tests/test_security_at_rest.py).
        row = queue_messages(session, user_id, [TextMessage(text=f"ข้อความ {i}") for i in range(count)], reply_token,
                             personal=False)
        return row.id


def deliver(app, outbox_id):
    """Send what is due now (this row), as the poller would."""
    deliver_queued(app)


def row(app, outbox_id) -> OutboxMessage:
    with app.extensions["db"].transaction() as session:
        return session.scalar(select(OutboxMessage).where(OutboxMessage.id == outbox_id))


def wait_for_status(app, outbox_id, status) -> OutboxMessage:
    """The outbox row, once the sender has brought it to `status`."""
    return wait_for(lambda: (current := row(app, outbox_id)).status == status and current,
                    f"outbox row {outbox_id} to be {status}")


def test_seven_messages_go_as_reply_of_five_then_push_of_two(app, line):
    token = line.issue_reply_token("Ulong")
    deliver(app, queue(app, "Ulong", 7, token))
    assert [len(c.json["messages"]) for c in line.replies()] == [5]
    assert [len(c.json["messages"]) for c in line.pushes()] == [2]
    assert [m["text"] for m in line.messages_to("Ulong")] == [f"ข้อความ {i}" for i in range(7)]


def test_refused_reply_token_falls_back_to_push(app, line):
    outbox_id = queue(app, "Uexpired", 1, "not-a-token-line-issued")
    deliver(app, outbox_id)
    assert [m["text"] for m in line.messages_to("Uexpired")] == ["ข้อความ 0"]
    assert row(app, outbox_id).status == "sent"


def test_server_errors_are_retried_until_delivered_once(app, line):
    line.fail_next(2, status=500)
    outbox_id = queue(app, "Uretry", 1)
    deliver(app, outbox_id)
    with app.extensions["db"].transaction() as session:  # skip the backoff wait
        session.get(OutboxMessage, outbox_id).not_before = row(app, outbox_id).created_at
    sent = wait_for_status(app, outbox_id, "sent")
    assert sent.attempts >= 2
    assert [m["text"] for m in line.messages_to("Uretry")] == ["ข้อความ 0"]


def test_rate_limit_waits_for_retry_after(app, line):
    line.fail_next(1, status=429, retry_after=1)
    outbox_id = queue(app, "Ulimited", 1)
    deliver(app, outbox_id)
    pending = row(app, outbox_id)
    assert pending.status == "pending" and "429" in pending.last_error
    assert 0.5 < (pending.not_before - pending.created_at).total_seconds() < 3
    wait_for_status(app, outbox_id, "sent")
    assert len(line.messages_to("Ulimited")) == 1


def test_client_errors_are_not_retried(app, line):
    line.fail_next(1, status=400)
    outbox_id = queue(app, "Ubad", 1)
    deliver(app, outbox_id)
    failed = row(app, outbox_id)
    assert failed.status == "failed" and "400" in failed.last_error


def test_a_retried_push_is_never_delivered_twice(app, line):
    outbox_id = queue(app, "Udup", 1)
    deliver(app, outbox_id)
    with app.extensions["db"].transaction() as session:  # as if the process died before recording success
        stuck = session.get(OutboxMessage, outbox_id)
        stuck.status, stuck.chunks_sent = "pending", 0
    deliver(app, outbox_id)
    assert row(app, outbox_id).status == "sent"
    assert len(line.messages_to("Udup")) == 1
    assert [c.status for c in line.calls if c.path.endswith("/push")] == [200, 409]


def test_rows_for_one_user_arrive_in_the_order_they_were_queued_across_pollers(app, line, database_url, make_app):
    other_worker = make_app(database_url)
    line.set_latency(0.05)
    try:
        with app.extensions["db"].transaction() as session:
            for i in range(6):
                queue_messages(session, "Uordered", [TextMessage(text=f"ข้อความ {i}")], personal=False)
        for worker in (app, other_worker):
            worker.extensions["sender"].ensure_started()
        deliver_queued(app)
        deliver_queued(other_worker)
    finally:
        line.set_latency(0)
    assert [m["text"] for m in line.messages_to("Uordered")] == [f"ข้อความ {i}" for i in range(6)]
