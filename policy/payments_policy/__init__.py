"""The compliance rules of the production stacks, as a Pulumi policy pack and as plain functions."""
