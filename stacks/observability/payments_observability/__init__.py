"""The observability layer's components."""

from typing import Final

SYSTEM: Final = "payments"
"""The system the alarm topic and the dashboard watch as a whole; they have no dev twin to be named after,
so they are named `payments-<type>-production-<suffix>` by `shared.naming.resource_name`."""
