"""The bot's Telegram HTML as terminal text: tags gone, links kept readable."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

JSONDict = dict[str, Any]


QUOTE_MARK = "▍ "  # before each line of a blockquote, as clients draw a bar beside it


class _Text(HTMLParser):
    """Text of Telegram HTML; a link becomes "label (url)" so it can still be opened, and
    a blockquote's lines get a bar (an expandable one is shown expanded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hrefs: list[str] = []
        self._quoted = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._hrefs.append(dict(attrs).get("href") or "")
        elif tag == "blockquote":
            self._quoted = True
            self.parts.append(QUOTE_MARK)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._hrefs:
            href = self._hrefs.pop()
            if href:
                self.parts.append(f" ({href})")
        elif tag == "blockquote":
            self._quoted = False

    def handle_data(self, data: str) -> None:
        self.parts.append(data.replace("\n", "\n" + QUOTE_MARK) if self._quoted else data)


def as_text(text: str, parse_mode: str | None) -> str:
    """What a Telegram client would show, as plain text (entities decoded once, by the
    parser: "&amp;amp;" is shown as the "&amp;" that was meant)."""
    if (parse_mode or "").upper() != "HTML":
        return text
    parser = _Text()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def buttons_of(markup: JSONDict | None) -> list[JSONDict]:
    """The inline buttons of a reply markup, row by row."""
    rows = (markup or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


def inline_result_lines(query: str, results: list[JSONDict]) -> list[str]:
    """An inline query's answer as Telegram lists it above the keyboard, numbered."""
    if not results:
        return [f"(inline: nothing found for “{query}”)"]
    lines = [f"Inline results for “{query}” (in Telegram, choosing one posts it):"]
    for number, result in enumerate(results, 1):
        lines.append(f"[{number}] {result.get('title', '')}")
        if result.get("description"):
            lines.append(f"    {result['description']}")
    return lines


def keyboard_lines(buttons: list[JSONDict]) -> list[str]:
    """Numbered buttons, several per line: '[1] Asia   [2] Europe'."""
    labels = [f"[{n}] {b.get('text', '')}" for n, b in enumerate(buttons, 1)]
    return ["   ".join(labels[i: i + 3]) for i in range(0, len(labels), 3)]
