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

Speed (a 5,000-order batch resolves thousands of addresses): jionlp tries every one of its
~3,500 province / city / county entries against each text (3–8 ms a text). `_IndexedParser`
first finds, through an index of the entries' names by first character, which entries name
anything the text contains, and lets jionlp's own matcher run over those alone, in their
original order: an entry none of whose names occurs in the text can never be a candidate,
so the answer is the same (tests compare it with the plain parser), about ten times sooner.
`resolve_many` parses each distinct text once and looks each distinct set of names up in
our division table once.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from yiwang.org.models import Division

# How the full name of a division ends, from province down to street / town.
FULL_NAME_ENDINGS = ("省", "市", "区", "县", "旗", "州", "盟", "街道", "镇", "乡")
# jionlp's parser keeps per-call state on itself (it writes match counts into its entries),
# and so does the index below: one text at a time per process.
_lock = threading.RLock()
_parser: Any = None


def _indexed_parser_class() -> type:
    from jionlp.gadget.location_parser import LocationParser

    class _IndexedParser(LocationParser):  # type: ignore[misc]
        """jionlp's parser, matching only the entries whose names occur in the text."""

        administrative_map_list: list[Any]  # jionlp's table (set by its _prepare)
        _indexed: list[Any] | None = None
        _names_by_first: dict[str, dict[str, list[int]]]

        def _index(self, entries: list[Any]) -> None:
            # entry = [code, [province, alias], [city, alias], [county, alias], is_current]
            by_first: dict[str, dict[str, list[int]]] = {}
            for position, entry in enumerate(entries):
                for level in entry[1:4]:
                    for name in level:
                        if name:
                            by_first.setdefault(name[0], {}).setdefault(name, []).append(position)
            self._names_by_first = by_first
            self._indexed = entries

        def get_candidates(self, location_text: str) -> Any:
            entries = self.administrative_map_list
            if self._indexed is not entries:  # first call, or jionlp rebuilt its table
                self._index(entries)
            hits: set[int] = set()
            for char in set(location_text):
                for name, positions in self._names_by_first.get(char, {}).items():
                    if name in location_text:
                        hits.update(positions)
            self.administrative_map_list = [entries[p] for p in sorted(hits)]
            try:
                return super().get_candidates(location_text)
            finally:
                self.administrative_map_list = entries

    return _IndexedParser


def _location_parser() -> Any:
    """The parser, loaded once per process on first use (about 0.5 s, 150 MB)."""
    global _parser
    with _lock:
        if _parser is None:
            # jionlp prints a banner on import; keep it out of a command's standard output.
            with contextlib.redirect_stdout(io.StringIO()):
                _parser = _indexed_parser_class()()
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
    parser = _location_parser()
    with _lock:
        result = parser(text, town_village=True, change2new=True)

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
    return resolve_many([text], node)[text]


def resolve_many(
    texts: Iterable[str], node: Division, on_progress: Callable[[int], None] | None = None
) -> dict[str, Resolved]:
    """Each distinct text resolved once; ``on_progress(n)`` after every 100 texts parsed."""
    by_names: dict[ParsedNames, Resolved] = {}
    resolved: dict[str, Resolved] = {}
    for count, text in enumerate(dict.fromkeys(texts), start=1):
        names = parse_names(text)
        if names not in by_names:
            by_names[names] = _resolve_names(names, node)
        resolved[text] = by_names[names]
        if on_progress is not None and count % 100 == 0:
            on_progress(count)
    return resolved


def _resolve_names(names: ParsedNames, node: Division) -> Resolved:
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
