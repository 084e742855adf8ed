from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from digest.models import Article
from digest.stories.compose import (
    MAX_ENTITIES,
    MAX_LINK_CHARACTERS,
    MAX_MESSAGE,
    DigestItem,
    RenderedSection,
    pack_digest,
    render_story,
    section,
    story_block,
)
from digest.stories.summarize import summarize

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
        if tag not in {"a", "b", "i", "blockquote"} or (
                tag == "a" and [n for n, _ in attrs] != ["href"]) or (
                tag == "blockquote" and attrs != [("expandable", None)]):
            self.errors.append(f"unexpected <{tag} {attrs}>")
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"] or "")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


_TAG = re.compile(r'</?[bi]>|<a href="[^"<>]*">|</a>|<blockquote expandable>|</blockquote>')
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
    assert "\nA&amp;B &lt;News&gt; · " in block
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
    item = DigestItem(lead, (
        article("China watches Tokyo budget", "Xinhua", "CN", url="https://xinhua.example/b"),
        article("Budget passes", "Asahi", url="https://asahi.example/b"),
    ))
    assert render_story(item, 3) == (
        '3. <b><a href="https://nhk.example/budget">Cabinet approves budget</a></b>\n'
        "NHK\n"
        "The cabinet met on Friday to discuss spending. It agreed on a 4% rise.\n"
        "<blockquote expandable>"
        '🇨🇳 Xinhua: <a href="https://xinhua.example/b">China watches Tokyo budget</a>\n'
        '🇯🇵 Asahi: <a href="https://asahi.example/b">Budget passes</a>'
        "</blockquote>"
    )


def test_story_no_other_country_told_says_so() -> None:
    block = render_story(DigestItem(article(summary="")))
    assert block.splitlines() == [
        '<b><a href="https://news.example/nhk-cabinet-approves-budget">'
        "Cabinet approves budget</a></b>",
        "NHK · reported only in 🇯🇵 Japan",
    ]
    with_home_take = render_story(DigestItem(article(), (article("Budget", "Asahi"),)))
    assert "NHK · reported only in 🇯🇵 Japan\n" in with_home_take


def test_takes_show_headlines_one_per_outlet_then_name_outlets() -> None:
    takes = tuple(
        article(f"{source} tells it {n}", source, country)
        for n, (source, country) in enumerate([
            ("Xinhua", "CN"),
            ("NHK", "JP"),  # the lead's own outlet again: not shown
            ("BBC", "GB"),
            ("Le Monde", "FR"),
            ("Folha", "BR"),
            ("Yonhap", "KR"),
            ("Dawn", "PK"),
            ("Kyodo", "JP"),
            ("Clarin", "AR"),
            ("Asahi", "JP"),
        ])
    )
    item = DigestItem(article(), alternatives=tuple(a for a in takes if a.source != "NHK"))
    quote = render_story(item).split("<blockquote expandable>")[1]
    lines = re.sub(r"<[^>]+>", "", quote).splitlines()
    assert lines == [
        "🇨🇳 Xinhua: Xinhua tells it 0", "🇬🇧 BBC: BBC tells it 2",
        "🇫🇷 Le Monde: Le Monde tells it 3", "🇧🇷 Folha: Folha tells it 4",
        "🇰🇷 Yonhap: Yonhap tells it 5",
        "Also: 🇵🇰 Dawn · 🇯🇵 Kyodo · 🇦🇷 Clarin and 1 other outlet",
    ]
    assert "+" not in quote  # no "+1 more" that looks like it leads somewhere
    assert quote.count("<a ") == 8  # every take shown is a link to its report


def test_nearly_identical_headlines_are_shown_once_credited_to_each_outlet() -> None:
    wire = "Japan raises rare earth export quotas for allies"
    takes = (article(wire, "Korea Herald", "KR", url="https://kh.example/1"),
             article("Japan raises rare-earth export quotas for its allies", "Delhi Tribune",
                     "IN", url="https://dt.example/1"),
             article("Tokyo lifts quotas on rare metals", "Folha", "BR", url="https://f.example"))
    block = render_story(DigestItem(article(), takes))
    quote = block.split("<blockquote expandable>")[1]
    assert quote.splitlines()[0] == (
        '🇰🇷 Korea Herald, 🇮🇳 <a href="https://dt.example/1">Delhi Tribune</a>: '
        f'<a href="https://kh.example/1">{wire}</a>')
    assert "Tokyo lifts quotas on rare metals" in quote
    assert parsed(block).hrefs[1:] == ["https://dt.example/1", "https://kh.example/1",
                                       "https://f.example"]


def test_a_translated_take_is_marked() -> None:
    folha = replace(article("Japan widens quotas", "Folha", "BR"), language="pt",
                    original_title="Japão amplia cotas")
    quote = render_story(DigestItem(article(), (folha,))).split("<blockquote expandable>")[1]
    assert "Japan widens quotas</a> (translated from Portuguese)" in quote
    untranslated = replace(folha, title="Japão amplia cotas", original_title="")
    assert "</a> (in Portuguese)" in render_story(DigestItem(article(), (untranslated,)))


