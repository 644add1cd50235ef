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
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from wagtail.search.backends import get_search_backend

# A backend that cannot hand back its matches as a database subquery (Elasticsearch,
# OpenSearch) returns at most this many matches per model (their default result window).
MAX_BACKEND_MATCHES = 10_000

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
    """Adds an n-gram rendering of chosen fields to a model's search index (Wagtail
    pages and plain models with ``wagtail.search.index.Indexed`` alike).

    Declare ``cjk_search_sources`` (attribute names: fields, StreamFields, RichText,
    properties or methods returning text or an iterable of texts) and add
    ``index.SearchField("cjk_search_text")`` to ``search_fields``.
    """

    cjk_search_sources: tuple[str, ...] = ("title",)

    def cjk_search_parts(self) -> list[str]:
        parts: list[str] = []
        for name in self.cjk_search_sources:
            value = getattr(self, name, "")
            if callable(value):
                value = value()
            stream_block = getattr(value, "stream_block", None)
            if stream_block is not None:
                parts.extend(str(p) for p in stream_block.get_searchable_content(value))
            elif isinstance(value, Iterable) and not isinstance(value, str):
                parts.extend(strip_tags(str(v)) for v in value if v)
            else:
                parts.append(strip_tags(str(value or "")))
        return parts

    def cjk_search_text(self) -> str:
        return index_text(*self.cjk_search_parts())


def reindex(objects: Iterable) -> None:
    """Queue a search-index update for each object (as Wagtail does on save), for
    changes its own save signal does not see: many-to-many edits and renamed relations."""
    from wagtail.search.tasks import insert_or_update_object_task

    for obj in objects:
        insert_or_update_object_task.enqueue(obj._meta.app_label, obj._meta.model_name, str(obj.pk))


def index_bulk(queryset: QuerySet, *, chunk: int = 1000) -> None:
    """Index every object of ``queryset`` now, in chunks, on every auto-updated backend:
    for rows written with ``bulk_create``, which sends no save signal."""
    from wagtail.search.backends import get_search_backends

    objects = list(queryset)
    for backend in get_search_backends(with_auto_update=True):
        for start in range(0, len(objects), chunk):
            backend.add_bulk(queryset.model, objects[start : start + chunk])


def reindex_on_m2m_change(sender, instance, action, reverse, **kwargs) -> None:
    """``m2m_changed`` receiver: reindex the object whose relation changed (for a change
    made from the other side, every object it touched)."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        reindex([instance])
    elif kwargs.get("pk_set"):
        reindex(kwargs["model"]._default_manager.filter(pk__in=kwargs["pk_set"]).only("pk"))


def search_pages(queryset, query: str):
    """Search a Page queryset with the n-gram terms of ``query`` (all must match)."""
    terms = query_terms(query)
    if not terms:
        return queryset.none()
    return queryset.search(" ".join(terms), operator="and")


def matching(queryset: QuerySet, query: str) -> QuerySet:
    """Narrow ``queryset`` to the objects whose search index matches every n-gram term
    of ``query`` (an empty query matches nothing).

    The configured Wagtail search backend answers which objects contain the words; the
    database answers everything else (published, verified, filters, sorting), so an
    index that lags behind a status change can never make a hidden object public.
    The database backends hand back their matches as a subquery (one SQL statement,
    no limit); other backends (Elasticsearch) as a list of at most
    ``MAX_BACKEND_MATCHES`` primary keys.
    """
    terms = query_terms(query)
    if not terms:
        return queryset.none()
    model = queryset.model
    results = get_search_backend().search(
        " ".join(terms),
        model._default_manager.all(),
        operator="and",
        order_by_relevance=False,
    )
    as_queryset = getattr(results, "get_queryset", None)
    if as_queryset is not None:
        return queryset.filter(pk__in=as_queryset().values("pk"))
    return queryset.filter(pk__in=[obj.pk for obj in results[:MAX_BACKEND_MATCHES]])


def highlight_terms(query: str) -> list[str]:
    """What to mark in a result: each CJK run and Latin word of the query, and the
    bigrams of the CJK runs (a title that holds 助老 but not 助老服务 still shows 助老)."""
    words: list[str] = []
    for token in _split(query[:200]):
        words.append(token)
        if _CJK_RUN_RE.match(token) and len(token) > 2:
            words.extend(token[i : i + 2] for i in range(len(token) - 1))
    return sorted(dict.fromkeys(w for w in words if w), key=len, reverse=True)


def highlight(text: str, query: str) -> SafeString:
    """``text`` HTML-escaped, with every occurrence of the query's words in ``<mark>``."""
    text = str(text or "")
    words = highlight_terms(query)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped above


def excerpt(text: str, query: str, length: int = 120) -> str:
    """A ``length``-character window of plain ``text`` around the query's first hit."""
    text = " ".join(strip_tags(str(text or "")).split())
    if len(text) <= length:
        return text
    words = highlight_terms(query)
    lowered = text.lower()
    hits = [i for i in (lowered.find(w.lower()) for w in words) if i >= 0]
    start = max(min(hits) - length // 4, 0) if hits else 0
    piece = text[start : start + length]
    return ("…" if start else "") + piece + ("…" if start + length < len(text) else "")
