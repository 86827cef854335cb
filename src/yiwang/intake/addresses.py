"""Free-text Chinese addresses → a division of this node, with jionlp's location parser.

jionlp (pinned in pyproject) ships its own administrative-division dictionary (2025 data:
Shenzhen's 龙华区, 坪山区 and 光明区 included, which cpca 0.5.5's 2020 table lacks) and
works offline: it reads files inside its package and downloads nothing. It finds
province, city, district/county and — where the text names one — the street/town; we then
look the names up in our own division table. The street a text names still gives no
point, so such an order waits for an operator to place it (待定位).

The parser also matches short aliases ("中山" for 中山市, "南山" for 南山区), which
makes "中山公园门口" a place in 中山市. A level counts here only when its full name is
written in the text; anything less leaves the address unresolved rather than wrongly
refused as outside the city.
"""

from __future__ import annotations

import contextlib
import io
import threading
from dataclasses import dataclass
from typing import Any

from yiwang.org.models import Division

# How the full name of a division ends, from province down to street / town.
FULL_NAME_ENDINGS = ("省", "市", "区", "县", "旗", "州", "盟", "街道", "镇", "乡")
_lock = threading.Lock()
_parser: Any = None


def _location_parser() -> Any:
    """jionlp's parser, loaded once per process on first use (about 0.5 s, 150 MB)."""
    global _parser
    with _lock:
        if _parser is None:
            # jionlp prints a banner on import; keep it out of a command's standard output.
            with contextlib.redirect_stdout(io.StringIO()):
                from jionlp.gadget.location_parser import LocationParser

                _parser = LocationParser()
    return _parser


@dataclass(frozen=True)
class ParsedNames:
    """The division names the text writes out in full, most general first."""

    province: str = ""
    city: str = ""
    county: str = ""
    town: str = ""

    def any(self) -> bool:
        return bool(self.province or self.city or self.county or self.town)

    def text(self) -> str:
        return "".join(n for n in (self.province, self.city, self.county, self.town) if n)


def parse_names(text: str) -> ParsedNames:
    result = _location_parser()(text, town_village=True, change2new=True)

    def literal(key: str) -> str:
        # A full name (ending 市, 区, 街道 …) written in the text; the parser sometimes
        # answers with the short name it matched ("南山" in "南山公园").
        name = result.get(key) or ""
        return name if name.endswith(FULL_NAME_ENDINGS) and name in text else ""

    return ParsedNames(literal("province"), literal("city"), literal("county"), literal("town"))


@dataclass(frozen=True)
class Resolved:
    names: ParsedNames
    # The most specific division of our table the text names (None: none found).
    division: Division | None
    # The text names a place, and that place is not within this node.
    outside: bool


def _one(candidates: list[Division], node: Division) -> Division | None:
    """The candidate inside the node if there is exactly one, else the only candidate."""
    inside = [d for d in candidates if d.path.startswith(node.path)]
    if len(inside) == 1:
        return inside[0]
    return candidates[0] if len(candidates) == 1 else None


def resolve(text: str, node: Division) -> Resolved:
    names = parse_names(text)
    if not names.any():
        return Resolved(names, None, outside=False)
    province = city = county = town = None
    if names.province:
        province = Division.objects.filter(
            level=Division.Level.PROVINCE, name=names.province
        ).first()
    if names.city:
        qs = Division.objects.filter(level=Division.Level.CITY, name=names.city)
        if province is not None:
            qs = qs.filter(parent=province)
        city = _one(list(qs[:5]), node)
    if names.county:
        qs = Division.objects.filter(level=Division.Level.COUNTY, name=names.county)
        if city is not None:
            qs = qs.filter(parent=city)
        county = _one(list(qs[:5]), node)
    if names.town:
        qs = Division.objects.filter(level=Division.Level.STREET, name=names.town)
        parent = county or city
        if parent is not None:
            qs = qs.filter(path__startswith=parent.path)
        town = _one(list(qs[:5]), node)
    division = town or county or city or province
    if division is None:
        # It names a city or district (北京市朝阳区) that is nowhere in our division table;
        # a street name alone that we do not hold says nothing.
        named = bool(names.province or names.city or names.county)
        return Resolved(names, None, outside=named)
    related = division.path.startswith(node.path) or node.path.startswith(division.path)
    return Resolved(names, division, outside=not related)
