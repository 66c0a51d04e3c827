"""Run folders written all or nothing.

A run writes every file into a fresh, hidden staging folder beside its target and, when it
has finished, replaces the target in one step: the old folder is renamed aside, the staging
folder renamed in, the old one deleted. Files of an earlier run therefore never survive into
a new one, and an interrupt (Ctrl-C, SIGTERM) at any point leaves either the previous run or
the new one, never a mix and never a temporary file::

    with staged_run("outputs/base_case") as stage:
        write_everything(stage.path)        # tables, JSON, plots, workbook
    # here the new folder is in place, with a manifest listing every file and its SHA-256

A lock file beside the target refuses a second concurrent run into the same folder. A
non-empty folder that is not a hecon run folder (no ``manifest.json``) is refused, never
replaced. :func:`verify` checks a folder against its manifest before anything is rebuilt
from it. Output paths and run names are checked by :func:`check_target` and
:func:`check_name` before any computation starts.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hecon.errors import InputError
from hecon.io_safe import _BATCHED, _fsync_dir, current_umask, sync_folder, write_json
from hecon.manifest import sha256

MANIFEST = "manifest.json"
STAGING = ".staging-"  # .<name>.staging-XXXXXXXX beside the target
OLD = ".old-"  # .<name>.old-XXXXXXXX: the previous run while it is being replaced
LOCK = ".lock"  # .<name>.lock
_SUFFIX_ROOM = len(".") + len(STAGING) + 8  # what staging adds to the folder's name
_ACTIVE: set[Path] = set()  # staging folders of runs in progress in this process


class Terminated(KeyboardInterrupt):
    """SIGTERM received while a run folder was being written (cleaned up like Ctrl-C)."""


# --------------------------------------------------------------------------- checks


def check_name(name: str, what: str = "run name (--name)") -> str:
    """A run name must be a plain folder name: no path separators, not '.' or '..', not
    hidden, no control characters, not empty. Returns the name; raises InputError."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{what} is empty; give a plain name such as 'price_check'")
    bad = None
    if "/" in name or "\\" in name or os.sep in name or (os.altsep and os.altsep in name):
        bad = "contains a path separator"
    elif name in (".", ".."):
        bad = "is not a folder name"
    elif name.startswith("."):
        bad = "starts with '.' (a hidden name)"
    elif any(unicodedata.category(ch).startswith("C") for ch in name):
        bad = "contains a control character"
    if bad:
        raise InputError(f"{what} {name!r} {bad}; give a plain name such as 'price_check' "
                         "(use --out for a folder elsewhere)")
    return name


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def _path_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return 4096


def _nearest_existing(path: Path) -> Path:
    p = path
    while not os.path.lexists(p):
        if p.parent == p:
            break
        p = p.parent
    return p


def check_target(folder: str | Path) -> Path:
    """Check that ``folder`` can take a run, before anything is computed.

    Refused with one line (InputError): an existing file or a dangling link where the folder
    should be; a non-empty folder that is not a hecon run folder (no manifest.json); a parent
    that is a file, or that cannot be written; a name or path too long for the file system.
    Returns the absolute target path (a link to a folder is followed).
    """
    given = str(folder)
    if not given.strip():
        raise InputError("output folder (--out) is empty")
    if "\0" in given:
        raise InputError("output folder (--out) contains a NUL character")
    path = Path(os.path.abspath(os.path.expanduser(given)))
    _check_lengths(path, given)
    if path.is_symlink():
        if not path.exists():
            raise InputError("is a link to something that does not exist (a dangling link); "
                             "remove it or choose another --out", file=given)
        path = path.resolve()
    if path.parent == path:
        raise InputError("is the root of the file system; choose a folder for the run",
                         file=given)
    if path.exists():
        if not path.is_dir():
            raise InputError("is an existing file, not a folder; choose another --out",
                             file=given)
        try:
            entries = [p.name for p in path.iterdir()]
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror})", file=given) from None
        if entries and MANIFEST not in entries:
            raise InputError("is a folder that is not empty and not a hecon run folder (no "
                             "manifest.json); it is not replaced: choose a new or empty "
                             "folder", file=given)
    anchor = _nearest_existing(path.parent)
    if os.path.islink(anchor) and not anchor.exists():
        raise InputError(f"{anchor} is a dangling link", file=given)
    if not anchor.is_dir():
        raise InputError(f"{anchor} is an existing file, not a folder", file=given)
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise InputError(f"cannot write in {anchor} (read-only or no permission)", file=given)
    return path


