"""Stream a query's rows as CSV in constant memory: COPY on PostgreSQL, keyset pages elsewhere."""
import csv
import enum
import io
import queue
import threading
import uuid
from collections.abc import Callable, Iterator

from sqlalchemy import Connection, Engine, Select

from db.pagination import Page

#: Bytes gathered before a chunk is handed on: big enough to keep per-chunk overhead low.
CHUNK_BYTES = 256 * 1024
#: Chunks in flight between the COPY thread and the response: the memory bound.
CHUNKS_IN_FLIGHT = 8
#: Rows per keyset page where COPY is not available.
PAGE_ROWS = 2_000

_DONE = object()


class _Cancelled(Exception):
    """The reader went away (client disconnected): stop the COPY."""


def copy_csv(bind: Engine | Connection, statement: Select, header: list[str]) -> Iterator[bytes]:
    """UTF-8 CSV of `statement` with a header row, from PostgreSQL's own COPY, in bounded chunks.

    An engine lends the export a connection of its own for as long as the download lasts (the
    request's session is gone by then); a connection (tests pin one) is used as it is. The COPY
    runs in a thread while the response's thread hands the chunks on.
    """
    connection = bind.connect() if isinstance(bind, Engine) else bind
    try:
        yield from _copy_chunks(connection, statement, header)
    finally:
        if connection is not bind:
            connection.close()


def _copy_chunks(connection: Connection, statement: Select, header: list[str]) -> Iterator[bytes]:
    compiled = statement.compile(dialect=connection.dialect)
    dbapi_connection = connection.connection.dbapi_connection
    params = {name: _plain(value) for name, value in compiled.params.items()}
    chunks: queue.Queue = queue.Queue(maxsize=CHUNKS_IN_FLIGHT)
    cancelled = threading.Event()

    def hand_on(item) -> None:
        # A bounded put that notices a reader who left, so this thread never blocks forever.
        while not cancelled.is_set():
            try:
                chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue
        raise _Cancelled

    class Sink:
        def __init__(self):
            self.buffer = bytearray()

        def write(self, data):
            self.buffer += data.encode() if isinstance(data, str) else data
            if len(self.buffer) >= CHUNK_BYTES:
                hand_on(bytes(self.buffer))
                self.buffer.clear()

    def run() -> None:
        try:
            with dbapi_connection.cursor() as cursor:
                query = cursor.mogrify(str(compiled), params).decode()
                sink = Sink()
                sink.write(_header_line(header))
                cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, ENCODING 'UTF8')", sink)
                if sink.buffer:
                    hand_on(bytes(sink.buffer))
            hand_on(_DONE)
        except _Cancelled:
            pass
        except Exception as exc:  # handed to the reader, which raises it in the response's thread
            try:
                hand_on(exc)
            except _Cancelled:
                pass

    worker = threading.Thread(target=run, name="csv-copy", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if item is _DONE:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        cancelled.set()
        worker.join()


def paged_csv(fetch_page: Callable[[str | None], Page], header: list[str]) -> Iterator[bytes]:
    """UTF-8 CSV of rows fetched a keyset page at a time (each page its own short read)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    width, cursor = len(header), None
    while True:
        page = fetch_page(cursor)
        # Keyset pages may carry their sort key after the row's own columns.
        writer.writerows(row[:width] for row in page.items)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _header_line(header: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(header)
    return buffer.getvalue()


def _plain(value):
    """A bound value as psycopg2 adapts it (it knows neither UUIDs nor our enums)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
