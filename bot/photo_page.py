"""/photos/<token>: the page behind a case's photos link ("ดูรูป" on the case card; handlers/case_photos.py
asks for the link, line/download_links.py makes it).

Like a download link (bot/download_page.py, whose page and checks it shares): a GET shows a button and
nothing personal, so LINE's preview of the URL or a crawler uses nothing up; the button's POST uses
the link once and answers the page with the photos in it (data: URLs, so no second request and
nothing cacheable). Whoever asked for the link must still be active, still see the case's area and
still be allowed its photos; every opening is audited as a view of the case (who, which case, how
many photos). Expired, used, unknown links and links of another kind or another deployment's key get
the same Thai page with no data.
"""
from __future__ import annotations

import base64

from flask import Blueprint, Flask
from sqlalchemy import select, update

from bot.download_page import gone, page, usable
from domain import access, audit
from handlers.act_on_case import CASE_ACTIONS
from models import Case, CasePhoto, User, utcnow
from models.database import get_db
from models.download import Download

READY_BODY = """<p>ลิงก์นี้เปิดดูรูปได้ครั้งเดียว กดปุ่มเมื่อพร้อม</p>
<form method="post"><button type="submit">ดูรูป</button></form>
<p>รูปถ่ายเป็นข้อมูลส่วนบุคคลของเด็ก อย่าบันทึกหน้าจอหรือส่งต่อลิงก์</p>"""
PHOTOS_BODY = """<p>เรื่อง {number}: รูปถ่าย {count} รูป (เปิดได้ครั้งเดียว ปิดหน้านี้แล้วต้องขอลิงก์ใหม่จากแชท)</p>
{images}
<p>รูปถ่ายเป็นข้อมูลส่วนบุคคลของเด็ก อย่าบันทึกหน้าจอหรือส่งต่อ</p>"""
IMAGE = '<p><img src="data:{type};base64,{data}" alt="รูปที่ {n}" style="max-width:100%"></p>'
# The types a photo is shown as; anything else LINE gave is shown as JPEG (its usual type), never
# written into the page as it came.
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
# The page with the photos may show data: images and nothing else from anywhere.
PHOTOS_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"

bp = Blueprint("photos", __name__)


@bp.get("/photos/<token>")
def photos_page(token: str):
    """Reads and changes nothing but whether the link is still good (Flask answers HEAD with this too)."""
    with get_db().transaction() as session:
        good = session.scalar(select(Download.id).where(usable(token, utcnow(), photos=True)))
    return page("รูปถ่ายของเด็ก", READY_BODY, 200) if good else gone()


@bp.post("/photos/<token>")
def photos(token: str):
    now = utcnow()
    with get_db().transaction() as session:
        # The conditional UPDATE is the claim: of two simultaneous requests only one gets the row.
        claimed = session.scalar(update(Download).where(usable(token, now, photos=True)).values(used_at=now)
                                 .returning(Download.id))
        if claimed is None:
            return gone()
        row = session.scalar(select(Download).where(Download.id == claimed))
        case_id, row.content = int(row.content), None
        user = session.get(User, row.created_by) if row.created_by is not None else None
        source = f"photos-link:{row.id}"
        case = session.get(Case, case_id)
        area_code = case.area.code if case is not None and case.area else None
        # Checked again now: the link may have waited in the chat while the user was deactivated, moved
        # to another area, or the case moved away or changed owner.
        if case is None or not access.may_receive_personal(user) or not access.in_scope(user, case.area) \
                or not CASE_ACTIONS["photos"].allows(user, case):
            audit.record(session, "denied", "case", case_id, actor=user, area_code=area_code, source=source,
                         tried="photos")
            return gone()
        shown = session.execute(select(CasePhoto.content, CasePhoto.content_type).where(
            CasePhoto.case_id == case.id, CasePhoto.status == "stored", CasePhoto.content.is_not(None))
            .order_by(CasePhoto.id)).all()
        audit.record(session, "view", "case", case.id, actor=user, area_code=area_code, source=source,
                     via="photos", fields=["photos"], photos=len(shown))
        images = "\n".join(IMAGE.format(type=kind if kind in IMAGE_TYPES else "image/jpeg", n=n,
                                        data=base64.b64encode(content).decode())
                           for n, (content, kind) in enumerate(shown, start=1))
        body = PHOTOS_BODY.format(number=case.number, count=len(shown), images=images)
    return page("รูปถ่ายของเด็ก", body, 200, csp=PHOTOS_CSP)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
