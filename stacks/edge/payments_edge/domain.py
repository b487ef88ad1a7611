"""The API's custom domain: certificate, REGIONAL domain name, base path mapping, DNS alias.

The certificate is either an existing ACM certificate named in configuration (`api.certificateArn`)
or one requested here and validated through DNS in the configured Route 53 zone
(`api.hostedZoneId`). With neither there is no way to serve the domain over TLS, so the layer
refuses to start instead of deploying an API reachable only on its execute-api URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.errors import ConfigError
from shared.settings import ApiSettings

SECURITY_POLICY = "TLS_1_2"
"""Refuses TLS 1.0 and 1.1, as PCI DSS requires for anything carrying payment data."""


@dataclass(frozen=True)
class DomainPlan:
    """How the custom domain gets its certificate and DNS, decided from settings before anything is created."""

    domain_name: str
    """The domain callers use."""
    certificate_arn: str | None
    """An existing certificate to use; None requests one validated in `hosted_zone_id`."""
    hosted_zone_id: str | None
    """The zone holding the validation record (when requesting) and the alias record."""


def domain_plan(api: ApiSettings) -> DomainPlan:
    """The custom domain's plan, or a ConfigError when neither a certificate nor a zone is configured."""
    if api.certificate_arn is None and api.hosted_zone_id is None:
        raise ConfigError(
            "api.certificateArn",
            f"is null and so is api.hostedZoneId: the custom domain {api.domain_name} needs an existing ACM "
            "certificate in eu-west-1 (api.certificateArn) or a Route 53 zone to validate a new one in (api.hostedZoneId)",
        )
    return DomainPlan(domain_name=api.domain_name, certificate_arn=api.certificate_arn, hosted_zone_id=api.hosted_zone_id)


@dataclass(frozen=True)
class ValidationRecord:
    """The DNS record ACM asks for to prove control of a domain."""

    name: str
    type: str
    value: str


def validation_record(options: Sequence[aws.acm.outputs.CertificateDomainValidationOption], domain_name: str) -> ValidationRecord:
    """The validation record ACM asks for `domain_name` (the certificate names no other domain)."""
    for option in options:
        if option.domain_name == domain_name:
            return ValidationRecord(
                name=str(option.resource_record_name),
                type=str(option.resource_record_type),
                value=str(option.resource_record_value),
            )
    raise ConfigError("api.domainName", f"ACM returned no DNS validation option for {domain_name}")


@dataclass(frozen=True)
class CustomDomainArgs:
    """Inputs of the custom domain."""

    plan: DomainPlan
    """Certificate and DNS choices (see `domain_plan`)."""
    rest_api_id: pulumi.Input[str]
    """The REST API the domain serves."""
    stage_name: pulumi.Input[str]
    """The stage mapped at the domain's root; an Output of the stage, so the mapping waits for it."""


class CustomDomain(pulumi.ComponentResource):
    """A REGIONAL, TLS 1.2 custom domain mapped to the stage, with its certificate and DNS."""

    domain: aws.apigateway.DomainName
    certificate_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CustomDomainArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("payments:edge:CustomDomain", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        plan = args.plan

        if plan.certificate_arn is not None:
            self.certificate_arn = pulumi.Output.from_input(plan.certificate_arn)
        elif plan.hosted_zone_id is not None:
            self.certificate_arn = self._validated_certificate(name, plan.domain_name, plan.hosted_zone_id, child)
        else:  # domain_plan refuses this before any resource exists; kept for direct callers
            raise ConfigError("api.hostedZoneId", "is required to validate a new certificate")

        self.domain = aws.apigateway.DomainName(
            f"{name}-domain",
            domain_name=plan.domain_name,
            regional_certificate_arn=self.certificate_arn,
            endpoint_configuration=aws.apigateway.DomainNameEndpointConfigurationArgs(types="REGIONAL"),
            security_policy=SECURITY_POLICY,
            opts=child,
        )
        aws.apigateway.BasePathMapping(
            f"{name}-mapping",
            domain_name=self.domain.domain_name,
            rest_api=args.rest_api_id,
            stage_name=args.stage_name,
            opts=child,
        )
        if plan.hosted_zone_id is not None:
            aws.route53.Record(
                f"{name}-alias",
                zone_id=plan.hosted_zone_id,
                name=plan.domain_name,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=self.domain.regional_domain_name,
                        zone_id=self.domain.regional_zone_id,
                        evaluate_target_health=False,
                    )
                ],
                opts=child,
            )
        self.register_outputs({"domainName": self.domain.domain_name, "certificateArn": self.certificate_arn})

    def _validated_certificate(self, name: str, domain_name: str, zone_id: str, child: pulumi.ResourceOptions) -> pulumi.Output[str]:
        """Request a certificate, publish its DNS validation record, and wait until ACM issues it."""
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=domain_name,
            validation_method="DNS",
            opts=child,
        )
        record = certificate.domain_validation_options.apply(lambda options: validation_record(options, domain_name))
        validation_dns = aws.route53.Record(
            f"{name}-certificate-validation",
            zone_id=zone_id,
            name=record.apply(lambda r: r.name),
            type=record.apply(lambda r: r.type),
            records=[record.apply(lambda r: r.value)],
            ttl=300,
            # A previous certificate for the same domain left the identical record behind.
            allow_overwrite=True,
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate-validated",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[validation_dns.fqdn],
            opts=child,
        )
        # The domain reads the ARN from the validation, so it is only created once ACM has issued it.
        return validation.certificate_arn
