"""Debian's Chromium driven by Playwright, for the Mini App's browser test and benchmark.

No browser is downloaded: Playwright launches the system's /usr/bin/chromium.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
PHONE: ViewportSize = {"width": 400, "height": 760}

# Telegram's own theme colours, as its clients pass them in tgWebAppThemeParams.
LIGHT_THEME = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#999999",
               "link_color": "#2481cc", "button_color": "#2481cc",
               "button_text_color": "#ffffff", "secondary_bg_color": "#efeff3",
               "accent_text_color": "#e8912d"}
DARK_THEME = {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499",
              "link_color": "#6ab3f3", "button_color": "#5288c1",
              "button_text_color": "#ffffff", "secondary_bg_color": "#232e3c",
              "accent_text_color": "#f0a24c"}


def browser_missing() -> str:
    """Why the browser cannot run here; empty when it can."""
    if not CHROMIUM.exists():
        return f"no {CHROMIUM}: Debian's chromium is not installed (.ci/run installs it)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return ""
