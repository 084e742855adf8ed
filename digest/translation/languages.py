"""Language codes as the translation services spell them, and languages' English names.

One place for the spellings, so that the backends, the batch step and the reader-facing
"translated from German" agree on what a code means.
"""

from __future__ import annotations

import re

import pycountry

AUTO = "auto"  # source language unknown: let the service detect it


def language_name(code: str) -> str:
    """English name of an ISO 639-1 code ("de" -> "German"); the code itself if unknown."""
    found = pycountry.languages.get(alpha_2=primary(code))
    if found is None:
        return code
    return re.sub(r"\s*\(.*?\)", "", found.name)  # "Modern Greek (1453-)" -> "Modern Greek"


def primary(code: str) -> str:
    """"pt-BR" -> "pt"; "" -> "auto"."""
    return re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0] or AUTO


# Codes the services spell differently from ISO 639-1 (Norwegian is Bokmål there).
_LIBRE_CODES = {"no": "nb"}
_DEEPL_CODES = {"no": "NB"}
_DEEPL_TARGETS = {"EN": "EN-US"}  # a bare "EN" target is deprecated by DeepL


def libre_code(code: str) -> str:
    base = primary(code)
    return _LIBRE_CODES.get(base, base)


def deepl_code(code: str) -> str:
    base = primary(code)
    return _DEEPL_CODES.get(base, base.upper())


def deepl_target(code: str) -> str:
    upper = code.strip().upper().replace("_", "-")
    return _DEEPL_TARGETS.get(upper, _DEEPL_CODES.get(upper.lower(), upper))
