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

from lxml.html.defs import tags as lxml_html_tags

from digest.tokens import fold

_BLOCK_TAGS = frozenset(
    ("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
     "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
     "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul")
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "head"})
# Every HTML element name (lxml's list lacks a few HTML5 ones). Text whose only "tags" have
# other names, as "Prices <rise> & fall" or "List<T>", is text with angle brackets, not HTML.
_HTML_TAGS = frozenset(lxml_html_tags) | {"bdi", "data", "dialog", "main", "picture",
                                          "template", "frame", "noframes", "nobr"}
_TAG = re.compile(r"<!--|</?([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
# Markup escaped once more than it should be is unescaped and stripped again, this
# many times at most (Reddit's summaries arrive escaped twice).
_MAX_ESCAPING = 4
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
    """Outside HTML (or text with entities) as one line of plain text.

    Text is read as HTML only when it holds real markup (an HTML element or a
    comment), so a headline such as "Prices <rise> & fall" keeps its words; markup
    that arrives escaped ("&lt;p&gt;Hello&lt;/p&gt;") is unescaped and stripped too.
    """
    text = markup
    for _ in range(_MAX_ESCAPING):
        if holds_markup(text):
            extractor = _TextExtractor()
            extractor.feed(text)
            extractor.close()
            text = "".join(extractor.parts)
            continue
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = text.translate(_INVISIBLE)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _WHITESPACE.sub(" ", text).strip()


def holds_markup(text: str) -> bool:
    """Whether `text` holds an HTML element's tag or a comment (not merely "<" and ">")."""
    return any(match[1] is None or match[1].lower() in _HTML_TAGS
               for match in _TAG.finditer(text))


def strip_boilerplate(text: str) -> str:
    for pattern in _BOILERPLATE:
        text = pattern.sub("", text).strip()
    return text.rstrip(" -–—|:")


def title_key(title: str) -> str:
    """A title reduced to letters and digits, so republished headlines compare equal."""
    folded = fold(title)
    # Letters, marks and digits make words (\w alone would split Hindi at vowel signs).
    return " ".join("".join(ch if unicodedata.category(ch)[0] in "LMN" else " "
                            for ch in folded).split())


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
