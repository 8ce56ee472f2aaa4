"""Names linked to codes: a security the text names without its code (role ``name``).

The weakest evidence, and the only one that needs to know securities beforehand: the table
of names comes from the securities master (names read from inline tags and written codes,
never guessed) and is an input here, so the core stays pure. `name_table(masters)` builds it;
`link_names(texts, stocks, table)` finds the names in the texts.

Rules:
- a name is linked only when exactly one security in the master is known by it
  (`中国平安` names both 601318 and 02318: not linked);
- names shorter than `MIN_NAME_CHARS` characters are not linked (`平安`, `中信` are words);
- the longest name at a position wins, and a name inside a longer known name is not read
  (`比亚迪股份` is not also `比亚迪`), ambiguous names included;
- a security the article already names (chart, tag, text) gets no `name` entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

MIN_NAME_CHARS: Final = 3
_MAX_TEXT = 200_000
_ENTRY_FIELDS = ("secid", "code", "market_id", "market", "kind")
#: Evidence a name may come from; an entry that only has ``name`` learned it from the table.
NAME_SOURCES: Final = frozenset({"chart", "tag", "text"})

#: name -> the stocks entry it links to (None: ambiguous, read but never linked).
NameTable = Mapping[str, Mapping[str, Any] | None]


def name_table(masters: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """The name table from securities master documents (``_id`` secid, ``code``,
    ``market_id``, ``market``, ``kind``, ``names[].name``)."""
    table: dict[str, dict[str, Any] | None] = {}
    for master in masters:
        secid = master.get("_id")
        entry = {"secid": secid, **{k: master.get(k) for k in _ENTRY_FIELDS[1:]}}
        for known in master.get("names") or []:
            name = known.get("name") if isinstance(known, Mapping) else None
            if not isinstance(name, str) or len(name) < MIN_NAME_CHARS:
                continue
            if name in table:
                current = table[name]
                if current is None or current["secid"] != secid:
                    table[name] = None
            else:
                table[name] = {**entry, "name": name} if master.get("kind") == "stock" else None
    return table


def link_names(
    texts: Iterable[str | None], stocks: Iterable[Mapping[str, Any]], table: NameTable
) -> list[dict[str, Any]]:
    """``stocks`` entries (role ``name``) for the securities `texts` name without a code."""
    if not table:
        return []
    lengths = sorted({len(name) for name in table}, reverse=True)
    named = {s.get("secid") for s in stocks}
    out: dict[str, dict[str, Any]] = {}
    budget = _MAX_TEXT
    for text in texts:
        if not isinstance(text, str) or budget <= 0:
            continue
        text = text[:budget]
        budget -= len(text)
        i = 0
        while i < len(text):
            for length in lengths:
                candidate = text[i : i + length]
                if len(candidate) == length and candidate in table:
                    entry = table[candidate]
                    if entry is not None and entry["secid"] not in named:
                        out.setdefault(entry["secid"], {**entry, "roles": ["name"]})
                    i += length - 1
                    break
            i += 1
    return list(out.values())
