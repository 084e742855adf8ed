"""Text clean-up shared by ingestion, deduplication and (later) stories and search.

Feeds carry HTML, entities, odd whitespace and publisher boilerplate in fields
that we show as plain text; everything that turns outside text into our plain
text lives here so that it is done one way everywhere.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    ("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
     "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
     "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul")
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "head"})
_WHITESPACE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

# Syndication footers that publishers and CMS plugins append to summaries.
_BOILERPLATE = [
    re.compile(p, re.IGNORECASE | re.DOTALL)
    for p in (
        r"\bThe post\b.{1,300}?\bappeared first on\b.{0,200}$",
        r"\bThis (?:article|story|entry) (?:was|is) (?:originally )?(?:published|posted)\b"
        r".{0,300}$",
        r"\b(?:Continue|Keep) reading\b.{0,200}$",
        r"\bRead (?:more|the full (?:story|article))\b.{0,120}$",
        r"\[(?:…|\.\.\.|&hellip;)\]\s*$",
        r"\(?\bSource:\s*[\w .-]{1,60}\)?\s*$",
    )
]


class _TextExtractor(HTMLParser):
    """Keeps character data, turns block boundaries into spaces, drops scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def plain_text(markup: str) -> str:
    """Outside HTML (or text with entities) as one line of plain text."""
    if not markup:
        return ""
    if "<" in markup:
        extractor = _TextExtractor()
        extractor.feed(markup)
        extractor.close()
        markup = "".join(extractor.parts)
    # Some feeds escape twice ("&amp;amp;"); a second unescape of plain text is harmless.
    text = html.unescape(html.unescape(markup))
    text = text.translate(_INVISIBLE)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _WHITESPACE.sub(" ", text).strip()


def strip_boilerplate(text: str) -> str:
    for pattern in _BOILERPLATE:
        text = pattern.sub("", text).strip()
    return text.rstrip(" -–—|:")


def title_key(title: str) -> str:
    """A title reduced to letters and digits, so republished headlines compare equal."""
    folded = fold_accents(title.casefold())
    # Letters, marks and digits make words (\w alone would split Hindi at vowel signs).
    return " ".join("".join(ch if unicodedata.category(ch)[0] in "LMN" else " "
                            for ch in folded).split())


def fold_accents(text: str) -> str:
    """Latin accents removed ("é" -> "e"); marks of other scripts (Hindi vowel signs,
    Japanese dakuten) are part of the letter and are kept."""
    kept: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch) and kept and kept[-1] < "\u0250":
            continue
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut between words (never inside one) and ending
    with an ellipsis; applied to plain text, before any escaping."""
    if len(text) <= limit:
        return text
    room = text[: limit - 1]
    if not text[limit - 1].isspace():
        space = room.rfind(" ")
        if space > 0:
            room = room[:space]
    room = room.rstrip(" ,;:-–—([{\"'“‘")
    return room + ELLIPSIS if room else ""
