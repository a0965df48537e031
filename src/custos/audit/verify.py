"""Verifying the whole log from scratch, in the database or from an exported bundle.

`verify_log` rebuilds the tree from the stored entries and checks, in one pass per level,
that every stored node is what its children hash to, and that every signed checkpoint still
matches. The first discrepancy is reported with its place: the entry, the node or the
checkpoint. A bundle carries the canonical entries, the checkpoint and the log's public key,
and is checked with no database at all.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import log, merkle
from custos.audit.canonical import (
    ENTRY_FIELDS,
    canonical_bytes,
    canonical_position,
    line,
    parse,
)
from custos.audit.checkpoint import published_note
from custos.audit.log import record_of
from custos.audit.models import AuditCheckpoint, AuditEntry
from custos.audit.note import (
    NoteError,
    Verifier,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    verify,
)


@dataclass(frozen=True)
class Report:
    """What a verification found."""

    entries: int
    checkpoints: int
    problem: str | None

    @property
    def ok(self) -> bool:
        """Whether nothing was wrong."""
        return self.problem is None


class _Bad(Exception):
    pass


def verify_log(
    session: Session,
    verifier: Verifier,
    *,
    workers: int = 1,
    chunk_level: int = 14,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Recompute the tree from the entries and check every node and checkpoint.

    The entries are hashed in aligned chunks of 2^`chunk_level`; with `workers` > 1 the chunks
    go to that many processes, each reading the committed log over its own connection, so
    only use it where the log is not being changed in this session's open transaction (the
    command line). `progress(done, size)` is called as chunks are checked.
    """
    size = log.size(session)
    checkpoints = list(session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id)))
    try:
        _check_tree(session, size, workers, chunk_level, progress)
        for checkpoint in checkpoints:
            _check_checkpoint(session, checkpoint, verifier, size)
    except _Bad as bad:
        return Report(size, len(checkpoints), str(bad))
    return Report(size, len(checkpoints), None)


# The columns in canonical order, the arguments of `canonical.line`.
_ENTRIES_IN_ORDER = (
    f"SELECT seq, at, {', '.join(ENTRY_FIELDS)} "  # noqa: S608 - fixed names
    "FROM audit_entries WHERE seq >= {start} AND seq < {end} ORDER BY seq"
)
_NODES_IN_ORDER = (
    "SELECT idx, hash FROM audit_nodes WHERE level = {level} AND idx >= {start} AND idx < {end} "
    "ORDER BY idx"
)

Rows = Callable[[str], list[Any]]
"""Runs a fixed query (integers formatted in) and returns its rows as plain tuples."""

Problem = tuple[int, int, str]
"""A discrepancy: the last leaf it depends on, its tree level (-1 for an entry), the message."""


def _rows_of(connection: Any) -> Rows:
    """Queries over a DB-API connection, rows straight from the driver (no ORM, no conversion)."""

    def rows(sql: str) -> list[Any]:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    return rows


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """The leaves and every level of complete nodes above them, as lists of hashes."""
    levels = [leaves]
    sha256 = hashlib.sha256
    current = leaves
    while len(current) > 1:
        pairs = zip(current[::2], current[1::2], strict=False)  # an odd last one waits
        current = [sha256(b"\x01" + a + b).digest() for a, b in pairs]
        levels.append(current)
    return levels


def _pieces(levels: list[list[bytes]]) -> list[bytes]:
    """The hashes of the perfect subtrees that make up the leaves of `levels`, left to right."""
    return [levels[level][index] for level, index in merkle.perfect_pieces(0, len(levels[0]))]


def _node_problem(level: int, index: int, missing: bool) -> Problem:
    last_leaf = ((index + 1) << level) - 1
    if level == 0:
        text = (
            f"entry {index} has no leaf in the tree"
            if missing
            else f"entry {index} does not match its leaf hash (altered or moved)"
        )
    else:
        text = (
            f"tree node level {level} index {index} is missing"
            if missing
            else f"tree node level {level} index {index} does not match its children"
        )
    return (last_leaf, level, text)


def _compare_level(rows: Rows, level: int, first: int, computed: list[bytes]) -> Problem | None:
    """The first stored node of `level` from index `first` that differs from `computed`."""
    stored = rows(_NODES_IN_ORDER.format(level=level, start=first, end=first + len(computed)))
    if len(stored) == len(computed) and b"".join(h for _, h in stored) == b"".join(computed):
        return None
    found = {int(index): bytes(digest) for index, digest in stored}
    for offset, digest in enumerate(computed):
        have = found.get(first + offset)
        if have != digest:
            return _node_problem(level, first + offset, missing=have is None)
    return None  # pragma: no cover - a difference was seen above


