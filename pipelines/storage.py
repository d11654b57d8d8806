"""The storage layer: the one way paxshare reads and writes files by path.

Every loader (screening settings, JPAU units, sharing rules and partners, watchlists, cleared and
trusted lists, keys) and every writer that is not a Beam sink goes through here::

    from pipelines import storage

    storage.read_text("gs://bucket/rules/can_usa.yaml")   # any filesystem Beam knows
    storage.read_bytes("keys/jpau-yvr.pub.json")           # the local disk
    storage.match("keys/*.pub.json")                        # sorted paths
    storage.write_bytes("out/report.json", data)            # create or replace
    storage.Folder("out/audit")                             # named text files, never overwritten
    storage.packaged("default_rules", "jpau_units.yaml")   # data shipped with the package

A path with a scheme (``gs://``, ``s3://``, ``hdfs://``, ``azfs://``...) goes through Apache
Beam's ``FileSystems``, so a pipeline on a cluster and a command-line tool read the same remote
files the same way. A plain path is the local disk of the machine that runs the code, exactly as
Beam's own ``LocalFileSystem`` would read it; the local implementation does so without importing
Beam (command-line tools stay quick) and can create files exclusively and with a file mode, which
``FileSystems`` cannot. Missing files raise ``FileNotFoundError`` naming the path, whatever the
filesystem.

This module and the ``transforms`` modules are the only ones that import Beam (here lazily, for
paths with a scheme).
"""

from __future__ import annotations

import glob
import os
import posixpath
import re
import tempfile
from importlib import resources
from pathlib import Path
from typing import BinaryIO, Protocol

__all__ = ["Storage", "LocalStorage", "BeamStorage", "storage_for", "has_scheme", "read_bytes", "read_text",
           "open_binary", "match", "exists", "join", "basename", "write_bytes", "write_text", "delete", "rename", "Folder",
           "packaged"]

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def has_scheme(path: str | os.PathLike) -> bool:
    """True for ``gs://...``-style paths (Beam FileSystems); False for local paths."""
    return bool(_SCHEME.match(str(path)))


class Storage(Protocol):
    """What a filesystem offers paxshare; paths are strings."""

    def open_binary(self, path: str) -> BinaryIO: ...
    def read_bytes(self, path: str) -> bytes: ...
    def match(self, pattern: str) -> list[str]: ...
    def exists(self, path: str) -> bool: ...
    def join(self, base: str, *parts: str) -> str: ...
    def write_bytes(self, path: str, data: bytes, *, exclusive: bool = False, mode: int | None = None) -> None: ...
    def delete(self, path: str) -> None: ...
    def rename(self, source: str, target: str) -> None: ...


class LocalStorage:
    """The local disk, without Beam. Writes replace a file atomically (temporary file + rename);
    ``exclusive=True`` refuses to overwrite; ``mode`` sets the new file's permissions."""

    def open_binary(self, path: str) -> BinaryIO:
        return open(path, "rb")

    def read_bytes(self, path: str) -> bytes:
        if os.path.isdir(path):
            raise IsADirectoryError(f"{path}: is a folder, not a file")
        with open(path, "rb") as handle:
            return handle.read()

    def match(self, pattern: str) -> list[str]:
        if "**" in pattern:
            return _match_recursive(pattern)
        return sorted(p for p in glob.glob(pattern) if os.path.isfile(p))

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def join(self, base: str, *parts: str) -> str:
        return os.path.join(base, *parts)

    def write_bytes(self, path: str, data: bytes, *, exclusive: bool = False, mode: int | None = None) -> None:
        folder = os.path.dirname(path) or "."
        os.makedirs(folder, exist_ok=True)
        if exclusive:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            return
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            if mode is None:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise

    def delete(self, path: str) -> None:
        os.unlink(path)

    def rename(self, source: str, target: str) -> None:
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        os.replace(source, target)


def _match_recursive(pattern: str) -> list[str]:
    """Files matching a pattern with ``**`` as Beam's filesystems read it (``**`` matches any
    run of characters, folders included: ``in/**.avro`` is every ``.avro`` file below ``in``;
    ``*`` and ``?`` stay within one folder), so a local run and a remote one select the same
    files."""
    first_glob = min((i for i, ch in enumerate(pattern) if ch in "*?["), default=len(pattern))
    top = os.path.dirname(pattern[:first_glob])
    regex = re.compile(_translate(pattern))
    found = []
    for root, _, files in os.walk(top or "."):
        for name in files:
            path = os.path.join(root, name) if top else os.path.relpath(os.path.join(root, name))
            if regex.fullmatch(path):
                found.append(path)
    return sorted(found)


