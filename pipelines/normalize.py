"""Item pipelines for normalisation: one thin adapter per core step.

Items are `Draft`s (a parsed page plus the document being built) until
`ValidationPipeline` turns them into article documents. A step that rejects the page turns
the item into a `Rejection`, which later pipelines pass along: nothing is dropped silently.
"""

from __future__ import annotations

from typing import Any, ClassVar

from finews_spider.model import Draft, Rejected, Rejection
from finews_spider.normalize import steps


class _StepPipeline:
    stage: ClassVar[str]

    def run(self, draft: Draft) -> Any:
        dict(steps.STEPS)[self.stage](draft)
        return draft

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Draft):
            return item  # a Rejection (or a finished article) passes through untouched
        try:
            return self.run(item)
        except Rejected as error:
            excerpt = f"{item.page.title} | {item.page.body_html[:300]}"
            return Rejection.from_error(item.page.url, error, excerpt, item.page.kind)


class DatesPipeline(_StepPipeline):
    stage = "dates"


class SecuritiesPipeline(_StepPipeline):
    stage = "securities"


class CleaningPipeline(_StepPipeline):
    stage = "cleaning"


class SignalsPipeline(_StepPipeline):
    stage = "signals"


class IdentityPipeline(_StepPipeline):
    stage = "identity"


class ValidationPipeline(_StepPipeline):
    """Checks the finished document against the article contract; emits the document."""

    stage = "validation"

    def run(self, draft: Draft) -> Any:
        return steps.finish(draft)