def test_flags_are_relative_to_the_section_country() -> None:
    item = DigestItem(article(source="Xinhua", country="CN"), (article("Take", "NHK", "JP"),))
    lines = render_story(item, country="JP").splitlines()
    assert lines[1] == "🇨🇳 Xinhua"
    assert lines[-1].startswith("<blockquote expandable>🇯🇵 NHK: <a ")


def test_not_in_us_media_marker_is_not_the_search_icon() -> None:
    abroad = (article("Take", "BBC", "GB"),)
    marked = render_story(DigestItem(article(), abroad, True))
    assert "NHK · 🔦 not in US media\n" in marked
    assert "🔎" not in marked
    assert "not in US media" not in render_story(DigestItem(article(), abroad))


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
    assert lines[1] == f"NHK · reported only in 🇯🇵 Japan · {expected}"


def test_old_story_date_is_in_the_users_zone() -> None:
    late = replace(article(), published=datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert render_story(DigestItem(late), now=now).splitlines()[1].endswith("· 22 Nov")
    tokyo = render_story(DigestItem(late), now=now, tz=ZoneInfo("Asia/Tokyo"))
    assert tokyo.splitlines()[1].endswith(" · 23 Nov")
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
        "NHK · reported only in 🇯🇵 Japan\n"
        "The cabinet met on Friday to discuss spending. It agreed on a 4% rise.\n\n"
        "Nothing new from 🇧🇷 Brazil since your last digest."
    ]


def test_a_first_digest_never_speaks_of_a_last_one() -> None:
    [message] = pack_digest([section("JP", (), first=True)], when=WHEN)
    assert message.splitlines()[-1] == "No news from 🇯🇵 Japan in the last two days."
    assert "last digest" not in message


def test_header_date_is_the_users_date() -> None:
    late = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    tokyo = pack_digest([], when=late.astimezone(ZoneInfo("Asia/Tokyo")))[0]
    assert tokyo == "<b>Your news digest</b> — Thursday 26 November"
    new_york = pack_digest([], when=late.astimezone(ZoneInfo("America/New_York")))[0]
    assert new_york == "<b>Your news digest</b> — Wednesday 25 November"


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
        assert visible_length(chunk) <= MAX_MESSAGE  # Telegram counts text, in UTF-16
        assert chunk.count("<a ") + chunk.count("<b>") + chunk.count("<blockquote") \
            <= MAX_ENTITIES
        assert chunk == chunk.strip()
        parsed(chunk)
    # Filled: no two neighbours would have fitted in one message.
    for left, right in itertools.pairwise(chunks):
        assert visible_length(left) + visible_length(right) > MAX_MESSAGE or (
            left.count("<a ") + right.count("<a ") > MAX_ENTITIES / 2)
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


def visible_length(chunk: str) -> int:
    """The chunk's text as Telegram counts it: tags parsed away, UTF-16 code units."""
    return len("".join(parsed(chunk).text).encode("utf-16-le")) // 2


def test_links_and_tags_do_not_count_against_the_message_length() -> None:
    long_path = "/".join(["segment"] * 93)  # about 760 characters a link
    takes = tuple(article(f"Take {k}", f"Outlet {k}", "CN",
                          url=f"https://o{k}.example/{long_path}") for k in range(4))
    item = DigestItem(article(url=f"https://nhk.example/{long_path}"), takes)
    [chunk] = pack_digest([country("JP", (item,))], when=WHEN)
    assert len(chunk) > MAX_MESSAGE  # as raw HTML
    assert summarize(item.lead) in chunk  # nothing had to go
    assert parsed(chunk).hrefs == [item.lead.url, *(take.url for take in takes)]


def test_story_too_long_for_a_message_loses_summary_not_html() -> None:
    lead = article("Budget " * 565)  # 3,955 characters of headline
    item = DigestItem(lead, ())
    assert visible_length(render_story(item)) > MAX_MESSAGE - 80  # too long with the headers

    [chunk] = pack_digest([country("JP", (item,))], when=WHEN)
    assert visible_length(chunk) <= MAX_MESSAGE
    summary_line = chunk.splitlines()[6]
    assert summary_line != summarize(lead)
    assert summary_line.startswith("The cabinet")


def test_takes_with_too_many_link_characters_are_dropped_whole() -> None:
    long_path = "/".join(["segment"] * 93)
    takes = tuple(article(f"Take {k}", f"Outlet {k}", "CN",
                          url=f"https://o{k}.example/{long_path}") for k in range(12))
    [chunk] = pack_digest([country("JP", (DigestItem(article(), takes),))], when=WHEN)
    hrefs = parsed(chunk).hrefs
    assert sum(map(len, hrefs)) <= MAX_LINK_CHARACTERS
    assert set(hrefs[1:]) <= {take.url for take in takes}  # whole links only
    assert 1 < len(hrefs) < 13


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
    assert "El País · translated from Spanish" in translated
    untranslated = render_story(DigestItem(replace(spanish, original_title="",
                                                   original_summary="")))
    assert "El País · in Spanish" in untranslated
    english = render_story(DigestItem(replace(spanish, language="en")))
    assert "Spanish" not in english
