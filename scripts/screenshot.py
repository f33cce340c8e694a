"""Screenshots of the dashboard for the README, from a running KAM.

    export KAM_HOME=$(mktemp -d)
    .venv/bin/kam setup                      # prints the demo sign-in
    .venv/bin/kam serve --port 8765 &
    .venv/bin/python scripts/screenshot.py --url http://127.0.0.1:8765 \\
        --username director --password kam-demo-director

Writes docs/img/dashboard.png (English) and docs/img/dashboard-ro.png (Romanian), then
switches the user back to English: the language choice is stored on the user.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default="http://127.0.0.1:8765", help="the running KAM")
    parser.add_argument("--username", default="director")
    parser.add_argument(
        "--password",
        default=os.environ.get("KAM_DEMO_PASSWORD", "kam-demo-director"),
        help="default: $KAM_DEMO_PASSWORD or the demo password",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument(
        "--viewport-only", action="store_true", help="only the first screen, not the whole page"
    )
    return parser.parse_args(argv)


def _sign_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def _switch_language(page: Page, code: str) -> None:
    page.locator(f"form.lang button[value={code}]").click()
    page.wait_for_selector(f"html[lang={code}]")


def _wait_until_drawn(page: Page) -> None:
    """Every chart drawn by plotly.js, fonts loaded, no request in flight."""
    page.wait_for_load_state("networkidle")
    for chart in page.locator(".chart[data-figure]").all():
        chart.locator("svg.main-svg").first.wait_for()
    page.wait_for_function(
        "[...document.querySelectorAll('.chart[data-figure]')]"
        ".every(el => el.dataset.drawn === 'true')"
    )
    page.evaluate("document.fonts.ready")
    page.mouse.move(0, 0)  # no hover label on the charts


def _shoot(page: Page, path: Path, *, full_page: bool) -> None:
    _wait_until_drawn(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    print(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    url = args.url.rstrip("/")
    if not args.chromium.exists():
        print(f"{args.chromium} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(args.chromium), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": args.width, "height": args.height}, locale="en-GB"
        )
        page = context.new_page()
        try:
            _sign_in(page, url, args.username, args.password)
            _switch_language(page, "en")
            _shoot(page, args.output / "dashboard.png", full_page=not args.viewport_only)
            _switch_language(page, "ro")
            _shoot(page, args.output / "dashboard-ro.png", full_page=not args.viewport_only)
        finally:
            if page.url.startswith(url) and "/login/" not in page.url:
                _switch_language(page, "en")  # the choice is stored on the user
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
