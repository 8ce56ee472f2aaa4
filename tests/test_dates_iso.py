"""ISO 8601 date-times (the Atom feed's <updated>, API timestamps) are read strictly by
dateutil's isoparse: fractions, the basic format and hour-only offsets, nothing fuzzy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from finews_spider.model import Rejected
from finews_spider.normalize.dates import parse_published

NOON_BEIJING = datetime(2022, 3, 3, 8, 39, 57, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "instant", "tz", "assumed"),
    [
        ("2022-03-03T16:39:57+08:00", NOON_BEIJING, "+08:00", False),
        ("2022-03-03T16:39:57.987+08:00", NOON_BEIJING, "+08:00", False),
        ("2022-03-03T08:39:57Z", NOON_BEIJING, "+00:00", False),
        ("20220303T163957+0800", NOON_BEIJING, "+08:00", False),
        ("2022-03-03T16:39:57+08", NOON_BEIJING, "+08:00", False),
        ("2022-03-03T03:39:57-05:00", NOON_BEIJING, "-05:00", False),
        ("2022-03-03T16:39:57", NOON_BEIJING, "+08:00", True),
    ],
)
def test_iso_8601_date_times(raw: str, instant: datetime, tz: str, assumed: bool) -> None:
    parsed = parse_published(raw, fetched_at=None)
    assert (parsed.instant, parsed.tz, parsed.tz_assumed, parsed.raw) == (instant, tz, assumed, raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2022-02-30T10:00:00+08:00", "date_invalid"),
        ("2022-03-03T16:39:57+08:61", "date_invalid"),
        ("2022-03-03T16:39:57+15:00", "date_invalid"),
        ("2022-W09-4T10:00", "date_unreadable"),  # a week date: ISO, but nobody publishes it
        ("2022-03-03T16", "date_unreadable"),  # no minutes: not to the second
        ("March 3rd 2022T16:39", "date_unreadable"),  # fuzzy: never
    ],
)
def test_what_isoparse_refuses_is_rejected_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(Rejected) as error:
        parse_published(raw, fetched_at=None)
    assert error.value.reason == reason
