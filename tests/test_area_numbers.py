"""Transcript: "ตัวเลขพื้นที่ของฉัน", the ministry form's counts for an officer's own area, as a card, as a text to
paste and as a file; and the Google Form's pre-filled link built from a mapping."""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from domain import access
from domain.area_numbers import LABELS, AreaNumbers, prefilled_form_url
from domain.export import HEADERS
from domain.menu_labels import MENU_COPY_NUMBERS, MENU_EXPORT_FILE, MENU_MY_AREA_NUMBERS, MENU_OPEN_FORM
from handlers.my_area_numbers import numbers_card
from helpers import PUBLIC_BASE_URL, card_rows, flex_texts, link_in, quick_reply_labels, texts_of
from models import AuditEntry, Referral, User

NATIONAL_ID = "1101700230708"
MASKED = "1-XXXX-XXXXX-XX-8"
# ตำบลสำราญ's counts, by label, for the cases `samran` makes (worked out by hand from them).
SAMRAN = {"เด็กตามรายชื่อ": "10", "แจ้งพบเพิ่มเติม (ไม่อยู่ในรายชื่อ)": "1", "ติดตามแล้ว": "9", "พบตัว": "6",
          "• พบตัว ประสงค์กลับเข้าเรียน": "2", "• พบตัว ไม่ประสงค์กลับเข้าเรียน": "1",
          "• พบตัว กลับเข้าเรียนแล้ว": "2", "• พบตัว ยังไม่ระบุความต้องการ": "1", "ไม่พบตัว": "1",
          "ย้ายออกนอกพื้นที่": "1", "ปิดเรื่องด้วยเหตุอื่น": "1", "ส่งต่อหน่วยงาน": "2", "• ส่งต่อ โรงเรียน": "1",
          "• ส่งต่อ สกร./กศน.": "1", "• ส่งต่อ วิทยาลัยอาชีวศึกษา": "0", "• ส่งต่อ พม.": "0",
          "• ส่งต่อ สาธารณสุข": "0", "ยังไม่ได้ติดตาม": "2"}


@pytest.fixture
def samran(make_case, schools, db):
    """Eleven children in ตำบลสำราญ (ten from the list, one reported) in every kind of outcome, and two
    elsewhere. Returns the id of the to-find child with a national ID and a guardian's phone."""
    listed = make_case("40010201", "to_find", national_id=NATIONAL_ID, guardian_phone="0899990000",
                       guardian_name="นางสมร ใจดี")
    make_case("40010202", "to_find")
    make_case("40010201", "found", wants="formal_school")
    make_case("40010201", "found", wants="not_now")
    make_case("40010202", "found", source="report")  # nobody asked yet what the child wants
    referred = make_case("40010201", "referred", wants="vocational")
    back = make_case("40010201", "back_in_school", wants="formal_school")
    make_case("40010201", "closed", closed_reason="other_affiliation")  # in school elsewhere: returned
    make_case("40010201", "closed", closed_reason="deceased")
    make_case("40010201", "not_found")
    make_case("40010201", "moved")
    make_case("40010101", "to_find")  # ตำบลในเมือง
    make_case("40020101", "found", wants="not_now")  # อำเภอบ้านฝาง
    with db.transaction() as session:
        session.add(Referral(case_id=referred, organisation_id=schools["samran"], status="declined"))
        session.flush()  # declined, then sent to the same school again: one referred child
        session.add(Referral(case_id=referred, organisation_id=schools["samran"], status="accepted"))
        session.add(Referral(case_id=back, organisation_id=schools["skr"], status="done"))
    return listed


