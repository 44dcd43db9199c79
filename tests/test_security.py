"""Security checks: how the signature is compared, what it covers, what is off in production,
and what never reaches the logs."""
from __future__ import annotations

import hmac
import json
import logging
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import config as config_module
from domain.menu_labels import MENU_REPORT_CHILD
from helpers import SECRET, TOKEN
from models import Case, ExportJob, InboundEvent

ROOT = Path(__file__).resolve().parent.parent


def test_signature_is_compared_in_constant_time(client, line, monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    body, headers = line.webhook_request([line.text_event("Uconstant", "สวัสดี")])
    assert client.post("/callback", data=body, headers=headers).status_code == 200
    headers["X-Line-Signature"] = line.signature(b"another body")
    assert client.post("/callback", data=body, headers=headers).status_code == 400
    assert len(compared) == 2, "the SDK's validator should compare with hmac.compare_digest"


@pytest.mark.parametrize("reserialise", [
    lambda obj: json.dumps(obj, ensure_ascii=True, separators=(",", ":")),  # \u0e2a instead of สวัสดี
    lambda obj: json.dumps(obj, ensure_ascii=False),  # spaces after , and :
    lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
], ids=["ascii-escaped", "spaced", "keys-sorted"])
def test_signature_covers_the_raw_body_not_its_meaning(client, line, db, reserialise):
    body, headers = line.webhook_request([line.text_event("Urawbody", "สวัสดี")])
    same_meaning = reserialise(json.loads(body)).encode()
    assert same_meaning != body and json.loads(same_meaning) == json.loads(body)
    assert client.post("/callback", data=same_meaning, headers=headers).status_code == 400
    with db.transaction() as session:
        assert session.query(InboundEvent).count() == 0


@pytest.mark.parametrize("path", ["/simulator", "/simulator/", "/fake-line/v2/bot/message/reply",
                                  "/fake-line/v2/bot/info"])
def test_simulator_and_fake_line_are_off_unless_enabled(client, path):
    assert client.get(path).status_code == 404
    assert client.post(path, json={}).status_code == 404


def test_simulator_is_off_by_default_and_never_in_the_procfile():
    assert config_module.load(environ={})["SIMULATOR"] is False
    assert config_module.load(environ={"SIMULATOR": "0"})["SIMULATOR"] is False
    procfile = (ROOT / "Procfile").read_text()
    assert "SIMULATOR" not in procfile and "fake" not in procfile.lower() and "run-local" not in procfile


def test_a_conversation_leaves_no_secret_or_personal_data_in_the_logs(app, chat, line, caplog):
    said = "ลูกบ้านชื่อ ด.ช.สมศักดิ์ รักเรียน เลขบัตร 1101700230705 โทร 0812345678"
    with caplog.at_level(logging.DEBUG):
        chat.follows()
        chat.says("สวัสดี")
        line.fail_next(1, status=500)  # a retry is logged, with LINE's error
        chat.says(said)
        chat.taps("action=report&name=สมศักดิ์")
        chat.shares_location(16.44, 102.83, address="บ้านเลขที่ 9 หมู่ 1")
        body, headers = line.webhook_request([line.text_event(chat.user_id, said)])
        headers["X-Line-Signature"] = line.signature(b"forged")
        app.test_client().post("/callback", data=body, headers=headers)  # refused, and logged
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "retry in" in caplog.text and "signature" in caplog.text, "the failure paths were not exercised"
    for secret in (SECRET, TOKEN, chat.user_id, said, "สมศักดิ์", "1101700230705", "0812345678", "บ้านเลขที่"):
        assert secret not in logged, f"{secret!r} appears in the log"


def test_a_report_a_check_in_and_an_export_leave_no_child_in_the_logs(chat, new_chat, registered, make_case, db,
                                                                       caplog, run_exports):
    reporter = registered(chat, "reporter", "400102", real_name="ประยูร มั่นคง", phone="0898765432")
    coordinator = registered(new_chat(), "coordinator", "4001", real_name="วิไล ดีงาม", phone="0861112222")
    listed = make_case("40010201", "to_find", first_name="บุญมี", last_name="ศรีสุข", national_id="3100500123458")
    with ExitStack() as stack:
        for ours in ("bot", "handlers", "models", "scheduler"):
            stack.enter_context(caplog.at_level(logging.DEBUG, logger=ours))
        # SQLAlchemy's statement log too: the values are hidden (hide_parameters).
        stack.enter_context(caplog.at_level(logging.INFO, logger="sqlalchemy.engine"))
        reporter.says(MENU_REPORT_CHILD)
        for said in ("ด.ช. สมศักดิ์ เพียรดี", "1101700230708", "อายุ 12", "บ้านสำราญ หมู่ที่ 1", "45 หมู่ 1",
                     "อยู่บ้าน ไม่ได้เรียน", "บ้านไกล/เดินทางลำบาก", "กลับเข้าโรงเรียน",
                     "นางสมศรี เพียรดี 081-234-5678", "ไม่มีรูป", "ยืนยัน"):
            reporter.says(said)
        reporter.taps(f"action=checkin&case={listed}")
        for said in ("ไม่พบตัว", "บ้านปิด บุญมีไปทำงานต่างจังหวัด", "ข้าม", "ไม่มีรูป"):
            reporter.says(said)
        coordinator.taps("action=export&format=xlsx")
        run_exports()
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Case).where(Case.first_name == "สมศักดิ์")) == 1
        assert session.scalar(select(func.count()).select_from(ExportJob).where(ExportJob.status == "done")) == 1
    assert "SQL parameters hidden" in caplog.text, "the statement log was not exercised"
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for personal in ("สมศักดิ์", "เพียรดี", "บุญมี", "ศรีสุข", "สมศรี", "1101700230708", "3100500123458", "0812345678",
                     "081-234-5678", "ประยูร", "0898765432", "วิไล", "0861112222", "บ้านปิด", "45 หมู่ 1"):
        assert personal not in logged, f"{personal!r} appears in the log"


def test_logged_exceptions_show_where_they_failed_but_not_their_messages(tmp_path):
    """A message can quote what the code was handling; a production log gets the traceback without it."""
    script = (
        "import logging\n"
        "from bot import create_app\n"
        f"create_app({{'TESTING': True, 'INSTANCE_PATH': {str(tmp_path)!r}}})\n"
        "def handle():\n"
        "    try:\n"
        "        {}['ด.ช. สมชาย ใจดี']\n"
        "    except KeyError as exc:\n"
        "        raise ValueError('1101700230708') from exc\n"
        "try:\n"
        "    handle()\n"
        "except ValueError:\n"
        "    logging.getLogger('chat.dispatcher').exception('handler failed for text event E1')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    logged = result.stderr
    assert "handler failed for text event E1" in logged and "in handle" in logged
    assert "builtins.KeyError (message withheld)" in logged and "builtins.ValueError (message withheld)" in logged
    assert "สมชาย" not in logged.replace("{}['ด.ช. สมชาย ใจดี']", "") and "1101700230708" not in logged.replace(
        "raise ValueError('1101700230708')", "")
