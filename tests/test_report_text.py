"""domain.report_text: a village head's free-text message read into the report's draft, and a typed answer
matched to a list's options. A table of messages as reporters write them, each with every field it must
give (and no other: a wrong guess is worse than a question), then properties that hold for any text."""
from __future__ import annotations

import re
import time

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from domain.report_text import Option, looks_like_report, match_option, match_village, parse_report
from domain.thai import normalize_digits_only
from domain.thai_ids import format_national_id
from helpers import REPORT_KNOWN, check_parsed

KNOWN, LISTS, VILLAGES = REPORT_KNOWN, REPORT_KNOWN.lists, REPORT_KNOWN.villages
ID = "1103702071838"  # a valid check digit
ID2 = "1234567890121"


def boy(first="สมชาย", last="ใจดี"):
    return {"title": "เด็กชาย", "name": {"first": first, "last": last}}


def girl(first="สมหญิง", last="ใจดี"):
    return {"title": "เด็กหญิง", "name": {"first": first, "last": last}}


def age(years):
    return {"birth": {"date": None, "age": years}}


def born(iso, years):
    return {"birth": {"date": iso, "age": years}}


def home(address):
    return {"home": {"address": address}}


def guardian(name=None, phone=None, relation=None):
    return {"guardian": {"name": name, "phone": phone, "relation": relation}}


