"""Console mode: the real bot in a terminal, fed by lines of input, with sample news."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from bot import build_application
from console import run_console
from console.render import as_text
from digest.config import Config

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).parent / "fixtures" / "samples"


async def converse(lines: list[str]) -> str:
    out = io.StringIO()
    code = await run_console(Config(), build_application, io.StringIO("\n".join(lines) + "\n"),
                             out, samples_folder=SAMPLES)
    assert code == 0
    return out.getvalue()


async def test_a_conversation_with_keyboard_digest_and_question() -> None:
    transcript = await converse(
        ["/subscribe Japan", "/subscribe", "2", "/digest", "/latest rare earths", "/nonsense"])
    assert "3 articles from 2 outlets in 2 countries" in transcript
    assert "> /subscribe Japan\n\nAdded: 🇯🇵 Japan" in transcript
    # The region keyboard as numbered buttons; "2" pressed Asia, and the message was edited.
    assert "[1] Americas (1)   [2] Asia (1/1)   [3] Done" in transcript
    assert "(edited) Asia: tap a country" in transcript
    # The digest: tags gone, links readable, the Brazilian take on the Japanese story.
    assert "Japan raises rare earth export quotas (https://sample.invalid/a)" in transcript
    assert ("▍ 🇧🇷 Sample Folha: Tokyo lifts rare earth export quotas for allies "
            "(https://sample.invalid/c)") in transcript
    assert "[1] More from 🇯🇵 Japan" in transcript
    assert "<b>" not in transcript
    assert "🔎 Latest on rare earths · 1 of 1 story" in transcript
    assert "I don't know the command /nonsense" in transcript


async def test_a_number_without_a_keyboard_says_so() -> None:
    transcript = await converse(["7", "/subscribe", "9"])
    assert "> 7\n(no keyboard is showing: a number presses a button" in transcript
    assert "> 9\n(no keyboard is showing" in transcript  # the keyboard has 3 buttons
    assert "I found nothing" not in transcript


async def test_the_console_user_is_an_admin() -> None:
    transcript = await converse(["/stats"])
    assert "Stats\nChats: 0" in transcript
    assert "I don't know the command" not in transcript


async def test_an_inline_query_shows_numbered_results() -> None:
    transcript = await converse(["@bot rare earths", "@newsdigest_bot xyzzy", "@someone hi"])
    assert ("> @bot rare earths\n\nInline results for “rare earths” (in Telegram, choosing one "
            "posts it):\n[1] Tokyo lifts rare earth export quotas for allies\n    🇧🇷 Sample "
            "Folha · Japan said") in transcript
    assert "\n[2] Japan raises rare earth export quotas\n" in transcript
    assert "(inline: nothing found for “xyzzy”)" in transcript
    assert "I found nothing about “@someone hi”" in transcript  # not this bot: a question


async def test_what_is_typed_is_shown_as_typed() -> None:
    transcript = await converse(["/latest &amp; <b>"])
    assert "I found nothing about “&amp; <b>”" in transcript


def test_an_interactive_console_prompts(tmp_path: Path) -> None:
    """On a terminal there is no echo, so a "> " prompt shows where to type."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "console"], cwd=tmp_path, stdin=follower,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PATH": "", "HOME": str(tmp_path)})
    os.close(follower)
    try:
        os.write(leader, b"/help\n\x04")  # a line, then Ctrl+D at the start of the next
        stdout, stderr = process.communicate(timeout=120)
    finally:
        os.close(leader)
    assert process.returncode == 0, stderr
    assert "Ctrl+D quits.\n\n> \nCommands" in stdout
    assert stdout.endswith("\n> ")  # prompting again when the input ended
    assert "> /help" not in stdout  # the terminal shows what was typed; no echo


def test_html_is_shown_as_text() -> None:
    shown = as_text('<b>A &amp; B</b> <a href="https://x.example/?a=1&amp;b=2">link</a>', "HTML")
    assert shown == "A & B link (https://x.example/?a=1&b=2)"
    quoted = as_text("Story\n<blockquote expandable>one take\nanother</blockquote>", "HTML")
    assert quoted == "Story\n▍ one take\n▍ another"
    assert as_text("typed &amp;amp; &amp;lt;b&amp;gt;", "HTML") == "typed &amp; &lt;b&gt;"
    assert as_text("<b>as typed</b>", None) == "<b>as typed</b>"


def test_bot_py_console_runs_on_piped_input_without_config_or_token(tmp_path: Path) -> None:
    """As a newcomer runs it: no config file in the folder, no token, input piped."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "console"], cwd=tmp_path,
        input="/start\n/help\n", capture_output=True, text=True, timeout=120,
        env={"PATH": "", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "SAMPLE news" in result.stdout
    assert "/subscribe — Add countries" in result.stdout
    assert "Traceback" not in result.stderr


class GlobeUser(io.StringIO):
    """Console input from someone who, before typing, subscribes on the globe: it opens the
    printed link's API with the launch data in it, as the page would."""

    def __init__(self, transcript: io.StringIO) -> None:
        super().__init__("/mysubs\n")
        self.transcript = transcript
        self.answers: list[int] = []

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        if not self.answers:
            link = re.search(r"in a browser: (\S+)", self.transcript.getvalue())
            assert link is not None
            base, fragment = link[1].split("#")
            data = parse_qs(fragment)["tgWebAppData"][0]
            headers = {"Authorization": f"tma {data}"}
            self.answers.append(httpx.get(base, timeout=10).status_code)
            self.answers.append(httpx.post(base + "api/subscription", headers=headers,
                                           json={"code": "BR", "subscribed": True},
                                           timeout=10).status_code)
        return super().readline(-1 if size is None else size)


async def test_console_serves_the_globe_with_locally_signed_launch_data() -> None:
    out = io.StringIO()
    user = GlobeUser(out)
    assert await run_console(Config(), build_application, user, out,
                             samples_folder=SAMPLES) == 0
    assert user.answers == [200, 200]
    assert "> /mysubs\n\nYour countries:\n🇧🇷 Brazil" in out.getvalue()
