"""The Mini App in a real browser (Debian's Chromium via Playwright) against the real bot.

Screenshots go to a temporary folder, or to $WEBAPP_SCREENSHOTS when it is set (that is
how the README's picture is made).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from digest.models import Chat
from tests.e2e.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DARK_THEME,
    LIGHT_THEME,
    PHONE,
    browser_missing,
)
from tests.e2e.conftest import RunningBot, webapp_bot
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.e2e.news import NEWS, NOON, article, seed
from tests.feed_server import FeedServer
from webapp.auth import WebAppUser, launch_fragment, sign_init_data

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = pytest.mark.skipif(bool(browser_missing()), reason=browser_missing())

ANN = 77
HOSTILE = "Senado aprova reforma <img src=x onerror=alert(1)> em Brasília"


@pytest.fixture
async def app_bot(bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer
                  ) -> AsyncIterator[RunningBot]:
    running = webapp_bot(bot_api, tmp_path, feed_server)
    running.clock.now = NOON
    seed(running.config.storage, [*NEWS, article(HOSTILE, "Folha", "BR", 0.5)],
         [Chat(ANN, countries=("JP",))])
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("WEBAPP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def launch_url(bot: RunningBot, theme: dict[str, str]) -> str:
    data = sign_init_data(WebAppUser(ANN, "Ann", "en"), bot.config.telegram.token,
                          now=bot.clock())
    return bot.config.webapp.url + launch_fragment(data, theme)


async def test_globe_search_panel_subscribe_spin_and_themes(
        app_bot: RunningBot, shots: Path) -> None:
    from playwright.async_api import async_playwright

    dialogs: list[str] = []
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                   args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport=PHONE)
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(launch_url(app_bot, LIGHT_THEME))
        await page.wait_for_selector("body.ready")

        # The globe draws: one path per country of the atlas, most of them on this side.
        drawn = await page.eval_on_selector_all(
            "path.country", "paths => paths.filter(p => p.getAttribute('d')).length")
        assert drawn > 50
        assert await page.locator("path.country.mine").count() == 1  # Japan

        await page.fill("#search", "Brasil")
        option = page.locator("#results button").first
        await option.wait_for()
        assert "Brazil" in await option.inner_text()
        await option.click()
        await page.locator("#panel").wait_for(state="visible")
        assert await page.inner_text("#name") == "Brazil"

        # Brazil's top story, as the API ranks it, heads the panel; the hostile headline
        # is shown as text and never becomes an element.
        edition = await app_bot.application.bot_data.newsroom.edition()
        top_story = edition.top("BR", 1)[0][1].lead.title
        await page.locator("#stories a").first.wait_for()
        assert await page.locator("#stories a").first.inner_text() == top_story
        assert await page.locator("#stories a", has_text=HOSTILE).count() == 1
        assert await page.locator("#stories img, #panel img").count() == 0
        await page.wait_for_timeout(700)  # the spin to Brazil ends
        await page.screenshot(path=str(shots / "webapp-light.png"))

        toggle = page.locator("#toggle")
        assert await toggle.inner_text() == "Subscribe"
        await toggle.click()
        await page.locator("#toggle", has_text="Unsubscribe").wait_for()
        assert app_bot.store.chat(ANN).countries == ("JP", "BR")

        # Dragging spins the globe: the drawn paths change.
        await page.click("#close")
        before = await page.eval_on_selector_all("path.country",
                                                 "paths => paths.map(p => p.getAttribute('d'))")
        box = await page.locator("#globe").bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        await page.mouse.move(x, y)
        await page.mouse.down()
        await page.mouse.move(x + 120, y + 30, steps=12)
        await page.mouse.up()
        after = await page.eval_on_selector_all("path.country",
                                                "paths => paths.map(p => p.getAttribute('d'))")
        assert sum(a != b for a, b in zip(before, after, strict=True)) > 50

        dark = await browser.new_page(viewport=PHONE, color_scheme="dark")
        dark.on("pageerror", lambda error: errors.append(str(error)))
        await dark.goto(launch_url(app_bot, DARK_THEME))
        await dark.wait_for_selector("body.ready")
        background = await dark.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(23, 33, 43)"  # the theme's bg_color
        await dark.fill("#search", "JP")
        await dark.keyboard.press("Enter")
        await dark.locator("#stories a").first.wait_for()
        assert await dark.inner_text("#toggle") == "Unsubscribe"
        await dark.wait_for_timeout(700)
        await dark.screenshot(path=str(shots / "webapp-dark.png"))
        await browser.close()
    assert dialogs == []  # alert(1) never ran
    assert errors == []


# Telegram's clients receive the page's calls through this object, and answer with
# Telegram.WebView.receiveEvent; the test stands in for the client.
TELEGRAM_CLIENT = """
window.sentToTelegram = [];
window.TelegramWebviewProxy = {
  postEvent: (type, data) => window.sentToTelegram.push([type, JSON.parse(data || "{}")]),
};
"""


async def sent(page: Page, kind: str) -> list[Any]:
    """What the page sent to Telegram's client as `kind` events, oldest first."""
    events = await page.evaluate("window.sentToTelegram")
    return [data for name, data in events if name == kind]


async def test_inside_telegram_buttons_haptics_and_one_summary_on_close(
        app_bot: RunningBot) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                   args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport=PHONE)
        await page.add_init_script(TELEGRAM_CLIENT)
        await page.goto(launch_url(app_bot, LIGHT_THEME))
        await page.wait_for_selector("body.ready")
        assert len(await sent(page, "web_app_ready")) == 1
        main_button = (await sent(page, "web_app_setup_main_button"))[-1]
        assert (main_button["text"], main_button["is_visible"]) == ("Done", True)

        await page.fill("#search", "JP")
        await page.keyboard.press("Enter")
        await page.locator("#panel").wait_for(state="visible")
        assert (await sent(page, "web_app_setup_back_button"))[-1] == {"is_visible": True}
        await page.evaluate("Telegram.WebView.receiveEvent('back_button_pressed')")
        await page.locator("#panel").wait_for(state="hidden")
        assert (await sent(page, "web_app_setup_back_button"))[-1] == {"is_visible": False}

        await page.fill("#search", "Brasil")
        await page.keyboard.press("Enter")
        await page.locator("#toggle", has_text="Subscribe").click()
        await page.locator("#toggle", has_text="Unsubscribe").wait_for()
        haptics = await sent(page, "web_app_trigger_haptic_feedback")
        assert {"type": "impact", "impact_style": "medium"} in haptics

        await page.evaluate("Telegram.WebView.receiveEvent('main_button_pressed')")
        summary = await app_bot.api.wait_for_async(
            "sendMessage", lambda call: call.params["chat_id"] == ANN)
        assert "Added: 🇧🇷 Brazil" in summary.params["text"]
        for _ in range(50):  # the page closes itself once the bot answered
            if await sent(page, "web_app_close"):
                break
            await page.wait_for_timeout(100)
        assert await sent(page, "web_app_close")
        await browser.close()
    assert len(app_bot.api.sent_messages(ANN)) == 1
