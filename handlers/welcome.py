"""Saying hello: following the bot, greeting it, asking for help, and anything it does not understand
or cannot take (a voice message, a video, a file)."""
from __future__ import annotations

from chat.dispatcher import Context, Reply
from chat.menus import main_menu
from chat.step import KIND_NAMES
from domain import access
from domain.menu_labels import (
    MENU_ABOUT,
    MENU_ADD_STUDENT,
    MENU_HELP,
    MENU_MY_REPORTS,
    MENU_NOTICE_SETTINGS,
    MENU_REGISTER,
    MENU_REPORT_CHILD,
    MENU_WATCH_LIST,
)
from handlers import register
from line.messages import text

INTRO = (
    "สวัสดีค่ะ 🙏 ยินดีต้อนรับสู่ \"พาน้องกลับมาเรียน\"\n"
    "ผู้ช่วยสำหรับผู้ใหญ่บ้าน กำนัน เจ้าหน้าที่ท้องถิ่น และครู "
    "ในการติดตามเด็กที่ไม่ได้เรียนหรือหลุดออกจากระบบการศึกษา ให้ได้กลับมาเรียนอีกครั้ง"
)
WELCOME = INTRO + "\n\nเลือกเมนูด้านล่างได้เลยค่ะ"

ABOUT = (
    "โครงการ \"พาน้องกลับมาเรียน\" เป็นความร่วมมือของกระทรวงศึกษาธิการ กระทรวงมหาดไทย "
    "และหน่วยงานภาคี เพื่อค้นหาเด็กที่ไม่เคยเข้าเรียนหรือออกกลางคัน "
    "แล้วช่วยให้ได้กลับเข้าสู่การศึกษาในรูปแบบที่เหมาะกับเด็กแต่ละคน "
    "ทั้งโรงเรียนในระบบ การศึกษานอกระบบ (สกร./กศน.) และสายอาชีพ"
)

HELP = (
    "วิธีใช้งาน\n"
    "• พิมพ์ \"สวัสดี\" เพื่อกลับมาที่เมนูหลัก\n"
    f"• เลือก \"{MENU_ABOUT}\" เพื่ออ่านรายละเอียดโครงการ\n"
    f"• พิมพ์ \"{MENU_REGISTER}\" แล้วกรอกรหัสเชิญจากผู้ประสานงาน เพื่อแจ้งและติดตามเด็กในพื้นที่ของท่าน\n"
    f"• เมื่อพบเด็กที่ไม่ได้เรียน เลือก \"{MENU_REPORT_CHILD}\" แล้วตอบคำถามทีละข้อ\n"
    f"• \"{MENU_MY_REPORTS}\" แสดงความคืบหน้าของเรื่องที่ท่านแจ้ง และบอทจะแจ้งเมื่อเรื่องมีความคืบหน้า\n"
    f"• เลือก \"{MENU_NOTICE_SETTINGS}\" เพื่อเลือกรับแจ้งทันที สรุปวันละครั้ง (18:00 น.) หรือปิด\n"
    "• ระหว่างกรอกข้อมูล พิมพ์ \"ยกเลิก\" เพื่อยกเลิก หรือ \"ย้อนกลับ\" เพื่อแก้ข้อก่อนหน้า"
)
# For teachers and coordinators (access.WATCHERS): the watch list of students still in class but at risk.
WATCH_HELP = (
    f"• ครู: \"{MENU_WATCH_LIST}\" แสดงนักเรียนที่เสี่ยงจะหลุดจากระบบการศึกษาของโรงเรียนท่าน "
    "เช็กการมาเรียนรายสัปดาห์และบันทึกเยี่ยมบ้านได้จากการ์ดของนักเรียนแต่ละคน\n"
    f"• พิมพ์ \"{MENU_ADD_STUDENT}\" เพื่อเพิ่มนักเรียนทีละคน (ชื่อ ชั้น กลุ่มจากการคัดกรอง และปัจจัยเสี่ยง)"
)

NOT_UNDERSTOOD = f"ขออภัยค่ะ ยังไม่เข้าใจข้อความนี้ ลองเลือกจากเมนูด้านล่าง หรือพิมพ์ \"{MENU_HELP}\" ค่ะ"

# After "the bot cannot take a voice message" (a video, a file): what it does take.
TAKES_TEXT = "กรุณาพิมพ์เป็นข้อความ หรือเลือกจากเมนูด้านล่างค่ะ"
TAKES_MORE = (f"ส่วนรูปถ่ายของเด็กส่งได้ในข้อ \"รูปถ่าย\" และตำแหน่งบ้านในข้อ \"ที่อยู่\" เมื่อ{MENU_REPORT_CHILD} "
              "และส่งตำแหน่งได้เพื่อดูรายชื่อเด็กที่ต้องติดตามใกล้ท่าน")

GROUPS_NOT_SUPPORTED = (
    "ขอบคุณที่เชิญเข้ากลุ่มค่ะ เพื่อคุ้มครองข้อมูลส่วนบุคคลของเด็ก "
    "บอทนี้รับแจ้งข้อมูลเฉพาะในแชทส่วนตัวเท่านั้น กรุณาเพิ่มเพื่อนแล้วคุยกับบอทโดยตรงค่ะ"
)


def start_following(ctx: Context) -> Reply:
    """A new follower is asked to register; one coming back (after blocking) is welcomed back."""
    ctx.user.following = True
    ctx.user.unfollowed_at = None
    if access.is_registered(ctx.user) or not ctx.user.active:
        return [text(WELCOME, *main_menu(ctx.user))]
    return [text(INTRO), *register.start_registration(ctx)]


def stop_following(ctx: Context) -> Reply:
    # Kept, not deleted: the audit trail still needs to know who this was.
    ctx.user.following = False
    ctx.user.unfollowed_at = ctx.now
    return None


def say_hello(ctx: Context) -> Reply:
    return [text(WELCOME, *main_menu(ctx.user))]


def read_about(ctx: Context) -> Reply:
    return [text(ABOUT, *main_menu(ctx.user))]


def ask_for_help(ctx: Context) -> Reply:
    watching = access.refusal(ctx.user, access.WATCHERS) is None
    return [text(f"{HELP}\n{WATCH_HELP}" if watching else HELP, *main_menu(ctx.user))]


def explain_private_chat_only(ctx: Context) -> Reply:
    return [text(GROUPS_NOT_SUPPORTED)]


def say_not_understood(ctx: Context) -> Reply:
    return [text(NOT_UNDERSTOOD, *main_menu(ctx.user))]


def explain_what_bot_takes(ctx: Context) -> Reply:
    """A voice message, a video or a file outside any conversation (inside one, the engine says what
    the open question takes): what the bot understands instead, photos and locations for those who
    may report."""
    lines = [f"ขออภัยค่ะ บอทยังรับ{KIND_NAMES[ctx.kind]}ไม่ได้ {TAKES_TEXT}"]
    if access.refusal(ctx.user, access.REPORTERS) is None:
        lines.append(TAKES_MORE)
    return [text("\n".join(lines), *main_menu(ctx.user))]
