"""The Mini App's API over HTTP, served by the real bot against the fake Bot API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from digest.models import Chat
from tests.e2e.conftest import TOKEN, RunningBot, webapp_bot
from tests.e2e.fake_bot_api import FakeBotAPI
from tests.e2e.news import NEWS, NOON, seed
from tests.feed_server import FeedServer
from webapp.auth import WebAppUser, sign_init_data

ANN = 77


@pytest.fixture
async def app_bot(bot_api: FakeBotAPI, tmp_path: Path, feed_server: FeedServer
                  ) -> AsyncIterator[RunningBot]:
    """The news bot with its Mini App on a local port."""
    running = webapp_bot(bot_api, tmp_path, feed_server)
    running.clock.now = NOON
    seed(running.config.storage, NEWS, [Chat(ANN, countries=("JP",))])
    await running.start()
    yield running
    await running.stop()


def launch_data(bot: RunningBot, user_id: int = ANN, *, age: timedelta = timedelta(0),
                token: str = TOKEN) -> str:
    return sign_init_data(WebAppUser(user_id, "Ann"), token, now=bot.clock() - age)


@pytest.fixture
async def client(app_bot: RunningBot) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app_bot.config.webapp.url, timeout=10) as http:
        yield http


def auth(raw: str) -> dict[str, str]:
    """The header the page sends; none at all when there is no launch data."""
    return {"Authorization": f"tma {raw}"} if raw else {}


def forged_user(raw: str) -> str:
    return raw.replace("%22id%22%3A77", "%22id%22%3A78")


async def test_genuine_launch_data_gets_the_users_countries(
        app_bot: RunningBot, client: httpx.AsyncClient) -> None:
    answer = await client.get("api/countries", headers=auth(launch_data(app_bot)))
    assert answer.status_code == 200
    data = answer.json()
    assert data["mine"] == ["JP"]
    brazil = next(c for c in data["countries"] if c["code"] == "BR")
    assert brazil == {"code": "BR", "id": "076", "name": "Brazil", "flag": "🇧🇷", "outlets": 1}


@pytest.mark.parametrize("make", [
    pytest.param(lambda bot: forged_user(launch_data(bot)), id="changed-user"),
    pytest.param(lambda bot: launch_data(bot).replace("first_name%22%3A%22Ann",
                                                      "first_name%22%3A%22Bob"),
                 id="changed-field"),
    pytest.param(lambda bot: launch_data(bot)[:-4] + "0000", id="bad-hash"),
    pytest.param(lambda bot: launch_data(bot, token="654321:another-bot"), id="other-token"),
    pytest.param(lambda bot: launch_data(bot, age=timedelta(hours=25)), id="expired"),
    pytest.param(lambda bot: "", id="missing"),
])
async def test_anything_but_genuine_fresh_launch_data_gets_401_and_changes_nothing(
        app_bot: RunningBot, client: httpx.AsyncClient, make) -> None:  # type: ignore[no-untyped-def]
    raw = make(app_bot)
    assert raw != launch_data(app_bot)  # each forgery really differs from the genuine data
    for method, path, body in (("GET", "api/countries", None), ("GET", "api/country/BR", None),
                               ("GET", "api/search?q=Brasil", None),
                               ("POST", "api/subscription", {"code": "BR", "subscribed": True}),
                               ("POST", "api/closed", {})):
        answer = await client.request(method, path, headers=auth(raw), json=body)
        assert answer.status_code == 401, (method, path)
    other_scheme = await client.post("api/subscription", json={"code": "BR", "subscribed": True},
                                     headers={"Authorization": "Bearer " + launch_data(app_bot)})
    assert other_scheme.status_code == 401
    assert app_bot.store.chat(ANN).countries == ("JP",)
    assert app_bot.store.chat(78) is None


async def test_subscribing_in_the_app_shows_in_mysubs_and_one_summary_on_close(
        app_bot: RunningBot, client: httpx.AsyncClient) -> None:
    headers = auth(launch_data(app_bot))
    await client.get("api/countries", headers=headers)  # the app opens
    answer = await client.post("api/subscription", headers=headers,
                               json={"code": "BR", "subscribed": True})
    assert answer.json() == {"code": "BR", "subscribed": True, "mine": ["JP", "BR"]}
    reply = await app_bot.say(ANN, "/mysubs")
    assert "🇧🇷 Brazil" in reply.params["text"]
    assert "🇯🇵 Japan" in reply.params["text"]

    sent_before = len(app_bot.api.sent_messages(ANN))
    assert (await client.post("api/closed", headers=headers)).json() == {"summary_sent": True}
    summary = app_bot.api.sent_messages(ANN)[-1].params["text"]
    assert "Added: 🇧🇷 Brazil" in summary
    assert (await client.post("api/closed", headers=headers)).json() == {"summary_sent": False}
    assert len(app_bot.api.sent_messages(ANN)) == sent_before + 1


async def test_closing_after_changing_nothing_sends_nothing(
        app_bot: RunningBot, client: httpx.AsyncClient) -> None:
    headers = auth(launch_data(app_bot))
    await client.get("api/countries", headers=headers)
    for wanted in (True, False):  # subscribed, then unsubscribed again: no net change
        await client.post("api/subscription", headers=headers,
                          json={"code": "DE", "subscribed": wanted})
    assert (await client.post("api/closed", headers=headers)).json() == {"summary_sent": False}
    assert app_bot.api.sent_messages(ANN) == []


async def test_country_panel_lists_outlets_and_top_stories_as_plain_text(
        app_bot: RunningBot, client: httpx.AsyncClient) -> None:
    answer = await client.get("api/country/jp", headers=auth(launch_data(app_bot)))
    panel = answer.json()
    assert panel["outlet_names"] == ["Japan Daily", "Tokyo Wire"]
    assert panel["subscribed"] is True
    titles = [story["title"] for story in panel["stories"]]
    assert "Typhoon <Kong-rey> nears Okinawa & closes schools" in titles  # raw, unescaped
    quotas = next(s for s in panel["stories"] if "quotas" in s["title"])
    assert quotas["other_countries"] == 1  # Brazil's Folha told it too
    assert quotas["outlet"] in ("Japan Daily", "Tokyo Wire")


async def test_search_matches_names_as_subscribe_does(
        app_bot: RunningBot, client: httpx.AsyncClient) -> None:
    headers = auth(launch_data(app_bot))
    for typed, code in (("Brasil", "BR"), ("JP", "JP"), ("Germny", "DE"), ("🇩🇪", "DE")):
        answer = await client.get("api/search", params={"q": typed}, headers=headers)
        assert answer.json()["results"][0]["code"] == code, typed


async def test_uncovered_country_is_refused_and_unknown_code_is_404(
        app_bot: RunningBot, client: httpx.AsyncClient) -> None:
    headers = auth(launch_data(app_bot))
    refused = await client.post("api/subscription", headers=headers,
                                json={"code": "FR", "subscribed": True})
    assert refused.status_code == 409
    assert (await client.get("api/country/XX", headers=headers)).status_code == 404
    assert app_bot.store.chat(ANN).countries == ("JP",)


async def test_only_the_apps_methods_and_small_bodies_are_served(
        app_bot: RunningBot, client: httpx.AsyncClient) -> None:
    headers = auth(launch_data(app_bot))
    assert (await client.get("api/subscription", headers=headers)).status_code == 405
    assert (await client.delete("api/countries", headers=headers)).status_code == 405
    assert (await client.post("/", headers=headers)).status_code == 405
    large = json.dumps({"code": "BR", "subscribed": True, "pad": "x" * 5000})
    too_large = await client.post("api/subscription", headers=headers, content=large)
    assert too_large.status_code == 413
    assert app_bot.store.chat(ANN).countries == ("JP",)


async def test_page_and_files_are_served_by_the_bot(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for path in ("static/app.js", "static/vendor/d3-geo/d3-geo.min.js",
                 "static/vendor/world-atlas/countries-110m.json"):
        assert (await client.get(path)).status_code == 200, path


async def test_healthz_reports_ingestion_and_queues(client: httpx.AsyncClient) -> None:
    health = (await client.get("healthz")).json()
    assert health["ok"] is True
    assert set(health) >= {"last_ingestion", "updates_queued", "deliveries_in_progress",
                           "digests_waiting", "oldest_digest_wait_s"}


async def test_globe_command_menu_button_and_offers(app_bot: RunningBot) -> None:
    url = app_bot.config.webapp.url
    assert app_bot.api.menu_buttons[""] == {"type": "web_app", "text": "Globe",
                                            "web_app": {"url": url}}
    assert "globe" in [c["command"] for c in app_bot.api.commands()]
    assert "/globe — " in (await app_bot.say(ANN, "/help")).params["text"]
    globe = await app_bot.say(ANN, "/globe")
    button = globe.params["reply_markup"]["inline_keyboard"][0][0]
    assert button["web_app"] == {"url": url}
    for command in ("/start", "/subscribe"):
        reply = await app_bot.say(ANN, command)
        rows = reply.params["reply_markup"]["inline_keyboard"]
        assert rows[-1][0]["web_app"] == {"url": url}, command
    group = await app_bot.say(-5, "/globe")
    assert "private chat" in group.params["text"]
    assert "reply_markup" not in group.params
