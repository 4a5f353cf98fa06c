"""PostgreSQL for the benchmarks: a plain psycopg2 connection, and databases of their own made and dropped.

URLs are SQLAlchemy's (`postgresql+psycopg2://user[:password]@host[:port]/database`). An admin URL
names the server and a database to connect to while creating or dropping another (`postgres`).
"""
import os

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

#: The admin URL of the benchmarks that make a fresh database and drop it after.
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def connect(url: str):
    """A psycopg2 connection in autocommit mode to the database of the SQLAlchemy URL `url`."""
    parsed = make_url(url)
    connection = psycopg2.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                                  password=parsed.password, dbname=parsed.database)
    connection.autocommit = True
    return connection


def create_database(admin_url: str, name: str) -> str:
    """Create the empty database `name` on the server of `admin_url`; returns its URL."""
    connection = connect(admin_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name_or_url: str) -> None:
    """Drop the database `name_or_url` (a name or a URL) on `admin_url`'s server if it exists, ending its sessions."""
    name = make_url(name_or_url).database if "://" in name_or_url else name_or_url
    connection = connect(admin_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        connection.close()
