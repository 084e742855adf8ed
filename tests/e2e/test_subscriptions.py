"""Subscribing to countries, driven over HTTP as a Telegram client would."""

from __future__ import annotations

from tests.e2e.conftest import RunningBot, button_labels

CHAT = 1001
GROUP = -5001


async def test_subscribe_by_names_codes_and_flags(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/subscribe Japan, Brasil 🇩🇪")
    text = reply.params["text"]
    assert "Added: 🇯🇵 Japan, 🇧🇷 Brazil, 🇩🇪 Germany" in text
    assert bot.store.chat(CHAT).countries == ("JP", "BR", "DE")

    again = await bot.say(CHAT, "/subscribe jp france")
    assert "Already subscribed: 🇯🇵 Japan" in again.params["text"]
    assert "No outlets yet for: 🇫🇷 France" in again.params["text"]


async def test_unknown_words_get_did_you_mean_buttons(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/subscribe Japn Germny xyzzy")
    text = reply.params["text"]
    assert "xyzzy" in text
    assert "🇯🇵 Japan" in text  # a confident fuzzy hit is simply added
    assert bot.store.chat(CHAT).countries[0] == "JP"


async def test_subscribe_without_names_opens_the_region_keyboard(bot: RunningBot) -> None:
    api = bot.api
    picker = await bot.say(CHAT, "/subscribe")
    message_id = picker.result["message_id"]
    assert "Pick a region" in picker.result["text"]
    assert button_labels(picker.result) == ["Americas (1)", "Asia (1)", "Europe (1)", "Done"]

    asia = await bot.tap(CHAT, message_id, "Asia (1)")
    assert asia.method == "editMessageText"
    assert asia.ok
    shown = api.message(CHAT, message_id)
    assert shown["text"].startswith("Asia: tap a country")
    assert button_labels(shown) == ["🇯🇵 Japan", "Regions", "Done"]

    await bot.tap(CHAT, message_id, "🇯🇵 Japan")
    shown = api.message(CHAT, message_id)
    assert "✅ 🇯🇵 Japan" in button_labels(shown)
    assert "Your countries: 🇯🇵 Japan" in shown["text"]
    assert bot.store.chat(CHAT).countries == ("JP",)

    await bot.tap(CHAT, message_id, "✅ 🇯🇵 Japan")  # a second tap removes it again
    assert "🇯🇵 Japan" in button_labels(api.message(CHAT, message_id))
    assert bot.store.chat(CHAT).countries == ()
    await bot.tap(CHAT, message_id, "🇯🇵 Japan")

    await bot.tap(CHAT, message_id, "Regions")
    assert button_labels(api.message(CHAT, message_id)) == [
        "Americas (1)", "Asia (1/1)", "Europe (1)", "Done"]
    await bot.tap(CHAT, message_id, "Americas (1)")
    assert button_labels(api.message(CHAT, message_id))[0] == "🇧🇷 Brazil"
    await bot.tap(CHAT, message_id, "🇧🇷 Brazil")
    assert bot.store.chat(CHAT).countries == ("JP", "BR")

    done = await bot.tap(CHAT, message_id, "Done")
    assert done.method == "editMessageText"
    closed = api.message(CHAT, message_id)
    assert "reply_markup" not in closed
    assert closed["text"].startswith("Your countries:\n🇯🇵 Japan\n🇧🇷 Brazil")

    # Every step edited the keyboard message in place; nothing else was sent.
    edits = [c for c in api.calls("editMessageText") if c.params["chat_id"] == CHAT]
    assert len(edits) == 8
    assert all(c.ok and c.params["message_id"] == message_id for c in edits)
    assert len(api.sent_messages(CHAT)) == 1
    assert len(api.calls("answerCallbackQuery")) == 8


async def test_double_tap_on_the_keyboard_is_harmless(bot: RunningBot) -> None:
    api = bot.api
    picker = await bot.say(CHAT, "/subscribe")
    message_id = picker.result["message_id"]
    api.push_button(CHAT, message_id, "Asia (1)")
    api.push_button(CHAT, message_id, "Asia (1)")  # the same stale keyboard, tapped twice
    edits = await api.wait_for_all_async("editMessageText", count=2, timeout=3)
    assert edits[0].ok
    # The same text again; its keyboard has new button keys (PTB's button cache), so
    # Telegram takes the edit rather than answering "message is not modified".
    assert edits[1].ok or "not modified" in (edits[1].description or "")
    assert edits[1].params["text"] == edits[0].params["text"]
    await api.wait_for_async("answerCallbackQuery", count=2, timeout=3)
    help_reply = await bot.say(CHAT, "/help")  # anything sent after the taps is in order
    assert help_reply.result["text"].startswith("Commands")
    assert len(api.sent_messages(CHAT)) == 2  # the picker and /help: no apology in between


async def test_an_old_picker_after_a_restart_asks_to_ask_again(bot: RunningBot) -> None:
    """The picker's buttons live in PTB's button cache, which a restart empties."""
    picker = await bot.say(CHAT, "/subscribe")
    await bot.restart()
    bot.api.push_button(CHAT, picker.result["message_id"], "Asia (1)")
    answer = await bot.api.wait_for_async("answerCallbackQuery")
    assert "ask again" in answer.params["text"]
    assert bot.api.calls("editMessageText") == []


async def test_keyboard_pages_through_a_big_region(paged_bot: RunningBot) -> None:
    bot, api = paged_bot, paged_bot.api
    picker = await bot.say(CHAT, "/subscribe")
    message_id = picker.result["message_id"]
    assert button_labels(picker.result) == ["Asia (1)", "Europe (14)", "Done"]

    await bot.tap(CHAT, message_id, "Europe (14)")
    first = button_labels(api.message(CHAT, message_id))
    assert first[:10] == [
        "🇦🇹 Austria", "🇧🇪 Belgium", "🇨🇿 Czechia", "🇩🇰 Denmark", "🇫🇮 Finland",
        "🇫🇷 France", "🇩🇪 Germany", "🇬🇷 Greece", "🇮🇪 Ireland", "🇮🇹 Italy"]
    assert first[10:] == ["Regions", "More ›", "Done"]

    await bot.tap(CHAT, message_id, "More ›")
    second = button_labels(api.message(CHAT, message_id))
    assert second == ["🇳🇱 Netherlands", "🇪🇸 Spain", "🇨🇭 Switzerland", "🇬🇧 United Kingdom",
                      "‹ Back", "Regions", "Done"]

    await bot.tap(CHAT, message_id, "🇪🇸 Spain")  # a toggle keeps the page
    assert button_labels(api.message(CHAT, message_id))[:2] == ["🇳🇱 Netherlands", "✅ 🇪🇸 Spain"]
    assert bot.store.chat(CHAT).countries == ("ES",)

    await bot.tap(CHAT, message_id, "‹ Back")
    assert button_labels(api.message(CHAT, message_id))[0] == "🇦🇹 Austria"
    await bot.tap(CHAT, message_id, "Regions")
    assert "Europe (1/14)" in button_labels(api.message(CHAT, message_id))

    edits = api.calls("editMessageText")
    assert len(edits) == 5
    assert all(c.ok and c.params["message_id"] == message_id for c in edits)
    assert len(api.sent_messages(CHAT)) == 1


async def test_uncovered_suggestions_get_no_buttons(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/subscribe Austrlia")  # Australia or Austria: neither covered
    text = reply.result["text"]
    assert "I don't know the country “Austrlia”." in text
    assert "button" not in text  # no "did you mean one of the buttons below" without buttons
    assert "reply_markup" not in reply.result
    assert bot.store.chat(CHAT) is None


async def test_a_covered_suggestion_subscribes_when_tapped(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/subscribe Gernamy")  # Germany or Guernsey (not covered)
    assert "Did you mean one of the buttons below?" in reply.result["text"]
    assert button_labels(reply.result) == ["🇩🇪 Germany"]
    assert bot.store.chat(CHAT) is None

    added = await bot.tap(CHAT, reply.result["message_id"], "🇩🇪 Germany")
    assert added.method == "sendMessage"
    assert added.result["text"].startswith("Your countries:\n🇩🇪 Germany")
    answer = bot.api.calls("answerCallbackQuery")[-1]
    assert answer.params["text"] == "Added Germany"
    assert bot.store.chat(CHAT).countries == ("DE",)


async def test_forged_suggestion_for_an_uncovered_country_is_refused(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/subscribe Gernamy")
    bot.api.push_callback(CHAT, reply.result["message_id"], "add:GG", check_button=False)
    answer = await bot.api.wait_for_async("answerCallbackQuery", timeout=3)
    assert answer.params["text"] == "That country is not covered."
    assert bot.store.chat(CHAT) is None


async def test_unsubscribe_by_names(bot: RunningBot) -> None:
    await bot.say(CHAT, "/subscribe Japan, Brazil")
    reply = await bot.say(CHAT, "/unsubscribe Japan, Germany")
    text = reply.result["text"]
    assert "Removed: 🇯🇵 Japan" in text
    assert "Not subscribed anyway: 🇩🇪 Germany" in text
    assert bot.store.chat(CHAT).countries == ("BR",)


async def test_unsubscribe_typo_does_not_promise_buttons(bot: RunningBot) -> None:
    await bot.say(CHAT, "/subscribe Japan")
    reply = await bot.say(CHAT, "/unsubscribe Jpaan")
    assert "I don't know the country “Jpaan”." in reply.result["text"]
    assert "button" not in reply.result["text"]
    assert "reply_markup" not in reply.result
    assert bot.store.chat(CHAT).countries == ("JP",)


async def test_unsubscribe_without_names_opens_the_keyboard(bot: RunningBot) -> None:
    await bot.say(CHAT, "/subscribe Japan")
    picker = await bot.say(CHAT, "/unsubscribe")
    assert button_labels(picker.result) == ["Americas (1)", "Asia (1/1)", "Europe (1)", "Done"]
    await bot.tap(CHAT, picker.result["message_id"], "Asia (1/1)")
    await bot.tap(CHAT, picker.result["message_id"], "✅ 🇯🇵 Japan")
    assert bot.store.chat(CHAT).countries == ()


async def test_mysubs_shows_flags_and_the_default_schedule(bot: RunningBot) -> None:
    empty = await bot.say(CHAT, "/mysubs")
    assert empty.result["text"] == "You have no countries yet. Send /subscribe to pick some."
    await bot.say(CHAT, "/subscribe Brazil 🇯🇵")
    reply = await bot.say(CHAT, "/mysubs")
    assert reply.result["text"] == (
        "Your countries:\n🇧🇷 Brazil\n🇯🇵 Japan\n\nDigest every day at 07:30 (UTC).")


async def test_countries_lists_regions_with_outlet_counts(bot: RunningBot) -> None:
    reply = await bot.say(CHAT, "/countries")
    text = reply.result["text"]
    assert "Americas\n🇧🇷 Brazil (1)" in text
    assert "Asia\n🇯🇵 Japan (2)" in text
    assert "Europe\n🇩🇪 Germany (1)" in text
    assert "3 countries, 4 outlets." in text
    units = text.encode("utf-16-le")  # entity offsets count UTF-16 code units
    bold = [units[2 * e["offset"]: 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in reply.result["entities"] if e["type"] == "bold"]
    assert bold == ["Americas", "Asia", "Europe"]


async def test_group_chat_command_addressed_to_the_bot(bot: RunningBot) -> None:
    reply = await bot.say(GROUP, "/subscribe@test_news_bot Japan")
    assert "Added: 🇯🇵 Japan" in reply.result["text"]
    assert bot.store.chat(GROUP).countries == ("JP",)
    mine = await bot.say(GROUP, "/mysubs@test_news_bot")
    assert mine.result["text"].startswith("Your countries:\n🇯🇵 Japan")


async def test_group_commands_for_another_bot_are_left_alone(bot: RunningBot) -> None:
    bot.api.push_message(GROUP, "/subscribe@other_bot Brazil")
    bot.api.push_message(GROUP, "/weather@other_bot")
    reply = await bot.say(GROUP, "/mysubs@test_news_bot")  # handled after the two above
    assert reply.result["text"].startswith("You have no countries yet")
    assert len(bot.api.sent_messages(GROUP)) == 1
    assert bot.store.chat(GROUP) is None


async def test_subscriptions_survive_a_restart(bot: RunningBot) -> None:
    await bot.say(CHAT, "/subscribe Japan, Germany")
    before = bot.store
    await bot.restart()
    assert bot.store is not before
    reply = await bot.say(CHAT, "/mysubs")
    assert reply.result["text"].startswith("Your countries:\n🇯🇵 Japan\n🇩🇪 Germany")


async def test_a_lower_case_code_that_is_also_a_word_is_a_country_by_itself(
    bot: RunningBot,
) -> None:
    """"in" is India as surely as "jp" is Japan when it is all that was written."""
    reply = await bot.say(CHAT, "/subscribe in")
    assert reply.result["text"] == ("No outlets yet for: 🇮🇳 India (see /countries for what "
                                    "is covered)")
    both = await bot.say(CHAT, "/subscribe jp, de")
    assert both.result["text"] == "Added: 🇯🇵 Japan, 🇩🇪 Germany"


async def test_unsubscribe_all_removes_every_country(bot: RunningBot) -> None:
    await bot.say(CHAT, "/subscribe Japan, Brazil")
    reply = await bot.say(CHAT, "/unsubscribe all")
    assert reply.result["text"] == "Removed: 🇯🇵 Japan, 🇧🇷 Brazil"
    assert bot.store.chat(CHAT).countries == ()
    again = await bot.say(CHAT, "/unsubscribe all")
    assert again.result["text"] == "You have no countries to remove. Send /subscribe to pick some."
