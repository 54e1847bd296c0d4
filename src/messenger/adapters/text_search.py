"""The analyzer of message search: words, their Snowball stems, and how a query matches.

Every search index adapter (memory, SQLite FTS5, MariaDB/MySQL InnoDB FULLTEXT) indexes the
same *terms* of a text and matches a query the same way, so they agree on what is found:

- A word is a run of letters and digits (``[^\\W_]+`` after NFKC normalisation and case
  folding; Cyrillic yo reads as ie). Punctuation, emoji, markup and underscores separate words
  and are never indexed. Words are cut to ``MAX_WORD`` characters.
- A text's terms are, for each word, the word itself and its stem (Russian Snowball for
  words with a Cyrillic letter, English Snowball for the others with a Latin letter;
  numbers are their own stem). Stems make inflections meet ("сообщениями" and "сообщение"
  share "сообщен", "running" and "run" share "run"); the words themselves let a half-typed
  word match by prefix ("runn" is a prefix of "running", not of its stem "run").
- A query matches a text when every query word's stem is one of the text's terms, except
  the last query word, which also matches as a prefix of any term (the user may be
  typing it): of its stem or of the word itself. A last word of one character matches
  whole terms only (a one-letter prefix would match most texts).

Stored terms carry the prefix ``TERM_MARK`` ("zz"). InnoDB FULLTEXT skips tokens shorter than
``innodb_ft_min_token_size`` (3 by default) and those on its stopword list ("the", "was",
"who"...), which a server's configuration decides and the schema cannot: with the mark
every term is at least three characters long and none is a stopword, so "я", "go" and
"the" are found like any other word, on any server configuration. SQLite FTS5 has neither
limit; its rows carry the same marked terms, so one query string serves both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, cast

import Stemmer

MAX_WORD = 40  # characters of a word that count (far below InnoDB's 84-character tokens)
MAX_QUERY_WORDS = 8  # more words narrow nothing a person would type
TERM_MARK = "zz"
_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...  # noqa: N802 (PyStemmer's name)


@lru_cache(maxsize=2)
def _stemmer(language: str) -> _Stemmer:
    # PyStemmer ships no type information: the protocol above is all this module uses.
    return cast(_Stemmer, Stemmer.Stemmer(language, 20000))


def normalize(word: str) -> str:
    """A word as it is compared: NFKC, case-folded, yo as ie, at most MAX_WORD long."""
    folded = unicodedata.normalize("NFKC", word).casefold().replace("\u0451", "\u0435")
    return folded[:MAX_WORD]


def stem(word: str) -> str:
    """The Snowball stem of a normalised word (the word itself for no known language)."""
    if _CYRILLIC.search(word):
        return _stemmer("russian").stemWord(word) or word
    if _LATIN.search(word):
        return _stemmer("english").stemWord(word) or word
    return word


def words(text: str) -> list[str]:
    """The normalised words of a text, in order."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [normalize(w) for w in _WORD.findall(folded)]


def terms(text: str) -> set[str]:
    """What a text is indexed by: its words and their stems (unmarked)."""
    found: set[str] = set()
    for word in words(text):
        found.add(word)
        found.add(stem(word))
    return found


def document(text: str) -> str:
    """A text's terms as one marked, space-separated document for a full-text index."""
    return " ".join(sorted(TERM_MARK + t for t in terms(text)))


@dataclass(frozen=True)
class QueryWord:
    """One word of a query: its stem must be a term, or (``prefix``) begin one, as must the
    word itself then."""

    word: str
    stem: str
    prefix: bool

    def matches(self, term: str) -> bool:
        """Whether this query word matches one (unmarked) term of a text."""
        if not self.prefix:
            return term == self.stem
        return term.startswith(self.stem) or term.startswith(self.word)


def parse(query: str) -> tuple[QueryWord, ...]:
    """The words of a query (at most MAX_QUERY_WORDS, repeats dropped); the last one may
    match as a prefix. Empty when the query holds no word (only punctuation or emoji)."""
    unique = list(dict.fromkeys(words(query)))[:MAX_QUERY_WORDS]
    return tuple(
        QueryWord(w, stem(w), prefix=i == len(unique) - 1 and len(w) > 1)
        for i, w in enumerate(unique)
    )


def matches(query: Sequence[QueryWord], text_terms: Iterable[str]) -> bool:
    """Whether a text with these (unmarked) terms matches every word of the query."""
    have = set(text_terms)
    return bool(query) and all(
        (q.stem in have) if not q.prefix else any(q.matches(t) for t in have) for q in query
    )


def highlights(query: Sequence[QueryWord], text: str) -> list[str]:
    """The words of ``text``, as written there, that match a word of the query (each once,
    in order of first appearance): what a client marks in a result."""
    found: dict[str, None] = {}
    for match in _WORD.finditer(unicodedata.normalize("NFC", text)):
        word = normalize(match.group())
        candidates = (word, stem(word))
        if any(q.matches(t) for q in query for t in candidates):
            found.setdefault(match.group(), None)
    return list(found)


def boolean_mode(query: Sequence[QueryWord]) -> str:
    """The query for InnoDB ``MATCH ... AGAINST (... IN BOOLEAN MODE)``: every word required,
    the last one as prefixes. Terms are letters and digits only, so nothing in them is an
    operator."""
    parts = []
    for q in query:
        if q.prefix:
            options = dict.fromkeys((TERM_MARK + q.stem + "*", TERM_MARK + q.word + "*"))
            parts.append("+(" + " ".join(options) + ")")
        else:
            parts.append("+" + TERM_MARK + q.stem)
    return " ".join(parts)


def fts5(query: Sequence[QueryWord]) -> str:
    """The same query for SQLite FTS5 ``MATCH`` (quoted strings, prefixes with ``*``)."""
    parts = []
    for q in query:
        if q.prefix:
            options = dict.fromkeys((f'"{TERM_MARK}{q.stem}"*', f'"{TERM_MARK}{q.word}"*'))
            parts.append("(" + " OR ".join(options) + ")")
        else:
            parts.append(f'"{TERM_MARK}{q.stem}"')
    return " AND ".join(parts)
