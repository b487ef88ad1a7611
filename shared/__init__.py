"""Code every layer of the payment platform's dev → production migration shares.

Configuration loading and validation, naming, tagging, the production provider and
the cross-stack output contract live here once, so the five Pulumi projects under
`stacks/` stay thin and cannot drift apart.
"""
