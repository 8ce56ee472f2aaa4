"""Alerts where operators look: e-mail (SMTP), a Slack-compatible webhook, a JSON webhook.

Spidermon actions, configured by settings alone (declared in settings.py: each falls back
to the environment variable of the same name, so secrets stay out of files); an action
whose setting is unset does nothing. They run once, when the close monitors have finished,
and send when the run failed (for any reason the summary names, not only a failed
monitor), or on every run with FINEWS_ALERT_ON_SUCCESS=1.

FINEWS_ALERT_SMTP_HOST           SMTP server (unset: no e-mail); FINEWS_ALERT_SMTP_PORT (25)
FINEWS_ALERT_SMTP_USER/_PASSWORD  login, when the server needs one
FINEWS_ALERT_SMTP_STARTTLS       1: STARTTLS before login
FINEWS_ALERT_EMAIL_FROM          sender (finews@<hostname>)
FINEWS_ALERT_EMAIL_TO            recipients, comma-separated
FINEWS_ALERT_SLACK_WEBHOOK_URL   a Slack incoming webhook (Mattermost, Rocket.Chat, Teams'
                                 Slack-compatible endpoints alike): {"text": …}
FINEWS_ALERT_WEBHOOK_URL         any endpoint taking a JSON POST (the payload below)
FINEWS_ALERT_ON_SUCCESS          1: alert on healthy runs too
FINEWS_ALERT_TIMEOUT             seconds per delivery (10)

Spidermon's own SendSmtpEmail goes through Scrapy's Twisted MailSender and Jinja templates,
and its Slack action needs a bot token (slack-sdk), not an incoming webhook: these few lines
of smtplib and urllib fit a cron job better.
"""

from __future__ import annotations

import json
import logging
import smtplib
import socket
import urllib.request
import warnings
from email.message import EmailMessage
from typing import Any

from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon.core.actions import Action

from finews_spider.ingest.ledger import Verdict, judge
from finews_spider.monitors import CloseMonitorSuite
from finews_spider.settings import number
from finews_spider.settings import setting as declared_setting

# Spidermon's runner still calls Spider.log(), deprecated in Scrapy 2.19: a warning on every
# run that the operator can do nothing about.
warnings.filterwarnings(
    "ignore",
    message=r"Spider\.log\(\) is deprecated",
    category=ScrapyDeprecationWarning,
    module=r"spidermon\.",
)

logger = logging.getLogger("finews.alerts")


def setting(settings: Any, name: str) -> str:
    return str(declared_setting(settings, name))


