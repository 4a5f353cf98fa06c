"""Workflow Manager: the `create_app()` factory (gunicorn `app:create_app()`, `flask --app app`), and
`python app.py`, the embedded default in one process."""
import logging
import os

from flask import Flask

import api
import auth
import aws
import cli
import db
import jobs.exports
import portal
from aws import logging as aws_logging
from aws import metrics
from config import Config, EmbeddedConfig


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the Flask server with the database, authentication, the API and the portal attached.

    Without `config`: production settings when DATABASE_URL or SECRET_KEY is set, else the embedded demo.
    A dict is applied over the production settings.
    """
    if config is None:
        config = _configured()
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config if isinstance(config, type) else Config)
    if isinstance(config, dict):
        app.config.update(config)
    app.json.sort_keys = False
    # Background jobs build an app like this one in their own process (portal/background.py).
    app.extensions["app_factory"] = create_app
    db.init_app(app)
    aws.init_app(app)
    aws_logging.init_app(app)
    metrics.init_app(app)
    auth.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    jobs.exports.init_app(app)
    portal.init_app(app)
    return app


def _configured() -> type[Config]:
    """Production settings when anything is configured, else the embedded demo."""
    if os.environ.get("DATABASE_URL") or os.environ.get("SECRET_KEY"):
        return Config
    return EmbeddedConfig


def main() -> None:
    """Migrate, load demo data when the database is empty, and serve on 127.0.0.1:PORT."""
    from db.migrate import upgrade
    from jobs.demo import ensure_demo_data

    app = create_app()
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
