"""GitHub Actions' way into the production account: the OIDC provider and the preview and deploy roles."""
