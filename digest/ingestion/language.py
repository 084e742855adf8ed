"""The language an article is really written in, detected from its own text.

A feed's declared language is often wrong: an outlet's English edition declared
in the site's language, a national feed listed as "en" that is actually in
Spanish, a multilingual site with one language tag for every section. So each
article's title and the start of its summary are run through an offline n-gram
detector (py3langid). Short headlines are unreliable, though ("Marcus Aurelius"
reads as Latin, "Phase-space quantum mechanics" too), so the declared language
wins whenever the detector is unsure: too little text, a confidence below
`MIN_CONFIDENCE`, or any failure.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

log = logging.getLogger(__name__)

# Only this much of title + summary is read: enough to decide, and hostile huge input stays cheap.
MAX_TEXT = 1000
# Below this many letters the guess is a coin toss; the declared language is kept.
MIN_LETTERS = 20
# Probability needed to overrule the declared language (py3langid 0.4 scales scores by
# text length, so one threshold fits headlines and paragraphs). Tuned on 3,164 real
# entries, titles alone and with summaries: the most confident wrong answer seen was
# 0.59 (an English title read as Latin); every answer above it was right.
MIN_CONFIDENCE = 0.65

# Model labels without an ISO 639-1 code whose probability counts for one that has
# it: varieties inside a macrolanguage, historical forms (in a news feed their script
# means the modern language), and neighbours that short text of the major language
# scores as (English headlines give 5-10% to Nigerian Pidgin). Other labels, such as
# zxx "no linguistic content", count for none, which lowers every answer's confidence.
_FOLDED = {
    "ary": "ar", "arz": "ar",  # Moroccan, Egyptian Arabic
    "yue": "zh", "wuu": "zh",  # Cantonese, Wu
    "uzs": "uz", "sdh": "ku", "gug": "gn", "fuv": "ff", "ltg": "lv", "kik": "ki",
    "nn": "no",  # Nynorsk: catalogs declare Norwegian as "no"
    "hbo": "he", "grc": "el",
    "pcm": "en", "ext": "es", "lij": "it", "vec": "it", "gcf": "fr", "gcr": "fr",
}


def detect_language(title: str, summary: str, declared: str) -> str:
    """The ISO 639-1 code of the article's text; `declared` when detection is unsure."""
    text = f"{title[:MAX_TEXT]}\n{summary[:MAX_TEXT]}"[:MAX_TEXT]
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return declared
    try:
        language, confidence = _guess(text)
    except Exception:  # a detector failure must never lose the article
        log.warning("language detection failed", exc_info=True)
        return declared
    return language if confidence >= MIN_CONFIDENCE else declared


def _guess(text: str) -> tuple[str, float]:
    """The most probable ISO 639-1 language of `text` and its probability."""
    totals: dict[str, float] = {}
    for label, probability in _identifier().rank(text):
        code = _FOLDED.get(label, label)
        if len(code) == 2:
            totals[code] = totals.get(code, 0.0) + probability
    return max(totals.items(), key=lambda item: item[1])


@cache
def _identifier() -> LanguageIdentifier:
    """Loaded once per process (about 0.8 s): the parse worker keeps it for every feed."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    # norm_probs: probabilities scaled by text length, comparable to one threshold.
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
