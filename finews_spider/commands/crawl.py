"""`scrapy crawl` with an exit status schedulers can trust.

Scrapy exits 0 whenever the process starts; cron and scrapyd need to know when a crawl
failed. The CrawlSummary extension decides (`finews/failed` in the stats) and this command
turns it into the process exit status.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        verdict = crawler.stats.get_value("finews/failed") if crawler.stats else None
        # No verdict means the crawl never got as far as closing normally (e.g. the store
        # could not be reached when the spider opened): that is a failure too.
        if self.crawler_process.bootstrap_failed or verdict is not False:
            self.exitcode = 1
