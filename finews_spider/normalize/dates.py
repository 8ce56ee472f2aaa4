"""Publication dates: read every form Eastmoney and the finews mirror publish, exactly.

Every field is matched by an explicit regex and checked by `datetime` construction; nothing
is guessed. dateutil's ``fuzzy`` mode is never used (it silently invents a year), and a
relative date (``今天 16:25``) is only resolved against the page's fetch time, never "now".

Forms read (surrounding whitespace tolerated, nothing else):

- ``2022-03-03 16:39:57 +0800``, ``+08:00``, ``-0500``, ``Z`` -> the stated offset.
- ISO 8601 with a ``T`` (the Atom feed's ``<updated>``, API timestamps), read strictly by
  ``dateutil.parser.isoparse``: ``2022-03-03T16:39:57+08:00``, ``…57.123Z``, the basic
  ``20220303T163957+0800``, ``+08`` -> the stated offset (fractions dropped: instants are to
  the second); without an offset -> Beijing assumed.
- ``2021-12-08 10:46:18``, ``2021-12-08 10:46``, ``2021/12/08 10:46:18`` -> Beijing assumed.
- ``2022年03月03日 16:39[:57]``, ``2022年3月3日 9:05`` -> Beijing assumed.
- epoch milliseconds ``1653829208000`` (int or 13 digits) or seconds (10 digits) -> UTC.
- ``今天 16:25`` / ``昨天16:25[:SS]`` -> the fetch time's Beijing date (or the day before).
- ``(GMT+8, Asia/Shanghai, CST) 2022-03-03 16:39:57`` -> the rendered finews header; the label
  states the offset (the site's Jekyll ``timezone`` is Asia/Shanghai).
"""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from dateutil.parser import isoparse

from finews_spider.model import Rejected

__all__ = [
    "BEIJING",
    "PublishedDate",
    "check_against_article_id",
    "parse_published",
]

#: China Standard Time; no daylight saving since 1991.
BEIJING = timezone(timedelta(hours=8))

STAGE = "dates"

#: Longer raw values are rejected before any regex runs, so hostile input stays cheap.
MAX_RAW_LENGTH = 100
#: Nothing Eastmoney publishes is older than this.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
#: How far past `now` a date may lie (clock skew, time zones) before it is implausible.
FUTURE_SLACK = timedelta(days=1)
#: Real-world UTC offsets run from -12:00 to +14:00.
MIN_OFFSET = timedelta(hours=-12)
MAX_OFFSET = timedelta(hours=14)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# [0-9] rather than \d: \d also matches full-width and other Unicode digits.
_TIME = r"(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?"
_OFFSET = r"(?P<off>Z|(?P<sign>[+-])(?P<oh>[0-9]{2}):?(?P<om>[0-9]{2}))"

