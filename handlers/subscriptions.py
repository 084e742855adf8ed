"""Picking countries: /subscribe, /unsubscribe, /mysubs, /countries and the keyboard.

The keyboard is one message that is edited in place: regions, then the
countries of a region (paged) with a ✅ on the subscribed ones; a tap toggles.
Callback data stays far below Telegram's 64 bytes: `reg`, `reg:<region>:<page>`,
`tog:<code>:<region>:<page>`, `add:<code>`, `done`.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from digest.countries import Country, by_code
from digest.models import Chat
from digest.subscriptions import Change, Coverage, subscribe, subscribed, toggle, unsubscribe
from handlers.globe import with_globe
from handlers.replies import button_data, clip, country_list, esc
from runtime.context import NewsContext

PAGE_SIZE = 10
MAX_SUGGESTIONS = 9
MAX_UNKNOWN_SHOWN = 10
DONE = InlineKeyboardButton("Done", callback_data="done")


def current_chat(context: NewsContext, chat_id: int) -> Chat:
    return context.bot_data.store.chat(chat_id) or Chat(chat_id=chat_id)


def regions_keyboard(coverage: Coverage, chat: Chat) -> InlineKeyboardMarkup:
    buttons = []
    for region, countries in coverage.by_region().items():
        mine = sum(c.code in chat.countries for c in countries)
        label = f"{region} ({mine}/{len(countries)})" if mine else f"{region} ({len(countries)})"
        buttons.append(InlineKeyboardButton(label, callback_data=f"reg:{region}:0"))
    return InlineKeyboardMarkup([*_rows(buttons, 2), [DONE]])


def region_keyboard(coverage: Coverage, chat: Chat, region: str, page: int
                    ) -> InlineKeyboardMarkup:
    countries = coverage.by_region().get(region, [])
    pages = max(1, -(-len(countries) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = countries[page * PAGE_SIZE: (page + 1) * PAGE_SIZE]
    buttons = [
        InlineKeyboardButton(
            f"{'✅ ' if c.code in chat.countries else ''}{c.label}",
            callback_data=f"tog:{c.code}:{region}:{page}",
        )
        for c in shown
    ]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("‹ Back", callback_data=f"reg:{region}:{page - 1}"))
    nav.append(InlineKeyboardButton("Regions", callback_data="reg"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("More ›", callback_data=f"reg:{region}:{page + 1}"))
    return InlineKeyboardMarkup([*_rows(buttons, 2), nav, [DONE]])


def picker_text(chat: Chat, region: str = "") -> str:
    mine = country_list(subscribed(chat)) or "none yet"
    where = f"<b>{esc(region)}</b>: tap a country to add or remove it." if region else (
        "Pick a region, then tap countries to add or remove them.")
    return f"{where}\nYour countries: {mine}"


async def show_picker(update: Update, context: NewsContext) -> None:
    chat = current_chat(context, update.effective_chat.id)
    await update.effective_message.reply_text(
        picker_text(chat),
        reply_markup=with_globe(regions_keyboard(context.bot_data.newsroom.coverage, chat), update,
                                context),
    )


def change_text(change: Change, verb: str, offered: frozenset[str] = frozenset()) -> str:
    """The reply to /subscribe or /unsubscribe with names: every word accounted for.

    `offered` holds the codes that got a suggestion button; only a word with one of
    them is told to look at the buttons.
    """
    lines = []
    if change.changed:
        lines.append(f"{verb.capitalize()}: {country_list(change.changed)}")
    if change.unchanged:
        state = "Already subscribed" if verb == "added" else "Not subscribed anyway"
        lines.append(f"{state}: {country_list(change.unchanged)}")
    if change.uncovered:
        lines.append(f"No outlets yet for: {country_list(change.uncovered)} "
                     "(see /countries for what is covered)")
    if change.found:
        unknown_words = change.found.unknown
        for unknown in unknown_words[:MAX_UNKNOWN_SHOWN]:
            buttons = any(c.code in offered for c in unknown.suggestions)
            hint = " Did you mean one of the buttons below?" if buttons else ""
            lines.append(f"I don't know the country “{esc(clip(unknown.word))}”.{hint}")
        if len(unknown_words) > MAX_UNKNOWN_SHOWN:  # 100 pasted words would pass 4,096 chars
            lines.append(f"… and {len(unknown_words) - MAX_UNKNOWN_SHOWN} more words that "
                         "are no country I know.")
    if not lines:
        lines.append("I didn't find a country name there. Try /subscribe Japan, Brazil.")
    return "\n".join(lines)


def offered_suggestions(change: Change, coverage: Coverage) -> list[Country]:
    """Covered countries suggested for the unknown words: these get buttons."""
    offered: dict[str, Country] = {}
    for unknown in change.found.unknown if change.found else ():
        for country in unknown.suggestions:
            if coverage.covers(country):
                offered.setdefault(country.code, country)
    return list(offered.values())[:MAX_SUGGESTIONS]


def suggestion_keyboard(countries: list[Country]) -> InlineKeyboardMarkup | None:
    buttons = [InlineKeyboardButton(c.label, callback_data=f"add:{c.code}")
               for c in countries]
    return InlineKeyboardMarkup(_rows(buttons, 3)) if buttons else None


def _rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i: i + width] for i in range(0, len(buttons), width)]


async def subscribe_command(update: Update, context: NewsContext) -> None:
    """/subscribe NAMES adds countries; without names it opens the keyboard."""
    text = " ".join(context.args or ())
    if not text.strip():
        await show_picker(update, context)
        return
    data = context.bot_data
    chat = current_chat(context, update.effective_chat.id)
    change = subscribe(chat, text, data.newsroom.coverage)
    if change.changed:
        data.store.save_chat(change.chat)
    offered = offered_suggestions(change, data.newsroom.coverage)
    await update.effective_message.reply_text(
        change_text(change, "added", frozenset(c.code for c in offered)),
        reply_markup=suggestion_keyboard(offered),
    )


async def unsubscribe_command(update: Update, context: NewsContext) -> None:
    """/unsubscribe NAMES (or all) removes countries; without names it opens the keyboard."""
    text = " ".join(context.args or ())
    if not text.strip():
        await show_picker(update, context)
        return
    change = unsubscribe(current_chat(context, update.effective_chat.id), text)
    if change.changed:
        context.bot_data.store.save_chat(change.chat)
    reply = change_text(change, "removed") if change.changed or change.found else (
        "You have no countries to remove. Send /subscribe to pick some.")
    await update.effective_message.reply_text(reply)


def settings_text(chat: Chat, context: NewsContext) -> str:
    defaults = context.bot_data.config.digest
    countries = subscribed(chat)
    if not countries:
        return "You have no countries yet. Send /subscribe to pick some."
    lines = [esc(c.label) for c in countries]
    when = chat.digest_time or defaults.time
    zone = context.bot_data.newsroom.zone_name(chat.chat_id)
    state = " (paused)" if chat.paused else ""
    return ("Your countries:\n" + "\n".join(lines)
            + f"\n\nDigest every day at {when} ({esc(zone)}){state}.")


async def mysubs_command(update: Update, context: NewsContext) -> None:
    """/mysubs lists the chat's countries and digest schedule."""
    chat = current_chat(context, update.effective_chat.id)
    await update.effective_message.reply_text(settings_text(chat, context))


