"""finews_spider.normalize.dates: every published form, every rejection, exactly."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, find, given, settings
from hypothesis import strategies as st

from finews_spider.model import Rejected
from finews_spider.normalize.dates import (
    BEIJING,
    EARLIEST,
    FUTURE_SLACK,
    PublishedDate,
    check_against_article_id,
    parse_published,
)

FETCHED = datetime(2022, 3, 3, 9, 0, 0, tzinfo=UTC)  # 17:00 in Beijing, same day
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def parse(raw: Any, fetched_at: datetime | None = FETCHED) -> PublishedDate:
    return parse_published(raw, fetched_at=fetched_at, now=NOW)


def reject(raw: Any, fetched_at: datetime | None = FETCHED) -> Rejected:
    with pytest.raises(Rejected) as info:
        parse(raw, fetched_at)
    assert info.value.stage == "dates"
    return info.value


# -- forms that are read ------------------------------------------------------------------

# raw, UTC instant, tz, tz_assumed
READ = [
    # 1. explicit offsets
    ("2022-03-03 16:39:57 +0800", "2022-03-03T08:39:57+00:00", "+08:00", False),
    ("2022-03-03 16:39:57 +08:00", "2022-03-03T08:39:57+00:00", "+08:00", False),
    ("2022-03-03 16:39:57+0800", "2022-03-03T08:39:57+00:00", "+08:00", False),
    ("2022-03-03 03:39:57 -0500", "2022-03-03T08:39:57+00:00", "-05:00", False),
    ("2022-03-03 08:39:57 Z", "2022-03-03T08:39:57+00:00", "+00:00", False),
    ("2022-03-03T08:39:57Z", "2022-03-03T08:39:57+00:00", "+00:00", False),
    ("2022-03-03T16:39:57+08:00", "2022-03-03T08:39:57+00:00", "+08:00", False),
    ("2022-03-03T14:09:57+05:30", "2022-03-03T08:39:57+00:00", "+05:30", False),
    ("2022-03-03 16:39 +0800", "2022-03-03T08:39:00+00:00", "+08:00", False),
    ("2022-03-03 00:39:57 -00:00", "2022-03-03T00:39:57+00:00", "+00:00", False),
    # an offset crossing the UTC date line
    ("2022-03-03 01:00:00 +0800", "2022-03-02T17:00:00+00:00", "+08:00", False),
    # surrounding whitespace (incl. a full-width space and an HTML nbsp) is tolerated
    ("  2022-03-03 16:39:57 +0800\n", "2022-03-03T08:39:57+00:00", "+08:00", False),
    ("\u30002022-03-03 16:39:57 +0800\xa0", "2022-03-03T08:39:57+00:00", "+08:00", False),
    # 2. no offset: Beijing assumed
    ("2021-12-08 10:46:18", "2021-12-08T02:46:18+00:00", "+08:00", True),
    ("2021-12-08 10:46", "2021-12-08T02:46:00+00:00", "+08:00", True),
    ("2021/12/08 10:46:18", "2021-12-08T02:46:18+00:00", "+08:00", True),
    ("2021-12-08T10:46:18", "2021-12-08T02:46:18+00:00", "+08:00", True),
    ("2021-12-08 00:30:00", "2021-12-07T16:30:00+00:00", "+08:00", True),
    # 3. Chinese dates: Beijing assumed
    ("2022年03月03日 16:39", "2022-03-03T08:39:00+00:00", "+08:00", True),
    ("2022年03月03日 16:39:57", "2022-03-03T08:39:57+00:00", "+08:00", True),
    ("2022年3月3日 9:05", "2022-03-03T01:05:00+00:00", "+08:00", True),
    ("2022年03月03日16:39", "2022-03-03T08:39:00+00:00", "+08:00", True),
    # 4. epoch milliseconds / seconds
    (1653829208000, "2022-05-29T13:00:08+00:00", "+00:00", False),
    ("1653829208000", "2022-05-29T13:00:08+00:00", "+00:00", False),
    ("1653829208", "2022-05-29T13:00:08+00:00", "+00:00", False),
    (1653829208, "2022-05-29T13:00:08+00:00", "+00:00", False),
    (1653829208999, "2022-05-29T13:00:08+00:00", "+00:00", False),  # truncated to the second
    # 6. the rendered finews header: the label states the offset
    (
        "(GMT+8, Asia/Shanghai, CST) 2022-03-03 16:39:57",
        "2022-03-03T08:39:57+00:00",
        "+08:00",
        False,
    ),
]


@pytest.mark.parametrize(("raw", "instant", "tz", "assumed"), READ)
def test_reads(raw: str | int, instant: str, tz: str, assumed: bool) -> None:
    parsed = parse(raw)
    assert parsed.instant.isoformat() == instant
    assert parsed.instant.tzinfo is UTC
    assert parsed.instant.microsecond == 0
    assert parsed.tz == tz
    assert parsed.tz_assumed is assumed
    assert parsed.raw == (raw if isinstance(raw, str) else str(raw))


def test_seed_date() -> None:
    parsed = parse_published("2022-03-03 16:39:57 +0800", fetched_at=None)
    assert parsed == PublishedDate(
        instant=datetime(2022, 3, 3, 8, 39, 57, tzinfo=UTC),
        raw="2022-03-03 16:39:57 +0800",
        tz="+08:00",
        tz_assumed=False,
    )


def test_absolute_forms_need_no_fetch_time() -> None:
    for raw, instant, _, _ in READ:
        assert parse(raw, fetched_at=None).instant.isoformat() == instant


# -- relative dates -----------------------------------------------------------------------

# fetched_at (UTC), raw, UTC instant
RELATIVE = [
    # 09:00Z is 17:00 in Beijing on 03-03
    ("2022-03-03T09:00:00", "今天 16:25", "2022-03-03T08:25:00+00:00"),
    ("2022-03-03T09:00:00", "今天16:25", "2022-03-03T08:25:00+00:00"),
    ("2022-03-03T09:00:00", "今天 16:25:31", "2022-03-03T08:25:31+00:00"),
    ("2022-03-03T09:00:00", "今天 9:05", "2022-03-03T01:05:00+00:00"),
    ("2022-03-03T09:00:00", "昨天 16:25", "2022-03-02T08:25:00+00:00"),
    ("2022-03-03T09:00:00", "昨天16:25:31", "2022-03-02T08:25:31+00:00"),
    # 17:00Z on 03-03 is already 01:00 on 03-04 in Beijing
    ("2022-03-03T17:00:00", "今天 00:30", "2022-03-03T16:30:00+00:00"),
    ("2022-03-03T17:00:00", "今天 16:25", "2022-03-04T08:25:00+00:00"),
    ("2022-03-03T17:00:00", "昨天 23:50", "2022-03-03T15:50:00+00:00"),
    # 15:59:59Z is still 23:59:59 on 03-03 in Beijing
    ("2022-03-03T15:59:59", "今天 23:50", "2022-03-03T15:50:00+00:00"),
    ("2022-03-03T15:59:59", "昨天 23:50", "2022-03-02T15:50:00+00:00"),
    # yesterday across a month (and leap-day) boundary
    ("2024-02-29T17:00:00", "昨天 08:00", "2024-02-29T00:00:00+00:00"),
    ("2024-03-01T02:00:00", "昨天 08:00", "2024-02-29T00:00:00+00:00"),
]


@pytest.mark.parametrize(("fetched", "raw", "instant"), RELATIVE)
def test_relative(fetched: str, raw: str, instant: str) -> None:
    parsed = parse(raw, fetched_at=datetime.fromisoformat(fetched).replace(tzinfo=UTC))
    assert parsed.instant.isoformat() == instant
    assert parsed.tz == "+08:00"
    assert parsed.tz_assumed is True
    assert parsed.raw == raw


def test_relative_fetch_time_in_another_zone() -> None:
    # the same moment as 2022-03-03T17:00Z, stated in New York time
    fetched = datetime(2022, 3, 3, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert parse("今天 16:25", fetched_at=fetched).instant.isoformat() == (
        "2022-03-04T08:25:00+00:00"
    )


@pytest.mark.parametrize("raw", ["今天 16:25", "昨天16:25", " 今天 16:25:31 "])
def test_relative_without_fetch_time(raw: str) -> None:
    error = reject(raw, fetched_at=None)
    assert error.reason == "date_relative_without_fetch_time"
    assert raw in error.detail


# -- rejections ---------------------------------------------------------------------------

MISSING: list[Any] = [None, "", "   ", "\n\t", " +0800", "+08:00", "  -0500  "]
UNREADABLE: list[Any] = [
    "2022-03-03",  # date only
    "2022年03月03日",
    "16:39",  # time only
    "16:39:57",
    "garbage",
    "Z",
    "published 2022年03月03日 16:39 by X",  # fuzzy-style garbage around a date
    "2022年03月03日 16:39 by X",
    "on 2022-03-03 16:39:57 +0800",
    "2022-03-03 16:39:57 +0800 (Beijing)",
    "March 3, 2022 16:39",
    "03/03/2022 16:39",
    "2022-3-3 16:39",
    "2022-03/03 16:39",  # mixed separators
    "2022-03-03 16:39:57 +08",
    "2022-03-03 16:39:57 +8:00",
    "2022-03-03 16:39:57.123 +0800",
    "2022-03-03 16:39:57 CST",
    "２０２２-０３-０３ １６:３９",  # full-width digits
    "2022骞�03鏈�03鏃� 16:39",  # mojibake of 2022年03月03日
    "å¹´2022 16:39",
    "前天 16:25",
    "今天",
    "(GMT+9, Asia/Tokyo, JST) 2022-03-03 16:39:57",  # only the known header label
    "(GMT+8, Asia/Shanghai, CST) 2022-03-03 16:39:57 +0800",
    "165382920800",  # 12 digits: neither seconds nor milliseconds
    "16538292080000",
    165382920800,
    -1653829208000,
    pytest.param(10**5000, id="int-of-5000-digits"),  # too long even to turn into text
    1653829208000.0,
    True,
    ["2022-03-03 16:39:57 +0800"],
    b"2022-03-03 16:39:57 +0800",
    "2022-03-03 16:39:57 +0800" + " " * 100,  # over the length cap
    pytest.param("9" * 10_000, id="10000-nines"),
]
INVALID = [
    "2022-02-31 10:00:00",
    "2022-02-29 10:00:00 +0800",  # not a leap year
    "2022-13-01 10:00:00",
    "2022-00-10 10:00:00",
    "2022-03-00 10:00:00",
    "2022-03-03 24:00:00",
    "2022-03-03 25:00:00 +0800",
    "2022-03-03 16:61:00",
    "2022-03-03 16:39:60",  # leap seconds are not accepted
    "2016-12-31 23:59:60 Z",  # not even a real one
    "2022-03-03 16:39:57 +25:00",
    "2022-03-03 16:39:57 +0860",
    "2022-03-03 16:39:57 +15:00",
    "2022-03-03 16:39:57 -13:00",
    "2022年02月30日 16:39",
    "2022年3月3日 25:05",
    "今天 24:00",
    "昨天 16:60",
    "(GMT+8, Asia/Shanghai, CST) 2022-02-30 16:39:57",
]
IMPLAUSIBLE: list[Any] = [
    "1989-12-31 23:59:59 Z",
    "1990-01-01 07:59:59",  # 1989-12-31T23:59:59Z
    "0001-01-01 00:00:00 +0800",
    "1970年01月01日 08:00",
    "0000000000",
    "0000000000000",
    "0631151999",  # 1989-12-31T23:59:59Z
    "9999-12-31 23:59:59 -0500",  # past datetime.max in UTC
    "2026-01-02 00:00:01 Z",  # NOW + 1 day + 1 s
    "9999-12-31 23:59:59 +0800",
    9999999999999,
]


@pytest.mark.parametrize("raw", MISSING)
def test_missing(raw: Any) -> None:
    assert reject(raw).reason == "date_missing"


@pytest.mark.parametrize("raw", UNREADABLE)
def test_unreadable(raw: Any) -> None:
    assert reject(raw).reason == "date_unreadable"


@pytest.mark.parametrize("raw", INVALID)
def test_invalid(raw: str) -> None:
    error = reject(raw)
    assert error.reason == "date_invalid"
    assert raw.strip() in error.detail


@pytest.mark.parametrize("raw", IMPLAUSIBLE)
def test_implausible(raw: Any) -> None:
    assert reject(raw).reason == "date_implausible"


def test_plausibility_bounds_are_inclusive() -> None:
    assert parse("1990-01-01 00:00:00 Z").instant == datetime(1990, 1, 1, tzinfo=UTC)
    assert parse("2026-01-02 00:00:00 Z").instant == NOW + timedelta(days=1)


def test_now_defaults_to_the_current_time() -> None:
    tomorrow = datetime.now(UTC) + timedelta(hours=12)
    raw = tomorrow.strftime("%Y-%m-%d %H:%M:%S Z")
    assert parse_published(raw, fetched_at=None).instant == tomorrow.replace(microsecond=0)
    too_far = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S Z")
    with pytest.raises(Rejected) as info:
        parse_published(too_far, fetched_at=None)
    assert info.value.reason == "date_implausible"


def test_relative_is_never_resolved_against_now() -> None:
    # with a fetch time years before `now`, the result follows the fetch time
    parsed = parse("今天 10:00", fetched_at=datetime(2015, 6, 1, 3, tzinfo=UTC))
    assert parsed.instant == datetime(2015, 6, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw", ["2022-03-03", "garbage", " +0800", "2022-02-31 10:00:00", "1980-01-01 00:00 Z"]
)
def test_detail_quotes_the_raw_value(raw: str) -> None:
    error = reject(raw)
    assert repr(raw) in error.detail
    assert error.detail[0].isupper() and error.detail.endswith(".")
    assert str(error).startswith(f"dates/{error.reason}: ")


def test_long_input_is_quoted_short() -> None:
    error = reject("x" * 5000)
    assert error.reason == "date_unreadable"
    assert len(error.detail) < 300


@pytest.mark.parametrize("name", ["fetched_at", "now"])
def test_naive_datetimes_are_a_programming_error(name: str) -> None:
    kwargs: dict[str, Any] = {"fetched_at": None, "now": None, name: datetime(2022, 3, 3)}
    with pytest.raises(ValueError, match=name):
        parse_published("2022-03-03 16:39:57 +0800", **kwargs)


# -- properties ---------------------------------------------------------------------------

ALPHABET = "0123456789 -/:+TZ年月日今天昨()GMT,CSAiahng\t\n.x０９\u3000"
REASONS = {
    "date_missing",
    "date_unreadable",
    "date_invalid",
    "date_implausible",
    "date_relative_without_fetch_time",
}
# fetch times and "now"s at the edges of the datetime range must not overflow
EDGE_TIMES = [
    FETCHED,
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
    datetime(9999, 12, 31, 23, tzinfo=UTC),
    datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
]
# A "now" under which no date is implausibly late, so a guessed one shows.
LATEST = EDGE_TIMES[3]


def _shaped(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


# Published forms with their fields drawn at random, so most are readable and the rest are
# invalid or implausible in every way a field can be.
_TEMPLATES = st.one_of(
    _shaped(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{2}:?[0-9]{2}"),
    _shaped(r"[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日 [0-9]{1,2}:[0-9]{2}"),
    _shaped(r"(今天|昨天)[0-9]{1,2}:[0-9]{2}"),
    _shaped(r"[0-9]{10}|[0-9]{13}"),
    st.text(ALPHABET, max_size=40),
    st.text(st.characters(exclude_categories=()), max_size=30),  # lone surrogates included
)
_SEEDS = [raw for raw, *_ in READ if isinstance(raw, str)] + INVALID + UNREADABLE[:25]
# One edit of a real form: replace a character with one of ALPHABET, insert any character,
# or delete one; positions past the end clamp to it.
_EDIT = st.tuples(
    st.integers(0, 100),
    st.sampled_from(["replace", "insert", "delete"]),
    st.sampled_from(ALPHABET) | st.characters(max_codepoint=0x2FFFF, exclude_categories=()),
)


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    chars = list(draw(st.sampled_from(_SEEDS)))
    for at, op, char in draw(st.lists(_EDIT, min_size=1, max_size=3)):
        at = min(at, len(chars))
        if op == "insert":
            chars.insert(at, char)
        elif at < len(chars):
            if op == "replace":
                chars[at] = char
            else:
                del chars[at]
    return "".join(chars)


DATE_STRINGS = _TEMPLATES | _mutated()
# Fetch times and "now"s: none, the edges of the datetime range, and any aware time.
_ANY_AWARE = st.datetimes(timezones=st.sampled_from([UTC, BEIJING, timezone(timedelta(hours=-5))]))
FETCH_TIMES = st.sampled_from([None, *EDGE_TIMES]) | _ANY_AWARE
NOWS = st.sampled_from([NOW, *EDGE_TIMES]) | _ANY_AWARE


@given(raw=DATE_STRINGS, fetched=FETCH_TIMES, now=NOWS)
@example(raw="昨天 00:00", fetched=datetime(1, 1, 1, tzinfo=UTC), now=NOW)
@example(raw="今天 23:59", fetched=EDGE_TIMES[4], now=NOW)
@example(raw="9999-12-31 23:59:59 -0500", fetched=None, now=EDGE_TIMES[3])
@example(raw="0001-01-01 00:00:00 +0800", fetched=None, now=NOW)
@example(raw="20220303T163957.5+0800", fetched=None, now=NOW)
@example(raw="2022-03-03T16:39:57+14:01", fetched=None, now=NOW)
@example(raw="２０２２-０３-０３ １６:３９", fetched=FETCHED, now=NOW)
@example(raw="2022年0\ud800月03日 16:39", fetched=FETCHED, now=NOW)
@example(raw="9999999999999", fetched=None, now=EDGE_TIMES[3])
def test_any_string_is_read_or_rejected_with_a_reason(
    raw: str, fetched: datetime | None, now: datetime
) -> None:
    try:
        parsed = parse_published(raw, fetched_at=fetched, now=now)
    except Rejected as error:
        assert error.reason in REASONS
        assert error.detail
        return
    assert parsed.instant.tzinfo is UTC
    assert parsed.instant.microsecond == 0
    assert parsed.raw == raw
    assert parsed.instant >= EARLIEST and parsed.instant - FUTURE_SLACK <= now


# Dates that leave out the year, as Eastmoney's list pages and relative forms do.
YEARLESS = st.one_of(
    _shaped(r"[0-9]{1,2}月[0-9]{1,2}日 ?[0-9]{1,2}:[0-9]{2}"),
    _shaped(r"[0-9]{2}[-/][0-9]{2} [0-9]{2}:[0-9]{2}"),
    _shaped(r"(今天|昨天|前天)? ?([01]?[0-9]|2[0-5]):[0-6][0-9](:[0-6][0-9])?"),
    (st.text(ALPHABET, max_size=40) | _mutated()).filter(lambda raw: not re.search(r"\d{4}", raw)),
)


@given(raw=YEARLESS, fetched=FETCH_TIMES, now=NOWS)
@example(raw="3月3日 16:39", fetched=FETCHED, now=LATEST)
@example(raw="03-03 16:39", fetched=FETCHED, now=LATEST)
@example(raw="今天 16:25", fetched=None, now=LATEST)
@example(raw="昨天 00:00", fetched=FETCHED, now=NOW)
def test_a_year_is_never_invented(raw: str, fetched: datetime | None, now: datetime) -> None:
    """Text without a year (no run of four digits) is rejected, or resolved from the fetch
    time alone: never from `now` or the clock, never from a guess."""
    assert not _reads(raw, None, LATEST), f"{raw!r} was read with no fetch time"
    try:
        parsed = parse_published(raw, fetched_at=fetched, now=now)
    except Rejected:
        return
    assert fetched is not None, f"{raw!r} was read with no fetch time"
    day = fetched.astimezone(BEIJING).date()
    assert parsed.instant.astimezone(BEIJING).date() in {day, day - timedelta(days=1)}


def _reads(raw: str, fetched: datetime | None, now: datetime = NOW) -> bool:
    try:
        parse_published(raw, fetched_at=fetched, now=now)
    except Rejected:
        return False
    return True


FIND = settings(derandomize=True, database=None, max_examples=2000)


def test_the_date_strings_reach_real_dates() -> None:
    """The property above checks read dates too, not only rejections."""
    readable = find(DATE_STRINGS, lambda raw: _reads(raw, FETCHED), settings=FIND)
    assert parse(readable).raw == readable
    yearless = find(YEARLESS, lambda raw: _reads(raw, FETCHED), settings=FIND)
    assert parse(yearless).raw == yearless


@pytest.mark.parametrize("edge", EDGE_TIMES)
@pytest.mark.parametrize(
    "raw", ["今天 00:00", "昨天 00:00", "9999-12-31 23:59:59", "0001-01-01 00:00:00 Z"]
)
def test_edges_of_the_datetime_range(raw: str, edge: datetime) -> None:
    for fetched_at, now in ((edge, NOW), (FETCHED, edge)):
        try:
            parse_published(raw, fetched_at=fetched_at, now=now)
        except Rejected as error:
            assert error.reason in REASONS


@pytest.mark.parametrize(
    "raw", [r for r, *_ in READ] + [r for _, r, _ in RELATIVE], ids=lambda r: repr(r)
)
def test_never_naive_never_fractional(raw: str | int) -> None:
    instant = parse(raw).instant
    assert instant.tzinfo is not None and instant.utcoffset() == timedelta(0)
    assert instant.microsecond == 0


# -- article id cross-check ---------------------------------------------------------------

ARTICLE_ID = "202203032295917825"


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2022, 3, 3, 8, 39, 57, tzinfo=UTC),
        datetime(2022, 3, 2, 0, 0, tzinfo=BEIJING),  # a day before
        datetime(2022, 3, 4, 23, 59, tzinfo=BEIJING),  # a day after
        datetime(2022, 3, 4, 15, 59, tzinfo=UTC),  # 03-04 23:59 Beijing
    ],
)
def test_id_agrees(instant: datetime) -> None:
    check_against_article_id(instant, ARTICLE_ID)


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2022, 3, 1, 23, 59, tzinfo=BEIJING),
        datetime(2022, 3, 4, 16, 0, tzinfo=UTC),  # 03-05 00:00 Beijing
        datetime(2021, 3, 3, 8, tzinfo=UTC),
    ],
)
def test_id_disagrees(instant: datetime) -> None:
    with pytest.raises(Rejected) as info:
        check_against_article_id(instant, ARTICLE_ID)
    assert info.value.stage == "dates"
    assert info.value.reason == "date_disagrees_with_id"
    assert ARTICLE_ID in info.value.detail


@pytest.mark.parametrize(
    "article_id",
    [
        "202213032295917825",  # month 13: not a date, cannot check
        "202202302295917825",  # 30 February
        "000000002295917825",
        "20220303229591782",  # 17 digits
        "2022030322959178250",
        "NW202203032295917825",
        "AN202203031548371234",
        "２０２２０３０３２２９５９１７８２５",  # full-width digits
        "",
    ],
)
def test_id_uncheckable(article_id: str) -> None:
    check_against_article_id(datetime(2015, 1, 1, tzinfo=UTC), article_id)


def test_id_check_with_a_parsed_date() -> None:
    parsed = parse("2022-03-03 01:00:00 +0800")  # 03-02 in UTC, 03-03 in Beijing
    check_against_article_id(parsed.instant, ARTICLE_ID)
    check_against_article_id(parsed.instant, "202203042295917825")
    with pytest.raises(Rejected):
        check_against_article_id(parsed.instant, "202203052295917825")


def test_id_check_rejects_naive_instant() -> None:
    with pytest.raises(ValueError, match="instant"):
        check_against_article_id(datetime(2022, 3, 3), ARTICLE_ID)
