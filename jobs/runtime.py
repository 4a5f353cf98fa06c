"""The app the background processes run in (Celery worker and beat, Lambda): the database, AWS, logs and
metrics and the export runner, without the API and the portal (no Dash, no Plotly to import)."""
from flask import Flask

import aws
import db
from aws import logging as aws_logging
from aws import metrics
from config import Config, from_environment
from jobs import exports


def create_job_app(config: type[Config] | dict | None = None) -> Flask:
    """A Flask app for work without requests; settings as create_app takes them."""
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
    exports.init_app(app)
    return app
