"""What every run does with a parsed page, without Scrapy: the ledger and the sink.

`ledger`: the run's accounts (pages read, articles, rejections by reason, errors, the
writer's counts), the balance, the verdict, the summary line and the run id.
`sink`: the store side (articles, rejections, raw pages, the run record, the store line).
`pages`: a stored raw page made ready for the core again (reparse and `batch --from-store`).

The Scrapy pipelines, `finews batch` and `scrapy crawl reparse` are shells over these.
Nothing is imported here, so a batch worker that needs only `pages` loads no store driver.
"""
