from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from digest.compose import (
    MAX_MESSAGE,
    DigestItem,
    RenderedSection,
    pack_digest,
    render_story,
    section,
    story_block,
)
from digest.models import Article
from digest.summarize import summarize

PUBLISHED = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
WHEN = datetime(2026, 11, 25, 7, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
SUMMARY = "The cabinet met on Friday to discuss spending. It agreed on a 4% rise."


def article(
    title: str = "Cabinet approves budget",
    source: str = "NHK",
    country: str = "JP",
    *,
    url: str = "",
    summary: str = SUMMARY,
) -> Article:
    slug = re.sub(r"\W+", "-", f"{source} {title}".lower())[:60]
    return Article(
        url or f"https://news.example/{slug}", title, summary, PUBLISHED, source, country, "en"
    )


class _Html(HTMLParser):
    """Collects tags, links and text; records any tag Telegram would not accept or balance."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"a", "b", "i"} or (tag == "a" and [n for n, _ in attrs] != ["href"]):
            self.errors.append(f"unexpected <{tag} {attrs}>")
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"] or "")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


_TAG = re.compile(r'</?[bi]>|<a href="[^"<>]*">|</a>')
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#x27);")


def parsed(chunk: str) -> _Html:
    """The chunk parsed, after checking it is HTML Telegram accepts: known tags, balanced,
    every other "<", ">", "&" escaped."""
    bare = _ENTITY.sub("", _TAG.sub("", chunk))
    assert not set("<>&") & set(bare), chunk
    parser = _Html()
    parser.feed(chunk)
    parser.close()
    assert parser.errors == [], chunk
    assert parser.open == [], chunk
    return parser


# --- escaping ---------------------------------------------------------------------------


def test_title_outlet_and_summary_are_escaped() -> None:
    lead = article(
        'Tom & "Jerry" <script>alert(1)</script>',
        source="A&B <News>",
        summary="Prices <b>fell</b> & rose. Traders said 'maybe'.",
    )
    block = render_story(DigestItem(lead))
    assert "<script>" not in block
    assert "Tom &amp; &quot;Jerry&quot; &lt;script&gt;alert(1)&lt;/script&gt;" in block
    assert "<i>A&amp;B &lt;News&gt;</i>" in block
    assert "Prices &lt;b&gt;fell&lt;/b&gt; &amp; rose. Traders said &#x27;maybe&#x27;." in block
    html = parsed(block)
    assert "".join(html.text).startswith('Tom & "Jerry" <script>alert(1)</script>')


def test_quote_in_url_stays_inside_the_href() -> None:
    url = 'https://news.example/a?q="x"&b=<1>" onclick="alert(1)'
    alternative = article("Other take", source="Asahi", url=url + "&alt")
    block = render_story(DigestItem(article(url=url), (alternative,)))
    assert 'href="https://news.example/a?q=&quot;x&quot;&amp;b=&lt;1&gt;&quot; onclick=' in block
    assert parsed(block).hrefs == [url, url + "&alt"]


def test_non_web_links_are_not_linked() -> None:
    block = render_story(DigestItem(article("Click me", url="javascript:alert(1)")))
    assert "<a " not in block
    assert block.startswith("<b>Click me</b>")


# --- one story --------------------------------------------------------------------------


def test_story_block_structure() -> None:
    lead = article(url="https://nhk.example/budget")
    item = DigestItem(lead, (article("Budget passes", "Asahi", url="https://asahi.example/b"),))
    assert render_story(item, 3) == (
        '3. <b><a href="https://nhk.example/budget">Cabinet approves budget</a></b>\n'
        "<i>NHK</i>\n"
        "The cabinet met on Friday to discuss spending. It agreed on a 4% rise.\n"
        'Also: <a href="https://asahi.example/b">Asahi</a>'
    )


def test_story_without_number_summary_or_alternatives_is_two_lines() -> None:
    block = render_story(DigestItem(article(summary="")))
    assert block.splitlines() == [
        '<b><a href="https://news.example/nhk-cabinet-approves-budget">'
        "Cabinet approves budget</a></b>",
        "<i>NHK</i>",
    ]


def test_also_line_flags_other_countries_and_caps_at_five() -> None:
    takes = tuple(
        article("Take", source, country)
        for source, country in [
            ("Asahi", "JP"),
            ("Xinhua", "CN"),
            ("NHK", "JP"),  # the lead's own outlet again: not shown
            ("Asahi", "JP"),  # the same outlet twice: shown once
            ("BBC", "GB"),
            ("Yomiuri", "JP"),
            ("Le Monde", "FR"),
            ("Folha", "BR"),
            ("Kyodo", "JP"),
        ]
    )
    also = render_story(DigestItem(article(), takes)).splitlines()[-1]
    text = re.sub(r"<[^>]+>", "", also)
    assert text == "Also: Asahi · 🇨🇳 Xinhua · 🇬🇧 BBC · Yomiuri · 🇫🇷 Le Monde · +2 more"


def test_flags_are_relative_to_the_section_country() -> None:
    item = DigestItem(article(source="Xinhua", country="CN"), (article("Take", "NHK", "JP"),))
    lines = render_story(item, country="JP").splitlines()
    assert lines[1] == "🇨🇳 <i>Xinhua</i>"
    assert lines[-1].startswith("Also: <a ")  # NHK is from the section's own country


def test_not_in_us_media_marker() -> None:
    assert "<i>NHK</i> · 🔎 not in US media\n" in render_story(DigestItem(article(), (), True))
    assert "not in US media" not in render_story(DigestItem(article()))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (PUBLISHED + timedelta(seconds=20), "just now"),
        (PUBLISHED + timedelta(minutes=25), "25 min ago"),
        (PUBLISHED + timedelta(hours=3, minutes=5), "3 h ago"),
        (PUBLISHED + timedelta(days=2), "25 Nov"),
    ],
)
def test_published_time_relative_to_now(now: datetime, expected: str) -> None:
    lines = render_story(DigestItem(article()), now=now).splitlines()
    assert lines[1] == f"<i>NHK</i> · {expected}"


def test_old_story_date_is_in_the_users_zone() -> None:
    late = replace(article(), published=datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert render_story(DigestItem(late), now=now).splitlines()[1] == "<i>NHK</i> · 22 Nov"
    tokyo = render_story(DigestItem(late), now=now, tz=ZoneInfo("Asia/Tokyo"))
    assert tokyo.splitlines()[1] == "<i>NHK</i> · 23 Nov"
    assert "23 Nov 08:30" in render_story(DigestItem(late), tz=ZoneInfo("Asia/Tokyo"))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        render_story(DigestItem(article()), now=datetime(2026, 11, 25, 6, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        pack_digest([], when=datetime(2026, 11, 25, 6, 0))  # noqa: DTZ001


# --- the digest -------------------------------------------------------------------------


def country(code: str, items: tuple[DigestItem, ...]) -> RenderedSection:
    """A section as editions build it: numbered story blocks, or "nothing new"."""
    return section(code, tuple(story_block(item, n, code) for n, item in enumerate(items, 1)))


def test_digest_layout() -> None:
    sections = [
        country("JP", (DigestItem(article(url="https://nhk.example/1")),)),
        country("BR", ()),
    ]
    assert pack_digest(sections, when=WHEN) == [
        "<b>Your news digest</b> — Wednesday 25 November\n\n"
        "🇯🇵 <b>Japan</b>\n\n"
        '1. <b><a href="https://nhk.example/1">Cabinet approves budget</a></b>\n'
        "<i>NHK</i>\n"
        "The cabinet met on Friday to discuss spending. It agreed on a 4% rise.\n\n"
        "Nothing new from 🇧🇷 Brazil since your last digest."
    ]


def test_header_date_is_the_users_date() -> None:
    late = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    tokyo = pack_digest([], when=late.astimezone(ZoneInfo("Asia/Tokyo")))[0]
    assert tokyo.startswith("<b>Your news digest</b> — Thursday 26 November\n")
    new_york = pack_digest([], when=late.astimezone(ZoneInfo("America/New_York")))[0]
    assert new_york.startswith("<b>Your news digest</b> — Wednesday 25 November\n")


def test_nothing_new_line() -> None:
    [message] = pack_digest([country("JP", ())], when=WHEN)
    assert message.splitlines()[-1] == "Nothing new from 🇯🇵 Japan since your last digest."


def _story_articles(country: str, count: int) -> tuple[DigestItem, ...]:
    words = "Officials said the measure would take effect next month after a long debate."
    return tuple(
        DigestItem(
            article(
                f"{country} story {n} & more",
                f"Outlet {n}",
                country,
                summary=f"Story {n} began on Monday in the capital. {words} {words} {words}",
            ),
            tuple(
                article(f"Take {n}.{k}", f"Other {k}", "CN" if k % 2 else country) for k in range(7)
            ),
        )
        for n in range(1, count + 1)
    )


def test_sixty_stories_split_between_stories_into_well_formed_chunks() -> None:
    sections = [
        country("JP", _story_articles("JP", 40)),
        country("DE", ()),
        country("BR", _story_articles("BR", 20)),
    ]
    chunks = pack_digest(sections, when=WHEN)
    assert len(chunks) >= 4
    for chunk in chunks:
        assert len(chunk) <= MAX_MESSAGE
        assert len(chunk.encode("utf-16-le")) // 2 <= MAX_MESSAGE  # Telegram counts UTF-16
        assert chunk == chunk.strip()
        parsed(chunk)
    assert chunks[0].startswith(
        "<b>Your news digest</b> — Wednesday 25 November\n\n🇯🇵 <b>Japan</b>"
    )
    for chunk in chunks[1:]:
        # A chunk opens at a block boundary: a section header, never in the middle of a story.
        assert re.match(r"(🇯🇵 <b>Japan|🇧🇷 <b>Brazil)</b>( \(continued\))?\n\n\d+\. <b>", chunk)
    text = "\n\n".join(chunks)
    headlines = re.findall(r"(\d+)\. <b><a [^>]+>(\w\w) story (\d+) &amp; more</a>", text)
    assert [(c, int(n)) for _, c, n in headlines] == [("JP", n) for n in range(1, 41)] + [
        ("BR", n) for n in range(1, 21)
    ]
    assert all(number == n for number, _, n in headlines)
    assert text.count("Nothing new from 🇩🇪 Germany since your last digest.") == 1
    assert text.count("🇯🇵 <b>Japan</b> (continued)") >= 1
    assert text.count("🇯🇵 <b>Japan</b>\n") == 1


def test_story_too_long_for_a_message_loses_summary_not_html() -> None:
    long_path = "/".join(["segment"] * 93)  # about 760 characters a link
    takes = tuple(
        article("Take", f"Outlet {k}", url=f"https://o{k}.example/{long_path}") for k in range(4)
    )
    lead = article(url=f"https://nhk.example/{long_path}")
    item = DigestItem(lead, takes)
    full = render_story(item)
    assert len(full) > MAX_MESSAGE - 80  # does not fit in a digest with its headers
    assert len(render_story(replace(item, lead=replace(lead, summary="")))) < MAX_MESSAGE - 100

    [chunk] = pack_digest([country("JP", (item,))], when=WHEN)
    assert len(chunk) <= MAX_MESSAGE
    html = parsed(chunk)
    assert html.hrefs == [lead.url, *(take.url for take in takes)]  # every link intact
    summary_line = chunk.splitlines()[6]
    assert summary_line != summarize(lead)
    assert summary_line.startswith("The cabinet met on Friday")


def test_absurd_title_and_links_still_fit() -> None:
    lead = article("&" * 5000, source="<" * 3000, url="https://x.example/" + '"' * 5000)
    takes = tuple(
        article("T", f"O{k}" * 400, "CN", url="https://y.example/" * 200) for k in range(9)
    )
    for chunk in pack_digest([country("JP", (DigestItem(lead, takes),) * 3)], when=WHEN):
        assert len(chunk) <= MAX_MESSAGE
        parsed(chunk)
        assert "&amp;…</b>\n" in chunk  # the headline was shortened as text, then escaped
    assert len(render_story(DigestItem(lead, takes))) <= MAX_MESSAGE


def test_language_of_the_lead_is_marked() -> None:
    spanish = Article(
        url="https://elpais.example/1", title="Inflation falls in Spain",
        summary="Prices rose less in November.", published=datetime(2026, 11, 25, tzinfo=UTC),
        source="El País", country="ES", language="es",
        original_title="La inflación baja en España", original_summary="Los precios suben menos.")
    translated = render_story(DigestItem(spanish))
    assert "<i>El País</i> · translated from Spanish" in translated
    untranslated = render_story(DigestItem(replace(spanish, original_title="",
                                                   original_summary="")))
    assert "<i>El País</i> · in Spanish" in untranslated
    english = render_story(DigestItem(replace(spanish, language="en")))
    assert "Spanish" not in english
