"""The options of :class:`~tradetrail.AuditClient`, checked once when it is built and then frozen.

A bad value never raises (a bot must start even when its audit configuration is wrong): it is
replaced by its default, or disables what it configures, and is reported through ``on_error``.
The names are the TypeScript SDK's in snake_case (``flushIntervalMs`` → ``flush_interval_ms``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import SplitResult, urlsplit

from . import errors
from ._event import LABEL_CHARS, METADATA_BYTES, PROJECT_RE, to_json
from .errors import TradetrailError

DEFAULT_URL = "http://127.0.0.1:9324"


@dataclass(frozen=True)
class Project:
    """The project a client records for (seed 002's project_name, _market, _description, _privileges)."""

    name: str
    market: Optional[str] = None
    description: Optional[str] = None
    privileges: Tuple[str, ...] = ()


@dataclass(frozen=True)
class ClientSettings:
    """The options as the client uses them: checked, defaults filled in."""

    url: Optional[SplitResult]
    token: str
    project: Project
    durability: str
    spool_dir: Optional[str]
    max_spool_bytes: int
    max_queued_events: int
    batch_max_events: int
    batch_max_bytes: int
    flush_interval_ms: int
    request_timeout_ms: int
    retry_initial_ms: int
    retry_max_ms: int
    exit_flush_timeout_ms: int
    handle_exit: bool
    clock_skew_limit_ms: int
    boot: bool
    source: Optional[str]
    actor: Optional[str]
    metadata: Optional[Dict[str, Any]]


_NUMBERS: Dict[str, Tuple[int, int, int]] = {
    # name: (default, min, max)
    "max_spool_bytes": (256 * 1024 * 1024, 64 * 1024, 2 ** 53 - 1),
    "max_queued_events": (100_000, 1, 100_000_000),
    "batch_max_events": (1000, 1, 10_000),
    "batch_max_bytes": (1024 * 1024, 1024, 8 * 1024 * 1024),
    "flush_interval_ms": (25, 1, 60_000),
    "request_timeout_ms": (10_000, 100, 600_000),
    "retry_initial_ms": (100, 1, 600_000),
    "retry_max_ms": (30_000, 1, 3_600_000),
    "exit_flush_timeout_ms": (2000, 0, 600_000),
    "clock_skew_limit_ms": (50, 0, 3_600_000),
}


def _shown(value: Any) -> str:
    try:
        return to_json(value)
    except Exception:
        return repr(value)


def check_defaults(source: Any, actor: Any, metadata: Any, bad: Any) -> Tuple[Optional[str], Optional[str], Optional[Dict[str, Any]]]:
    """The ``source``, ``actor`` and ``metadata`` every event gets; each bad one goes to ``bad(option, reason)`` instead."""
    def label(name: str, value: Any) -> Optional[str]:
        if value is None:
            return None
        if isinstance(value, str) and len(value) <= LABEL_CHARS:
            try:
                value.encode("utf-8")
                return value
            except UnicodeEncodeError:
                pass
        bad(name, f"must be a string of at most {LABEL_CHARS} characters; events get no default {name}")
        return None

    checked: Optional[Dict[str, Any]] = None
    if metadata is not None:
        try:
            if not isinstance(metadata, Mapping):
                raise TypeError("it is not an object")
            text = to_json(dict(metadata))
            size = len(text.encode("utf-8"))
            if size > METADATA_BYTES:
                raise ValueError(f"it is {size} bytes as JSON, over {METADATA_BYTES}")
            import json
            checked = json.loads(text)  # a snapshot: later changes to the caller's object change nothing
        except Exception as error:
            bad("metadata", f"must be a JSON object ({error}); events get no default metadata")
    return label("source", source), label("actor", actor), checked


def resolve(project: Any, options: Dict[str, Any]) -> Tuple[ClientSettings, List[TradetrailError], Mapping[str, str]]:
    """Checks the options; every problem found is returned, and the settings are always usable."""
    problems: List[TradetrailError] = []

    def bad(option: str, reason: str) -> None:
        problems.append(errors.client_options(option, reason))

    env = options.pop("env", None)
    if env is None:
        env = os.environ
    elif not isinstance(env, Mapping):
        bad("env", "must be a mapping of environment variables; using os.environ")
        env = os.environ

    def number(name: str) -> int:
        default, low, high = _NUMBERS[name]
        value = options.pop(name, None)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            bad(name, f"must be an integer from {low} to {high}, got {_shown(value)}; using {default}")
            return default
        return value

    def flag(name: str, default: bool) -> bool:
        value = options.pop(name, None)
        if value is None:
            return default
        if not isinstance(value, bool):
            bad(name, f"must be True or False, got {_shown(value)}; using {default}")
            return default
        return value

    info = _project(project, bad)

    raw_url = options.pop("url", None)
    if raw_url is None:
        raw_url = env.get("TRADETRAIL_URL") or DEFAULT_URL
    url: Optional[SplitResult] = None
    try:
        if not isinstance(raw_url, str):
            raise ValueError("not a string")
        url = urlsplit(raw_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("not http(s)")
        url.port  # raises ValueError on a port out of range
    except ValueError:
        bad("url", f"must be an http:// or https:// URL, got {_shown(raw_url)}; nothing can be sent")
        url = None

    token = options.pop("token", None)
    if token is None:
        token = env.get("TRADETRAIL_TOKEN", "")
    if not isinstance(token, str) or any(c in token for c in "\r\n"):
        bad("token", "must be a string (an ingest token); the collector will refuse every batch")
        token = ""
    elif token == "":
        bad("token", "is missing (option token or TRADETRAIL_TOKEN); the collector will refuse every batch")

    durability = options.pop("durability", None) or env.get("TRADETRAIL_DURABILITY") or "memory"
    if durability not in ("memory", "wal"):
        bad("durability", f'must be "memory" or "wal", got {_shown(durability)}; using "memory"')
        durability = "memory"

    raw_spool = options.pop("spool_dir", None)
    spool_dir: Optional[str]
    if raw_spool is False:
        spool_dir = None
    else:
        if raw_spool is not None and not isinstance(raw_spool, (str, os.PathLike)):
            bad("spool_dir", f"must be a directory path or False, got {_shown(raw_spool)}; using the default")
            raw_spool = None
        if raw_spool is None:
            raw_spool = env.get("TRADETRAIL_SPOOL_DIR") or os.path.join(".tradetrail-spool", info.name)
        spool_dir = os.path.abspath(os.fspath(raw_spool))
        if "\0" in spool_dir:
            bad("spool_dir", "must not hold a NUL character; events wait in memory only")
            spool_dir = None
    if durability == "wal" and spool_dir is None:
        bad("durability", '"wal" needs a spool; spool_dir is False, so events wait in memory')

    source, actor, metadata = check_defaults(options.pop("source", None), options.pop("actor", None), options.pop("metadata", None), bad)
    numbers = {name: number(name) for name in _NUMBERS}
    settings = ClientSettings(
        url=url, token=token, project=info, durability=durability, spool_dir=spool_dir,
        handle_exit=flag("handle_exit", True), boot=flag("boot", True),
        source=source, actor=actor, metadata=metadata, **numbers)
    for unknown in sorted(options):
        bad(unknown, "is not an option of AuditClient; ignored (see docs/client.md, the Python client)")
    return settings, problems, env


def _project(project: Any, bad: Any) -> Project:
    if isinstance(project, Project):
        raw: Mapping[str, Any] = {"name": project.name, "market": project.market, "description": project.description,
                                   "privileges": list(project.privileges)}
    elif isinstance(project, str):
        raw = {"name": project}
    elif isinstance(project, Mapping):
        raw = project
    else:
        raw = {}
    name = raw.get("name")
    if not isinstance(name, str) or PROJECT_RE.match(name) is None:
        bad("project.name", f"must match ^[A-Za-z0-9_.-]{{1,64}}$, got {_shown(name)}; the collector will refuse these events")
        if not isinstance(name, str) or name == "":
            name = "unnamed"
    privileges = raw.get("privileges")
    if privileges is None:
        declared: Tuple[str, ...] = ()
    elif isinstance(privileges, str):
        declared = (privileges,)
    elif isinstance(privileges, (list, tuple, set, frozenset)) and all(isinstance(p, str) for p in privileges):
        declared = tuple(privileges)
    else:
        bad("project.privileges", f"must be a string or a list of strings, got {_shown(privileges)}; none are declared")
        declared = ()

    def about(key: str) -> Optional[str]:
        value = raw.get(key)
        if value is None or isinstance(value, str):
            return value
        bad(f"project.{key}", f"must be a string, got {_shown(value)}; left out")
        return None
    return Project(name=name, market=about("market"), description=about("description"), privileges=declared)
