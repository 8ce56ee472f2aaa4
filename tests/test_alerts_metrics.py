"""Alerts and metrics, received on loopback: an SMTP server (aiosmtpd), an HTTP endpoint
standing in for Slack, a JSON webhook and a Pushgateway; the textfile parsed back."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

Run = Callable[..., subprocess.CompletedProcess[str]]
ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "fixtures" / "eastmoney_page"


class Received:
    """Requests an HTTP endpoint on 127.0.0.1 was sent: (method, path, body)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        received = self

        class Handler(BaseHTTPRequestHandler):
            def _read(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.requests.append((self.command, self.path, self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = _read

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_endpoint() -> Iterator[Received]:
    endpoint = Received()
    try:
        yield endpoint
    finally:
        endpoint.close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


def alert_settings(smtp_port: int, endpoint: Received) -> list[str]:
    return [
        "-s", "FINEWS_ALERT_SMTP_HOST=127.0.0.1",
        "-s", f"FINEWS_ALERT_SMTP_PORT={smtp_port}",
        "-s", "FINEWS_ALERT_EMAIL_FROM=finews@test.invalid",
        "-s", "FINEWS_ALERT_EMAIL_TO=ops@test.invalid,oncall@test.invalid",
        "-s", f"FINEWS_ALERT_SLACK_WEBHOOK_URL={endpoint.url('/slack')}",
        "-s", f"FINEWS_ALERT_WEBHOOK_URL={endpoint.url('/hook')}",
    ]  # fmt: skip


def test_a_failed_run_alerts_each_channel_once(
    scrapy_run: Run, smtp_server: tuple[int, Mailbox], http_endpoint: Received
) -> None:
    port, mailbox = smtp_server
    run = scrapy_run(
        "crawl",
        "replay",
        "-a",
        f"path={PAGES}",
        "-s",
        "FINEWS_MIN_ARTICLES=100",
        *alert_settings(port, http_endpoint),
    )
    assert run.returncode == 1, run.stderr[-3000:]

    assert len(mailbox.messages) == 1
    sender, recipients, content = mailbox.messages[0]
    assert sender == "finews@test.invalid"
    assert recipients == ["ops@test.invalid", "oncall@test.invalid"]
    mail = message_from_bytes(content)
    assert "replay FAILED: run replay-" in mail["Subject"]
    body = mail.get_payload(decode=True).decode("utf-8")
    assert "finews replay: FAILED;" in body
    assert "Failed monitor: articles/minimum article count:" in body and "expected ≥ 100" in body

    by_path = {path: body for _, path, body in http_endpoint.requests}
    assert sorted(p for _, p, _ in http_endpoint.requests) == ["/hook", "/slack"]
    slack = json.loads(by_path["/slack"])
    assert list(slack) == ["text"] and "FAILED" in slack["text"]
    hook = json.loads(by_path["/hook"])
    assert hook["status"] == "FAILED" and hook["spider"] == "replay"
    assert hook["run_id"].startswith("replay-") and hook["run_id"] in hook["summary"]
    assert hook["reasons"] == ["monitors failed (articles/minimum article count)"]
    assert hook["failed_monitors"][0]["name"] == "articles/minimum article count"
    assert hook["pages"] > 0 and hook["articles"]["new"] > 0


def test_a_healthy_run_alerts_only_when_asked(
    scrapy_run: Run, smtp_server: tuple[int, Mailbox], http_endpoint: Received
) -> None:
    port, mailbox = smtp_server
    quiet = scrapy_run(
        "crawl", "replay", "-a", f"path={PAGES}", *alert_settings(port, http_endpoint)
    )
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert mailbox.messages == [] and http_endpoint.requests == []
    told = scrapy_run(
        "crawl",
        "replay",
        "-a",
        f"path={PAGES}",
        "-s",
        "FINEWS_ALERT_ON_SUCCESS=1",
        *alert_settings(port, http_endpoint),
    )
    assert told.returncode == 0, told.stderr[-3000:]
    assert len(mailbox.messages) == 1 and len(http_endpoint.requests) == 2
    hook = json.loads(next(b for _, p, b in http_endpoint.requests if p == "/hook"))
    assert hook["status"] == "ok" and hook["reasons"] == [] and hook["failed_monitors"] == []


def test_an_alert_channel_that_is_down_does_not_change_the_verdict(scrapy_run: Run) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    run = scrapy_run(
        "crawl",
        "replay",
        "-a",
        f"path={PAGES}",
        "-s",
        f"FINEWS_ALERT_WEBHOOK_URL=http://127.0.0.1:{port}/",
        "-s",
        "FINEWS_ALERT_ON_SUCCESS=1",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "could not send the webhook alert" in run.stderr


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_textfile_and_pushgateway(
    scrapy_run: Run, tmp_path: Path, http_endpoint: Received
) -> None:
    textfile = tmp_path / "collector" / "finews_{spider}.prom"
    common = [
        "-s",
        f"FINEWS_METRICS_TEXTFILE={textfile}",
        "-s",
        f"FINEWS_METRICS_PUSHGATEWAY={http_endpoint.url()}",
    ]
    ok = scrapy_run("crawl", "replay", "-a", f"path={PAGES}", *common)
    assert ok.returncode == 0, ok.stderr[-3000:]
    path = tmp_path / "collector" / "finews_replay.prom"
    first = samples(path.read_text())
    spider = (("spider", "replay"),)
    assert first[("finews_last_run_success", spider)] == 1
    assert first[("finews_last_run_pages", spider)] > 0
    new = first[("finews_last_run_articles", (("outcome", "new"), ("spider", "replay")))]
    assert new > 0
    assert first[("finews_last_run_dead_letters", spider)] == 0
    assert first[("finews_last_run_duration_seconds", spider)] > 0
    success_at = first[("finews_last_success_timestamp_seconds", spider)]
    assert success_at == first[("finews_last_run_timestamp_seconds", spider)]
    assert [p.name for p in path.parent.iterdir()] == ["finews_replay.prom"]  # no temp left

    method, url_path, body = http_endpoint.requests[0]
    assert (method, url_path) == ("POST", "/metrics/job/finews/spider/replay")
    pushed = samples(body.decode())
    assert pushed[("finews_last_run_success", spider)] == 1

    failed = scrapy_run(
        "crawl", "replay", "-a", f"path={PAGES}", "-s", "FINEWS_MIN_ARTICLES=100", *common
    )
    assert failed.returncode == 1
    second = samples(path.read_text())
    assert second[("finews_last_run_success", spider)] == 0
    assert second[("finews_last_success_timestamp_seconds", spider)] == success_at
    assert second[("finews_last_run_timestamp_seconds", spider)] > success_at
    unchanged = second[
        ("finews_last_run_articles", (("outcome", "unchanged"), ("spider", "replay")))
    ]
    assert unchanged == new
    pushed = samples(http_endpoint.requests[1][2].decode())
    assert ("finews_last_success_timestamp_seconds", spider) not in pushed  # POST keeps it


def test_rejects_are_labelled_by_reason() -> None:
    from prometheus_client import generate_latest

    from finews_spider.extensions.metrics import run_registry

    stats = {
        "finews/pages_read": 3,
        "finews/rejected/date_missing": 2,
        "finews/rejected/empty_page": 1,
        "finews/failed": True,
    }
    got = samples(generate_latest(run_registry("finews", stats)).decode())
    assert got[("finews_last_run_rejects", (("reason", "date_missing"), ("spider", "finews")))] == 2
    assert got[("finews_last_run_rejects", (("reason", "empty_page"), ("spider", "finews")))] == 1
    assert got[("finews_last_run_success", (("spider", "finews"),))] == 0
    assert ("finews_last_success_timestamp_seconds", (("spider", "finews"),)) not in got


def test_a_crawl_that_cannot_start_still_alerts(scrapy_run: Run, http_endpoint: Received) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    run = scrapy_run(
        "crawl",
        "replay",
        "-a",
        f"path={PAGES}",
        "-s",
        f"FINEWS_ALERT_WEBHOOK_URL={http_endpoint.url('/hook')}",
        env={"MONGO_URI": f"mongodb://127.0.0.1:{port}/", "MONGO_TIMEOUT_SECONDS": "1"},
    )
    assert run.returncode == 4, run.stderr[-3000:]
    assert len(http_endpoint.requests) == 1
    hook = json.loads(http_endpoint.requests[0][2])
    assert hook["status"] == "FAILED" and hook["run_id"] is None
    assert hook["reasons"][0].startswith("the store is unreachable")
