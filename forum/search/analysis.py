"""Text analysis for search: the same words, stop words and stems on SQLite and PostgreSQL.

Python cuts the text into words for both engines: a word is a run of letters and ASCII
digits in NFC-normalised, lower-cased text, without accents. PostgreSQL receives these
words separated by spaces and stems them with its `french` configuration (Snowball French
and the stop words of french.stop); SQLite receives the stems computed here with the same
Snowball French algorithm (the `snowballstemmer` package) and the same stop-word list.
Letting Python cut the words matters: PostgreSQL's own parser reads "covid-19" as "covid"
and "-19", a host name in "fin.Début" and e-mail addresses as one lexeme; fed clean words,
it reads exactly one token per word (checked over every lower-case letter of Unicode), so
both engines see the same words at the same positions.

Words holding a digit ("2024", "1er", "covid19") are kept whole and never stemmed, as
PostgreSQL's `simple` dictionary does for its number tokens. Stop words are dropped before
indexing on both engines, so a quoted phrase skips them the same way everywhere.

Accents do not count: a word loses them before it is stemmed or sent ("hébergement" and
"hebergement" are one word, "cœur" and "coeur" too), as people type on phones. PostgreSQL
then stems the folded words with the same `french` configuration, with no `unaccent`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from markupsafe import Markup, escape
from snowballstemmer import FrenchStemmer

# Longer "words" are noise (pasted hashes, base64) and PostgreSQL refuses 2,048 bytes.
MAX_WORD = 100
DIGITS = frozenset("0123456789")
# Python's \w less the underscore: letters, digits and other numerals (filtered below).
_RUN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Token:
    start: int  # offsets in the NFC-normalised text
    end: int
    word: str  # lower-cased and without accents, as it is indexed


def normalize(text: str) -> str:
    """NFC, so that "é" typed as e + combining accent is one letter."""
    return unicodedata.normalize("NFC", text)


@cache
def stop_words() -> frozenset[str]:
    """PostgreSQL's French stop words, and the same without their accents: a word folded
    into a stop word is dropped here, so PostgreSQL never receives one it would drop."""
    text = resources.files("forum.search").joinpath("french.stop").read_text("utf-8")
    listed = {
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    }
    return frozenset(listed | {fold(word) for word in listed})


# The French ligatures, typed "oe" and "ae" on most keyboards.
_LIGATURES = {"œ": "oe", "æ": "ae"}


@lru_cache(maxsize=1024)
def _fold_char(char: str) -> str:
    if char in _LIGATURES:
        return _LIGATURES[char]
    base, *marks = unicodedata.normalize("NFD", char)
    accents = bool(marks) and all(unicodedata.category(mark) == "Mn" for mark in marks)
    return base if accents and base.isascii() and base.isalpha() else char


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """A lower-case word without its accents: "hébergement" -> "hebergement", "cœur" ->
    "coeur". Only a letter that is an ASCII letter with accents loses them (and the two
    ligatures); every other letter stays, so PostgreSQL still reads one token per word."""
    if word.isascii():
        return word
    return "".join(_fold_char(char) for char in word)


@cache
def _stemmer():
    # The pure-Python stemmer, never PyStemmer's C one that snowballstemmer.stemmer() picks
    # when installed: its bundled Snowball version need not be PostgreSQL's.
    return FrenchStemmer()


def _is_word_char(char: str) -> bool:
    return char in DIGITS or char.isalpha()


def _pieces(run: str, start: int) -> Iterator[tuple[int, int]]:
    """Split a run of \\w characters on what is not a letter or an ASCII digit ("m²")."""
    if run.isalpha() or run.isascii():
        yield start, start + len(run)
        return
    piece = None
    for i, char in enumerate(run):
        if _is_word_char(char):
            if piece is None:
                piece = i
        elif piece is not None:
            yield start + piece, start + i
            piece = None
    if piece is not None:
        yield start + piece, start + len(run)


def _lower(word: str) -> str:
    """The word as it is indexed: lower-cased, without accents."""
    lowered = word.lower()
    if lowered.isalpha() or lowered.isascii():
        return fold(lowered)
    # Lower-casing may add a combining mark ("İ" -> "i̇"); keep letters and digits only.
    return fold(normalize("".join(c for c in lowered if _is_word_char(c))))


def tokens(text: str) -> Iterator[Token]:
    """The words of an NFC-normalised text, with their places."""
    for match in _RUN.finditer(text):
        for start, end in _pieces(match.group(), match.start()):
            word = _lower(text[start:end])
            if word and len(word) <= MAX_WORD:
                yield Token(start, end, word)


def is_stop_word(word: str) -> bool:
    return word in stop_words()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball French stem of a lower-cased word; words with digits stay whole."""
    if any(c in DIGITS for c in word):
        return word
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    """The indexed words of a text, in order, without stop words."""
    return [t.word for t in tokens(normalize(text)) if not is_stop_word(t.word)]