def audit_rows(db, action: str) -> list[AuditEntry]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_an_officer_gets_the_counts_of_their_subdistrict_as_a_card(chat, registered, samran, db):
    registered(chat, "reporter", "400102")
    [card] = chat.says(MENU_MY_AREA_NUMBERS)
    assert card["type"] == "flex"
    assert card_rows(card) == SAMRAN
    shown = flex_texts(card)
    assert shown[0] == MENU_MY_AREA_NUMBERS and shown[1] == "ตำบลสำราญ อำเภอเมืองขอนแก่น จังหวัดขอนแก่น"
    assert re.fullmatch(r"ข้อมูล ณ \d{1,2} \S+ 25\d\d \d\d:\d\d น\.", shown[2])  # พ.ศ., Bangkok time
    assert any("แจ้งพบจากพื้นที่" in line for line in shown)  # the card says reports are counted too
    labels = quick_reply_labels(card)
    assert labels[:2] == [MENU_COPY_NUMBERS, MENU_EXPORT_FILE] and MENU_MY_AREA_NUMBERS in labels
    [entry] = audit_rows(db, "numbers")
    assert (entry.area_code, entry.detail["scope"], entry.detail["shown"], entry.detail["on_list"]) == (
        "400102", ["400102"], "card", 10)
    assert entry.source and entry.actor_id


def test_the_text_is_ready_to_paste_one_count_a_line(chat, registered, samran, db):
    registered(chat, "teacher", "400102")
    [message] = chat.taps("action=numbers&as=text")
    title, area, as_of, *lines = message["text"].split("\n")
    assert (title, area) == (MENU_MY_AREA_NUMBERS, "ตำบลสำราญ อำเภอเมืองขอนแก่น จังหวัดขอนแก่น")
    assert re.fullmatch(r"ข้อมูล ณ .+ 25\d\d .+", as_of)
    assert [line.split(": ")[0] for line in lines] == list(LABELS.values())
    assert all(re.fullmatch(r"[^:]+: \d+ คน", line) for line in lines)
    pasted = {label: count.removesuffix(" คน") for label, count in (line.split(": ") for line in lines)}
    assert pasted == {label.removeprefix("• "): count for label, count in SAMRAN.items()}
    assert [e.detail["shown"] for e in audit_rows(db, "numbers")] == ["text"]


def test_an_officer_never_sees_another_areas_numbers(chat, new_chat, registered, samran, db):
    registered(chat, "reporter", "400201")  # อำเภอบ้านฝาง: one child, found, does not want to study now
    rows = card_rows(chat.says(MENU_MY_AREA_NUMBERS)[0])
    assert (rows["แจ้งพบเพิ่มเติม (ไม่อยู่ในรายชื่อ)"], rows["เด็กตามรายชื่อ"], rows["พบตัว"],
            rows["• พบตัว ไม่ประสงค์กลับเข้าเรียน"], rows["ยังไม่ได้ติดตาม"]) == ("0", "1", "1", "1", "0")
    for forged in ("400102", "40", "4001", "99", "x'; DROP TABLE cases"):
        for data in (f"action=numbers&area={forged}", f"action=numbers&as=text&area={forged}"):
            assert texts_of(chat.taps(data)) == [access.OUT_OF_SCOPE]
    assert len(audit_rows(db, "denied")) == 10 and len(audit_rows(db, "numbers")) == 1
    district = registered(new_chat(), "coordinator", "4001")  # both subdistricts of เมืองขอนแก่น
    rows = card_rows(district.says(MENU_MY_AREA_NUMBERS)[0])
    assert (rows["เด็กตามรายชื่อ"], rows["ยังไม่ได้ติดตาม"]) == ("11", "3")
    [card] = district.taps("action=numbers&area=400102")  # one subdistrict of the district: its own numbers
    assert card_rows(card) == SAMRAN
    assert [item["action"]["data"] for item in card["quickReply"]["items"][:2]] == [
        "action=numbers&as=text&area=400102", "action=export&area=400102"]
    assert [tuple(e.detail["scope"]) for e in audit_rows(db, "numbers")] == [("400201",), ("4001",), ("400102",)]


def test_counts_of_an_imported_list(chat, registered, listed):
    registered(chat, "reporter", "400102")
    rows = card_rows(chat.says(MENU_MY_AREA_NUMBERS)[0])
    assert (rows["เด็กตามรายชื่อ"], rows["ยังไม่ได้ติดตาม"], rows["ติดตามแล้ว"]) == (str(len(listed)),
                                                                                 str(len(listed)), "0")


