"""The app the background processes run in (Celery worker and beat, Lambda): the database, AWS, logs and
metrics and the export runner, without the API and the portal (no Dash, no Plotly to import)."""
from flask import Flask

import aws
import db
from aws import logging as aws_logging
from aws import metrics
from config import Config, from_environment


def create_job_app(config: type[Config] | dict | None = None, *, exports: bool = True) -> Flask:
    """A Flask app for work without requests; settings as create_app takes them. Without `exports`, no
    export runner (the Lambda handlers run none, and leave its imports out of their package)."""
    if config is None:
        config = from_environment()
    app = Flask("app", instance_relative_config=True)
    app.config.from_object(config if isinstance(config, type) else Config)
    if isinstance(config, dict):
        app.config.update(config)
    db.init_app(app)
    aws.init_app(app)
    aws_logging.init_app(app)
    metrics.init_app(app)
    if exports:
        from jobs import exports as export_runner

        export_runner.init_app(app)
    return app
