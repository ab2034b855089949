"""A small, realistic server to copy: notes in SQLite, a lifespan, middleware, a mounted sub-server.

Run it with ``mcpcore run mcpcore.examples.notes`` (stdio) or ``--http``; the
database file is ``$NOTES_DB`` (default ``notes.db`` in the working directory,
``:memory:`` for a throwaway one). Its tests, in process with
``Client(server)``, are ``tests/embedding/test_notes_example.py``.

What it shows:

* **lifespan**: the database is opened once when serving starts and closed
  when it stops (EOF, SIGTERM, the end of an in-memory test); handlers reach
  it through ``ctx.lifespan_state``;
* **plain ``def`` tools** for blocking SQLite calls: they run in worker
  threads, so a slow query never delays ``ping`` (one connection, guarded by
  a lock, shared by the threads);
* **middleware**: every request logged with its duration, and tool calls
  rate-limited per caller;
* **composition**: a separate ``text`` server's tools mounted as ``text_*``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from mcpcore import Context, RateLimit, RpcError, Server, log_requests

__all__ = ["Notes", "server", "text"]


class Notes:
    """The notes table behind one SQLite connection, safe to use from the tool threads."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._cursor() as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS notes"
                " (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL)"
            )

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        with self._lock, self._db:
            yield self._db.cursor()

    def add(self, title: str, body: str) -> int:
        with self._cursor() as cursor:
            cursor.execute("INSERT INTO notes (title, body) VALUES (?, ?)", (title, body))
            return int(cursor.lastrowid or 0)

    def get(self, note_id: int) -> tuple[str, str] | None:
        with self._cursor() as cursor:
            row = cursor.execute("SELECT title, body FROM notes WHERE id = ?", (note_id,)).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def search(self, query: str) -> list[tuple[int, str]]:
        pattern = "%" + query.replace("%", r"\%").replace("_", r"\_") + "%"
        with self._cursor() as cursor:
            rows = cursor.execute(
                "SELECT id, title FROM notes"
                " WHERE title LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\' ORDER BY id",
                (pattern, pattern),
            ).fetchall()
        return [(int(row[0]), str(row[1])) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


@contextlib.asynccontextmanager
async def lifespan(server: Server) -> AsyncIterator[Notes]:
    notes = Notes(os.environ.get("NOTES_DB", "notes.db"))
    try:
        yield notes
    finally:
        notes.close()


# A separate server with text utilities, mounted below as text_*.
text = Server("text")


@text.tool(run="loop")
def word_count(body: str) -> int:
    """Count the words in a text."""
    return len(body.split())


server = Server(
    "notes",
    version="1.0.0",
    instructions="Keep and search short notes.",
    lifespan=lifespan,
    middleware=[log_requests()],
)
server.middleware(methods=["tools/call"])(RateLimit(rate=50, burst=100))
server.mount(text, prefix="text")


@dataclass
class Note:
    id: int
    title: str


def _notes(ctx: Context) -> Notes:
    notes: Notes = ctx.lifespan_state
    return notes


@server.tool
def add_note(title: str, body: str, ctx: Context) -> int:
    """Save a note; returns its id."""
    if not title.strip():
        raise ValueError("a note needs a title")
    return _notes(ctx).add(title, body)


@server.tool
def search_notes(query: str, ctx: Context) -> list[Note]:
    """Notes whose title or body contains the query."""
    return [Note(note_id, title) for note_id, title in _notes(ctx).search(query)]


@server.resource("notes://{note_id}", mime_type="text/plain")
def read_note(note_id: int, ctx: Context) -> str:
    """One note's body."""
    found = _notes(ctx).get(note_id)
    if found is None:
        raise RpcError(-32002, f"Resource not found: notes://{note_id}")
    return found[1]


@server.prompt
def summarize(note_id: str) -> str:
    """Ask the model to summarize one note."""
    return f"Read the resource notes://{note_id} and summarize it in one sentence."


if __name__ == "__main__":
    server.run()
