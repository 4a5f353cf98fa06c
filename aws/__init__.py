"""AWS integration: boto3 clients from config, S3 storage, SNS, mail, CloudWatch metrics and logs."""
from aws.clients import client, init_app

__all__ = ["client", "init_app"]