def stems(text: str) -> list[str]:
    """What SQLite indexes: the stems of `words(text)`."""
    return [stem(word) for word in words(text)]


# --- Extracts --------------------------------------------------------------------------
# Linear and bounded, whatever the post: only its first SCAN_MAX characters are read, the
# first MATCHES_MAX matches are weighed (one sliding window over them) and an extract
# marks MARKS_MAX words at most. A reply of "1 1 1 …" searched for "1" costs what any
# other post costs.

EXTRACT_LENGTH = 240  # characters around the best cluster of matches
_LEAD = 60  # characters of context kept before the first match of the extract
SCAN_MAX = 10_000  # characters of a post read for its extract
MATCHES_MAX = 200  # matches weighed to place the extract
MARKS_MAX = 20  # words marked in one extract


def _matches(text: str, wanted: frozenset[str], limit: int | None = None) -> list[Token]:
    """The words of the text whose stem is wanted, in order; the first `limit` of them."""
    found = []
    for t in tokens(text):
        if not is_stop_word(t.word) and stem(t.word) in wanted:  # stop words are never indexed
            found.append(t)
            if limit is not None and len(found) >= limit:
                break
    return found


def _marked(
    text: str, matches: list[Token], start: int, end: int, limit: int | None = None
) -> Markup:
    """text[start:end], escaped, with the matches inside it (the first `limit` of them)
    wrapped in <mark>."""
    out = []
    pos = start
    marks = 0
    for match in matches:
        if match.start < start or match.end > end:
            continue
        if limit is not None and marks >= limit:
            break
        out.append(escape(text[pos : match.start]))
        out.append(Markup("<mark>%s</mark>") % text[match.start : match.end])
        pos = match.end
        marks += 1
    out.append(escape(text[pos:end]))
    return Markup("").join(out)


def highlight(text: str, wanted: frozenset[str]) -> Markup:
    """The whole text, escaped, with the words whose stem is wanted wrapped in <mark>."""
    text = normalize(text)
    return _marked(text, _matches(text, wanted), 0, len(text))


def _best_start(matches: list[Token], length: int) -> int:
    """Where the window of `length` characters that covers the most distinct stems starts:
    near one of the matches, the first best one. One pass: both ends only move forward."""
    stems_of = [stem(m.word) for m in matches]
    counts: dict[str, int] = {}
    best, start = 0, 0
    left = right = 0  # the window holds matches[left:right]
    for first in matches:
        window_start = max(first.start - _LEAD, 0)
        while right < len(matches) and matches[right].end <= window_start + length:
            counts[stems_of[right]] = counts.get(stems_of[right], 0) + 1
            right += 1
        while left < right and matches[left].start < window_start:
            counts[stems_of[left]] -= 1
            if not counts[stems_of[left]]:
                del counts[stems_of[left]]
            left += 1
        if len(counts) > best:
            best, start = len(counts), window_start
    return start


def _shown(text: str, wanted: frozenset[str], start: int, end: int) -> list[Token]:
    """The matches inside text[start:end], found again there (the extract may reach past
    the matches weighed), whole words only."""
    found = []
    for t in _matches(text[start:end], wanted):
        if (t.start == 0 and start > 0 and _RUN.match(text, start - 1)) or (
            t.end == end - start and end < len(text) and _RUN.match(text, end)
        ):
            continue  # a piece of a word cut by the extract
        found.append(Token(t.start + start, t.end + start, t.word))
    return found


def extract(text: str, wanted: frozenset[str], length: int = EXTRACT_LENGTH) -> Markup:
    """About `length` characters of the text around the most query words, with the matches
    wrapped in <mark> and everything else escaped; the start of the text if none match."""
    text = normalize(text)
    full = len(text)
    if full <= length:
        return _marked(text, _matches(text, wanted), 0, full, MARKS_MAX)
    scanned = text[:SCAN_MAX]
    matches = _matches(scanned, wanted, MATCHES_MAX)
    start = _best_start(matches, length)
    end = min(start + length, full)
    start = max(min(start, full - length), 0)
    # Cut on spaces, never inside a word nor after the first match shown.
    if start > 0:
        first_shown = min((m.start for m in matches if m.start >= start), default=start + _LEAD)
        space = text.find(" ", start, first_shown)
        start = space + 1 if space >= 0 else start
    if end < full:
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    body = _marked(text, _shown(text, wanted, start, end), start, end, MARKS_MAX)
    return Markup("%s%s%s") % ("… " if start > 0 else "", body, " …" if end < full else "")