# (message, every field it gives, how many children it describes)
MESSAGES = [
    # The message, and the same facts in other orders and spellings.
    ("ด.ช.สมชาย ใจดี 12 ขวบ บ้านเลขที่ 45 หมู่ 3 ช่วยพ่อทำนา อยากเรียน กศน. แม่ชื่อสมศรี 081-234-5678",
     {**boy(), **age(12), "village": 11, **home("45 หมู่ 3"), "situation": "working", "wants": "non_formal",
      **guardian("สมศรี", "0812345678", "แม่")}, 1),
    ("แม่ชื่อสมศรี ใจดี เบอร์ 081-234-5678 ลูกชื่อ ด.ช.สมชาย ใจดี 12 ขวบ",
     {**boy(), **age(12), **guardian("สมศรี ใจดี", "0812345678", "แม่")}, 1),
    ("ผู้ปกครอง นางสมศรี ใจดี โทร 081 234 5678 เด็ก ด.ช.สมชาย ใจดี 12 ขวบ",
     {**boy(), **age(12), **guardian("นางสมศรี ใจดี", "0812345678")}, 1),
    ("ด.ช.สมชายใจดี อายุ12ปี บ้านเลขที่45หมู่3 ยากจน",  # no spaces
     {**boy(), **age(12), "village": 11, **home("45 หมู่3"), "reason": "poverty"}, 1),
    ("ด.ช.สมชาย ใจดี12ขวบม.3ช่วยแม่ขายของ", {**boy(), **age(12), "village": 11, "situation": "working"}, 1),
    ("ดช.สมชาย ใจดี อายุ 13 ปี หมู่ 5 บ้านดอนหัน ไม่มีเงินค่าเทอม ออกไปรับจ้าง",
     {**boy(), **age(13), "village": 13, "situation": "working", "reason": "poverty"}, 1),
    ("เด็กชาย ก้อง ไม่ทราบนามสกุล 8 ขวบ หมู่ 3", {**boy("ก้อง", "-"), **age(8), "village": 11}, 1),
    ("ด.ช.ต้น ไม่มีนามสกุล อายุ 10 ขวบ ไม่มีบัตร ไม่มีสัญชาติ อยู่กับลุง โทร 0898765432",
     {**boy("ต้น", "-"), **age(10), "reason": "no_documents", **guardian(None, "0898765432", "ลุง")}, 1),
    ("ชื่อ-สกุล ด.ญ.ฝน ตกหนัก อายุ 7 ขวบ", {**girl("ฝน", "ตกหนัก"), **age(7)}, 1),
    ("แจ้งพบเด็ก ชื่อ สมปอง แก้วมณี อายุ 15 ปี อยู่บ้านเฉยๆ ไม่ได้ทำอะไร พ่อแม่แยกทาง อยู่กับยาย โทร 0812345678",
     {"name": {"first": "สมปอง", "last": "แก้วมณี"}, **age(15), "situation": "at_home", "reason": "family",
      **guardian(None, "0812345678", "ยาย")}, 1),
    ("น้องพลอย ใจงาม ๑๔ ขวบ หมู่ ๒ ตั้งครรภ์ อยากเรียน กศน",
     {"name": {"first": "พลอย", "last": "ใจงาม"}, **age(14), "village": 12, "situation": "married",
      "wants": "non_formal"}, 1),
    ("สมชาย ใจดี อายุ 12 ขวบ หมู่ 3", {"name": {"first": "สมชาย", "last": "ใจดี"}, **age(12), "village": 11}, 1),
    # Adults' titles: a child of 15 or more has one.
    ("นายสมศักดิ์ ทองดี อายุ 17 ปี 45 ม.3 ทำงานโรงงาน อยากเรียนสายอาชีพ ปวช",
     {"title": "นาย", "name": {"first": "สมศักดิ์", "last": "ทองดี"}, **age(17), "village": 11, **home("45 ม.3"),
      "situation": "working", "wants": "vocational"}, 1),
    ("นางสาวสุดา มั่นคง อายุ 18 ปี หมู่ 5 ทำงานร้านอาหาร อยากเรียนต่อ กศน. โทร 0955551234",
     {"title": "นางสาว", "name": {"first": "สุดา", "last": "มั่นคง"}, **age(18), "village": 13,
      "situation": "working", "wants": "non_formal", **guardian(None, "0955551234")}, 1),
    ("นาย สมชาย ใจดี อายุ 19 ตกงาน อยากเทียบวุฒิ",
     {"title": "นาย", "name": {"first": "สมชาย", "last": "ใจดี"}, **age(19), "wants": "non_formal"}, 1),
    ("สามเณรสมชาย ใจดี อายุ 13 บวชเรียนอยู่วัด หมู่ 1",
     {"title": "สามเณร", "name": {"first": "สมชาย", "last": "ใจดี"}, **age(13), "village": 14}, 1),
    # Ages and birth dates: number words, Thai digits, พ.ศ. and ค.ศ., short and spoken months.
    ("ด.ช.สมชาย ใจดี อายุสิบสี่ขวบ หมู่สาม", {**boy(), **age(14), "village": 11}, 1),
    ("เด็กหญิงมานี มีนา อายุสิบสอง เลขบัตร 1-1037-02071-83-8 บ.โคกสี ยากจน",
     {**girl("มานี", "มีนา"), "national_id": ID, **age(12), "village": 12, "reason": "poverty"}, 1),
    ("ด.ช.สมชาย ใจดี เกิด 15/03/2012 ค.ศ. หมู่ 3", {**boy(), **born("2012-03-15", 14), "village": 11}, 1),
    ("ด.ช.สมชาย ใจดี เกิดวันที่ ๑๕ มีนาคม พ.ศ. ๒๕๕๕ หมู่ที่ ๓ บ้านหนองไผ่",
     {**boy(), **born("2012-03-15", 14), "village": 11}, 1),
    ("ด.ช.สมชาย ใจดี เกิด 2012-03-15 ม.3", {**boy(), **born("2012-03-15", 14), "village": 11}, 1),
    ("ด.ช.สมชาย ใจดี เกิด 15 มีนา 2555 ม.3", {**boy(), **born("2012-03-15", 14), "village": 11}, 1),
    ("ด.ญ.ขวัญใจ ดีมาก เกิด 15 มี.ค. 55 ม.5 ไม่มีสัญชาติ ไม่มีบัตร อยากเข้าโรงเรียน",
     {**girl("ขวัญใจ", "ดีมาก"), **born("2012-03-15", 14), "village": 13, "reason": "no_documents",
      "wants": "formal_school"}, 1),
    ("ด.ญ.สมหญิง รักเรียน เกิด 1 มกราคม 2556 บ้านเลขที่ 12/1 ม.3 ดูแลยายที่ป่วย",
     {**girl("สมหญิง", "รักเรียน"), **born("2013-01-01", 13), "village": 11, **home("12/1 ม.3"),
      "situation": "caring"}, 1),
    ("เด็กชายสมชาย ใจดี ว/ด/ป เกิด 05/11/2554 บ้านเลขที่ 99 ม.2 ต.สำราญ",  # ต.สำราญ: the subdistrict
     {**boy(), **born("2011-11-05", 15), "village": 12, **home("99 ม.2")}, 1),
    ("ด.ญ.แพรวา สุขใจ ออกจากโรงเรียนเมื่อ 1/6/2566 อายุ 15 ปี หมู่ 5",  # the day she left is not her birthday
     {**girl("แพรวา", "สุขใจ"), **age(15), "village": 13}, 1),
    ("ด.ช.สมชาย ใจดี เกิดปี 2555 ม.3", {**boy(), "village": 11}, 1),  # a year alone is not a date
    ("ด.ช.สมชาย ใจดี อายุ 12 ปี แม่อายุ 35 ปี", {**boy(), **age(12)}, 1),
    ("ด.ช.สมชาย ใจดี ไม่มีเลขบัตร อายุประมาณ 10 ขวบ ขอทาน", {**boy(), **age(10), "reason": "exploited"}, 1),
    # National IDs: grouped, spaced, in Thai digits; a wrong check digit or 12 digits is no ID.
    ("สมชาย ใจดี 1103702071838 เกิด 15/3/2555 ม.2 ยายเลี้ยง เบอร์ยาย 0891234567",
     {"name": {"first": "สมชาย", "last": "ใจดี"}, "national_id": ID, **born("2012-03-15", 14), "village": 12,
      **guardian(None, "0891234567", "ยาย")}, 1),
    ("ด.ช. อนันต์ ศรีสุข เลข 1 1037 02071 83 8 หมู่ 1 บ้านสำราญ ติดเกม หนีเรียน แม่ นางสมใจ ศรีสุข 089-999-8888",
     {**boy("อนันต์", "ศรีสุข"), "national_id": ID, "village": 14, "reason": "behaviour",
      **guardian("นางสมใจ ศรีสุข", "0899998888", "แม่")}, 1),
    ("ด.ช.สมชาย ใจดี เลข ๑๑๐๓๗๐๒๐๗๑๘๓๘ หมู่ ๓", {**boy(), "national_id": ID, "village": 11}, 1),
    ("ด.ช.สมชาย ใจดี เลข 1103702071839 หมู่ 3", {**boy(), "village": 11}, 1),
    ("ด.ช.สมชาย ใจดี 110370207183 หมู่ 3", {**boy(), "village": 11}, 1),
    ("1103702071838 0812345678 ด.ญ.มะลิ หอมดี", {**girl("มะลิ", "หอมดี"), "national_id": ID,
                                                 **guardian(None, "0812345678")}, 1),
    # Villages: หมู่ written every way, บ./บ้าน/none, a typo, spelt as it sounds, romanised, and not a
    # school's name; a name and a หมู่ that disagree give no village.
    ("ด.ญ.สมหญิง ใจดี อายุ 9 ปี ม 2 บ.โคกสี เลี้ยงน้อง ปู่ชื่อ มา ใจดี 0812345678",
     {**girl(), **age(9), "village": 12, "situation": "caring", **guardian("มา ใจดี", "0812345678", "ปู่")}, 1),
    ("ด.ญ.สมหญิง ใจดี อายุ 9 ปี บ้านโคกศรี", {**girl(), **age(9), "village": 12}, 1),
    ("เด็กชายวีระ คงมั่น 10 ขวบ อยู่บ้านหนองไผ ยายชื่อบุญมี 0861112222 ไม่มีผู้ดูแล พ่อแม่เสีย",
     {**boy("วีระ", "คงมั่น"), **age(10), "village": 11, "reason": "no_carer",
      **guardian("บุญมี", "0861112222", "ยาย")}, 1),
    ("ด.ญ.สมหญิง ใจดี อายุ 9 ปี หมู่บ้านหนองไผ่", {**girl(), **age(9), "village": 11}, 1),
    ("ด.ญ.สมหญิง ใจดี อายุ 9 ปี หนองไผ่ล้อม", {**girl(), **age(9), "village": 15}, 1),
    ("ด.ญ.สมหญิง ใจดี อายุ 9 ปี หนองไผ่ หมู่ 2", {**girl(), **age(9)}, 1),
    ("ด.ญ.สมหญิง ใจดี อายุ 9 ปี เคยเรียนโรงเรียนบ้านโคกสี", {**girl(), **age(9)}, 1),
    ("เด็กชายสมชาย ใจดี 12 ขวบ บ้านนา", {**boy(), **age(12), "village": 16}, 1),
    ("ด.ญ.สมหญิง ใจดี 9 ขวบ ทำนากับยาย", {**girl(), **age(9), "situation": "working"}, 1),  # not บ้านนา
    ("Ban Nong Phai ด.ช.สมชาย ใจดี 12 ขวบ", {**boy(), **age(12), "village": 11}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ ค่ะ บ้านเลขที่ 45/1 หมู่ที่ 3 ต.ในเมือง",
     {**boy(), **age(12), "village": 11, **home("45/1 หมู่ที่ 3")}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ บ้าน 45 หมู่ 3", {**boy(), **age(12), "village": 11, **home("45 หมู่ 3")}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ เลขที่ 45", {**boy(), **age(12), **home("บ้านเลขที่ 45")}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ ย้ายตามพ่อแม่มาจากกรุงเทพ อยู่ ม.3 เรียนถึง ป.6",
     {**boy(), **age(12), "village": 11, "situation": "moved_with_parents", "reason": "migration"}, 1),
    ("ด.ญ.สมหญิง ใจดี จบ ม.3 แล้วไม่ได้เรียนต่อ อายุ 16 หมู่ 2 อยากเรียน กศน.",  # ม.3 the class
     {**girl(), **age(16), "village": 12, "wants": "non_formal"}, 1),
    # Guardians in many shapes.
    ("ด.ช.สมชาย ใจดี โทร +66 81 234 5678 (แม่)", {**boy(), **guardian(None, "0812345678", "แม่")}, 1),
    ("ด.ช.สมชาย ใจดี 12ขวบ ติดต่อแม่ได้ที่ 0812345678", {**boy(), **age(12), **guardian(None, "0812345678", "แม่")}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ พ่อ นายสมศักดิ์ ใจดี 081-234-5678 ทำงานก่อสร้าง",
     {**boy(), **age(12), "situation": "working", **guardian("นายสมศักดิ์ ใจดี", "0812345678", "พ่อ")}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ เบอร์บ้าน 043-123-456", {**boy(), **age(12), **guardian(None, "043123456")}, 1),
    ("ด.ช.สมชาย ใจดี อายุ 12 ปี บ้านไกล ไม่มีรถรับส่ง แม่สมศรี 0812345678",
     {**boy(), **age(12), "reason": "distance", **guardian("สมศรี", "0812345678", "แม่")}, 1),
    ("ด.ช.สมชาย ใจดี อายุ 12 ปี พี่สาวอายุ 20 ดูแล เบอร์พี่สาว 0812345678",
     {**boy(), **age(12), **guardian(None, "0812345678", "พี่สาว")}, 1),
    ("ยาย บุญมี ศรีสุข 0812345678 หลาน ด.ญ.มะลิ ศรีสุข 9 ขวบ",
     {**girl("มะลิ", "ศรีสุข"), **age(9), **guardian("บุญมี ศรีสุข", "0812345678", "ยาย")}, 1),
    # The lists: negated, said of an adult, or inside a longer phrase, a keyword does not count.
    ("ด.ช.สมชาย ใจดี 12 ขวบ ไม่ได้ทำงาน อยู่บ้านเฉยๆ", {**boy(), **age(12), "situation": "at_home"}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ แม่ป่วย ต้องดูแลแม่", {**boy(), **age(12), "situation": "caring"}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ พ่อแม่ไปทำงานต่างจังหวัด อยู่กับยาย", {**boy(), **age(12), "reason": "family"}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ ไม่อยากเรียน ขอทำงานก่อน", {**boy(), **age(12), "wants": "not_now"}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ อยากกลับไปเรียนโรงเรียนเดิม", {**boy(), **age(12), "wants": "formal_school"}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ เป็นเด็กพิการ เดินไม่ได้",
     {**boy(), **age(12), "situation": "illness", "reason": "health"}, 1),
    ("ด.ญ.มะลิ หอมดี 11 ขวบ ถูกพ่อเลี้ยงทำร้าย ไม่กล้ากลับบ้าน หมู่ 2",
     {**girl("มะลิ", "หอมดี"), **age(11), "village": 12, "reason": "abuse"}, 1),
    ("เด็กอายุ 12 ขวบ หมู่ 3 ช่วยพ่อทำนา ไม่ได้ไปโรงเรียน", {**age(12), "village": 11, "situation": "working"}, 1),
    ("น้องไม่ได้เรียนมา 2 ปีแล้วครับ อายุ 14 หมู่ 3 ยากจนมาก", {**age(14), "village": 11, "reason": "poverty"}, 1),
    ("ด.ช.ก้องภพ สายทอง อายุ 14 ติดยา เกเร พ่อแม่หย่าร้าง", {**boy("ก้องภพ", "สายทอง"), **age(14)}, 1),  # 2 reasons
    ("ด.ช.วินัย มั่นคง 13 ปี หนีออกจากบ้าน ติดเกม", {**boy("วินัย", "มั่นคง"), **age(13), "reason": "behaviour"}, 1),
    ("น้องเอ อายุ 8 ขวบ ยังไม่มีชื่อในทะเบียนบ้าน", {**age(8), "reason": "no_documents"}, 1),
    ("พบเด็กชายอายุประมาณ 10 ขวบ ขอทานอยู่หน้าตลาด ไม่ทราบชื่อ",
     {"title": "เด็กชาย", **age(10), "reason": "exploited"}, 1),
    ("ด.ญ.ดวงใจ ศรีงาม เกิด 10 ต.ค. 2553 หมู่ 2 ต.สำราญ ดูแลน้อง 2 คน แม่ไปทำงานกรุงเทพ",
     {**girl("ดวงใจ", "ศรีงาม"), **born("2010-10-10", 16), "village": 12, "situation": "caring"}, 1),
    ("ด.ช.ธีรภัทร ใจเย็น อายุ 10 ขวบ ผู้ปกครองคือตา นายบุญเลิศ ใจเย็น 089 123 4567",
     {**boy("ธีรภัทร", "ใจเย็น"), **age(10), **guardian("นายบุญเลิศ ใจเย็น", "0891234567", "ตา")}, 1),
    ("ด.ช.สมชาย ใจดี 12 ขวบ เบอร์ผู้ใหญ่บ้าน 0812345678", {**boy(), **age(12)}, 1),  # not the guardian's
    # Two children or more: the first one's own facts, the household's for both.
    ("ด.ช.สมชาย ใจดี 12 ขวบ หมู่ 3 และน้องชาย ด.ช.สมปอง ใจดี 8 ขวบ", {**boy(), **age(12), "village": 11}, 2),
    ("ด.ช.สมชาย ใจดี 12 ขวบ และ ด.ญ.สมหญิง ใจดี 9 ขวบ บ้านเลขที่ 45 หมู่ 3 แม่ชื่อสมศรี 081-234-5678",
     {**boy(), **age(12), "village": 11, **home("45 หมู่ 3"), **guardian("สมศรี", "0812345678", "แม่")}, 2),
    ("ด.ช.ธนา ใจดี และ ด.ญ.ธนพร ใจดี พี่น้องกัน 12 กับ 9 ขวบ บ้านเลขที่ 7 หมู่ 2 แม่ไปทำงานต่างจังหวัด",
     {**boy("ธนา"), "village": 12, **home("7 หมู่ 2")}, 2),
    ("พี่น้อง 2 คน สมชาย 12 ขวบ สมหญิง 9 ขวบ หมู่ 3", {**age(12), "village": 11}, 2),
    ("1. ด.ช.สมชาย ใจดี 1103702071838 2. ด.ญ.สมหญิง ใจดี 1234567890121",
     {**boy(), "national_id": ID}, 2),
    ("สวัสดีครับ มีเด็กในหมู่ 3 ไม่ได้เรียน 2 คน ครับ ชื่อ ด.ช.เอ หนึ่ง กับ ด.ญ.บี สอง",
     {**boy("เอ", "หนึ่ง"), "village": 11}, 2),
    ("สมชาย 12 ขวบ กับน้องสาว 9 ขวบ หมู่ 5 ช่วยแม่ขายของ", {**age(12), "village": 13}, 2),  # whose work?
    ("มีเด็กไม่ได้เรียน 3 คน หมู่ 5", {"village": 13}, 3),
    # Not reports: chat, and a name or a phone alone.
    ("สวัสดีครับ", {}, 0),
    ("พรุ่งนี้ประชุมหมู่บ้านกี่โมงครับ", {}, 0),
    ("ขอบคุณครับ ผู้ใหญ่บ้านหมู่ 3", {"village": 11}, 0),
    ("ประชุมหมู่ 3 พรุ่งนี้ 9 โมง", {"village": 11}, 0),
    ("0812345678", guardian(None, "0812345678"), 0),
    ("ด.ช.สมชาย ใจดี", boy(), 1),
    ("นายสมชาย ใจดี โทร 0812345678", {"title": "นาย", "name": {"first": "สมชาย", "last": "ใจดี"},
                                       **guardian(None, "0812345678")}, 1),  # maybe the sender himself
    ("แจ้งนายก อบต. แล้วครับ", {}, 0),
    ("ผมชื่อสมชาย ใจดี ครับ เป็นผู้ใหญ่บ้าน", {}, 0),
    # An adult's ID, name, age or phone is never the child's, nor another child.
    (f"ด.ช.สมชาย ใจดี อายุ 12 เลขบัตรแม่ {ID2}", {**boy(), **age(12)}, 1),
    (f"ด.ช.สมชาย ใจดี เลขบัตร {ID} แม่เลขบัตร {ID2}", {**boy(), "national_id": ID}, 1),
    (f"ด.ช.สมชาย ใจดี ช่วยแม่ทำนา เลขบัตร {ID}", {**boy(), "national_id": ID, "situation": "working"}, 1),
    (f"ด.ช.สมชาย ใจดี เลขบัตรประชาชนของแม่ {ID2} ลูก {ID}", {**boy(), "national_id": ID}, 1),
    ("นางสมศรี ใจดี อายุ 45 ปี แจ้งว่า ด.ช.ก้อง ใจดี ไม่ได้เรียน",
     {**boy("ก้อง"), **guardian("นางสมศรี ใจดี")}, 1),
    ("นายสมหมาย ใจดี เป็นพ่อของ ด.ช.ก้อง ใจดี อายุ 12",
     {**boy("ก้อง"), **age(12), **guardian("นายสมหมาย ใจดี", None, "พ่อ")}, 1),
    ("ด.ช.สมชาย ใจดี อายุ 12 พี่ชาย นายสมหมาย ใจดี อายุ 20",
     {**boy(), **age(12), **guardian("นายสมหมาย ใจดี", None, "พี่ชาย")}, 1),
    ("ด.ช.สมชาย ใจดี อยู่กับ นางบัว ใจดี อายุ 17", {**boy(), **guardian("นางบัว ใจดี")}, 1),
    ("ด.ช.ก้อง สายดี 10 ขวบ โทร 0822222222 (ผู้ใหญ่บ้าน)", {**boy("ก้อง", "สายดี"), **age(10)}, 1),
    ("ด.ช.ก้อง สายดี 10 ขวบ ผู้แจ้ง นายมานะ ดีมาก 0822222222", {**boy("ก้อง", "สายดี"), **age(10)}, 1),
    # A birth year or a class before หมู่ is not a house number; "บ้านเลขที่" says it is one.
    ("ด.ญ.ก้อย สายดี เกิด 2555 หมู่ 2", {**girl("ก้อย", "สายดี"), "village": 12}, 1),
    ("ด.ช.สมชาย ใจดี 2012 หมู่ 2", {**boy(), "village": 12}, 1),
    ("ด.ช.สมชาย ใจดี ป.6 หมู่ 2", {**boy(), "village": 12}, 1),
    ("ด.ช.สมชาย ใจดี ม.2 หมู่ 1", {**boy(), "village": 14}, 1),
    ("ด.ช.สมชาย ใจดี บ้านเลขที่ 2555 หมู่ 2", {**boy(), "village": 12, **home("2555 หมู่ 2")}, 1),
    # The adult who hurts the child is the doer: still abuse.
    ("ด.ญ.สมใจ ใจดี อายุ 15 ปี พ่อเลี้ยงทำร้าย", {**girl("สมใจ"), **age(15), "reason": "abuse"}, 1),
    ("ด.ญ.สมใจ ใจดี อายุ 15 ปี โดนพ่อตี", {**girl("สมใจ"), **age(15), "reason": "abuse"}, 1),
]
# Not enough to start a report from outside the flow (looks_like_report); every other message is.
NOT_REPORTS = {"มีเด็กไม่ได้เรียน 3 คน หมู่ 5", "สวัสดีครับ", "พรุ่งนี้ประชุมหมู่บ้านกี่โมงครับ",
               "ขอบคุณครับ ผู้ใหญ่บ้านหมู่ 3", "ประชุมหมู่ 3 พรุ่งนี้ 9 โมง", "0812345678",
               "ด.ช.สมชาย ใจดี", "นายสมชาย ใจดี โทร 0812345678", "แจ้งนายก อบต. แล้วครับ",
               "ผมชื่อสมชาย ใจดี ครับ เป็นผู้ใหญ่บ้าน", "น้องเอ อายุ 8 ขวบ ยังไม่มีชื่อในทะเบียนบ้าน"}


def test_the_table_is_large():
    assert len(MESSAGES) >= 60 and len({message for message, *_ in MESSAGES}) == len(MESSAGES)
    assert NOT_REPORTS <= {message for message, *_ in MESSAGES}


@pytest.mark.parametrize(("message", "fields", "children"), MESSAGES, ids=[m[:40] for m, *_ in MESSAGES])
def test_a_message_gives_exactly_its_fields(message, fields, children):
    parsed = parse_report(message, KNOWN)
    assert parsed.fields == fields
    assert parsed.children == children
    assert looks_like_report(parsed) == (message not in NOT_REPORTS)


def test_a_typical_message_is_read_in_a_few_milliseconds():
    message = MESSAGES[0][0]
    parse_report(message, KNOWN)  # PyThaiNLP loads its dictionary on the first use
    started = time.perf_counter()
    for _ in range(20):
        parse_report(message, KNOWN)
    assert (time.perf_counter() - started) / 20 < 0.05  # ~3 ms on a laptop; the margin is for shared CPUs


# ------------------------------------------------------------------ a typed answer at a button step

@pytest.mark.parametrize("list_name", LISTS)
def test_every_label_and_synonym_typed_alone_is_its_option(list_name):
    """Also a check of the data: no word is two options' of one list."""
    for option in LISTS[list_name]:
        for word in (option.label, *option.synonyms):
            assert match_option(word, LISTS[list_name]) == option.code, word
        assert match_option(f" {option.label.replace(' ', '')}ค่ะ ", LISTS[list_name]) == option.code


@pytest.mark.parametrize(("typed", "list_name", "code"), [
    ("ยากจน", "reason", "poverty"),
    ("บ้านจนมาก ไม่มีเงินค่าเทอม", "reason", "poverty"),
    ("กศน", "wants", "non_formal"),
    ("อยากเรียน กศน. ค่ะ", "wants", "non_formal"),
    ("สกร.", "wants", "non_formal"),
    ("ช่วยพ่อทำนา", "situation", "working"),
    ("รับจ้างทั่วไป", "situation", "working"),
    ("สัญชาติ", "reason", "no_documents"),  # a part of the label "ไม่มีเอกสาร/สัญชาติ"
    ("อื่นๆ", "reason", "other"),
    ("อื่น ๆ", "situation", "other"),
    ("ไม่ได้ไปโรงเรียน ช่วยพ่อทำนา", "situation", "working"),
    ("ไม่ได้ทำงาน", "situation", "at_home"),  # not "working": the word is negated
])
def test_a_typed_answer_is_matched_by_its_words(typed, list_name, code):
    assert match_option(typed, LISTS[list_name]) == code


@pytest.mark.parametrize(("typed", "list_name"), [
    ("", "reason"), ("   ", "reason"), ("ไม่ยากจน", "reason"), ("ไม่รู้", "reason"), ("สวัสดีครับ", "situation"),
    ("ยากจนและบ้านไกล", "reason"),  # two options: which one is the main reason is the reporter's to say
    ("กศน หรือ ปวช", "wants"), ("😀", "wants"),
])
def test_a_typed_answer_that_fits_no_option_or_two_is_not_guessed(typed, list_name):
    assert match_option(typed, LISTS[list_name]) is None


def test_options_added_later_are_matched_by_their_label():
    options = [*LISTS["wants"], Option("special_ed", "การศึกษาพิเศษ")]
    assert match_option("อยากได้การศึกษาพิเศษ", options) == "special_ed"


@pytest.mark.parametrize(("typed", "village"), [
    ("หมู่ 3", 11), ("ม.3", 11), ("ม. 3", 11), ("หมู่ที่ ๓", 11), ("ม3", 11), ("บ.หนองไผ่", 11), ("หนองไผ่", 11),
    ("บ้านหนองไผ", 11), ("Ban Nong Phai", 11), ("บ้านหนองไผ่ หมู่ที่ 3", 11), ("ม.3 หนองไผ่", 11),
    ("หนองไผ่ล้อม", 15), ("บ้านโคกศรี", 12), ("ม.2 โคกสี", 12),
    ("หมู่ 9", None), ("หนองไผ่ หมู่ 2", None), ("ไม่แน่ใจ", None), ("", None), ("หมู่บ้าน", None),
])
def test_a_typed_village(typed, village):
    assert match_village(typed, VILLAGES) == village


# ------------------------------------------------------------------ properties

ANY_TEXT = st.text(max_size=200) | st.text(alphabet="กขคงดนมยรลวสหอะาิีึืุูเแโใไ่้๊๋็์ำั ๐๑๒๓๔๕๖๗๘๙0123456789.-/",
                                          max_size=200)
FRAGMENTS = st.lists(st.sampled_from([message for message, *_ in MESSAGES]
                                     + [" ", "และ", "ด.ช.", "หมู่", "อายุ", "ขวบ", "081", "-", "๑๒", "เกิด"]),
                     max_size=8).map(" ".join)


@given(ANY_TEXT | FRAGMENTS)
@example("")
@example("\ue000" * 3 + "1103702071838")
@example("ด.ช." * 500)
def test_any_text_is_read_without_error_into_well_formed_fields(text):
    check_parsed(parse_report(text, KNOWN))


DIGITS = st.text(alphabet="0123456789๐๑๒๓๔๕๖๗๘๙ -.\u200b\u2013\nกข\ue000", max_size=60)


@given(DIGITS | FRAGMENTS | st.tuples(DIGITS, FRAGMENTS).map("".join))
@example("1103702071838")
@example("0812345678 123")  # a phone and a house number: 13 digits, never an ID
def test_an_id_is_only_ever_13_digits_typed_in_a_row(text):
    national_id = parse_report(text, KNOWN).fields.get("national_id")
    assert national_id is None or national_id in normalize_digits_only(text)
    assert national_id is None or national_id in re.sub(r"[^0-9]", "", normalize_digits_only(text))


def thai(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))


@st.composite
def typed_ids(draw) -> tuple[str, str]:
    """A valid ID as people type it: plain, as the card groups it, spaced, in Thai digits."""
    first = draw(st.sampled_from("012345678")) + draw(st.text(alphabet="0123456789", min_size=11, max_size=11))
    digits = first + str((11 - sum(int(d) * (13 - i) for i, d in enumerate(first)) % 11) % 10)
    typed = draw(st.sampled_from([digits, format_national_id(digits), format_national_id(digits).replace("-", " ")]))
    return digits, thai(typed) if draw(st.booleans()) else typed


@given(typed_ids(), st.text(max_size=80), st.text(max_size=80), st.sampled_from(["เลขบัตร ", "เลข", "ID "]))
@example((ID, "1 1037 02071 83 8"), "0812345678", "", "เลข")
def test_a_valid_id_in_any_text_is_found(typed_id, before, after, lead):
    digits, typed = typed_id
    assume(all(len(run) < 13 for run in re.findall("[0-9]+", normalize_digits_only(before + " " + after))))
    parsed = parse_report(f"{before} {lead}{typed} ครับ {after}", KNOWN)
    assert parsed.fields.get("national_id") == digits
