"""Reading Salesloft's lists: pages, cursors instead of deep pages, pages that make no progress, answers
without paging metadata, and lookups batched to fit a URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from airflow_provider_salesloft.exceptions import SalesloftUnexpectedAnswerError

#: Largest page Salesloft serves.
MAX_PER_PAGE = 100
#: Pages past this one cost more than 1 (101-150 cost 3, ...): switch to an ``updated_at`` cursor instead.
CHEAP_PAGES = 100
#: Longest query string of a lookup: with the API root, well under the 8 KB many proxies refuse.
MAX_LOOKUP_QUERY_BYTES = 6000


def unwrap(answer: Any) -> Any:
    """The ``data`` of Salesloft's envelope (the answer itself when it has none)."""
    return answer.get("data") if isinstance(answer, dict) and "data" in answer else answer


def paginate(
    request: Callable[..., Any],
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    per_page: int = MAX_PER_PAGE,
    cursor_field: str | None = None,
    max_pages: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield every record of a list endpoint, following ``metadata.paging.next_page``.

    :param request: sends one request (the transport's): ``request(method, path, params=...)``.
    :param max_pages: read no more pages than this (a lookup that fits one page must not page through
        everything should Salesloft ignore its filter).
    :param cursor_field: a timestamp field the endpoint filters with ``field[gte]`` and sorts by
        (``updated_at``). When given, records are read oldest first, and before a page would cost more
        than 1 the listing restarts at page 1 from the last value seen, so a long listing never pays for
        deep pages. Records sharing that value are de-duplicated by ``id``.
    """
    base = dict(params or {})
    base["per_page"] = min(max(int(per_page), 1), MAX_PER_PAGE)
    if cursor_field:
        base.update(sort_by=cursor_field, sort_direction="ASC")
    seen_at_cursor: set[Any] = set()
    cursor: Any = None  # last cursor_field value yielded
    since: Any = None  # the listing's current lower bound, set when it restarts
    page: int | None = 1
    previous_ids: list[Any] = []
    previous_size: int | None = None  # records on the page before (None: this is the listing's first)
    pages_read = 0
    while page is not None and (max_pages is None or pages_read < max_pages):
        pages_read += 1
        query = {**base, "page": page}
        if since is not None:
            query[f"{cursor_field}[gte]"] = since
        answer = request("GET", path, params=query) or {}
        records = unwrap(answer) or []
        if not isinstance(records, list):
            raise SalesloftUnexpectedAnswerError(200, "GET", path, "a list answer holds no list of records")
        for record in records:
            if cursor_field:
                value = record.get(cursor_field)
                if value == cursor and record.get("id") in seen_at_cursor:
                    continue
                if value != cursor:
                    cursor, seen_at_cursor = value, set()
                seen_at_cursor.add(record.get("id"))
            yield record
        paging = (answer.get("metadata") or {}).get("paging") if isinstance(answer, dict) else None
        ids = [record.get("id") for record in records if isinstance(record, dict)]
        current, page = page, next_page(paging, page, len(records), previous_size)
        if page is not None and (page <= current or not records or ids == previous_ids):
            raise SalesloftUnexpectedAnswerError(
                200,
                "GET",
                path,
                f"paging makes no progress (page {current} had {len(records)} records and points to "
                f"page {page}); stopped instead of looping",
            )
        if page is not None and cursor_field and int(page) > CHEAP_PAGES and cursor not in (None, since):
            # Restart from the cursor instead of paying for deep pages (unless a restart made no
            # progress: then more than 100 pages share one value, and only deep pages reach the rest).
            page, since, ids, records = 1, cursor, [], []
        previous_ids, previous_size = ids, len(records) if records else None


def next_page(paging: Any, current: int, records: int, previous: int | None = None) -> int | None:
    """The next page number from ``metadata.paging``.

    Without paging (some answers omit it) a short page proves nothing (a server may serve fewer records
    than ``per_page`` asks and still have more), so the next page is asked too; the listing ends at an
    empty page, or at a page shorter than the one before it (the last of equal pages).

    :param previous: records on the page before, None for the first page.
    """
    if not isinstance(paging, dict):
        return current + 1 if records and (previous is None or records >= previous) else None
    value = paging.get("next_page")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def lookup_batches(name: str, values: list[Any]) -> Iterator[list[Any]]:
    """``values`` in batches of at most 100 whose ``name=value&...`` query string fits
    :data:`MAX_LOOKUP_QUERY_BYTES`."""
    batch: list[Any] = []
    size = 0
    for value in values:
        cost = len(quote(name, safe="")) + len(quote(str(value), safe="")) + 2
        if batch and (len(batch) >= MAX_PER_PAGE or size + cost > MAX_LOOKUP_QUERY_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(value)
        size += cost
    if batch:
        yield batch
