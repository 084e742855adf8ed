"""The fetcher over a local feed server: redirects, checked hop by hop."""

from __future__ import annotations

import pytest

from digest.ingestion.fetch import FeedFetcher, Fetched, FetchError, make_client
from digest.models import FeedState
from tests.feed_server import FeedServer

FEED = b'<rss version="2.0"><channel><title>t</title></channel></rss>'


async def fetch(url: str) -> Fetched | FetchError:
    async with make_client(timeout=1) as client:
        result = await FeedFetcher(client, deadline=2).fetch(url, FeedState())
    assert isinstance(result, Fetched | FetchError)
    return result


@pytest.mark.parametrize(("location", "reason"), [
    ("http://169.254.169.254/meta-data/", "169.254.169.254 refused: its address is link-local"),
    ("http://10.0.0.1/admin", "10.0.0.1 refused: its address is private"),
    ("http://0.0.0.0/", "0.0.0.0 refused: its address is unspecified"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 refused: its address is loopback"),
    ("http://100.64.0.1/", "100.64.0.1 refused: its address is non-public"),
])
async def test_redirects_to_non_public_addresses_are_refused_before_connecting(
        feed_server: FeedServer, location: str, reason: str) -> None:
    url = feed_server.serve("/feed", status=301, headers={"Location": location})
    assert await fetch(url) == FetchError(f"redirect to {reason}")


async def test_redirects_within_the_feed_host_are_followed_up_to_five(
        feed_server: FeedServer) -> None:
    for hop in range(6):
        feed_server.serve(f"/{hop}", status=302, headers={"Location": f"/{hop + 1}"})
    feed_server.serve("/6", FEED)
    assert await fetch(feed_server.url("/1")) == Fetched(FEED, feed_server.url("/6"))
    assert await fetch(feed_server.url("/0")) == FetchError("too many redirects")
