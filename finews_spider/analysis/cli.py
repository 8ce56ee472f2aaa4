"""`finews export`, `finews search` and `finews report`: the analysis commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from finews_spider.analysis.articles import Articles
from finews_spider.analysis.filters import Filters, beijing_day
from finews_spider.schema import stock_roles
from finews_spider.store.config import resolve_config

Subparsers = Any  # argparse's _SubParsersAction is private


def add_filter_options(parser: argparse.ArgumentParser, *, text: bool = True) -> None:
    parser.add_argument("--home", help="finews home (default: $FINEWS_HOME or ./.finews)")
    parser.add_argument("--uri", help="MongoDB URI (default: $MONGO_URI, else embedded)")
    parser.add_argument("--database", help="database (default: $MONGO_DATABASE or finews)")
    f = parser.add_argument_group("filters (all must hold; lists are comma-separated)")
    f.add_argument("--code", help="stock codes, e.g. 600519,00700")
    f.add_argument("--secid", help="Eastmoney security ids, e.g. 116.00700,90.BK0477")
    f.add_argument("--name", help="security names as tagged, e.g. 贵州茅台")
    f.add_argument("--role", choices=stock_roles(), help="how the security is named")
    f.add_argument("--outlet", help="outlets, e.g. 经济参考网")
    f.add_argument("--category", help="categories, e.g. jingjicankaowang,emnews")
    f.add_argument(
        "--since", help="from this time on (2024-03-05, 2024-03-05T09:30; no offset: Beijing)"
    )
    f.add_argument("--until", help="before this time (a date alone: through that Beijing day)")
    if text:
        f.add_argument("--text", help="phrases that must all appear (as finews search)")


def filters_of(args: argparse.Namespace) -> Filters:
    return Filters.of(
        code=args.code,
        secid=args.secid,
        name=args.name,
        role=args.role,
        outlet=args.outlet,
        category=args.category,
        since=args.since,
        until=args.until,
        text=getattr(args, "text", None),
    )


def open_articles(args: argparse.Namespace) -> Articles:
    return Articles(config=resolve_config(uri=args.uri, database=args.database, home=args.home))


def add_export(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="write matching articles to JSONL, CSV or Parquet (streamed)",
        description="Stream the matching articles (oldest first) to a file: JSONL, CSV (lists "
        "and stocks as JSON text) or Parquet (typed nested columns). Timestamps are UTC.",
    )
    p.add_argument("output", help="file to write (.jsonl, .csv, .parquet; - for stdout)")
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), help="default: from suffix")
    p.add_argument("--fields", help="comma-separated fields (default: all but search_terms)")
    p.add_argument("--batch-size", type=int, default=5000, help="articles per batch/row group")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_filter_options(p)
    p.set_defaults(func=export_command)


def export_command(args: argparse.Namespace) -> int:
    from finews_spider.analysis.export import export, format_of

    path = Path(args.output)
    try:
        fmt = format_of(path, args.format)
        filters = filters_of(args)
    except ValueError as exc:
        print(f"finews export: {exc}", file=sys.stderr)
        return 2
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            print(
                "finews export: Parquet needs pyarrow: pip install 'finews[analysis]'",
                file=sys.stderr,
            )
            return 2
    fields = [f.strip() for f in args.fields.split(",")] if args.fields else None
    with open_articles(args) as news:
        try:
            n = export(
                news,
                filters,
                path,
                fmt=fmt,
                fields=fields,
                batch_size=args.batch_size,
                progress=not args.no_progress,
            )
        except ValueError as exc:
            print(f"finews export: {exc}", file=sys.stderr)
            return 2
    print(f"exported {n} articles to {path} ({fmt})", file=sys.stderr)
    return 0


def add_search(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "search",
        help="Chinese keyword search, ranked, with highlights",
        description="Articles containing every phrase of QUERY (title or body; Latin words "
        "whole, case-insensitive), best first: title matches weigh more, then newer first.",
    )
    p.add_argument("query", nargs="+", help="phrases, e.g. 碳中和 or 碳中和 光伏")
    p.add_argument("--limit", type=int, default=20, help="results (default 20)")
    add_filter_options(p, text=False)
    p.set_defaults(func=search_command)


def search_command(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    try:
        filters_of(args)  # refuses unreadable times and roles before connecting
    except ValueError as exc:
        print(f"finews search: {exc}", file=sys.stderr)
        return 2
    with open_articles(args) as news:
        every = news.search(query, limit=None, **filters_kwargs(args))
    hits = every[: args.limit]
    for hit in hits:
        a = hit.article
        codes = ",".join(a.stock_codes)
        print(f"{beijing_day(a.published_at)} {a.outlet or '-'} [{codes}] {a.id} score={hit.score}")
        print(f"  {hit.title}")
        print(f"  {hit.snippet}")
    print(f"{len(every)} articles match {query!r}; {len(hits)} shown", file=sys.stderr)
    return 0


def filters_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    names = ("code", "secid", "name", "role", "outlet", "category", "since", "until")
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def add_report(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="one self-contained HTML report with plots (works offline)",
        description="Articles per Beijing day by outlet, most-mentioned securities by role, "
        "a security's timeline, rejects by reason per run and run health, in one HTML file "
        "with inline SVG (no network needed to view it).",
    )
    p.add_argument("-o", "--output", default="report.html", help="file (default report.html)")
    p.add_argument("--since", help="from (2024-03-05 or ISO 8601; no offset: Beijing)")
    p.add_argument("--until", help="before (a date alone: through that Beijing day)")
    p.add_argument("--code", help="the security whose timeline to draw (default: the top one)")
    p.add_argument("--home", help="finews home (default: $FINEWS_HOME or ./.finews)")
    p.add_argument("--uri", help="MongoDB URI (default: $MONGO_URI, else embedded)")
    p.add_argument("--database", help="database (default: $MONGO_DATABASE or finews)")
    p.set_defaults(func=report_command)


def report_command(args: argparse.Namespace) -> int:
    from finews_spider.analysis.report import collect, render

    try:
        Filters.of(since=args.since, until=args.until)
    except ValueError as exc:
        print(f"finews report: {exc}", file=sys.stderr)
        return 2
    with open_articles(args) as news:
        data = collect(news, args.since, args.until, code=args.code)
    Path(args.output).write_text(render(data), "utf-8")
    print(
        f"wrote {args.output}: {data.articles} articles, {data.outlets} outlets, "
        f"{data.runs} runs, {len(data.plots)} plots",
        file=sys.stderr,
    )
    return 0


COMMANDS = [add_export, add_search, add_report]
