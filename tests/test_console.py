"""Console mode: the real bot in a terminal, fed by lines of input, with sample news."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

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


async def test_a_number_without_a_keyboard_is_just_text() -> None:
    transcript = await converse(["7"])
    assert "> 7" in transcript
    assert "I found nothing about “7”" in transcript


def test_html_is_shown_as_text() -> None:
    shown = as_text('<b>A &amp; B</b> <a href="https://x.example/?a=1&amp;b=2">link</a>', "HTML")
    assert shown == "A & B link (https://x.example/?a=1&b=2)"
    quoted = as_text("Story\n<blockquote expandable>one take\nanother</blockquote>", "HTML")
    assert quoted == "Story\n▍ one take\n▍ another"
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