def _check_chunk(rows: Rows, start: int, end: int, size: int) -> tuple[Problem | None, list[bytes]]:
    """Hash entries [start, end) and compare every node they complete; returns the first
    problem in log order and the chunk's perfect subtrees."""
    sha256 = hashlib.sha256
    leaves: list[bytes] = []
    problems: list[Problem] = []
    expected = start
    for row in rows(_ENTRIES_IN_ORDER.format(start=start, end=end)):
        seq = row[0]
        if seq != expected:
            problems.append((expected, -1, f"entry {expected} is missing (deleted?)"))
            break
        at = row[1]
        when = f"{at[:10]}T{at[11:]}Z" if isinstance(at, str) else at.strftime(_TIME)
        leaves.append(sha256(b"\x00" + line(seq, when, *row[2:])).digest())
        expected += 1
    else:
        if expected < end:
            text = f"entry {expected} is missing (deleted?)"
            if end == size:
                text += f": the log holds {size}"
            problems.append((expected, -1, text))
    levels = _levels(leaves) if leaves else [[]]
    for level, computed in enumerate(levels):
        if computed and (problem := _compare_level(rows, level, start >> level, computed)):
            problems.append(problem)
    return (min(problems) if problems else None), _pieces(levels)


# Each worker process keeps one connection of its own for the whole verification.
_worker_rows: Rows | None = None


def _start_worker(url: str) -> None:
    global _worker_rows  # one connection per worker process
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    _worker_rows = _rows_of(engine.raw_connection())


def _check_chunk_in_worker(start: int, end: int, size: int) -> tuple[Problem | None, list[bytes]]:
    assert _worker_rows is not None
    return _check_chunk(_worker_rows, start, end, size)


