"""Placing the rows of an official list in the area tree by their written address (province, district,
subdistrict, หมู่), through an AreaIndex of the tree's names."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace

from domain.official_list.list_columns import SPACES, same_spelling
from domain.official_list.list_report import ListRow, RowError

__all__ = ["AreaIndex", "assign_areas"]

# Written before area names in lists and in the area tree; "กิ่งอำเภอ" is the old minor district.
_AREA_PREFIX = re.compile(r"^(?:จังหวัด|จ\s*\.|กิ่งอำเภอ|อำเภอ|อ\s*\.|เขต|ตำบล|ต\s*\.|แขวง)\s*")
_LEVEL_NAMES = {2: "จังหวัด", 4: "อำเภอ", 6: "ตำบล"}  # by code length


def _area_key(name: str) -> str:
    return SPACES.sub("", _AREA_PREFIX.sub("", same_spelling(name).strip()))


class AreaIndex:
    """Area names to area codes, built from ``{code: name}`` of the area tree.

    Codes follow the Ministry of Interior: province 2 digits, district 4, subdistrict 6, village 8,
    each starting with its parent's, and a village's last two digits are its หมู่ number.
    """

    def __init__(self, names: Mapping[str, str]):
        self.names = dict(names)
        self._codes: dict[tuple[int, str], list[str]] = defaultdict(list)
        for code, name in self.names.items():
            if len(code) < 8:
                self._codes[len(code), _area_key(name)].append(code)
        for code, name in self.names.items():
            # Every province's central district is "เมือง" + the province; lists often write "อ.เมือง".
            if len(code) == 4 and _area_key(name) == "เมือง" + _area_key(self.names.get(code[:2], "")):
                self._codes[4, "เมือง"].append(code)
        self._with_villages = {code[:6] for code in self.names if len(code) == 8}

    def resolve(self, province: str | None, district: str | None, subdistrict: str | None,
                moo: int | None) -> tuple[str | None, str | None]:
        """The most precise area code the address reaches, and a Thai note when it is not a village
        or subdistrict found exactly (None when all is well)."""
        code = ""
        for (length, label), name in zip(_LEVEL_NAMES.items(), (province, district, subdistrict)):
            if not name:
                continue
            matches = [c for c in self._codes.get((length, _area_key(name)), ()) if c.startswith(code)]
            if len(matches) != 1:
                where = f" ใน{self._label(code)}" if code else ""
                problem = (f"ไม่พบ{label} “{name}”{where}" if not matches
                           else f"ชื่อ{label} “{name}” ซ้ำกันหลายแห่ง กรุณาระบุอำเภอและจังหวัด")
                return code or None, problem + self._fallback(code)
            code = matches[0]
        if len(code) < 6:
            return code or None, "ที่อยู่ไม่ครบถึงตำบล" + self._fallback(code)
        if moo:
            village = f"{code}{moo:02d}"
            if village in self.names:
                return village, None
            if code in self._with_villages:
                return code, f"ไม่พบหมู่ที่ {moo} ใน{self._label(code)}" + self._fallback(code)
        return code, None

    def _label(self, code: str) -> str:
        return f"{_LEVEL_NAMES[len(code)]}{_AREA_PREFIX.sub('', self.names[code])}"

    def _fallback(self, code: str) -> str:
        return f" จึงจัดไว้ที่{self._label(code)}" if code else " จึงยังไม่ได้จัดเข้าพื้นที่ใด"


def assign_areas(rows: Iterable[ListRow], areas: AreaIndex) -> tuple[list[ListRow], list[RowError]]:
    """The rows with ``area_code`` set from their address, and a warning for each row that could
    not be placed exactly (it stays importable, at the nearest area that was found)."""
    placed: list[ListRow] = []
    warnings: list[RowError] = []
    resolved: dict[tuple, tuple[str | None, str | None]] = {}  # lists repeat the same addresses
    for row in rows:
        address = (row.province, row.district, row.subdistrict, row.moo)
        if address not in resolved:
            resolved[address] = areas.resolve(*address)
        code, problem = resolved[address]
        placed.append(replace(row, area_code=code))
        if problem:
            written = " ".join(f"{prefix}{part}" for prefix, part in
                               zip(("หมู่ ", "ต.", "อ.", "จ."), (row.moo, row.subdistrict, row.district, row.province))
                               if part)
            warnings.append(RowError(row.row, "ที่อยู่", problem, written, "area", "warning"))
    return placed, warnings
