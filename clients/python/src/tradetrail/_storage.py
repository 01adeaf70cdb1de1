"""Will a directory's contents vanish on restart? Seed 003's lesson, as packages/core/src/storage-risk.ts has it.

tmpfs and ramfs live in memory, and /tmp inside a container is thrown away with the container.
"""
from __future__ import annotations

import os
from typing import List, Mapping, Optional


def _read_mounts() -> str:
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError:
        return ""  # not Linux, or /proc is hidden: no tmpfs verdict either way


def filesystem_of(path: str, mounts: str) -> Optional[str]:
    """File system type of the mount holding ``path`` (the longest mount point that is a prefix)."""
    best_point, best_type = "", None
    for line in mounts.split("\n"):
        fields = line.split(" ")
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = point == "/" or path == point or path.startswith(point.rstrip("/") + "/")
        if inside and (best_type is None or len(point) >= len(best_point)):
            best_point, best_type = point, fields[2]
    return best_type


def storage_risks(directory: str, env: Optional[Mapping[str, str]] = None, mounts: Optional[str] = None,
                  in_container: Optional[bool] = None) -> List[str]:
    """Why files under ``directory`` may be lost on restart, each a phrase that follows the path (``is on tmpfs``)."""
    try:
        path = os.path.realpath(directory)
    except OSError:
        return []
    risks: List[str] = []
    fs_type = filesystem_of(path, _read_mounts() if mounts is None else mounts)
    if fs_type in ("tmpfs", "ramfs"):
        risks.append(f"is on {fs_type}")
    environ = os.environ if env is None else env
    if in_container is None:
        in_container = os.path.exists("/.dockerenv") or environ.get("KUBERNETES_SERVICE_HOST") is not None
    if in_container and (path == "/tmp" or path.startswith("/tmp/")):
        risks.append("is under /tmp inside a container")
    return risks