def check_file_target(file: str | Path, option: str = "--out") -> Path:
    """Check, before anything is computed, that a single output file (e.g. the live Excel
    model) can be written at ``file``: not a folder, not a dangling link, a name and path the
    file system can hold, a parent that is (or can be made) a writable folder. Returns the
    absolute path; raises InputError with one line."""
    given = str(file)
    if not given.strip() or "\0" in given:
        raise InputError(f"output file ({option}) is empty or holds a NUL character")
    path = Path(os.path.abspath(os.path.expanduser(given)))
    _check_lengths(path, given)
    if os.path.islink(path) and not path.exists():
        raise InputError(f"is a link to something that does not exist (a dangling link); "
                         f"remove it or choose another {option}", file=given)
    if path.is_dir():
        raise InputError(f"is a folder; name the file to write ({option})", file=given)
    anchor = _nearest_existing(path.parent)
    if not anchor.is_dir():
        raise InputError(f"{anchor} is an existing file, not a folder", file=given)
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise InputError(f"cannot write in {anchor} (read-only or no permission)", file=given)
    return path


def _check_lengths(path: Path, given: str) -> None:
    """Names and path short enough for the file system, with room for the staging suffix."""
    anchor = _nearest_existing(path)
    where = given if len(given) <= 60 else given[:57] + "..."
    limit = _name_max(anchor if anchor.is_dir() else anchor.parent)
    for part in path.parts[1:]:
        room = limit - (_SUFFIX_ROOM if part == path.name else 0)
        if len(os.fsencode(part)) > room:
            shown = part if len(part) <= 20 else part[:20] + "..."
            raise InputError(f"the name {shown!r} is too long for the file system (at most "
                             f"{room} bytes for a run folder)", file=where)
    if len(os.fsencode(str(path))) + _SUFFIX_ROOM > _path_max(anchor):
        raise InputError("the path is too long for the file system", file=where)


def run_target(out: str | Path | None, run_name: str) -> Path:
    """The folder a run through the Python API writes: ``out``, else ``outputs/<run_name>``,
    checked (:func:`check_name`, :func:`check_target`) before anything is computed. The
    staging folder of a run in progress (the command line's) is returned as it is."""
    if out and is_stage(out):
        return Path(out)
    if not out:
        check_name(run_name, "run name")
    folder = Path(out) if out else Path("outputs") / run_name
    check_target(folder)
    return folder


# --------------------------------------------------------------------------- signals


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While writing, SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) so the same
    clean-up runs as for Ctrl-C. Worker processes forked meanwhile keep the default action."""
    if not _in_main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != owner:  # a forked worker: die as it would have
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back during a short critical step (the swap, the clean-up);
    a signal that arrives meanwhile is acted on right after it."""
    if not _in_main_thread():
        yield
        return
    caught: list[int] = []
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in handlers:
        signal.signal(s, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
    if caught:
        raise Terminated() if caught[0] == signal.SIGTERM else KeyboardInterrupt()


# --------------------------------------------------------------------------- lock


@contextmanager
def _locked(target: Path) -> Iterator[Path]:
    """An exclusive lock on ``.<name>.lock`` beside the target (released by the operating
    system if the process dies; the file is removed when the run ends)."""
    lock = target.parent / f".{target.name}{LOCK}"
    busy = InputError("another hecon run is writing to this folder right now (lock "
                      f"{lock.name}); wait for it to finish or choose another --out",
                      file=str(target))
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: an exclusive create is the lock
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            raise busy from None
        try:
            yield lock
        finally:
            os.close(fd)
            lock.unlink(missing_ok=True)
        return
    while True:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise busy from None
        try:  # the file may have been removed by the run that held it: lock the new one
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


def _leftovers(target: Path, kind: str) -> list[Path]:
    prefix = f".{target.name}{kind}"
    try:
        return [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []


def _recover(target: Path) -> None:
    """Tidy what a killed run (SIGKILL, power cut) left: a half-written staging folder is
    deleted; a previous run renamed aside but not replaced is put back."""
    for p in _leftovers(target, STAGING):
        shutil.rmtree(p, ignore_errors=True)
    for p in _leftovers(target, OLD):
        if not os.path.lexists(target):
            os.rename(p, target)
        else:
            shutil.rmtree(p, ignore_errors=True)


# --------------------------------------------------------------------------- manifest


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.name != MANIFEST)


def seal(folder: str | Path) -> dict[str, Any]:
    """Add to ``manifest.json`` (created if absent) the list of every file of the folder
    with its SHA-256, so a later reader can tell a complete run from a damaged one."""
    folder = Path(folder)
    path = folder / MANIFEST
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data["files"] = {f: sha256(folder / f) for f in _files(folder)}
    write_json(path, data)
    if folder in _BATCHED:  # its files were written without flushing each one
        sync_folder(folder)
    return data


def verify(folder: str | Path, rebuildable: Iterable[str] = ()) -> dict[str, Any]:
    """Check a run folder against its manifest: every listed file present and unchanged, no
    file the run did not write (hidden files aside). ``rebuildable`` files (e.g. the
    workbook about to be rebuilt) may be missing or changed. Returns the manifest; raises
    InputError with one line saying what is missing or altered."""
    folder = Path(folder)
    where = str(folder)
    if not folder.is_dir():
        raise InputError("not a hecon run folder (no such folder, so no summary.json or "
                         "manifest.json)", file=where)
    path = folder / MANIFEST
    if not path.is_file():
        raise InputError("not a hecon run folder (no manifest.json)", file=where)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise InputError("manifest.json is damaged (not readable JSON); run the analysis "
                         "again", file=where) from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        raise InputError("manifest.json lists no files (an incomplete run or an older "
                         "hecon); run the analysis again", file=where)
    skip = set(rebuildable)
    present = {f for f in _files(folder) if not any(part.startswith(".")
                                                    for part in Path(f).parts)}
    missing = sorted(f for f in files if f not in present and f not in skip)
    altered = sorted(f for f in files if f in present and f not in skip
                     and sha256(folder / f) != files[f])
    extra = sorted(present - set(files) - skip)
    problems = []
    for label, names in (("missing", missing), ("altered since the run", altered),
                         ("not written by the run", extra)):
        if names:
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5
                                             else "")
            problems.append(f"{label}: {shown}")
    if problems:
        raise InputError("run folder does not match its manifest (" + "; ".join(problems)
                         + "); run the analysis again", file=where)
    return data