def test_no_scope_and_unregistered_see_nothing(chat, new_chat, registered, samran, db):
    registered(chat, "reporter", None)
    assert texts_of(chat.says(MENU_MY_AREA_NUMBERS)) == [access.NO_SCOPE]
    assert texts_of(new_chat().says(MENU_MY_AREA_NUMBERS)) == [access.NOT_REGISTERED]
    assert audit_rows(db, "numbers") == []


def test_every_roles_menu_offers_it_within_lines_limits(chat, registered, samran):
    for role, area in (("reporter", "400102"), ("teacher", "400102"), ("coordinator", "4001"), ("admin", None)):
        registered(chat, role, area)
        [card] = chat.says(MENU_MY_AREA_NUMBERS)
        labels = quick_reply_labels(card)
        assert len(labels) <= 13 and MENU_MY_AREA_NUMBERS in labels and MENU_EXPORT_FILE in labels, role


def test_the_export_from_the_card_is_the_officers_own_area_masked(chat, registered, samran, line, client,
                                                                   run_exports, db):
    registered(chat, "reporter", "400102")
    [card] = chat.says(MENU_MY_AREA_NUMBERS)
    [export] = [item["action"] for item in card["quickReply"]["items"] if item["action"]["label"] == MENU_EXPORT_FILE]
    ask = chat.taps(export["data"])
    assert "ปิดบางส่วน" in ask[0]["text"]
    before = len(line.messages_to(chat.user_id))
    assert "กำลังเตรียมไฟล์รายงาน" in texts_of(chat.taps("action=export&format=csv"))[0]
    run_exports()
    url = link_in(line.messages_to(chat.user_id)[before:])
    response = client.post(url.removeprefix(PUBLIC_BASE_URL))
    assert response.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    column = {name: i for i, name in enumerate(header)}
    assert header == HEADERS
    assert {row[column["รหัสตำบล"]] for row in rows} == {"400102"}
    # The file holds the same children the card counts (computed here from the rows, independently).
    statuses = [row[column["สถานะ"]] for row in rows]
    assert len(rows) == 11 and statuses.count("รอติดตาม") == 2 and statuses.count("ปิดเรื่อง") == 2
    [listed] = [row for row in rows if row[column["เลขประจำตัวประชาชน"]]]
    assert listed[column["เลขประจำตัวประชาชน"]] == MASKED and NATIONAL_ID not in response.data.decode("utf-8-sig")
    # A village head's file is the basic card's: the address, not the family's name and phone.
    assert (listed[column["ชื่อผู้ปกครอง"]], listed[column["โทรศัพท์ผู้ปกครอง"]]) == ("", "")
    [entry] = audit_rows(db, "export")
    with db.transaction() as session:
        me = session.scalar(select(User.id).where(User.line_user_id == chat.user_id))
    assert (entry.actor_id, entry.detail["scope"], entry.detail["rows"], entry.detail["national_ids"]) == (
        me, ["400102"], 11, "masked")


def test_a_teacher_exporting_gets_the_familys_contacts_still_masked(chat, registered, samran, line, client,
                                                                    run_exports):
    registered(chat, "teacher", "400102")
    chat.taps("action=export")
    before = len(line.messages_to(chat.user_id))
    chat.taps("action=export&format=csv")
    run_exports()
    response = client.post(link_in(line.messages_to(chat.user_id)[before:]).removeprefix(PUBLIC_BASE_URL))
    header, *rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    [listed] = [row for row in rows if row[header.index("เลขประจำตัวประชาชน")]]
    assert listed[header.index("เลขประจำตัวประชาชน")] == MASKED
    assert listed[header.index("โทรศัพท์ผู้ปกครอง")] == "0899990000"


