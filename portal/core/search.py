"""Chinese-aware full-text search that works on SQLite and PostgreSQL alike.

Neither SQLite's FTS5 ``unicode61`` tokenizer nor PostgreSQL's default parser segments
Chinese: a run of Han characters becomes one token, so ``助老`` never matches
``社区助老服务``. Instead of a dictionary segmenter (jieba: large, slow to load, and it
still misses out-of-vocabulary names), we index every CJK run as overlapping
**unigrams and bigrams** and turn the query into bigrams joined with AND. Latin words
pass through unchanged. This is the classic n-gram approach used by Lucene's CJK
analyzer; it finds every substring of two or more characters, at the price of a larger
index.
"""

import re

from django.utils.html import strip_tags

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\s{_CJK}\W]+|\w+", re.UNICODE)
_CJK_RUN_RE = re.compile(rf"^[{_CJK}]+$")


def _split(text: str) -> list[str]:
    return _TOKEN_RE.findall(text or "")


def index_text(*parts: str) -> str:
    """Return text to index: Latin words as they are, CJK runs as unigrams + bigrams."""
    out: list[str] = []
    for part in parts:
        for token in _split(part):
            if _CJK_RUN_RE.match(token):
                out.extend(token)
                out.extend(token[i : i + 2] for i in range(len(token) - 1))
            else:
                out.append(token.lower())
    return " ".join(out)


def query_terms(query: str) -> list[str]:
    """Return the terms a query must all match: CJK runs as bigrams (a lone character
    as itself), other words lower-cased. Punctuation and operators are dropped, so the
    result is always safe to hand to a search backend."""
    terms: list[str] = []
    for token in _split(query[:200]):
        if _CJK_RUN_RE.match(token):
            if len(token) == 1:
                terms.append(token)
            else:
                terms.extend(token[i : i + 2] for i in range(len(token) - 1))
        else:
            terms.append(token.lower())
    # Keep order, drop repeats.
    return list(dict.fromkeys(terms))


class CJKSearchMixin:
    """Adds an n-gram rendering of chosen fields to a Wagtail page's search index.

    Declare ``cjk_search_sources`` (field names; StreamFields and RichText included)
    and add ``index.SearchField("cjk_search_text")`` to ``search_fields``.
    """

    cjk_search_sources: tuple[str, ...] = ("title",)

    def cjk_search_text(self) -> str:
        parts: list[str] = []
        for name in self.cjk_search_sources:
            value = getattr(self, name, "")
            stream_block = getattr(value, "stream_block", None)
            if stream_block is not None:
                parts.extend(str(p) for p in stream_block.get_searchable_content(value))
            else:
                parts.append(strip_tags(str(value or "")))
        return index_text(*parts)


def search_pages(queryset, query: str):
    """Search a Page queryset with the n-gram terms of ``query`` (all must match)."""
    terms = query_terms(query)
    if not terms:
        return queryset.none()
    return queryset.search(" ".join(terms), operator="and")
