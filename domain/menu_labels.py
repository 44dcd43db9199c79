"""The menu labels: each is the text its button sends and the text its route answers to.

One name per label, used by the rich menu (line.richmenu), the quick-reply menus (chat.menus), the
routes (handlers), the replies that tell users what to type, and the tests. They live in the domain
layer, the lowest that names one: a refusal there (access.NOT_REGISTERED) tells the user to type
MENU_REGISTER.
"""
from __future__ import annotations

MENU_REPORT_CHILD = "แจ้งพบเด็ก"
MENU_CHILDREN_TO_FIND = "รายชื่อที่ต้องติดตาม"
MENU_MY_REPORTS = "เรื่องที่ฉันแจ้ง"
MENU_MY_WORK = "งานของฉัน"
MENU_AREA_SUMMARY = "สรุปพื้นที่"
MENU_EXPORT_REPORT = "ส่งออกรายงาน"
MENU_SET_DEADLINE = "ตั้งกำหนดส่ง"
# A zero report for a deadline that allows one (the reminder's button sends it as a postback).
MENU_NO_MORE_CHILDREN = "ไม่พบเด็กเพิ่มเติม"
MENU_INVITE = "สร้างรหัสเชิญ"
MENU_DEACTIVATE = "ระงับผู้ใช้"
MENU_NOTICE_SETTINGS = "ตั้งค่าการแจ้งเตือน"
MENU_HELP = "ช่วยเหลือ"
MENU_REGISTER = "ลงทะเบียน"
MENU_ABOUT = "เกี่ยวกับโครงการ"
MENU_MY_AREA_NUMBERS = "ตัวเลขพื้นที่ของฉัน"
# The watch list of students at risk (teachers and coordinators), and adding one student to it.
MENU_WATCH_LIST = "นักเรียนเฝ้าระวัง"
MENU_ADD_STUDENT = "เพิ่มนักเรียนเสี่ยง"
# What teachers also type for it: the watch list's own name.
MENU_ADD_STUDENT_TYPED = "เพิ่มนักเรียนเฝ้าระวัง"
# The quick replies and the button of the "ตัวเลขพื้นที่ของฉัน" card.
MENU_COPY_NUMBERS = "คัดลอกข้อความ"
MENU_EXPORT_FILE = "ส่งออกไฟล์"
MENU_OPEN_FORM = "เปิดแบบฟอร์ม"
# The coordinators' dashboard (a LIFF page): the rich menu's button and the summary card's; they open it,
# they send no text.
MENU_DASHBOARD = "แดชบอร์ด"
MENU_OPEN_DASHBOARD = "เปิดแดชบอร์ด"
