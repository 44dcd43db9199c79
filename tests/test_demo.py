"""`flask --app devtools demo-data`: a province to try everything in the simulator, once per database."""
from __future__ import annotations

import re

from sqlalchemy import func, select

import devtools
from domain.menu_labels import MENU_AREA_SUMMARY
from helpers import flex_texts, register
from models import STATUSES, Area, Case, CaseEvent, Organisation


def test_demo_data_fills_a_fresh_database_once(database_url, make_app, db, new_chat):
    demo = make_app(database_url, factory=devtools.create_app)
    result = demo.test_cli_runner().invoke(args=["demo-data", "--children", "200"])
    assert result.exit_code == 0, result.output
    codes = dict(re.findall(r"^\s+(\w+)\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s+(?:.*จังหวัด.*)$", result.output, re.M))
    assert len(re.findall(r"[A-Z0-9]{4}-[A-Z0-9]{4}", result.output)) == 6
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 200
        assert set(session.scalars(select(Case.status).distinct())) == set(STATUSES)
        assert session.scalar(select(func.count()).select_from(Area).where(Area.level == "village")) == 19
        assert session.scalar(select(func.count()).select_from(Organisation)) == 7
        assert session.scalar(select(func.count()).select_from(CaseEvent)) > 300  # histories, not just states
        assert session.scalar(select(func.count()).select_from(Case).where(Case.area_code.is_(None))) == 0

    province = new_chat()
    register(province, codes["coordinator"])
    card = flex_texts(province.says(MENU_AREA_SUMMARY)[0])
    assert "ทั้งหมด 200 คน" in card and "แยกตามอำเภอ" in card and "อำเภอเมืองขอนแก่น" in card

    again = demo.test_cli_runner().invoke(args=["demo-data"])
    assert again.exit_code != 0 and "already has cases" in again.output
