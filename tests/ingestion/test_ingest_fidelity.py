"""Feeds read faithfully: real HTTP from a local feed server, one ingestion pass, the store.

Each feed below is a small hand-made copy of a shape met in real feeds, named after
where it was seen; the comparison over the shared real-feed corpora is in test_parse.
"""

from __future__ import annotations

from pathlib import Path

from digest.models import Article
from digest.store import TinyStore
from tests.feed_server import FeedServer
from tests.ingestion.test_ingest import Clock, run_pass, source

# A New York Times category feed puts <atom:link rel="standout"> before <link>; .NET's
# SyndicationFeed writes <a10:link>; podcast tools write an Atom-style <link href> in RSS.
LINKS_ONLY_IN_LINKS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:a10="http://www.w3.org/2005/Atom"><channel><title>Links</title>
<link>https://nyt.example/</link><description>d</description>
<item><title>Canal clean-up plan meets local resistance</title>
<atom:link rel="standout" href="https://nyt.example/2013/05/06/gowanus.html"/>
<link>https://nyt.example/2013/05/06/gowanus.html</link></item>
<item><title>Dotnet syndication entry</title><a10:link href="https://dotnet.example/5"/></item>
<item><title>Podcast chapter entry</title><link href="https://podcast.example/1"/></item>
</channel></rss>"""

# An Atom entry whose only URL is its <id>; one whose title is XHTML (9 of 10 kept before).
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><id>urn:x</id>
<updated>2026-11-24T10:00:00Z</updated>
<entry><title>Only an id</title><id>https://blog.example/post/travel</id>
<updated>2026-11-24T10:00:00Z</updated></entry>
<entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Calming collar
for <i>dogs</i></div></title><link href="https://pets.example/collar"/><id>urn:c</id>
<updated>2026-11-24T10:00:00Z</updated></entry>
<entry><title>Plain entry</title><link href="https://pets.example/plain"/><id>urn:p</id>
<updated>2026-11-24T10:00:00Z</updated></entry>
</feed>"""

# Literal angle brackets in a headline, and markup escaped twice (Reddit) or once too often.
TEXT = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Text</title><link>https://t.example/</link>
<description>d</description>
<item><title>Prices &lt;rise&gt; &amp; fall at Tokyo fish market</title>
<link>https://t.example/fish</link><description>Tuna &lt;up&gt; 5%</description></item>
<item><title>Reddit AMA</title><link>https://t.example/ama</link>
<description>&amp;lt;!-- SC_OFF --&amp;gt;&amp;lt;div class=&amp;quot;md&amp;quot;&amp;gt;
&amp;lt;p&amp;gt;Hey Reddit! Ask me anything.&amp;lt;/p&amp;gt;&amp;lt;/div&amp;gt;
&amp;lt;!-- SC_ON --&amp;gt;</description></item>
<item><title>A comment</title><link>https://t.example/c</link>
<description>In reply to &lt;a href=&quot;https://t.example/c#1&quot;&gt;Brett&lt;/a&gt;.
Thanks.</description></item>
<item><title>Hello</title><link>https://t.example/h</link>
<description>&amp;lt;p&amp;gt;Hello&amp;lt;/p&amp;gt;</description></item>
</channel></rss>"""

# Declared UTF-8 with two bytes that are not: the other text must stay right.
BAD_UTF8 = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>B</title>'
            b"<link>https://b.example/</link><description>d</description>"
            b"<item><title>Bad \xff\xfe utf8 \xc3\x28 title</title><link>https://b.example/1</link>"
            b"<description>Caf\xc3\xa9 owners in Z\xc3\xbcrich</description></item>"
            b"</channel></rss>")


async def ingest(feed_server: FeedServer, tmp_path: Path, body: bytes) -> dict[str, Article]:
    store = TinyStore(str(tmp_path / "store.json"))
    report = await run_pass(store, [source("Feed", feed_server.serve("/feed.xml", body))],
                            Clock())
    assert report.failed == 0
    return {a.title: a for a in store.articles()}


async def test_entries_whose_url_is_only_in_links_or_id_are_kept(
        feed_server: FeedServer, tmp_path: Path) -> None:
    by_title = await ingest(feed_server, tmp_path, LINKS_ONLY_IN_LINKS)
    assert {title: a.url for title, a in by_title.items()} == {
        "Canal clean-up plan meets local resistance": "https://nyt.example/2013/05/06/gowanus.html",
        "Dotnet syndication entry": "https://dotnet.example/5",
        "Podcast chapter entry": "https://podcast.example/1",
    }


async def test_atom_id_urls_and_xhtml_titles(feed_server: FeedServer, tmp_path: Path) -> None:
    by_title = await ingest(feed_server, tmp_path, ATOM)
    assert {title: a.url for title, a in by_title.items()} == {
        "Only an id": "https://blog.example/post/travel",
        "Calming collar for dogs": "https://pets.example/collar",
        "Plain entry": "https://pets.example/plain",
    }


async def test_literal_angle_brackets_are_text_not_tags(
        feed_server: FeedServer, tmp_path: Path) -> None:
    by_title = await ingest(feed_server, tmp_path, TEXT)
    assert by_title["Prices <rise> & fall at Tokyo fish market"].summary == "Tuna <up> 5%"


async def test_markup_that_arrives_escaped_is_stripped(
        feed_server: FeedServer, tmp_path: Path) -> None:
    by_title = {a.url: a for a in (await ingest(feed_server, tmp_path, TEXT)).values()}
    assert by_title["https://t.example/ama"].summary == "Hey Reddit! Ask me anything."
    assert by_title["https://t.example/c"].summary == "In reply to Brett. Thanks."
    assert by_title["https://t.example/h"].summary == ""  # "Hello" repeats the title


async def test_invalid_utf8_is_dropped_not_turned_into_mojibake(
        feed_server: FeedServer, tmp_path: Path) -> None:
    [article] = (await ingest(feed_server, tmp_path, BAD_UTF8)).values()
    assert article.title == "Bad utf8 ( title"
    assert article.summary == "Café owners in Zürich"