def enabled(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def alert_payload(verdict: Verdict, failed_monitors: list[dict[str, str]]) -> dict[str, Any]:
    """What every channel says: the summary, why the run failed, the monitors that failed."""
    book = verdict.book
    return {
        "run_id": verdict.run_id,
        "spider": verdict.spider,
        "status": "FAILED" if verdict.failed else "ok",
        "reasons": verdict.reasons,
        "summary": verdict.line,
        "failed_monitors": failed_monitors,
        "pages": book["pages_read"],
        "articles": {k: book.get(f"articles_{k}", 0) for k in ("new", "updated", "unchanged")},
        "rejected": book["rejected_by_reason"],
        "dead_lettered": book["dead_lettered"],
        "host": socket.gethostname(),
    }


def alert_text(payload: dict[str, Any]) -> str:
    lines = [
        f"finews {payload['spider']} run {payload['run_id'] or '(not started)'}: "
        f"{payload['status']}",
        payload["summary"],
    ]
    if payload["reasons"]:
        lines.append("Reasons: " + "; ".join(payload["reasons"]))
    for monitor in payload["failed_monitors"]:
        lines.append(f"Failed monitor: {monitor['name']}: {monitor['message']}")
    return "\n".join(lines)


def not_started_payload(spider: str, line: str) -> dict[str, Any]:
    """The alert for a run that could not start (the store or Redis down): no run id, no
    counts, the one line that says why."""
    return {
        "run_id": None,
        "spider": spider,
        "status": "FAILED",
        "reasons": [line],
        "summary": f"finews {spider}: did not start: {line}",
        "failed_monitors": [],
        "pages": 0,
        "articles": {"new": 0, "updated": 0, "unchanged": 0},
        "rejected": {},
        "dead_lettered": 0,
        "host": socket.gethostname(),
    }


def alert_not_started(settings: Any, spider: str, line: str) -> None:
    """Every configured channel, for a crawl that failed before Spidermon could run."""
    payload = not_started_payload(spider, line)
    timeout = number("FINEWS_ALERT_TIMEOUT", setting(settings, "FINEWS_ALERT_TIMEOUT"))
    for channel in (EmailAlert, SlackWebhookAlert, WebhookAlert):
        alert = channel()
        if alert.configured(settings):
            try:
                alert.send(settings, payload, timeout)
            except (OSError, smtplib.SMTPException) as exc:
                logger.warning(
                    "could not send the %s alert: %s: %s", alert.channel, type(exc).__name__, exc
                )


class _Alert(Action):
    """Send this run's alert through one channel, when it is configured and due."""

    channel = "?"

    def run_action(self) -> None:
        crawler = self.data.crawler
        settings = crawler.settings
        if not self.configured(settings):
            return
        stats = crawler.stats.get_stats()
        verdict = judge(
            stats, stats.get("finish_reason", "finished"), self.data.spider.name, settings
        )
        if not verdict.failed and not enabled(setting(settings, "FINEWS_ALERT_ON_SUCCESS")):
            return
        payload = alert_payload(verdict, self.failed_monitors())
        timeout = number("FINEWS_ALERT_TIMEOUT", setting(settings, "FINEWS_ALERT_TIMEOUT"))
        try:
            self.send(settings, payload, timeout)
        except (OSError, smtplib.SMTPException) as exc:
            # The run's own verdict stands; a channel that is down is worth one line, no more.
            logger.warning(
                "could not send the %s alert: %s: %s", self.channel, type(exc).__name__, exc
            )
            return
        crawler.stats.inc_value(f"finews/alerts/{self.channel}")
        logger.info("%s alert sent for run %s", self.channel, verdict.run_id)

    def failed_monitors(self) -> list[dict[str, str]]:
        failed = []
        for result in self.result.monitors_failed_results:
            reason = str(getattr(result, "reason", "") or "").strip().splitlines()
            # unittest's failure text ends with "AssertionError: <the monitor's message>"
            message = reason[-1].split(" : ", 1)[-1] if reason else ""
            failed.append(
                {"name": getattr(result.item, "name", str(result.item)), "message": message}
            )
        return failed

    def configured(self, settings: Any) -> bool:
        raise NotImplementedError

    def send(self, settings: Any, payload: dict[str, Any], timeout: float) -> None:
        raise NotImplementedError


class EmailAlert(_Alert):
    channel = "email"

    def configured(self, settings: Any) -> bool:
        return bool(setting(settings, "FINEWS_ALERT_SMTP_HOST"))

    def send(self, settings: Any, payload: dict[str, Any], timeout: float) -> None:
        recipients = [
            a.strip() for a in setting(settings, "FINEWS_ALERT_EMAIL_TO").split(",") if a.strip()
        ]
        if not recipients:
            raise OSError("FINEWS_ALERT_EMAIL_TO is empty")
        message = EmailMessage()
        message["Subject"] = (
            f"[finews] {payload['spider']} {payload['status']}: "
            f"run {payload['run_id'] or '(not started)'}"
        )
        message["From"] = setting(settings, "FINEWS_ALERT_EMAIL_FROM") or (
            f"finews@{socket.gethostname()}"
        )
        message["To"] = ", ".join(recipients)
        message.set_content(alert_text(payload))
        host = setting(settings, "FINEWS_ALERT_SMTP_HOST")
        port = int(number("FINEWS_ALERT_SMTP_PORT", setting(settings, "FINEWS_ALERT_SMTP_PORT")))
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if enabled(setting(settings, "FINEWS_ALERT_SMTP_STARTTLS")):
                smtp.starttls()
            user = setting(settings, "FINEWS_ALERT_SMTP_USER")
            if user:
                smtp.login(user, setting(settings, "FINEWS_ALERT_SMTP_PASSWORD"))
            smtp.send_message(message)


def post_json(url: str, body: dict[str, Any], timeout: float) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False, default=str).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


class SlackWebhookAlert(_Alert):
    channel = "slack"

    def configured(self, settings: Any) -> bool:
        return bool(setting(settings, "FINEWS_ALERT_SLACK_WEBHOOK_URL"))

    def send(self, settings: Any, payload: dict[str, Any], timeout: float) -> None:
        text = alert_text(payload)
        post_json(setting(settings, "FINEWS_ALERT_SLACK_WEBHOOK_URL"), {"text": text}, timeout)


class WebhookAlert(_Alert):
    channel = "webhook"

    def configured(self, settings: Any) -> bool:
        return bool(setting(settings, "FINEWS_ALERT_WEBHOOK_URL"))

    def send(self, settings: Any, payload: dict[str, Any], timeout: float) -> None:
        post_json(setting(settings, "FINEWS_ALERT_WEBHOOK_URL"), payload, timeout)


class AlertingCloseMonitorSuite(CloseMonitorSuite):
    """The close monitors, then the alerts (after RecordMonitorResults, whose verdict they
    read)."""

    monitors_finished_actions = [
        *CloseMonitorSuite.monitors_finished_actions,
        EmailAlert,
        SlackWebhookAlert,
        WebhookAlert,
    ]
