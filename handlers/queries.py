"""Topic questions: /latest, plain questions in private chats, and inline mode.

An answer is one story, shown as in a digest (with how long ago it was published,
in the chat's zone, and its picture as a preview when it has one), and buttons to
page to older matching stories in the same message. A page is a story, not an
article: each leads with the story's newest matching article, its takes under it.
Those buttons carry the query itself (`Page`), kept by PTB's button cache in memory
only: after a restart, or after many newer keyboards, an old button says to ask again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import cast

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)

from digest.countries import by_code, flag_prefix
from digest.models import Article
from digest.search.query import Query, parse_query
from digest.stories.compose import render_story
from digest.stories.summarize import summarize
from digest.text import shorten
from handlers.replies import STILL_GATHERING, button_data, clip, esc
from runtime.context import NewsContext
from runtime.delivery import lead_preview

PAGES = 20  # matching stories one answer can page through
# Articles searched for those stories: a big story has many matching reports.
SEARCHED = 200
INLINE_PAGE = 20  # inline results per answer (Telegram allows 50)
TITLE_LIMIT = 120  # inline result titles: a line or two in the list
INLINE_CACHE_SECONDS = 60  # news moves; Telegram may serve the same answer for this long
TRENDING = 5
HOW_TO_ASK = (
    "Ask me about a topic: /latest rare earths, /latest tariffs in Japan, or just write "
    "“news about the Taiwan Strait”. A country's newest story: /latest from Japan."
)


@dataclass(frozen=True, slots=True)
class Page:
    """A ‹ Newer / More › button: the question, and which of its stories to show."""

    query: Query
    position: int


async def latest_command(update: Update, context: NewsContext) -> None:
    """/latest rare earths [in Japan] answers with the newest story on the topic."""
    await answer(update, context, " ".join(context.args or ()))


async def question(update: Update, context: NewsContext) -> None:
    """A plain message in a private chat is taken as a question about a topic."""
    await answer(update, context, update.effective_message.text or "")


async def answer(update: Update, context: NewsContext, text: str) -> None:
    query = parse_query(text)
    if not query.topic and query.country is None:
        await update.effective_message.reply_text(HOW_TO_ASK)
        return
    found = await stories(context, query)
    if not found:
        if not (await context.bot_data.newsroom.edition()).gathered:
            await update.effective_message.reply_text(STILL_GATHERING)
            return
        await update.effective_message.reply_text(
            no_match_text(query), reply_markup=trending_keyboard(context))
        return
    chat_id = update.effective_chat.id
    await update.effective_message.reply_text(
        await answer_text(context, query, found, 0, context.bot_data.newsroom.zone(chat_id)),
        link_preview_options=picture(found[0]),
        reply_markup=pager(query, 0, len(found)))


async def page_button(update: Update, context: NewsContext) -> None:
    """‹ Newer / More ›: the answer's message shows another matching story."""
    button = update.callback_query
    page = cast("Page", button.data)  # the handler's pattern lets only a Page through
    query = page.query
    await button.answer()
    found = await stories(context, query)
    position = min(page.position, len(found) - 1)
    if position < 0:
        await button.edit_message_text(no_match_text(query))
        return
    await button.edit_message_text(
        await answer_text(context, query, found, position,
                          context.bot_data.newsroom.zone(update.effective_chat.id)),
        link_preview_options=picture(found[position]),
        reply_markup=pager(query, position, len(found)))


async def topic_button(update: Update, context: NewsContext) -> None:
    """A trending-topic button under a "nothing found" answer asks about that topic."""
    await update.callback_query.answer()
    await answer(update, context, button_data(update.callback_query).removeprefix("topic:"))


async def inline_query(update: Update, context: NewsContext) -> None:
    """@bot rare earths in any chat: matching stories; choosing one posts it."""
    inline = update.inline_query
    query = parse_query(inline.query)
    offset = int(inline.offset) if inline.offset.isdigit() else 0
    if not query.topic and query.country is None:
        await inline.answer([], cache_time=INLINE_CACHE_SECONDS)
        return
    found = await context.bot_data.newsroom.search(query, limit=offset + INLINE_PAGE + 1)
    page = found[offset: offset + INLINE_PAGE]
    edition = await context.bot_data.newsroom.edition()
    zone = context.bot_data.newsroom.zone(inline.from_user.id)
    results = [
        InlineQueryResultArticle(
            id=article.id,
            title=shorten(article.title, TITLE_LIMIT) or article.source,
            description=(f"{flag_prefix(article.country)}{article.source} · "
                         f"{summarize(article, 200)}"),
            url=article.url,
            input_message_content=InputTextMessageContent(
                render_story(edition.item(article), tz=zone, country="")),
        )
        for article in page
    ]
    more = len(found) > offset + INLINE_PAGE
    # Personal: the posted story shows times in the asking user's zone. No next offset is
    # None, not "": with Defaults set, PTB 22 sends an empty string parameter as [].
    await inline.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=True,
                        next_offset=str(offset + INLINE_PAGE) if more else None)


async def stories(context: NewsContext, query: Query) -> list[Article]:
    """The newest matching article of each matching story, newest first: the pages."""
    edition = await context.bot_data.newsroom.edition()
    found = await context.bot_data.newsroom.search(query, limit=SEARCHED)
    return edition.distinct(found)[:PAGES]


def picture(article: Article) -> LinkPreviewOptions:
    """The story's picture above the answer, if its article has one."""
    return lead_preview(article.url if article.image else "")


async def answer_text(context: NewsContext, query: Query, found: list[Article], position: int,
                      zone: tzinfo) -> str:
    edition = await context.bot_data.newsroom.edition()
    story = render_story(edition.item(found[position]), now=context.bot_data.clock(), tz=zone,
                         country="")
    count = f"{position + 1} of {len(found)} {'story' if len(found) == 1 else 'stories'}"
    return f"🔎 {describe(query)} · {count}\n\n{story}"


def describe(query: Query) -> str:
    """'Latest on <b>rare earths</b> in 🇯🇵 Japan', escaped."""
    country = by_code(query.country) if query.country else None
    where = esc(country.label) if country else ""
    if not query.topic:
        return f"Latest from {where}"
    return f"Latest on <b>{esc(clip(query.topic))}</b>" + (f" in {where}" if where else "")


def no_match_text(query: Query) -> str:
    topic = f"about “{esc(clip(query.topic))}”" if query.topic else "new"
    country = by_code(query.country) if query.country else None
    where = f" from {esc(country.label)}" if country else ""
    return f"I found nothing {topic}{where} in the news I have. In the news now:"


def trending_keyboard(context: NewsContext) -> InlineKeyboardMarkup | None:
    # Any length: PTB's button cache sends Telegram a 64-byte key, not the data itself.
    topics = context.bot_data.newsroom.trending(TRENDING)
    if not topics:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t, callback_data=f"topic:{t}")] for t in topics])


def pager(query: Query, position: int, total: int) -> InlineKeyboardMarkup | None:
    buttons = []
    if position > 0:
        buttons.append(InlineKeyboardButton("‹ Newer", callback_data=Page(query, position - 1)))
    if position + 1 < total:
        buttons.append(InlineKeyboardButton("More ›", callback_data=Page(query, position + 1)))
    return InlineKeyboardMarkup([buttons]) if buttons else None