async def countries_command(update: Update, context: NewsContext) -> None:
    """/countries lists the covered countries by region with outlet counts."""
    coverage = context.bot_data.newsroom.coverage
    parts = []
    for region, countries in coverage.by_region().items():
        entries = ", ".join(f"{esc(c.label)} ({coverage.outlets[c.code]})"
                            for c in countries)
        parts.append(f"<b>{esc(region)}</b>\n{entries}")
    total = sum(coverage.outlets.values())
    parts.append(f"{len(coverage.outlets)} countries, {total} outlets. "
                 "Subscribe with /subscribe Japan, Brazil.")
    await update.effective_message.reply_text("\n\n".join(parts))


async def picker_button(update: Update, context: NewsContext) -> None:
    """Keyboard taps: regions and pages navigate, a country toggles, Done closes."""
    query = update.callback_query
    assert query is not None  # registered for callback queries only
    data = context.bot_data
    chat = current_chat(context, update.effective_chat.id)
    kind, *args = button_data(query).split(":")
    await query.answer()
    if kind == "done":
        await _edit(query, settings_text(chat, context), None)
        return
    if kind == "tog" and len(args) == 3 and args[0] in data.newsroom.coverage.outlets:
        chat = toggle(chat, args[0])
        data.store.save_chat(chat)
        args = args[1:]
    if len(args) == 2 and args[1].isdigit():
        region, page = args[0], int(args[1])
        await _edit(query, picker_text(chat, region),
                    region_keyboard(data.newsroom.coverage, chat, region, page))
    else:
        await _edit(query, picker_text(chat), regions_keyboard(data.newsroom.coverage, chat))


async def suggestion_button(update: Update, context: NewsContext) -> None:
    """A "did you mean" button: subscribe to that country."""
    query = update.callback_query
    data = context.bot_data
    code = button_data(query).removeprefix("add:")
    country = by_code(code)
    if country is None or not data.newsroom.coverage.covers(country):
        await query.answer("That country is not covered.")
        return
    chat = current_chat(context, update.effective_chat.id)
    change = subscribe(chat, code, data.newsroom.coverage)
    data.store.save_chat(change.chat)
    await query.answer(f"Added {country.name}")
    await query.message.reply_text(settings_text(change.chat, context))


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # a double tap changes nothing
            raise
