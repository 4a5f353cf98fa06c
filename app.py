"""Workflow Manager: the `create_app()` factory (gunicorn `app:create_app()`, `flask --app app`), and
`python app.py`, the embedded default in one process."""
import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import api
import auth
import aws
import cli
import db
import jobs.exports
import portal
from auth import headers as auth_headers
from aws import logging as aws_logging
from aws import metrics
from config import Config, from_environment


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the Flask server with the database, authentication, the API and the portal attached.

    Without `config`: production settings when DATABASE_URL or SECRET_KEY is set, else the embedded demo.
    A dict is applied over the production settings.
    """
    if config is None:
        config = from_environment()
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config if isinstance(config, type) else Config)
    if isinstance(config, dict):
        app.config.update(config)
    app.json.sort_keys = False
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
    db.init_app(app)
    aws.init_app(app)
    aws_logging.init_app(app)
    metrics.init_app(app)
    auth.init_app(app)
    auth_headers.init_app(app, served_script_endpoints=("swagger_ui.show",))
    api.init_app(app)
    cli.init_app(app)
    jobs.exports.init_app(app)
    portal.init_app(app)
    return app


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
    if app.config["EMBEDDED_BACKGROUND"]:
        # No worker or beat here: this process delivers its own outbox and runs the scheduled duties.
        from jobs import scheduler
        from notifications import dispatcher

        dispatcher.start_thread(app)
        scheduler.start_thread(app)
        logging.getLogger(__name__).info(
            "embedded background work: the outbox and the scheduled duties run in threads of this process, "
            "exports in its %s runner (production runs them on the Procfile's worker and beat)",
            app.config["EXPORT_RUNNER"])
    app.run(host="127.0.0.1", port=app.config["PORT"], threaded=True)


if __name__ == "__main__":
    main()
