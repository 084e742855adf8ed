"""Alternative takes: how the other outlets, other countries' first, told a story.

The product's promise is to show how others told the same story, so each take
is shown with its own headline (translated where needed, and marked so), not
just an outlet's name. Takes sit in one expandable blockquote under the story:
Telegram shows its first lines and the rest on a tap, so the digest stays
compact without a "+N more" that leads nowhere.

Two takes whose headlines say nearly the same thing (wire copy run by several
outlets) are shown once, credited to every outlet that ran it. Past the
headlines shown, further outlets are named with a link to their article. A
story that no outlet of another country reported says so in a few words.

Pure rendering, like digest.stories.compose: every piece of outside text is escaped,
and links are made only to http(s) addresses.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from digest.countries import flag_prefix
from digest.models import Article
from digest.tokens import content_words, crude_stem
from digest.translation.languages import language_name

READER_LANGUAGE = "en"  # digests are in English; other languages are marked
# Takes shown with their headline, and further outlets named (and linked) after them.
# Telegram keeps 100 formatting entities a message and each take is a link: with these a
# story has at most 11, so a message holds about nine stories.
MAX_HEADLINES = 5
MAX_NAMED = 3
MAX_CREDITS = 3  # outlets credited on one shared headline
# Share of distinct words two headlines must have in common (Jaccard) to count as saying
# the same thing: wire copy and light edits of it, not two outlets' own wordings of one
# event ("Japan raises rare earth quotas" / "Tokyo lifts rare earth quotas" is 0.36).
SAME_HEADLINE = 0.7
_STEM = 6  # words cut to a prefix, so "quota" and "quotas" are one word


@dataclass(frozen=True, slots=True)
class Take:
    """A headline as one or more outlets ran it, the first outlet's article leading."""

    articles: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class Takes:
    """What a story shows of the other reports: headlines, then outlets named only."""

    headlines: tuple[Take, ...]
    named: tuple[Article, ...]  # the outlets past the headlines, in the same order


def takes_of(alternatives: Sequence[Article]) -> Takes:
    """Alternatives (in the order to show them) as takes: near-identical headlines merged,
    at most MAX_HEADLINES of them; the outlets after those are only named (a story of a
    hundred reports compares the first few headlines, not all)."""
    groups: list[tuple[frozenset[str], list[Article]]] = []
    named: list[Article] = []
    for position, article in enumerate(alternatives):
        if len(groups) == MAX_HEADLINES:
            named.extend(alternatives[position:])
            break
        words = _words(article.title)
        same = next((g for w, g in groups if _similar(words, w)), None)
        if same is not None and len(same) < MAX_CREDITS:
            same.append(article)
        elif same is None and len(groups) < MAX_HEADLINES:
            groups.append((words, [article]))
        else:
            named.append(article)
    return Takes(tuple(Take(tuple(g)) for _, g in groups), tuple(named))


def reported_abroad(takes: Takes, home: str) -> bool:
    """Whether an outlet of another country than `home` (the lead's) told the story: one
    that none did says so ("reported only in 🇯🇵 Japan") rather than showing nothing."""
    return any(a.country != home for t in takes.headlines for a in t.articles) or any(
        a.country != home for a in takes.named)


def render_takes(takes: Takes, *, headlines: int = MAX_HEADLINES,
                 named: int = MAX_NAMED) -> str:
    """The takes as an expandable blockquote (empty when there are none to show), with the
    first `headlines` headlines and `named` further outlets."""
    lines = [_take_line(take) for take in takes.headlines[:headlines]]
    rest = [*(a for t in takes.headlines[headlines:] for a in t.articles), *takes.named]
    if rest and named > 0:
        links = [f"{flag_prefix(a.country)}{link(a.url, a.source)}" for a in rest[:named]]
        more = len(rest) - named
        tail = f" and {more} other {'outlet' if more == 1 else 'outlets'}" if more > 0 else ""
        lines.append("Also: " + " · ".join(links) + tail)
    elif rest:
        lines.append(f"Also reported by {len(rest)} other "
                     f"{'outlet' if len(rest) == 1 else 'outlets'}")
    return f"<blockquote expandable>{chr(10).join(lines)}</blockquote>" if lines else ""


def language_note(article: Article) -> str:
    """"translated from Japanese", or "in Japanese" while no translation has arrived; the
    reader should know which words are the outlet's own."""
    if article.language in ("", READER_LANGUAGE):
        return ""
    name = language_name(article.language)
    return f"translated from {name}" if article.translated else f"in {name}"


def link(url: str, text: str) -> str:
    label = html.escape(text)
    if not url.startswith(("https://", "http://")):
        return label
    return f'<a href="{html.escape(url, quote=True)}">{label}</a>'


def _take_line(take: Take) -> str:
    """"🇧🇷 Folha: <headline> (translated from Portuguese)"; outlets that ran the same
    headline are credited beside the first, each linked to its own article."""
    first, *others = take.articles
    credits = [f"{flag_prefix(first.country)}{html.escape(first.source)}"]
    credits += [f"{flag_prefix(a.country)}{link(a.url, a.source)}" for a in others]
    note = language_note(first)
    return (f"{', '.join(credits)}: {link(first.url, first.title)}"
            + (f" ({note})" if note else ""))



def _words(title: str) -> frozenset[str]:
    return frozenset(crude_stem(word, _STEM) for word in content_words(title))


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= SAME_HEADLINE