def test_the_card_opens_the_prefilled_form_when_given_its_link():
    numbers = AreaNumbers({"on_list": 10, "unchecked": 2})
    link = prefilled_form_url("https://docs.google.com/forms/d/e/1FAIpQLSe_x-1/viewform?usp=sf_link",
                              {"entry.1001": "on_list", "entry.1002": "unchecked"}, numbers)
    assert link == "https://docs.google.com/forms/d/e/1FAIpQLSe_x-1/viewform?usp=pp_url&entry.1001=10&entry.1002=2"
    card = numbers_card(numbers, "ตำบลสำราญ", "1 ม.ค. 2569 08:00 น.", [], form_link=link)
    [button] = card["contents"]["footer"]["contents"]
    assert button["action"] == {"type": "uri", "label": MENU_OPEN_FORM, "uri": link}
    assert "footer" not in numbers_card(numbers, "ตำบลสำราญ", "-", [])["contents"]


@pytest.mark.parametrize("url", [
    "http://docs.google.com/forms/d/e/abc/viewform", "https://docs.google.com.evil.example/forms/d/e/abc/viewform",
    "https://evil.example/forms/d/e/abc/viewform", "https://user@docs.google.com/forms/d/e/abc/viewform",
    "https://docs.google.com:8443/forms/d/e/abc/viewform", "https://docs.google.com/spreadsheets/d/abc/edit",
    "https://docs.google.com/forms/d/e/a%2Fb/viewform", "https://forms.gle/", "https://forms.gle/a/b",
    "javascript:alert(1)", "", "docs.google.com/forms/d/e/abc/viewform",
])
def test_a_link_that_is_not_a_google_form_is_refused_in_thai(url):
    with pytest.raises(ValueError, match="ลิงก์แบบฟอร์มไม่ถูกต้อง"):
        prefilled_form_url(url, {"entry.1": "on_list"}, AreaNumbers())


def test_a_bad_mapping_is_refused_in_thai():
    form = "https://forms.gle/AbC123"
    assert prefilled_form_url(form, {"entry.7": "found"}, {"found": 3}) == "https://forms.gle/AbC123?usp=pp_url&entry.7=3"
    for mapping, words in (({"entry.7": "children"}, "ไม่มีตัวเลขชื่อ"), ({"entry.x": "found"}, "รหัสช่อง"),
                           ({"7": "found"}, "รหัสช่อง"), ({"entry.7&usp=x": "found"}, "รหัสช่อง")):
        with pytest.raises(ValueError, match=words):
            prefilled_form_url(form, mapping, AreaNumbers())


FORM_IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", min_size=1,
                   max_size=60)


@given(form_id=FORM_IDS, published=st.booleans(), tail=st.sampled_from(["", "/", "/viewform", "/edit"]),
       query=st.sampled_from(["", "?usp=sf_link", "?usp=pp_url&entry.1=5#top"]),
       mapping=st.dictionaries(st.integers(0, 10 ** 12).map(lambda n: f"entry.{n}"), st.sampled_from(list(LABELS)),
                               max_size=25),
       counts=st.dictionaries(st.sampled_from(list(LABELS)), st.integers(0, 10 ** 7)))
def test_the_prefilled_link_carries_exactly_the_mapped_counts(form_id, published, tail, query, mapping, counts):
    form = f"https://docs.google.com/forms/d/{'e/' if published else ''}{form_id}{tail}{query}"
    link = prefilled_form_url(form, mapping, AreaNumbers(counts))
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.fragment) == ("https", "docs.google.com", "")
    assert parts.path == f"/forms/d/{'e/' if published else ''}{form_id}/viewform"
    assert parse_qsl(parts.query) == [("usp", "pp_url"),
                                      *((entry, str(counts.get(name, 0))) for entry, name in mapping.items())]


@given(url=st.text(max_size=80), entry=st.text(max_size=20))
def test_any_input_gives_a_google_form_link_or_a_value_error(url, entry):
    try:
        link = prefilled_form_url(url, {entry: "on_list"}, AreaNumbers({"on_list": 1}))
    except ValueError:
        return
    assert link.startswith(("https://docs.google.com/forms/d/", "https://forms.gle/"))
    assert re.fullmatch(r"entry\.\d+", entry) and link.endswith(f"&{entry}=1")
