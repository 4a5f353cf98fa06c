"""The notification tests' channels (an SNS topic read back through SQS, a team with phones) serve these tests too."""
from tests.notifications.conftest import sns_topic, team

__all__ = ["sns_topic", "team"]
