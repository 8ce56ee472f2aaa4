"""Reading finews: the notebook API, export, search and the HTML report.

    from finews_spider.analysis import Articles
    with Articles() as news:
        news.find(code="00700", since="2024-03-01")

Times without an offset are Beijing time; every datetime returned is aware (UTC).
pandas and pyarrow (`frame`, Parquet export) come with the `analysis` extra.
"""

from finews_spider.analysis.articles import Articles, FilterArgs
from finews_spider.analysis.filters import BEIJING, Filters, to_instant
from finews_spider.analysis.records import Article, DayCount, Hit, Mention, Stock

__all__ = [
    "BEIJING",
    "Article",
    "Articles",
    "DayCount",
    "FilterArgs",
    "Filters",
    "Hit",
    "Mention",
    "Stock",
    "to_instant",
]
