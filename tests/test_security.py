"""Security defaults: no remote control, no telnet, capped downloads, replay stays inside
the folder it is given."""

from __future__ import annotations

from pathlib import Path

from scrapy.utils.project import get_project_settings

from finews_spider.spiders.replay import saved_pages


def test_dangerous_extensions_are_off_and_downloads_capped() -> None:
    settings = get_project_settings()
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getdict("EXTENSIONS")["scrapy.extensions.telnet.TelnetConsole"] is None
    assert 0 < settings.getint("DOWNLOAD_MAXSIZE") <= 32 * 1024 * 1024
    assert 0 < settings.getint("DOWNLOAD_TIMEOUT") <= 60
    assert settings.getbool("ROBOTSTXT_OBEY")


def test_replay_does_not_follow_links_out_of_its_folder(tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: x\n---\n")
    folder = tmp_path / "saved"
    (folder / "sub").mkdir(parents=True)
    (folder / "page.md").write_text("---\ntitle: y\n---\n")
    (folder / "sub" / "link.md").symlink_to(outside)
    (folder / "escape").symlink_to(tmp_path)
    found = [p.relative_to(folder.resolve()) for p in saved_pages(folder)]
    assert found == [Path("page.md")]
