"""`python -m finews_spider.schema [README.md]`: refresh the README's field table."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from finews_spider.schema import markdown_table

START, END = "<!-- schema:start -->", "<!-- schema:end -->"


def main() -> int:
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    text = readme.read_text("utf-8")
    block = f"{START}\n{markdown_table()}\n{END}"
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    readme.write_text(new, "utf-8")
    print(f"{readme}: schema table {'updated' if new != text else 'already current'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