_NUMERIC_RE = re.compile(
    r"(?P<y>[0-9]{4})(?P<sep>[-/])(?P<mo>[0-9]{2})(?P=sep)(?P<d>[0-9]{2})"
    r"(?:T|[ \t]+)(?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?"
    r"(?:[ \t]*" + _OFFSET + r")?"
)
_CHINESE_RE = re.compile(r"(?P<y>[0-9]{4})年(?P<mo>[0-9]{1,2})月(?P<d>[0-9]{1,2})日[ \t]*" + _TIME)
_RELATIVE_RE = re.compile(r"(?P<day>今天|昨天)[ \t]*" + _TIME)
_HEADER_RE = re.compile(
    r"\([ \t]*GMT\+8[ \t]*,[ \t]*Asia/Shanghai[ \t]*,[ \t]*CST[ \t]*\)[ \t]*"
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})[ \t]+"
    r"(?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})"
)
# ISO 8601 date and time to the minute at least (isoparse alone would also take week dates
# and an hour with no minutes).
_ISO_T_RE = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}T[0-9]{2}:?[0-9]{2}")
_EPOCH_RE = re.compile(r"[0-9]{13}|[0-9]{10}")
# `date:  +0800`: the mirror appended an offset to an empty date.
_OFFSET_ONLY_RE = re.compile(r"[+-][0-9]{2}:?[0-9]{2}")
# Shapes recognised only to explain a rejection better.
_DATE_ONLY_RE = re.compile(
    r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}|[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日"
)
_TIME_ONLY_RE = re.compile(r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?")

_ARTICLE_ID_RE = re.compile(r"[0-9]{18}")

_QUOTE_LENGTH = 60
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _QUOTE_LENGTH


@dataclass(frozen=True)
class PublishedDate:
    """A publication time read from a page."""

    #: aware, in UTC, to the second (microsecond=0)
    instant: datetime
    #: exactly as given (``str(raw)`` for ints)
    raw: str
    #: offset as published or assumed, ``+08:00`` form (``+00:00`` for epoch values)
    tz: str
    #: True when no offset was given and Beijing time was assumed
    tz_assumed: bool


def parse_published(
    raw: str | int | None, *, fetched_at: datetime | None, now: datetime | None = None
) -> PublishedDate:
    """Read a published date, or raise `Rejected` (stage ``dates``) saying why not.

    `fetched_at` (aware) resolves relative dates (``今天 16:25``); when it is None they are
    rejected. `now` (aware, default the current UTC time) bounds the future. Reasons:
    ``date_missing``, ``date_unreadable``, ``date_invalid``, ``date_implausible``,
    ``date_relative_without_fetch_time``.

    Naive `fetched_at` or `now` is a programming error: ValueError.
    """
    _require_aware(fetched_at, "fetched_at")
    if now is None:
        now = datetime.now(UTC)
    _require_aware(now, "now")

    if raw is None:
        raise Rejected(STAGE, "date_missing", "The page gives no published date.")
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise Rejected(
            STAGE,
            "date_unreadable",
            f"The published date is a {type(raw).__name__}, not text or a number: {_quote(raw)}.",
        )
    if isinstance(raw, int):
        return _check(_parse_int(raw), now)
    return _check(_parse_text(raw, fetched_at), now)


def check_against_article_id(instant: datetime, article_id: str) -> None:
    """Reject a date more than a day away from the date prefix of an Eastmoney article id.

    Eastmoney's 18-digit news ids begin with the Beijing publication date
    (``202203032295917825`` -> 2022-03-03). Ids of another shape, or whose first eight digits
    are not a date, cannot be checked: the call returns without a verdict.
    """
    _require_aware(instant, "instant")
    if not isinstance(article_id, str) or not _ARTICLE_ID_RE.fullmatch(article_id):
        return
    try:
        id_date = date(int(article_id[:4]), int(article_id[4:6]), int(article_id[6:8]))
    except ValueError:
        return
    published = instant.astimezone(BEIJING).date()
    if abs((published - id_date).days) > 1:
        raise Rejected(
            STAGE,
            "date_disagrees_with_id",
            f"The published date {published.isoformat()} (Beijing) is more than a day away "
            f"from the date {id_date.isoformat()} that begins article id {article_id!r}.",
        )


# -- forms --------------------------------------------------------------------------------


def _parse_int(raw: int) -> PublishedDate:
    # str() of an int over 4300 digits raises; anything over 64 bits is not a timestamp.
    if raw < 0 or raw.bit_length() > 64:
        shown = str(raw) if raw.bit_length() <= 64 else f"an integer of {raw.bit_length()} bits"
        raise Rejected(
            STAGE,
            "date_unreadable",
            f"The published date {shown} is not epoch seconds or milliseconds.",
        )
    text = str(raw)
    if not _EPOCH_RE.fullmatch(text):
        raise Rejected(
            STAGE,
            "date_unreadable",
            f"The published date {text} is not epoch seconds (10 digits) "
            "or milliseconds (13 digits).",
        )
    return _from_epoch(text, text)


def _parse_text(raw: str, fetched_at: datetime | None) -> PublishedDate:
    if len(raw) > MAX_RAW_LENGTH:
        raise Rejected(
            STAGE,
            "date_unreadable",
            f"The published date is {len(raw)} characters long, too long to be a date: "
            f"{_quote(raw)}.",
        )
    text = raw.strip()
    if not text:
        raise Rejected(STAGE, "date_missing", f"The published date is empty: {_quote(raw)}.")
    if _OFFSET_ONLY_RE.fullmatch(text):
        raise Rejected(
            STAGE,
            "date_missing",
            f"The published date {_quote(raw)} is only a time-zone offset, with no date.",
        )

    if _ISO_T_RE.match(text) and (iso := _iso8601(raw, text)) is not None:
        return iso
    if m := _NUMERIC_RE.fullmatch(text):
        if m["off"] is None:
            return _local(raw, m, BEIJING, assumed=True)
        return _local(raw, m, _offset(raw, m), assumed=False)
    if m := _CHINESE_RE.fullmatch(text):
        return _local(raw, m, BEIJING, assumed=True)
    if m := _HEADER_RE.fullmatch(text):
        return _local(raw, m, BEIJING, assumed=False)
    if _EPOCH_RE.fullmatch(text):
        return _from_epoch(raw, text)
    if m := _RELATIVE_RE.fullmatch(text):
        return _relative(raw, m, fetched_at)

    if _DATE_ONLY_RE.fullmatch(text):
        why = "has a date but no time of day"
    elif _TIME_ONLY_RE.fullmatch(text):
        why = "has a time of day but no date"
    else:
        why = "is not in any date format Eastmoney or the finews mirror publishes"
    raise Rejected(STAGE, "date_unreadable", f"The published date {_quote(raw)} {why}.")


def _iso8601(raw: str, text: str) -> PublishedDate | None:
    """A strict ISO 8601 date-time, or None when isoparse refuses it (the patterns below
    then say what is wrong with it, or that it is unreadable)."""
    try:
        value = isoparse(text)
        offset = value.utcoffset()
    except (ValueError, OverflowError):
        return None
    if offset is not None and not MIN_OFFSET <= offset <= MAX_OFFSET:
        return None
    fields = (value.year, value.month, value.day, value.hour, value.minute, value.second)
    if offset is None:
        return _build(raw, fields, BEIJING, assumed=True)
    return _build(raw, fields, timezone(offset), assumed=False)


def _from_epoch(raw: str, digits: str) -> PublishedDate:
    seconds = int(digits) // 1000 if len(digits) == 13 else int(digits)
    instant = _EPOCH + timedelta(seconds=seconds)
    return PublishedDate(instant=instant, raw=raw, tz="+00:00", tz_assumed=False)


def _relative(raw: str, m: re.Match[str], fetched_at: datetime | None) -> PublishedDate:
    if fetched_at is None:
        raise Rejected(
            STAGE,
            "date_relative_without_fetch_time",
            f"The published date {_quote(raw)} is relative to the day the page was read, "
            "and that day is not known.",
        )
    try:
        day = fetched_at.astimezone(BEIJING).date()
        if m["day"] == "昨天":
            day -= timedelta(days=1)
    except OverflowError:  # a fetch time at the very edge of the datetime range
        raise Rejected(
            STAGE,
            "date_implausible",
            f"The published date {_quote(raw)} is relative to a fetch time outside the range "
            f"of representable dates ({fetched_at.isoformat()}).",
        ) from None
    fields = (day.year, day.month, day.day, int(m["h"]), int(m["mi"]), int(m["s"] or 0))
    return _build(raw, fields, BEIJING, assumed=True)


def _local(raw: str, m: re.Match[str], tz: timezone, *, assumed: bool) -> PublishedDate:
    fields = (
        int(m["y"]),
        int(m["mo"]),
        int(m["d"]),
        int(m["h"]),
        int(m["mi"]),
        int(m["s"] or 0),
    )
    return _build(raw, fields, tz, assumed=assumed)


def _build(
    raw: str, fields: tuple[int, int, int, int, int, int], tz: timezone, *, assumed: bool
) -> PublishedDate:
    year, month, day, hour, minute, second = fields
    try:
        # datetime() checks every field: 31 February, hour 24+, minute 60+, second 60
        # (a leap second) and year 0 all raise.
        local = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError as error:
        raise Rejected(
            STAGE,
            "date_invalid",
            f"The published date {_quote(raw)} is not a real time ({error}).",
        ) from None
    try:
        instant = local.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, or year 9999 west of it
        raise Rejected(
            STAGE,
            "date_implausible",
            f"The published date {_quote(raw)} is outside the range of representable times.",
        ) from None
    return PublishedDate(
        instant=instant,
        raw=raw,
        tz=_format_offset(tz.utcoffset(None)),
        tz_assumed=assumed,
    )


def _offset(raw: str, m: re.Match[str]) -> timezone:
    if m["off"] == "Z":
        return UTC
    hours, minutes = int(m["oh"]), int(m["om"])
    if minutes >= 60:
        delta = None
    else:
        delta = timedelta(hours=hours, minutes=minutes)
        if m["sign"] == "-":
            delta = -delta
    if delta is None or not MIN_OFFSET <= delta <= MAX_OFFSET:
        raise Rejected(
            STAGE,
            "date_invalid",
            f"The published date {_quote(raw)} has the offset {m['off']!r}, which is not a "
            "real UTC offset (-12:00 to +14:00).",
        )
    return timezone(delta)


def _check(parsed: PublishedDate, now: datetime) -> PublishedDate:
    instant = parsed.instant
    if instant < EARLIEST:
        raise Rejected(
            STAGE,
            "date_implausible",
            f"The published date {_quote(parsed.raw)} is {instant.isoformat()}, "
            f"before {EARLIEST.date().isoformat()}.",
        )
    if instant - FUTURE_SLACK > now:  # not `now + FUTURE_SLACK`: that overflows near year 9999
        raise Rejected(
            STAGE,
            "date_implausible",
            # No `now` in the words: a golden outcome must not change with the clock.
            f"The published date {_quote(parsed.raw)} is {instant.isoformat()}, more than a "
            "day in the future.",
        )
    return parsed


# -- helpers ------------------------------------------------------------------------------


def _require_aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


def _format_offset(delta: timedelta | None) -> str:
    total = int((delta or timedelta()).total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _quote(raw: object) -> str:
    """The raw value for a message: repr, cut short when long (and never expensive)."""
    if isinstance(raw, str):
        if len(raw) > _QUOTE_LENGTH:
            return f"{raw[:_QUOTE_LENGTH]!r}... ({len(raw)} characters)"
        return repr(raw)
    try:
        return _REPR.repr(raw)
    except ValueError:  # e.g. an int too long to convert to text
        return f"<{type(raw).__name__}>"
