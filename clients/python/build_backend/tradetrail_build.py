"""A PEP 517 / PEP 660 build backend in the standard library only, so that
``pip install ./clients/python`` works on a machine without a package index (no setuptools or
wheel to fetch). It packs ``src/tradetrail`` into a pure-Python wheel; ``pip install -e`` gets a
wheel whose ``.pth`` file points at ``src``.
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "src", "tradetrail")
NAME = "tradetrail"
TAG = "py3-none-any"


def _version():
    with open(os.path.join(PACKAGE, "__init__.py"), encoding="utf-8") as file:
        return re.search(r'^__version__ = "([^"]+)"', file.read(), re.M).group(1)


def _metadata():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as file:
        readme = file.read()
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {_version()}\n"
        "Summary: Tradetrail's Python client: a trading bot's audit events, nothing lost, standard library only\n"
        "License: Apache-2.0\n"
        "Requires-Python: >=3.9\n"
        "Description-Content-Type: text/markdown\n"
        "\n" + readme
    )


def _package_files():
    for directory, _, names in sorted(os.walk(PACKAGE)):
        for name in sorted(names):
            if name.endswith((".py", ".typed")):
                path = os.path.join(directory, name)
                yield path, os.path.relpath(path, os.path.dirname(PACKAGE)).replace(os.sep, "/")


def _wheel(directory, entries):
    """Writes a wheel of ``entries`` (archive name → bytes) plus its dist-info; returns its file name."""
    version = _version()
    info = f"{NAME}-{version}.dist-info"
    entries = dict(entries)
    entries[f"{info}/METADATA"] = _metadata().encode()
    entries[f"{info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: tradetrail_build\nRoot-Is-Purelib: true\nTag: {TAG}\n".encode()
    entries[f"{info}/top_level.txt"] = f"{NAME}\n".encode()
    record = []
    for name, data in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    entries[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    filename = f"{NAME}-{version}-{TAG}.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in entries.items():
            wheel.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return filename


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    entries = {}
    for path, name in _package_files():
        with open(path, "rb") as file:
            entries[name] = file.read()
    return _wheel(wheel_directory, entries)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {f"_{NAME}_editable.pth": (os.path.join(ROOT, "src") + "\n").encode()})


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{_version()}"
    filename = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as sdist:
        for name in ("pyproject.toml", "README.md", "build_backend", "src"):
            sdist.add(os.path.join(ROOT, name), f"{base}/{name}",
                      filter=lambda info: None if "__pycache__" in info.name else info)
        pkg_info = _metadata().encode()
        member = tarfile.TarInfo(f"{base}/PKG-INFO")
        member.size = len(pkg_info)
        sdist.addfile(member, io.BytesIO(pkg_info))
    return filename
