"""Foundation layer: the customer-managed KMS keys and the least-privilege IAM roles.

Deployed first; every other layer reads its outputs (see README.md).
"""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from payments_foundation.keys import EncryptionKey
from payments_foundation.role_policies import function_access
from payments_foundation.roles import ServiceRole
from payments_foundation.specs import (
    api_gateway_logging_role_args,
    backup_role_args,
    data_key_args,
    execution_role_args,
    logs_key_args,
)
from shared.devcheck import ALL_KINDS
from shared.layer import start_layer
from shared.naming import logical_name
from shared.outputs import Foundation

ctx = start_layer(Foundation.LAYER, Path(__file__).parent)
settings, inventory = ctx.settings, ctx.inventory
# The first layer deployed: nothing is created until every dev resource the inventory names is found.
ctx.require_dev_resources(ALL_KINDS)
opts = pulumi.ResourceOptions(provider=ctx.provider)
account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=ctx.provider)).account_id

# Keys: one for payment data at rest, one for logs and the alarm topic.
data_key = EncryptionKey("data-key", data_key_args(settings, account_id), opts)
logs_key = EncryptionKey("logs-key", logs_key_args(settings, account_id), opts)

# Roles: one execution role per dev function, then the two service roles.
function_roles = {
    access.dev_name: ServiceRole(logical_name(access.role_name), execution_role_args(access, settings, account_id, data_key.arn), opts)
    for access in (function_access(f, inventory, settings.environment_suffix) for f in inventory.functions)
}
backup_role = ServiceRole("backup-role", backup_role_args(settings), opts)
api_gateway_logging_role = ServiceRole("api-gateway-logging-role", api_gateway_logging_role_args(settings), opts)

pulumi.export(Foundation.ACCOUNT_ID, account_id)
pulumi.export(Foundation.DATA_KEY_ARN, data_key.arn)
pulumi.export(Foundation.DATA_KEY_ALIAS, data_key.alias_name)
pulumi.export(Foundation.LOGS_KEY_ARN, logs_key.arn)
pulumi.export(Foundation.LOGS_KEY_ALIAS, logs_key.alias_name)
pulumi.export(Foundation.FUNCTION_ROLE_ARNS, {name: role.arn for name, role in function_roles.items()})
pulumi.export(Foundation.BACKUP_ROLE_ARN, backup_role.arn)
pulumi.export(Foundation.API_GATEWAY_LOGGING_ROLE_ARN, api_gateway_logging_role.arn)
