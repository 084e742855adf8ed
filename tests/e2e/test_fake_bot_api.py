"""Tests of the fake Bot API itself, driven by the real PTB client over real HTTP.

If PTB can talk to the fake the way it talks to Telegram (same encodings, same error
mapping), the e2e tests built on it test our bot rather than the fake.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.e2e.fake_bot_api import FakeBotAPI, parse_html, parse_request_params

TOKEN = "123:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"


@pytest.fixture
async def bot(bot_api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(token=TOKEN, base_url=bot_api.base_url) as bot:
        yield bot


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cb:{label}") for label in labels]]
    )


async def test_get_me_answers_the_bot_identity_and_records_the_token(
    bot_api: FakeBotAPI, bot: Bot
) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.first_name) == (999, "test_news_bot", "NewsBot")
    assert me.is_bot
    assert me.can_join_groups
    assert me.supports_inline_queries
    assert bot_api.token == TOKEN
    assert [c.method for c in bot_api.calls()] == ["getMe", "getMe"]  # initialize() calls it


async def test_send_message_returns_a_full_message_and_echoes_the_keyboard(
    bot_api: FakeBotAPI, bot: Bot
) -> None:
    first = await bot.send_message(
        42, "<b>Top</b> story &amp; more", parse_mode="HTML", reply_markup=keyboard("More", "Less")
    )
    second = await bot.send_message(42, "123")

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == 42
    assert first.chat.type == "private"
    assert first.from_user is not None
    assert first.from_user.id == 999
    assert first.text == "Top story & more"  # as Telegram returns it: parsed
    assert [(e.type, e.offset, e.length) for e in first.entities] == [("bold", 0, 3)]
    assert first.reply_markup == keyboard("More", "Less")
    assert second.text == "123"  # a numeric text is not JSON-decoded into an int

    call = bot_api.sent_messages(42)[0]
    assert call.params["chat_id"] == 42
    assert call.params["text"] == "<b>Top</b> story &amp; more"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "cb:More"
    assert bot_api.sent_texts(42) == ["Top story & more", "123"]


async def test_edits_change_the_stored_message_and_fail_like_telegram(
    bot_api: FakeBotAPI, bot: Bot
) -> None:
    sent = await bot.send_message(7, "old", reply_markup=keyboard("A"))

    edited = await bot.edit_message_text(
        "new", chat_id=7, message_id=sent.message_id, reply_markup=keyboard("B")
    )
    assert isinstance(edited, type(sent))
    assert edited.text == "new"
    assert bot_api.message(7, sent.message_id)["reply_markup"] == keyboard("B").to_dict()

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "new", chat_id=7, message_id=sent.message_id, reply_markup=keyboard("B")
        )
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=7, message_id=99)

    await bot.edit_message_reply_markup(chat_id=7, message_id=sent.message_id, reply_markup=None)
    assert "reply_markup" not in bot_api.message(7, sent.message_id)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(chat_id=7, message_id=sent.message_id)

    assert await bot.delete_message(7, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(7, sent.message_id)


async def test_html_that_telegram_rejects_is_rejected(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"Can't parse entities: unsupported start tag \"br\""):
        await bot.send_message(1, "line<br>next", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(1, "1 < 2", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1, "  \n ")


def test_parse_html_follows_telegrams_rules() -> None:
    text, entities = parse_html(
        'Read <a href="https://e.com/?a=1&amp;b=2">this</a> &amp; <i>that</i> & &nbsp;🇯🇵 <b>x</b>'
    )
    assert text == "Read this & that & &nbsp;🇯🇵 x"
    assert entities == [
        {"offset": 5, "length": 4, "type": "text_link", "url": "https://e.com/?a=1&b=2"},
        {"offset": 12, "length": 4, "type": "italic"},
        {"offset": 30, "length": 1, "type": "bold"},  # the flag counts 4 UTF-16 units
    ]
    with pytest.raises(ValueError, match="Can't find end tag"):
        parse_html("<b>open")
    with pytest.raises(ValueError, match="Unmatched end tag"):
        parse_html("<b>x</i>")


async def test_get_updates_delivers_a_pushed_command_until_confirmed(
    bot_api: FakeBotAPI, bot: Bot
) -> None:
    update_id = bot_api.push_message(42, "/echo@test_news_bot hi there", first_name="Bo")

    (update,) = await bot.get_updates(timeout=1)

    assert update.update_id == update_id
    assert update.message is not None
    assert update.message.text == "/echo@test_news_bot hi there"
    (entity,) = update.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 19)
    assert update.effective_user is not None
    assert update.effective_user.first_name == "Bo"
    parsed = Update.de_json(bot_api.pending_updates()[0], bot)
    assert parsed.message is not None
    assert parsed.message.chat.id == 42

    # Not confirmed yet: delivered again; a higher offset confirms and drops it.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update_id]
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    assert bot_api.pending_updates() == []


async def test_group_messages_use_negative_ids(bot_api: FakeBotAPI, bot: Bot) -> None:
    bot_api.push_message(-100, "/digest", user_id=5)

    (update,) = await bot.get_updates()

    assert update.effective_chat is not None
    assert update.effective_chat.type == "group"
    assert update.effective_user is not None
    assert update.effective_user.id == 5


async def test_long_poll_blocks_for_the_timeout_when_there_is_nothing(bot: Bot) -> None:
    timeout = 0.5
    started = time.monotonic()

    updates = await bot.get_updates(timeout=dtm.timedelta(seconds=timeout))

    assert updates == ()
    assert time.monotonic() - started >= 0.8 * timeout


async def test_long_poll_returns_as_soon_as_an_update_is_pushed(
    bot_api: FakeBotAPI, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    bot_api.push_message(1, "hello")

    updates = await asyncio.wait_for(poll, timeout=3)

    assert [u.message.text for u in updates if u.message] == ["hello"]
    assert time.monotonic() - started < 2


async def test_a_second_poller_ends_the_first_ones_poll_with_409_as_telegram_does(
    bot_api: FakeBotAPI, bot: Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)  # waiting at the fake
    async with Bot(token=TOKEN, base_url=bot_api.base_url) as other:
        second = asyncio.create_task(other.get_updates(timeout=10))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, timeout=3)
        bot_api.push_message(1, "hello")
        updates = await asyncio.wait_for(second, timeout=3)
    assert [u.message.text for u in updates if u.message] == ["hello"]


async def test_polling_while_a_webhook_is_set_is_a_conflict(bot: Bot) -> None:
    await bot.set_webhook("https://bot.example.org/hook")
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_callback_queries_carry_the_current_message_and_are_answered_once(
    bot_api: FakeBotAPI, bot: Bot
) -> None:
    sent = await bot.send_message(3, "pick", reply_markup=keyboard("Yes", "No"))
    query_id = bot_api.push_button(3, sent.message_id, "No")

    (update,) = await bot.get_updates()

    query = update.callback_query
    assert query is not None
    assert query.id == query_id
    assert query.data == "cb:No"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert isinstance(query.message, Message)
    assert query.message.reply_markup == keyboard("Yes", "No")
    assert await bot.answer_callback_query(query_id, text="ok")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(ValueError, match="no button"):
        bot_api.push_callback(3, sent.message_id, "cb:Maybe")


async def test_inline_queries_commands_and_chat_actions(bot_api: FakeBotAPI, bot: Bot) -> None:
    query_id = bot_api.push_inline_query(8, "japan")
    (update,) = await bot.get_updates()
    assert update.inline_query is not None
    assert update.inline_query.query == "japan"
    assert await bot.answer_inline_query(query_id, results=[])

    await bot.set_my_commands([("start", "Subscribe"), ("digest", "Today's digest")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "digest"]
    assert bot_api.commands()[1] == {"command": "digest", "description": "Today's digest"}

    assert await bot.send_chat_action(8, "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(8, "dancing")


async def test_injected_429_raises_retry_after(bot_api: FakeBotAPI, bot: Bot) -> None:
    bot_api.fail_next("sendMessage", retry_after=3)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "hi")

    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert bot_api.calls("sendMessage")[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert (await bot.send_message(1, "hi")).text == "hi"  # only the next call failed


async def test_blocked_chat_raises_forbidden_until_unblocked(bot_api: FakeBotAPI, bot: Bot) -> None:
    bot_api.block_chat(5)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(5, "digest")
    assert await bot.send_message(6, "others still get theirs")

    bot_api.unblock_chat(5)
    assert await bot.send_message(5, "digest")
    assert len(bot_api.sent_messages(5)) == 1  # failed sends are not "sent"


async def test_dropped_connection_raises_network_error(bot_api: FakeBotAPI, bot: Bot) -> None:
    bot_api.drop_next("sendMessage")

    with pytest.raises(NetworkError):
        await bot.send_message(1, "hi")

    assert bot_api.calls("sendMessage")[0].response is None
    assert (await bot.send_message(1, "again")).text == "again"


async def test_rate_limit_answers_429_beyond_the_rate(bot_api: FakeBotAPI, bot: Bot) -> None:
    bot_api.rate_limit(per_second=2)

    await bot.send_message(1, "a")
    await bot.send_message(2, "b")
    with pytest.raises(RetryAfter):
        await bot.send_message(3, "c")

    assert bot_api.too_many_requests == 1


async def test_unknown_methods_and_other_encodings(bot_api: FakeBotAPI) -> None:
    url = f"{bot_api.base_url}{TOKEN}"
    async with httpx.AsyncClient() as client:
        missing = await client.post(f"{url}/sendTelepathy", data={"chat_id": "1"})
        as_json = await client.post(f"{url}/sendmessage", json={"chat_id": 9, "text": "json"})
        as_multipart = await client.post(
            f"{url}/sendMessage",
            data={"chat_id": "9", "text": "true", "reply_markup": '{"inline_keyboard": []}'},
            files={"document": ("a.txt", b"hello", "text/plain")},
        )

    assert missing.status_code == 404
    assert missing.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert as_json.json()["result"]["text"] == "json"
    assert as_multipart.json()["result"]["text"] == "true"
    params = bot_api.calls("sendMessage")[-1].params
    assert params["chat_id"] == 9
    assert params["reply_markup"] == {"inline_keyboard": []}
    assert params["document"].content == b"hello"
    assert parse_request_params("offset=-1&allowed_updates=%5B%22message%22%5D", "", b"") == {
        "offset": -1,
        "allowed_updates": ["message"],
    }


def test_wait_for_times_out_with_a_dump_of_recent_calls(bot_api: FakeBotAPI) -> None:
    httpx.post(f"{bot_api.base_url}{TOKEN}/sendMessage", data={"chat_id": 1, "text": "hi"})

    with pytest.raises(AssertionError, match=r"(?s)editMessageText.*sendMessage .*-> ok"):
        bot_api.wait_for("editMessageText", timeout=0.1)
    assert bot_api.wait_for("sendMessage").result["text"] == "hi"


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the command's arguments and a button."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        " ".join(context.args or []), reply_markup=keyboard("Again")
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button and edit the message it sits under."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"pressed {query.data}")


async def test_a_real_application_polls_and_replies(bot_api: FakeBotAPI) -> None:
    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(bot_api.base_url)
        .get_updates_read_timeout(2)
        .build()
    )
    app.add_handler(CommandHandler("echo", echo))
    app.add_handler(CallbackQueryHandler(pressed))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=1, poll_interval=0)
    try:
        bot_api.push_message(42, "/echo hi")
        reply = await bot_api.wait_for_async("sendMessage")
        assert reply.params["text"] == "hi"
        assert reply.params["chat_id"] == 42

        bot_api.push_button(42, reply.result["message_id"], "Again")
        await bot_api.wait_for_async("answerCallbackQuery")
        edit = await bot_api.wait_for_async("editMessageText")
        assert edit.ok
        assert bot_api.message(42, reply.result["message_id"])["text"] == ("pressed cb:Again")
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert bot_api.pending_updates() == []  # the final getUpdates confirmed everything


async def test_get_chat_member_reports_who_runs_a_group(bot_api: FakeBotAPI, bot: Bot) -> None:
    assert (await bot.get_chat_member(-70, 1)).status == ChatMemberStatus.OWNER  # the default
    assert (await bot.get_chat_member(-70, 2)).status == ChatMemberStatus.MEMBER
    bot_api.set_chat_admins(-70, 5, 6)
    assert (await bot.get_chat_member(-70, 5)).status == ChatMemberStatus.OWNER
    admin = await bot.get_chat_member(-70, 6)
    assert admin.status == ChatMemberStatus.ADMINISTRATOR
    assert admin.user.id == 6
    assert (await bot.get_chat_member(-70, 1)).status == ChatMemberStatus.MEMBER
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await bot.get_chat_member(42, 43)


async def test_held_sends_are_answered_on_release_or_lost_with_their_client(
    bot_api: FakeBotAPI, bot: Bot
) -> None:
    bot_api.hold(lambda params: params["chat_id"] != 3)
    kept = asyncio.create_task(bot.send_message(1, "kept"))
    async with httpx.AsyncClient(timeout=0.5) as client:  # a client that gives up: killed
        lost = asyncio.create_task(client.post(f"{bot_api.base_url}{TOKEN}/sendMessage",
                                               data={"chat_id": 2, "text": "lost"}))
        await asyncio.to_thread(bot_api.wait_held, 2)
        with pytest.raises(httpx.ReadTimeout):
            await lost
    await bot.send_message(3, "not held")
    await asyncio.to_thread(bot_api.wait_held, 1)
    assert not kept.done()
    bot_api.release()
    await kept
    assert bot_api.sent_texts() == ["not held", "kept"]
    [unanswered] = [c for c in bot_api.calls("sendMessage") if c.response is None]
    assert unanswered.params["chat_id"] == 2
