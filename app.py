"""Workflow Manager: `create_app()` for gunicorn (`app:app`), `python app.py` for the embedded default."""
import logging
import os

from flask import Flask

import api
import auth
import aws
import cli
import db
import portal
from aws import logging as aws_logging
from aws import metrics
from config import Config, EmbeddedConfig


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the Flask server with the database, authentication and the API attached."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config if isinstance(config, type) else Config)
    if isinstance(config, dict):
        app.config.update(config)
    app.json.sort_keys = False
    db.init_app(app)
    aws.init_app(app)
    aws_logging.init_app(app)
    metrics.init_app(app)
    auth.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    portal.init_app(app)

    return app


def _embedded_app() -> Flask:
    """The default `app` object: production settings, or the embedded demo when nothing is configured."""
    if os.environ.get("DATABASE_URL") or os.environ.get("SECRET_KEY"):
        return create_app(Config)
    return create_app(EmbeddedConfig)


app = _embedded_app()


def main() -> None:
    """Migrate, load demo data when the database is empty, and serve on 127.0.0.1:PORT."""
    from db.demo import ensure_demo_data
    from db.migrate import upgrade

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    upgrade(app.config["DATABASE_URL"])
    if app.config["DEMO"]:
        with app.app_context():
            ensure_demo_data()
    if app.config["OUTBOX_EMBEDDED_DISPATCHER"]:
        # No separate `notifications dispatch` process here: the app delivers its own outbox.
        from notifications import dispatcher

        dispatcher.start_thread(app)
    app.run(host="127.0.0.1", port=app.config["PORT"], threaded=True)


if __name__ == "__main__":
    main()
