"""A batch the collector refused, as packages/client/src/rejected-batch.ts handles it.

When the collector names the invalid events, those are dropped and the rest is sent again; when
it names none (or none of this batch), the batch is sent in halves until the one event it still
refuses is alone, and that one is dropped.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from ._post import Outcome
from .errors import TradetrailError

Part = Tuple[bytes, int]
"""NDJSON lines as sent in one request, and their number."""

DropEvent = Callable[[Optional[TradetrailError], str], None]


def _lines(body: bytes) -> List[bytes]:
    return [line for line in body.split(b"\n") if line]


def _join(lines: List[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n" if lines else b""


def rejected_batch(part: Part, outcome: Outcome, drop: DropEvent) -> List[Part]:
    """What is left to send of ``part`` after the collector refused it; every event given up goes to ``drop``."""
    body, events = part
    problems: List[Dict[str, Any]] = outcome.problems or []
    if outcome.kind == "reject" and any(p["index"] < events for p in problems):
        lines = _lines(body)
        bad = {p["index"] for p in problems}
        for problem in problems:
            index = problem["index"]
            if 0 <= index < len(lines):
                drop(TradetrailError(str(problem.get("code")), outcome.error.status if outcome.error else 400,
                                     f"the collector refused an event: {problem.get('path')} {problem.get('message')}", [problem]),
                     lines[index].decode("utf-8", "replace"))
        kept = [line for i, line in enumerate(lines) if i not in bad]
        return [(_join(kept), len(kept))]
    # It named no event of this batch: find the bad one by halves, as for a 400 without names.
    if events == 1:
        drop(outcome.error, body.decode("utf-8", "replace").rstrip("\n"))
        return []
    lines = _lines(body)
    middle = (len(lines) + 1) // 2
    return [(_join(lines[:middle]), middle), (_join(lines[middle:]), len(lines) - middle)]
