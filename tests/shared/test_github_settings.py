"""`github.*`: the repository and environment the CI roles trust, validated before any role is built."""

from __future__ import annotations

import pytest
import yaml

from payments_tools.harness import REPO_ROOT
from shared.errors import ConfigError
from shared.settings import EXAMPLE_GITHUB_REPOSITORY, GithubSettings, parse_settings


def raw(**github: object) -> dict[str, object]:
    data = yaml.safe_load((REPO_ROOT / "config" / "production.yaml").read_text(encoding="utf-8"))
    data["github"] = github
    return data


def test_github_settings_load_with_their_defaults() -> None:
    settings = parse_settings(raw(repository="acme/payments-platform"), REPO_ROOT)
    expected = GithubSettings(repository="acme/payments-platform", deploy_environment="production", create_oidc_provider=True)
    assert settings.github == expected
    defaults = parse_settings(raw(), REPO_ROOT).github
    assert defaults.repository == EXAMPLE_GITHUB_REPOSITORY == "example-org/payments-platform"
    assert defaults.deploy_environment == "production"


@pytest.mark.parametrize(
    ("github", "path"),
    [
        ({"repository": "acme"}, "github.repository"),
        ({"repository": "acme/*"}, "github.repository"),
        ({"repository": "ac me/payments"}, "github.repository"),
        ({"repository": "acme/payments/x"}, "github.repository"),
        ({"deployEnvironment": "prod uction"}, "github.deployEnvironment"),
        ({"createOidcProvider": "yes"}, "github.createOidcProvider"),
        ({"repo": "acme/payments"}, "github.repo"),  # a misspelt key is not silently ignored
    ],
)
def test_a_malformed_github_setting_is_refused_naming_it(github: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw(**github), REPO_ROOT)
    assert path in caught.value.paths