def _translate(pattern: str) -> str:
    """A glob with Beam's ``**`` as a regular expression (``**`` any characters, ``*`` and ``?``
    not ``/``, ``[...]`` a set)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


class BeamStorage:
    """Any filesystem Beam's ``FileSystems`` knows (GCS, S3, HDFS, Azure, local). Files are read
    and written as stored (no compression guessed from the name). ``exclusive=True`` checks
    before creating (object stores have no exclusive create); ``mode`` does not apply."""

    @staticmethod
    def _fs():
        from apache_beam.io.filesystem import CompressionTypes
        from apache_beam.io.filesystems import FileSystems

        return FileSystems, CompressionTypes.UNCOMPRESSED

    def open_binary(self, path: str) -> BinaryIO:
        fs, raw = self._fs()
        if not fs.exists(path):
            raise FileNotFoundError(f"{path}: not found")
        return fs.open(path, compression_type=raw)

    def read_bytes(self, path: str) -> bytes:
        with self.open_binary(path) as handle:
            return handle.read()

    def match(self, pattern: str) -> list[str]:
        fs, _ = self._fs()
        try:
            found = fs.match([pattern])[0].metadata_list
        except Exception:  # noqa: BLE001 - Beam raises for a missing folder; that is no match
            return []
        return sorted(m.path for m in found)

    def exists(self, path: str) -> bool:
        fs, _ = self._fs()
        return fs.exists(path)

    def join(self, base: str, *parts: str) -> str:
        fs, _ = self._fs()
        return fs.join(base, *parts)

    def write_bytes(self, path: str, data: bytes, *, exclusive: bool = False, mode: int | None = None) -> None:
        fs, raw = self._fs()
        if exclusive and fs.exists(path):
            raise FileExistsError(f"{path}: exists; refusing to overwrite")
        with fs.create(path, compression_type=raw) as handle:
            handle.write(data)

    def delete(self, path: str) -> None:
        fs, _ = self._fs()
        fs.delete([path])

    def rename(self, source: str, target: str) -> None:
        fs, _ = self._fs()
        fs.rename([source], [target])


_LOCAL = LocalStorage()
_BEAM = BeamStorage()


def storage_for(path: str | os.PathLike) -> Storage:
    """The implementation for ``path``: Beam FileSystems for a path with a scheme, else local."""
    return _BEAM if has_scheme(path) else _LOCAL


def open_binary(path: str | os.PathLike) -> BinaryIO:
    return storage_for(path).open_binary(str(path))


def read_bytes(path: str | os.PathLike) -> bytes:
    return storage_for(path).read_bytes(str(path))


def read_text(path: str | os.PathLike, encoding: str = "utf-8") -> str:
    """The file's text; ``utf-8`` text may start with a byte-order mark, which is dropped."""
    text = read_bytes(path).decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def match(pattern: str | os.PathLike) -> list[str]:
    """Paths of the files matching a glob pattern, sorted (none: an empty list)."""
    return storage_for(pattern).match(str(pattern))


def exists(path: str | os.PathLike) -> bool:
    return storage_for(path).exists(str(path))


def join(base: str | os.PathLike, *parts: str) -> str:
    return storage_for(base).join(str(base), *parts)


def basename(path: str | os.PathLike) -> str:
    return posixpath.basename(str(path).rstrip("/")) if has_scheme(path) else os.path.basename(str(path))


def write_bytes(path: str | os.PathLike, data: bytes, *, exclusive: bool = False, mode: int | None = None) -> None:
    """Create or replace ``path`` (``exclusive``: refuse an existing file)."""
    storage_for(path).write_bytes(str(path), data, exclusive=exclusive, mode=mode)


def write_text(path: str | os.PathLike, text: str, *, exclusive: bool = False, mode: int | None = None) -> None:
    write_bytes(path, text.encode("utf-8"), exclusive=exclusive, mode=mode)


def delete(path: str | os.PathLike) -> None:
    storage_for(path).delete(str(path))


def rename(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Move a file (both paths on the same filesystem)."""
    storage_for(source).rename(str(source), str(target))


class Folder:
    """A folder of named text files that are created once and never overwritten: the ``Store``
    of the audit chain (:mod:`pipelines.sharing.audit`), on any filesystem. New local files get
    mode 0640."""

    def __init__(self, directory: str | os.PathLike, pattern: str = "*"):
        self.directory = str(directory)
        self.pattern = pattern

    def list(self) -> list[str]:
        return sorted(basename(p) for p in match(join(self.directory, self.pattern)))

    def read(self, name: str) -> str:
        return read_text(join(self.directory, name))

    def create(self, name: str, text: str) -> None:
        path = join(self.directory, name)
        try:
            write_text(path, text, exclusive=True, mode=0o640)
        except FileExistsError:
            raise FileExistsError(f"{path} exists; refusing to overwrite") from None


#: packaged data folders that setup.py maps from a top-level folder of the source checkout
_CHECKOUT_FOLDERS = {"avro_schemas": "schemas", "default_rules": "rules"}


def packaged(package: str, *parts: str) -> str:
    """Local path of data shipped with paxshare: ``pipelines.<package>/<parts>`` when installed,
    else (an editable install or a plain checkout) the top-level folder setup.py packages it from
    (``avro_schemas`` <- ``schemas/``, ``default_rules`` <- ``rules/``) or the package's own folder."""
    try:
        found = resources.files(f"pipelines.{package}").joinpath(*parts)
        if found.is_file() or found.is_dir():
            return str(found)
    except ModuleNotFoundError:
        pass
    root = Path(__file__).resolve().parent
    folder = root.parent / _CHECKOUT_FOLDERS[package] if package in _CHECKOUT_FOLDERS else root / package.replace(".", "/")
    return str(folder.joinpath(*parts))
