"""Eastmoney market ids: the one market table of the project.

A security is named by a *secid*, ``<market_id>.<code>`` (``116.00992``). The market id alone
does not say what the security is (market 0 holds Shenzhen stocks, Shenzhen indexes, funds and
Beijing stocks), so `classify` reads the code shape too. Sources: the field guide
(``shared/reference/eastmoney.md``, "Market ids"); where the guide is silent the choice is
marked *(choice)* below.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
from typing import Final, Literal

Market = Literal["SH", "SZ", "BJ", "HK", "NASDAQ", "NYSE", "AMEX", "LSE", "BK", "INDEX", "OTHER"]
Kind = Literal["stock", "board", "index", "fund", "other"]

MARKETS: Final[tuple[Market, ...]] = (
    "SH",
    "SZ",
    "BJ",
    "HK",
    "NASDAQ",
    "NYSE",
    "AMEX",
    "LSE",
    "BK",
    "INDEX",
    "OTHER",
)
KINDS: Final[tuple[Kind, ...]] = ("stock", "board", "index", "fund", "other")

#: Longest code accepted anywhere (schema: `code.maxLength`).
MAX_CODE_LEN: Final = 20

SZ: Final = 0  # Shenzhen; Beijing stocks also use 0 (quote type 81)
SH: Final = 1
CSI: Final = 2  # China Securities Index indexes
BOARDS: Final = 90  # Eastmoney boards BK…: region, industry, concept
NASDAQ: Final = 105
NYSE: Final = 106
AMEX: Final = 107  # NYSE American
HK_IDS: Final = frozenset({116, 128})  # 116 quotes, 128 list filters: both Hong Kong stocks
US_OTC: Final = 153  # pink sheets
LSE_IDS: Final = frozenset({155, 156})  # 156 = international order book (GDRs)
#: 100 global indexes (HSI, DJIA, SPX…); 124, 125, 305 Hong Kong indexes.
INDEX_IDS: Final = frozenset({100, 124, 125, 305})
#: Futures, FX and gold: 8 CFFEX; 101–104, 108–112 international futures; 113 SHFE, 114 DCE,
#: 115 ZCE, 142 INE, 225 GFEX; 118 Shanghai Gold Exchange; 119, 120, 133 foreign exchange.
DERIVATIVE_IDS: Final = frozenset(
    {8, 101, 102, 103, 104, 108, 109, 110, 111, 112, 113, 114, 115, 118, 119, 120, 133, 142, 225}
)
US_IDS: Final[dict[int, Market]] = {NASDAQ: "NASDAQ", NYSE: "NYSE", AMEX: "AMEX"}

#: Every market id this table knows. Codes under other ids are not accepted (`canonical_code`).
KNOWN_IDS: Final = frozenset(
    {SZ, SH, CSI, BOARDS, US_OTC, *US_IDS, *HK_IDS, *LSE_IDS, *INDEX_IDS, *DERIVATIVE_IDS}
)

#: US exchange names as old quote links and tag ids spell them (`?Market=NASDAQ`).
US_EXCHANGE_IDS: Final[dict[str, int]] = {"NASDAQ": NASDAQ, "NYSE": NYSE, "AMEX": AMEX}

_SAFE = re.compile(r"[0-9A-Za-z._-]{1,20}")
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_CSI = re.compile(r"[0-9A-Z]{6}")  # CSI index codes: 000300, 930050, H30269
_BOARD = re.compile(r"BK[0-9]{4}")
_HK = re.compile(r"[0-9]{1,5}")
# US tickers: letters first; class shares as BRK.B / BRK_B / BRK-B.
_US = re.compile(r"[A-Z][A-Z0-9]{0,9}(?:[._-][A-Z0-9]{1,5})?")
# Index, LSE and derivative tickers: HSI, N225, HSTECH, BP., GC00Y, rb2210 (case kept).
_TICKER = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,19}")


def _is_market_id(market_id: object) -> bool:
    return isinstance(market_id, int) and not isinstance(market_id, bool)


def canonical_code(market_id: int | None, code: str) -> str | None:
    """The code in its canonical shape for `market_id`, or None when it cannot be one.

    A shares, Beijing stocks and funds: 6 digits; CSI indexes: 6 characters, upper-case;
    Hong Kong: digits zero-padded to 5; US: upper-case tickers (``BRK.B``); boards: ``BK`` +
    4 digits, upper-case; indexes, LSE and derivatives: a short ticker (case kept for
    derivatives: Chinese futures codes are lower-case). `market_id` None means "only a fund
    code is known" (6 digits). Unknown market ids, empty or over-long codes and anything
    outside ``[0-9A-Za-z._-]`` give None, so callers can skip the value.
    """
    if not isinstance(code, str) or len(code) > MAX_CODE_LEN + 8:
        return None
    c = code.strip()
    if not _SAFE.fullmatch(c):
        return None
    if market_id is None:
        return c if _SIX_DIGITS.fullmatch(c) else None
    if not _is_market_id(market_id) or market_id not in KNOWN_IDS:
        return None
    if market_id in (SZ, SH):
        return c if _SIX_DIGITS.fullmatch(c) else None
    if market_id == CSI:
        u = c.upper()
        return u if _CSI.fullmatch(u) else None
    if market_id == BOARDS:
        u = c.upper()
        return u if _BOARD.fullmatch(u) else None
    if market_id in HK_IDS:
        return c.zfill(5) if _HK.fullmatch(c) else None
    if market_id in US_IDS or market_id == US_OTC:
        u = c.upper()
        return u if _US.fullmatch(u) else None
    if market_id in INDEX_IDS or market_id in LSE_IDS:
        u = c.upper()
        return u if _TICKER.fullmatch(u) else None
    # Derivatives (futures, FX, gold): keep the exchange's own case.
    return c if _TICKER.fullmatch(c) else None


def classify(market_id: int | None, code: str) -> tuple[Market, Kind]:
    """(market, kind) of the security `market_id.code`; ("OTHER", "other") when unknown."""
    c = canonical_code(market_id, code) or (code.strip() if isinstance(code, str) else "")
    if market_id is None:
        # Only a fund code is known (a fund.eastmoney.com link to an unlisted fund).
        return ("OTHER", "fund") if _SIX_DIGITS.fullmatch(c) else ("OTHER", "other")
    if not _is_market_id(market_id):
        return ("OTHER", "other")
    if market_id == SZ:
        if c.startswith("399"):
            return ("INDEX", "index")  # SZSE indexes (399001 深证成指, 399006 创业板指)
        if c.startswith(("15", "16", "18")):
            return ("SZ", "fund")  # ETFs, LOFs, closed-end funds
        if c.startswith(("4", "8", "9")):
            return ("BJ", "stock")  # Beijing (ex-NEEQ 43/83/87, new 92) share market id 0
        if c.startswith(("00", "30", "20")):
            return ("SZ", "stock")  # main board 00, ChiNext 30, B shares 20 (choice)
        return ("SZ", "other")  # bonds, convertibles, repos (choice)
    if market_id == SH:
        if c.startswith("000"):
            return ("INDEX", "index")  # SSE indexes (1.000001 上证指数, 1.000300 沪深300)
        if c.startswith("5"):
            return ("SH", "fund")  # ETFs, LOFs
        if c.startswith(("60", "68", "900")):
            return ("SH", "stock")  # main board 60, STAR 68, B shares 900 (choice)
        return ("SH", "other")  # bonds, repos, subscriptions (choice)
    if market_id == CSI:
        return ("INDEX", "index")
    if market_id == BOARDS:
        return ("BK", "board")
    if market_id in INDEX_IDS:
        return ("INDEX", "index")
    if market_id in US_IDS:
        return (US_IDS[market_id], "stock")
    if market_id in HK_IDS:
        return ("HK", "stock")
    if market_id in LSE_IDS:
        return ("LSE", "stock")
    if market_id == US_OTC:
        return ("OTHER", "stock")  # US OTC: a stock, but no exchange in the enum
    # Futures, FX, gold (DERIVATIVE_IDS) and ids this table does not know.
    return ("OTHER", "other")


def fund_market_id(code: str) -> int | None:
    """Market id of a fund named only by its code (a fund.eastmoney.com link).

    Exchange-listed funds: 5xxxxx on Shanghai (1), 15xxxx/16xxxx on Shenzhen (0); any other
    fund code is an unlisted (OTC) fund: None, secid ``OF.<code>``.
    """
    if code.startswith("5"):
        return SH
    if code.startswith(("15", "16")):
        return SZ
    return None


def secid_of(market_id: int | None, code: str) -> str:
    """Eastmoney secid ``<market_id>.<code>``; ``OF.<code>`` for an unlisted fund."""
    return f"OF.{code}" if market_id is None else f"{market_id}.{code}"


#: A-share number plans (SSE, SZSE, BSE), for a six-digit code written without its exchange:
#: SH main board 600/601/603/605, STAR 688/689, B shares 900; SZ main board 000-003, ChiNext
#: 300/301, B shares 200; BJ 43/83/87/88/92 (all Beijing stocks share market id 0).
_A_SHARE_PLANS: Final[tuple[tuple[tuple[str, ...], int, Market], ...]] = (
    (("600", "601", "603", "605", "688", "689", "900"), SH, "SH"),
    (("000", "001", "002", "003", "300", "301", "200"), SZ, "SZ"),
    (("43", "83", "87", "88", "92"), SZ, "BJ"),
)

#: Exchange suffixes written after a code in text (`600519.SH`, `00700.HK`, `BABA.N`) and
#: the market id each names. `.US` names no exchange, so it gives no secid (choice, as for
#: old quote links without `?Market=`).
TEXT_SUFFIX_IDS: Final[dict[str, int]] = {
    "SH": SH,
    "SS": SH,
    "SZ": SZ,
    "BJ": SZ,
    "HK": 116,
    "N": NYSE,
    "O": NASDAQ,
    "OQ": NASDAQ,
}


def a_share_plan(code: str) -> tuple[int, Market] | None:
    """(market id, market) of a six-digit A-share stock code by the exchanges' number plans,
    or None when no plan holds it (indexes, funds, bonds, dates and amounts mostly)."""
    if not _SIX_DIGITS.fullmatch(code):
        return None
    for prefixes, market_id, market in _A_SHARE_PLANS:
        if code.startswith(prefixes):
            return market_id, market
    return None
