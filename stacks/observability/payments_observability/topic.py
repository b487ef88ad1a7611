"""The SNS topic every alarm notifies: encrypted, publishable only by this account's alarms.

The topic is encrypted with the foundation's logs key, whose key policy lets CloudWatch and
SNS use it; without that grant CloudWatch could not publish to an encrypted topic. The topic
policy admits `cloudwatch.amazonaws.com` only for alarms of the topic's own account and region
(the confused-deputy conditions AWS documents for CloudWatch to SNS).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


def alarm_topic_policy(topic_arn: str, account_id: str, region: str) -> dict[str, Any]:
    """Topic policy letting CloudWatch alarms of `account_id` in `region`, and nothing else, publish to the topic.

    Principals of the account itself keep their access through IAM; the policy only has to add
    the service principal, scoped so another account's alarm cannot use this topic.
    """
    return {
        "Version": "2012-10-17",
        "Id": "alarm-topic-policy",
        "Statement": [
            {
                "Sid": "AllowCloudWatchAlarmsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account_id}:alarm:*"},
                },
            }
        ],
    }


def arn_account_and_region(arn: str) -> tuple[str, str]:
    """The (account id, region) fields of an ARN; ValueError when `arn` is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[3] or not parts[4]:
        raise ValueError(f"{arn!r} is not a regional ARN (arn:partition:service:region:account:resource)")
    return parts[4], parts[3]


def topic_policy_for(topic_arn: str) -> dict[str, Any]:
    """The alarm topic policy for the topic's own account and region, read from its ARN.

    The topic lives where its alarms live, so its ARN names the one account and region whose
    alarms may publish; no caller-identity lookup is needed.
    """
    account_id, region = arn_account_and_region(topic_arn)
    return alarm_topic_policy(topic_arn, account_id, region)


def subscription_logical_name(email: str) -> str:
    """A stable logical name per address that keeps the address itself out of resource URNs.

    Keyed by the address rather than its position, so removing one address does not replace
    (and make re-confirm) every subscription after it.
    """
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:10]
    return f"alarm-email-{digest}"


@dataclass(frozen=True)
class AlarmTopicArgs:
    """Inputs of the `AlarmTopic` component."""

    name: str
    """Physical topic name, from the naming rule."""
    kms_key_arn: pulumi.Input[str]
    """The foundation's logs key; its key policy must let cloudwatch.amazonaws.com use it."""
    emails: tuple[str, ...] = ()
    """Addresses subscribed to the topic; each must confirm the subscription AWS mails it."""


class AlarmTopic(pulumi.ComponentResource):
    """The alarm topic, its policy and its email subscriptions."""

    arn: pulumi.Output[str]
    """The topic's ARN, which every alarm notifies."""

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:observability:AlarmTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(name, name=args.name, kms_master_key_id=args.kms_key_arn, opts=child)
        self.arn = self.topic.arn
        policy = pulumi.Output.json_dumps(self.topic.arn.apply(topic_policy_for))
        self.policy = aws.sns.TopicPolicy(f"{name}-policy", arn=self.topic.arn, policy=policy, opts=child)
        self.subscriptions = [
            aws.sns.TopicSubscription(subscription_logical_name(email), topic=self.topic.arn, protocol="email", endpoint=email, opts=child)
            for email in args.emails
        ]
        self.register_outputs({"arn": self.arn})
