"""Entry points that run without a request: scheduled duties, Lambda handlers and the demo-data generator."""
