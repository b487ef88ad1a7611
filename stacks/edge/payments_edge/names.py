"""Every name the edge layer gives AWS, derived from the dev API's name and the naming rule.

No name literal lives in the components: they call these, and the tests call them too.
"""

from __future__ import annotations

import re

from shared import naming

_ENVIRONMENT_TOKEN = re.compile(r"(?:^|(?<=[-_.]))(dev|development)$")


def stage_name(dev_stage: str) -> str:
    """The production stage that replaces the dev stage.

    A dev stage named after its environment (`dev`, `payments-dev`) becomes `production`
    (`payments-production`): the stage lives inside the production REST API, whose name already
    carries the environment suffix, so the suffix is not repeated here. Any other stage name
    (`v1`) is part of the API's public URL and is kept as it is.
    """
    return _ENVIRONMENT_TOKEN.sub(naming.ENVIRONMENT, dev_stage)


def access_log_group_name(api_name: str) -> str:
    """`/aws/apigateway/<production api name>/access`: the stage's JSON access log."""
    return f"/aws/apigateway/{api_name}/access"


EXECUTION_LOG_GROUP_PREFIX = "API-Gateway-Execution-Logs_"
"""API Gateway writes execution logs to `API-Gateway-Execution-Logs_<apiId>/<stage>`, a name we cannot choose."""


def web_acl_name(dev_api_name: str, suffix: str) -> str:
    """`payments-api-waf-production-<suffix>` for the dev API `payments-api-dev`."""
    return naming.derived_name(dev_api_name, "waf", suffix)


def waf_log_group_name(acl_name: str) -> str:
    """WAF only logs to CloudWatch groups whose name starts with `aws-waf-logs-`."""
    return f"aws-waf-logs-{acl_name}"


def waf_log_policy_name(acl_name: str) -> str:
    """The CloudWatch Logs resource policy that lets WAF's log delivery write to its group."""
    return f"{acl_name}-logs"


def custom_domain_url(domain_name: str) -> str:
    """`https://<domain>`: callers reach the stage at the domain's root (empty base path)."""
    return f"https://{domain_name}"
