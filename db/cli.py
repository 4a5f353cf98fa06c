"""Flask CLI: `flask --app app db upgrade`, `users create`, `demo`."""
import click
from flask import Flask, current_app
from flask.cli import AppGroup

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade_command(revision: str) -> None:
    """Apply the migrations up to REVISION."""
    from db.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database upgraded to {revision}")


def init_app(app: Flask) -> None:
    """Register the database commands."""
    app.cli.add_command(db_cli)
