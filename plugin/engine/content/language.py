"""Which language a text is in: lingua's detector over a bounded set of languages.

The detector is built once, lazily, on first use (never at import: workers fork).
Han script decides Chinese (and kana Japanese) before lingua is asked, so short
Chinese texts with Latin brand names or units are still Chinese.
"""

from __future__ import annotations

import re
import threading
from typing import Any

# The languages the detector tells apart: the shops this is built for sell in English
# and Chinese; the rest are common storefront languages (Saleor's sample PLN channel).
SUPPORTED = ("en", "zh", "pl", "de", "fr", "es", "it", "pt", "nl", "ja", "ko", "ru", "uk",
             "cs", "sv", "tr", "vi")
_LINGUA_NAMES = {
    "en": "ENGLISH", "zh": "CHINESE", "pl": "POLISH", "de": "GERMAN", "fr": "FRENCH",
    "es": "SPANISH", "it": "ITALIAN", "pt": "PORTUGUESE", "nl": "DUTCH", "ja": "JAPANESE",
    "ko": "KOREAN", "ru": "RUSSIAN", "uk": "UKRAINIAN", "cs": "CZECH", "sv": "SWEDISH",
    "tr": "TURKISH", "vi": "VIETNAMESE",
}
# Fewer letters than this and a Latin-script text is not judged (too little to tell).
MIN_LETTERS = 20

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LETTER = re.compile(r"[^\W\d_]")
_lock = threading.Lock()
_detector: Any = None


def normalize_code(code: str | None) -> str | None:
    """"EN_US", "zh-Hans", "ZH_HANS" -> "en", "zh"; None or "" -> None."""
    if not code or not code.strip():
        return None
    return re.split(r"[-_]", code.strip())[0].lower()


def _get_detector() -> Any:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                try:
                    from lingua import Language, LanguageDetectorBuilder
                except ModuleNotFoundError as exc:
                    raise RuntimeError(
                        "language checks need lingua: pip install lingua-language-detector"
                    ) from exc
                languages = [getattr(Language, _LINGUA_NAMES[c]) for c in SUPPORTED]
                _detector = LanguageDetectorBuilder.from_languages(*languages).build()
    return _detector


def detect(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, or None when it cannot be told
    (too short, or no language stands out)."""
    letters = _LETTER.findall(text)
    if not letters:
        return None
    han = len(_HAN.findall(text))
    if _KANA.search(text) and han + len(_KANA.findall(text)) >= 0.3 * len(letters):
        return "ja"
    if len(_HANGUL.findall(text)) >= 0.3 * len(letters):
        return "ko"
    if han >= 0.3 * len(letters):
        return "zh"
    if len(letters) < MIN_LETTERS:
        return None
    language = _get_detector().detect_language_of(text)
    if language is None:
        return None
    code = language.iso_code_639_1.name.lower()
    return code if code in SUPPORTED else None
