"""Entry point the Pulumi CLI runs for `--policy-pack policy`: the rules of `payments_policy.rules`, enforced."""

from payments_policy.pack import build_pack

build_pack()
