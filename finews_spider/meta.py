"""Request.meta keys and the crawl stats keys that more than one layer reads.

A leaf: spiders set these keys, and middlewares, pipelines, the distributed scheduler and
the monitors read them, so none of those has to import another to agree on a string.
"""

from __future__ import annotations

# --- Request.meta -----------------------------------------------------------------------

#: the response is an article page (not a list page): kept raw, skipped when known, counted
ARTICLE = "finews_article"
#: what the page's parse needs besides its bytes (`url`, `fetched_at`, `content_type`,
#: `list_record`); stored with the raw page so `reparse` can repeat it
CONTEXT = "finews_context"
#: a NewsShare article's infoCode, which names its article id when the URL does not
INFO_CODE = "finews_info_code"
#: set by SkipStoredArticles on a request it refused: the errback accounts nothing for it
SKIPPED = "finews_skipped_stored"
#: the folder a saved page must lie in (replay's download handler refuses anything else)
FOLDER = "finews_saved_folder"

# --- crawl stats read across layers ---------------------------------------------------

#: pages handed to the parsers (each is an article, a reject or a dead letter)
PAGES_READ = "finews/pages_read"
#: list pages read, and those that could not be read
LIST_PAGES = "finews/list_pages"
LIST_PAGES_FAILED = "finews/list_pages_failed"
#: the list pages that could not be read, as "URL (reason)" (the first few)
LIST_FAILURES = "finews/list_pages_failed_urls"
#: article requests not sent because the store already knows them
SKIPPED_STORED = "finews/skipped_stored"
SKIPPED_REJECTED = "finews/skipped_rejected"
#: prefix of the counts of links not followed, by reason
LINKS = "finews/links/"
