"""Large downloads streamed a batch at a time, each batch read in a short session of its own.

Why not ``db.session``: a streamed body is produced after the view has returned, once Flask
has torn down the request's app context and removed its session. A result left open on that
session is closed under the generator: ORM rows fail with "identity map is no longer valid",
and on SQLite the cursor with "abort due to ROLLBACK" once the connection goes back to the pool
(``stream_with_context`` pushes the contexts again, but after their teardown has run). Under
the test client it worked only because the test's own app context kept the session alive.

So a download reads by keyset pagination: each batch is one query ``WHERE key > last ORDER BY
key LIMIT n`` (``<`` when newest first) in a session opened and closed inside the generator,
on the engine taken when the download was asked for; nothing here needs an app context.
Between batches, while the client reads, no connection or transaction is held: a slow or
stalled client takes no slot of the pool, keeps no PostgreSQL snapshot from vacuum and no
SQLite reader from the WAL checkpoint. Memory holds one batch, whatever the number of rows.

What that costs: the file is not one snapshot. Each row comes once (the key is unique and
only moves forward), as it stood when its batch was read; a row added or changed during the
download is in it or not depending on where its key falls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy import orm as so

from manifesto.extensions import db

BATCH = 1_000

# Turns one batch of rows into the text sent for it; it may read more in the same session
# (the themes of the batch's signatories, say).
Render = Callable[[so.Session, Sequence[sa.Row]], str]


class KeysetStream:
    """Iterates ``(text, rows)`` for each batch of ``query``'s rows, in ``keys`` order.

    ``keys`` are the columns that order the rows, unique together (end with a primary key);
    ``key_of(row)`` gives their values from a row; ``header``, if given, comes first, as a
    batch of no rows. The first batch is read at construction,
    in the caller's request: a failure there is still an error answer, not a download cut
    short after its first line. ``close()`` drops what was read and not yet sent.
    """

    def __init__(self, query: sa.Select, keys: Sequence[sa.ColumnElement],
                 key_of: Callable[[sa.Row], tuple], render: Render, *,
                 header: str | None = None, descending: bool = False,
                 size: int | None = None):
        self.engine = db.engine
        self.query = query.order_by(None).order_by(
            *(column.desc() if descending else column for column in keys))
        self.keys = tuple(keys)
        self.key_of = key_of
        self.render = render
        self.descending = descending
        self.size = size or BATCH
        self._after: tuple | None = None
        self._done = False
        self._queue: list[tuple[str, int]] = [(header, 0)] if header is not None else []
        first = self._read()
        if first is not None:
            self._queue.append(first)

    def _after_last(self, query: sa.Select) -> sa.Select:
        if self._after is None:
            return query
        bound = sa.tuple_(*(sa.bindparam(None, value, type_=column.type)
                            for column, value in zip(self.keys, self._after, strict=True)))
        row = sa.tuple_(*self.keys)
        return query.where(row < bound if self.descending else row > bound)

    def _read(self) -> tuple[str, int] | None:
        if self._done:
            return None
        with so.Session(self.engine) as session:
            rows = session.execute(self._after_last(self.query).limit(self.size)).all()
            if len(rows) < self.size:
                self._done = True
            if not rows:
                return None
            self._after = self.key_of(rows[-1])
            return self.render(session, rows), len(rows)

    def __iter__(self) -> Iterator[tuple[str, int]]:
        while self._queue:
            yield self._queue.pop(0)
            if not self._queue and (batch := self._read()) is not None:
                self._queue.append(batch)

    def text(self) -> Iterator[str]:
        """The text alone, closed when it ends or is abandoned."""
        try:
            for text, _rows in self:
                yield text
        finally:
            self.close()

    def close(self) -> None:
        self._queue.clear()
        self._done = True
