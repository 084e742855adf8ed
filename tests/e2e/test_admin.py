"""/stats answers admins only."""

from __future__ import annotations

from tests.e2e.conftest import ADMIN, RunningBot


async def test_stats_for_an_admin(bot: RunningBot) -> None:
    await bot.say(ADMIN, "/subscribe Japan, Brazil")
    reply = await bot.say(ADMIN, "/stats")
    text = reply.result["text"]
    assert text.startswith("Stats\nChats: 1 (1 get digests, 0 paused, 0 blocked the bot)")
    assert "Most followed: 🇧🇷 BR 1, 🇯🇵 JP 1" in text
    assert "Feeds: 4" in text
    assert "Digest queue: 0 digests waiting, the oldest for 0 s" in text


async def test_stats_for_anyone_else_is_an_unknown_command(bot: RunningBot) -> None:
    reply = await bot.say(ADMIN + 1, "/stats")
    assert reply.result["text"].startswith("I don't know the command /stats")
