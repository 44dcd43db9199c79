""""ดูรูป" on a case's card: a short-lived, single-use link to a page with the case's photos, opened in
LINE's browser (bot/photo_page.py shows it and audits each opening).

Offered to teachers and coordinators whose scope holds the case and to its owner (CASE_ACTIONS
"photos"), when the case has photos fetched from LINE. The link works once, for
download_links.LINK_LIFETIME; like an export's, it is made by the sender from a nonce and stored nowhere.
"""
from __future__ import annotations

from sqlalchemy import func, select

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain.access import REPORTERS
from handlers.act_on_case import done, tapped
from line.download_links import LINK, LINK_LIFETIME, PHOTOS, PHOTOS_PAGE, DownloadLinks, with_link
from line.messages import text
from models import CasePhoto

READY = ("🖼️ รูปถ่ายของเรื่อง {number} ({count} รูป)\n{url}\n\n"
         "ลิงก์นี้เปิดได้ครั้งเดียว ภายใน {minutes} นาที รูปเป็นข้อมูลส่วนบุคคลของเด็ก "
         "กรุณาอย่าส่งต่อลิงก์หรือบันทึกรูปไว้ในเครื่อง")
NO_PHOTOS = "เรื่อง {number} ยังไม่มีรูปถ่ายที่บันทึกไว้ค่ะ"


# Any registered role may be a case's owner; CASE_ACTIONS "photos" (through tapped) says who may.
@requires(*REPORTERS)
def show_case_photos(ctx: Context) -> Reply:
    """"ดูรูป" (postback action=photos&case=ID): the link to the case's photos."""
    case, refused = tapped(ctx, "photos")
    if refused:
        return refused
    count = ctx.session.scalar(select(func.count()).select_from(CasePhoto).where(
        CasePhoto.case_id == case.id, CasePhoto.status == "stored"))
    if not count:
        return done(ctx, NO_PHOTOS.format(number=case.number))
    links = DownloadLinks.of(ctx.session, ctx.config["PUBLIC_BASE_URL"])
    # The row holds the case's id; the page shows the photos as they are when it is opened.
    nonce = links.create(ctx.session, f"photos-{case.number}", PHOTOS_PAGE, str(case.id).encode(),
                         created_by=ctx.user, kind=PHOTOS)
    message = text(READY.format(number=case.number, count=count, url=LINK,
                                minutes=int(LINK_LIFETIME.total_seconds() // 60)), *main_menu(ctx.user))
    return [with_link(message, nonce, PHOTOS)]