def read_summary(folder: str | Path) -> dict[str, Any]:
    """The ``summary.json`` of a run folder, checked to be what a run writes (a JSON object
    with ``country_sets``); InputError with one line otherwise."""
    where = str(folder)
    path = Path(folder) / "summary.json"
    if not path.is_file():
        raise InputError("not a run folder of 'hecon run' (no summary.json); a scenario "
                         "table or another folder has no workbook to rebuild", file=where)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise InputError("summary.json is damaged (not readable JSON); run the analysis "
                         "again", file=where) from None
    if not isinstance(data, dict) or not isinstance(data.get("country_sets"), dict):
        raise InputError("summary.json is not what a run writes (no country_sets); run "
                         "the analysis again", file=where)
    return data


# --------------------------------------------------------------------------- staging


@dataclass(frozen=True)
class Stage:
    """A run being written: write into ``path``; ``target`` is replaced when it ends."""

    path: Path
    target: Path

    def carry_over(self, exclude: Iterable[str] = ()) -> None:
        """Copy the current target's files into the stage (to rebuild part of a run)."""
        skip = set(exclude) | {MANIFEST}
        if not self.target.is_dir():
            return
        for f in _files(self.target):
            if f in skip or any(part.startswith(".") for part in Path(f).parts):
                continue
            dest = self.path / f
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.target / f, dest)
        if (self.target / MANIFEST).is_file():
            shutil.copy2(self.target / MANIFEST, self.path / MANIFEST)


def is_stage(folder: str | Path) -> bool:
    """True when ``folder`` is the staging folder of a run in progress in this process."""
    return Path(os.path.abspath(folder)) in _ACTIVE


def _swap(stage: Path, target: Path) -> None:
    if os.path.lexists(target):
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}{OLD}", dir=target.parent))
        os.rmdir(old)
        os.rename(target, old)
        try:
            os.rename(stage, target)
        except OSError:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(stage, target)
    _fsync_dir(target.parent)  # make the swap durable (best effort)


@contextmanager
def staged_run(folder: str | Path) -> Iterator[Stage]:
    """Write a run into a fresh staging folder and put it in place of ``folder`` when the
    block ends without error (sealing the manifest first). On any error or interrupt the
    staging folder is removed and ``folder`` is left as it was. Raises InputError (one line)
    for an unusable target or a concurrent run into the same folder."""
    target = check_target(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target), _sigterm_as_interrupt():
        _recover(target)
        check_target(target)  # again, now that no other run can change it
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}{STAGING}", dir=target.parent))
        os.chmod(stage, 0o777 & ~current_umask())
        _ACTIVE.add(stage)
        _BATCHED.add(stage)  # files flushed to disk together when sealed (io_safe.sync_folder)
        try:
            yield Stage(stage, target)
            seal(stage)
            with _signals_deferred():
                _swap(stage, target)
        except BaseException as exc:
            if not os.path.lexists(stage):  # interrupted right after the swap: run complete
                exc.run_written = True  # type: ignore[attr-defined]
                raise
            with _signals_deferred():
                shutil.rmtree(stage, ignore_errors=True)
            raise
        finally:
            _ACTIVE.discard(stage)
            _BATCHED.discard(stage)


def write_folder(folder: Path, contents: dict[str, Any]) -> None:
    """Write every file of ``contents`` (name -> DataFrame as CSV, str as text, else JSON).
    Into the staging folder of a run in progress (:func:`staged_run`) the files are written
    directly; any other folder is replaced whole, all or nothing, by a folder holding exactly
    these files."""
    import pandas as pd

    from hecon.io_safe import write_csv, write_text

    folder = Path(folder)
    if not is_stage(folder):
        with staged_run(folder) as stage:
            write_folder(stage.path, contents)
        return
    for fname, obj in contents.items():
        path = folder / fname
        if isinstance(obj, pd.DataFrame):
            write_csv(path, obj)
        elif isinstance(obj, str):
            write_text(path, obj)
        else:
            write_json(path, obj)