def _check_tree(
    session: Session,
    size: int,
    workers: int,
    chunk_level: int,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Rebuild the tree chunk by chunk and compare every stored node, failing at the first
    discrepancy in log order.

    A chunk hashes its entries and compares the nodes they complete level by level, a whole
    level in one query and one comparison; the chunks' roots are then combined here and the
    nodes above them compared one by one.
    """
    chunk = 1 << chunk_level
    spans = [(start, min(start + chunk, size), size) for start in range(0, size, chunk)]
    rows = _rows_of(session.connection().connection.dbapi_connection)
    upper = merkle.CompactRange()
    with ExitStack() as stack:
        if workers > 1 and len(spans) > 1:
            url = session.connection().engine.url.render_as_string(hide_password=False)
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    min(workers, len(spans)),
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_start_worker,
                    initargs=(url,),
                )
            )
            results = pool.map(_check_chunk_in_worker, *zip(*spans, strict=True))
        else:
            results = (_check_chunk(rows, *span) for span in spans)
        for (start, end, _), (problem, pieces) in zip(spans, results, strict=True):
            if problem is not None:
                raise _Bad(problem[2])
            if end - start == chunk:
                for level, index, digest in upper.append(pieces[0])[1:]:
                    found = rows(
                        _NODES_IN_ORDER.format(
                            level=level + chunk_level, start=index, end=index + 1
                        )
                    )
                    if not found or bytes(found[0][1]) != digest:
                        raise _Bad(_node_problem(level + chunk_level, index, not found)[2])
            if progress is not None:
                progress(end, size)
    beyond = rows(f"SELECT min(seq) FROM audit_entries WHERE seq >= {int(size)}")  # noqa: S608
    if beyond and beyond[0][0] is not None:
        raise _Bad(f"entry {beyond[0][0]} is not in the log of {size} (inserted behind its back?)")
    for level in range(size.bit_length()):
        extra = rows(
            f"SELECT min(idx) FROM audit_nodes WHERE level = {level} "  # noqa: S608
            f"AND idx >= {size >> level}"
        )
        if extra and extra[0][0] is not None:
            raise _Bad(f"tree node level {level} index {extra[0][0]} stands beyond the log")


_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def _check_checkpoint(
    session: Session, checkpoint: AuditCheckpoint, verifier: Verifier, size: int
) -> None:
    where = f"checkpoint #{checkpoint.id} (size {checkpoint.tree_size})"
    try:
        note = parse_note(checkpoint.note)
        head = parse_checkpoint(note.text)
    except NoteError as error:
        raise _Bad(f"{where} is malformed: {error}") from None
    if not verify(note, verifier):
        raise _Bad(f"{where}: the log's signature does not verify")
    if (head.size, head.root) != (checkpoint.tree_size, bytes(checkpoint.root_hash)):
        raise _Bad(f"{where}: the signed note and the stored row disagree")
    if head.size > size:
        raise _Bad(f"{where} is larger than the log of {size}: entries were removed")
    if log.root_at(session, head.size) != head.root:
        raise _Bad(f"{where} no longer matches the log: an entry below {head.size} was changed")


# --- bundles -----------------------------------------------------------------------------------

ENTRIES_FILE = "entries.jsonl"
CHECKPOINT_FILE = "checkpoint.note"
KEY_FILE = "log.vkey"


def export_bundle(session: Session, verifier: Verifier, target: Path) -> int:
    """Write the entries up to the latest checkpoint, that checkpoint and the key; returns size."""
    checkpoint = session.scalar(
        sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    )
    if checkpoint is None:
        raise ValueError("the log has no checkpoint yet: run `custos audit checkpoint`")
    target.mkdir(parents=True, exist_ok=True)
    partial = target / (ENTRIES_FILE + ".partial")
    with partial.open("wb") as out:
        entries = session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.seq < checkpoint.tree_size)
            .order_by(AuditEntry.seq)
            .execution_options(yield_per=5000)
        )
        for entry in entries:
            out.write(canonical_bytes(record_of(entry)) + b"\n")
    partial.replace(target / ENTRIES_FILE)
    (target / CHECKPOINT_FILE).write_text(published_note(session, checkpoint))
    (target / KEY_FILE).write_text(verifier.vkey() + "\n")
    (target / "README.txt").write_text(
        "Custos audit log bundle.\n"
        f"{ENTRIES_FILE}: one entry per line in canonical form; leaf = SHA-256(0x00 || line).\n"
        f"{CHECKPOINT_FILE}: the signed checkpoint (C2SP signed note) over these entries.\n"
        f"{KEY_FILE}: the log's public key (C2SP verifier key).\n"
        "Check it with: custos audit verify --bundle <this folder>\n"
    )
    return checkpoint.tree_size


def verify_bundle(
    folder: Path,
    *,
    workers: int = 1,
    chunk_level: int = 14,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Check a bundle offline: signature, canonical entries, and the root they hash to.

    Lines are read here and hashed in aligned chunks of 2^`chunk_level`, by `workers`
    processes where more than one is asked for; `progress(done, size)` follows the chunks.
    """
    try:
        verifier = parse_vkey((folder / KEY_FILE).read_text())
        note = parse_note((folder / CHECKPOINT_FILE).read_text())
        head = parse_checkpoint(note.text)
    except (OSError, NoteError) as error:
        return Report(0, 0, f"the bundle cannot be read: {error}")
    if not verify(note, verifier):
        return Report(0, 1, "the checkpoint's signature does not verify with the bundled key")
    if head.origin != verifier.name:
        return Report(0, 1, f"the checkpoint is for {head.origin}, the key for {verifier.name}")
    chunk = 1 << chunk_level
    upper = merkle.CompactRange()
    last: list[bytes] = []
    count = 0
    entries = folder / ENTRIES_FILE
    with entries.open("rb") as file, ExitStack() as stack:
        chunks = ((entries, *span) for span in _line_spans(file, chunk))
        if workers > 1:
            pool = stack.enter_context(
                ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            )
            results: Iterator[_Hashed] = _bounded_map(pool, _hash_lines, chunks, 2 * workers)
        else:
            results = (_hash_lines(work) for work in chunks)
        for problem, lines, pieces in results:
            if problem is not None:
                return Report(count, 1, problem)
            if lines == chunk:
                upper.append(pieces[0])
            else:
                last = pieces
            count += lines
            if progress is not None:
                progress(count, head.size)
    if count != head.size:
        return Report(count, 1, f"the bundle holds {count} entries, the checkpoint {head.size}")
    if merkle.CompactRange(count, [*upper.hashes(), *last]).root() != head.root:
        return Report(count, 1, "the entries do not hash to the checkpoint's root")
    return Report(count, 1, None)


_Work = tuple[Path, int, int, int]
"""A chunk of a bundle's lines: the file, the position of its first line, its byte offset and
length."""

_Hashed = tuple[str | None, int, list[bytes]]
"""What hashing a chunk of lines gives: the first problem, the number of lines, the pieces."""


def _line_spans(file: BinaryIO, chunk: int) -> Iterator[tuple[int, int, int]]:
    """Chunks of `chunk` lines as (first line's position, byte offset, byte length)."""
    first = offset = 0
    while sizes := [len(line) for line in islice(file, chunk)]:
        length = sum(sizes)
        yield first, offset, length
        first += len(sizes)
        offset += length


def _hash_lines(work: _Work) -> _Hashed:
    """Read a chunk of lines, check that each is a canonical entry at its position, hash it."""
    path, first, offset, length = work
    with path.open("rb") as file:
        file.seek(offset)
        lines = file.read(length).split(b"\n")
    if not lines[-1]:
        lines.pop()  # the newline that ends the last line
    sha256 = hashlib.sha256
    leaves: list[bytes] = []
    for number, text in enumerate(lines, first):
        if canonical_position(text) != number:
            try:
                record = parse(text)
            except (ValueError, KeyError, TypeError, json.JSONDecodeError) as error:
                return f"entry {number} is not a canonical entry: {error}", len(lines), []
            if record.seq != number:
                return f"entry {number} carries position {record.seq}", len(lines), []
        leaves.append(sha256(b"\x00" + text).digest())
    return None, len(lines), _pieces(_levels(leaves))


def _bounded_map(
    pool: ProcessPoolExecutor,
    function: Callable[[_Work], _Hashed],
    items: Iterator[_Work],
    ahead: int,
) -> Iterator[_Hashed]:
    """`pool.map` in order, with at most `ahead` items read and in flight at once."""
    pending: deque[Future[_Hashed]] = deque()
    for item in items:
        pending.append(pool.submit(function, item))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
