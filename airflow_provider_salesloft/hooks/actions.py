"""What the hook's groups of API actions (mixed into :class:`~.salesloft.SalesloftHook`) use of it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_salesloft.hooks.clock import ServerClock
    from airflow_provider_salesloft.hooks.transport import SalesloftTransport


class HookActions:
    """Base of the action mixins: declares the hook's parts they call (for type checkers only)."""

    if TYPE_CHECKING:
        clock: ServerClock
        log: Any

        @property
        def transport(self) -> SalesloftTransport: ...

        def paginate(
            self, path: str, params: Mapping[str, Any] | None = None, **kwargs: Any
        ) -> Iterator[dict[str, Any]]: ...
