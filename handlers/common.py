"""The main menu every handler falls back to."""
from __future__ import annotations

MENU_REPORT = "แจ้งพบเด็ก"
MENU_HELP = "ช่วยเหลือ"
MENU_ABOUT = "เกี่ยวกับโครงการ"


def main_menu() -> tuple[str, ...]:
    return (MENU_REPORT, MENU_ABOUT, MENU_HELP)
