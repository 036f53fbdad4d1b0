"""Salesloft's API conventions as the simulator speaks them: error answers, parameters, paging, page costs."""

from __future__ import annotations

from typing import Any

#: Pages past the first number in each pair cost the second (Salesloft's documented deep-page costs).
DEEP_PAGE_COSTS = ((500, 30), (250, 10), (150, 8), (100, 3))
API_HREF = "https://api.salesloft.com/v2"


class ApiError(Exception):
    """An error answer: status and JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def not_found() -> ApiError:
    """Salesloft's 404 (missing, or not visible to the caller)."""
    return ApiError(404, {"error": "Not Found"})


def invalid(field_name: str, message: str) -> ApiError:
    """Salesloft's 422 with an ``errors`` object."""
    return ApiError(422, {"errors": {field_name: [message]}})


def as_list(value: Any) -> list[Any]:
    """A parameter as a list (array parameters arrive as lists, single ones as values)."""
    return value if isinstance(value, list) else [value]


def single(params: dict[str, Any], name: str) -> Any:
    """A parameter's one value (the last, when it was repeated)."""
    value = params.get(name)
    return value[-1] if isinstance(value, list) and value else value


def optional_int(params: dict[str, Any], name: str) -> int | None:
    """An integer parameter, None when absent; 422 when not a number."""
    value = single(params, name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise invalid(name, "is not a number")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise invalid(name, "is not a number")
    return int(text)


def optional_int_or_none(params: dict[str, Any], name: str) -> int | None:
    """Like :func:`optional_int`, but None instead of a 422."""
    try:
        return optional_int(params, name)
    except ApiError:
        return None


def required_int(params: dict[str, Any], name: str) -> int:
    """An integer parameter that must be given."""
    value = optional_int(params, name)
    if value is None:
        raise invalid(name, "can't be blank")
    return value


def page_cost(page: int) -> int:
    """What reading ``page`` costs against the rate limit."""
    for threshold, cost in DEEP_PAGE_COSTS:
        if page > threshold:
            return cost
    return 1


def paged(
    items: list[Any], params: dict[str, Any], *, with_paging: bool = True, page_size_cap: int = 0
) -> dict[str, Any]:
    """One page of ``items`` in Salesloft's list envelope (``per_page`` 1-100, default 25: a value outside
    is corrected silently, as Salesloft does); without ``metadata.paging`` when ``with_paging`` is False;
    at most ``page_size_cap`` records a page when it is set (the paging metadata then tells the truth)."""
    per_page = optional_int_or_none(params, "per_page") or 25
    per_page = min(max(per_page, 1), 100)
    if page_size_cap > 0:
        per_page = min(per_page, page_size_cap)
    page = optional_int_or_none(params, "page") or 1
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    has_next = start + per_page < len(items)
    if not with_paging:
        return {"data": chunk}
    return {
        "data": chunk,
        "metadata": {
            "paging": {
                "per_page": per_page,
                "current_page": page,
                "next_page": page + 1 if has_next else None,
                "prev_page": page - 1 if page > 1 else None,
            }
        },
    }


def href(kind: str, ident: int) -> dict[str, Any]:
    """A reference to another record, as Salesloft embeds them: ``{"id", "_href"}``."""
    return {"id": ident, "_href": f"{API_HREF}/{kind}/{ident}"}
