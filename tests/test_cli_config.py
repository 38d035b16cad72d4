"""Where the command line finds its settings: endpoints, profiles, environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nubo._cli_config import (
    Endpoint,
    Settings,
    config_path,
    env_prefix,
    load_profiles,
    parse_endpoint,
    resolve_settings,
)
from nubo.errors import InvalidArgumentError


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:5000", Endpoint("127.0.0.1", 5000, False)),
        ("http://127.0.0.1:5000/", Endpoint("127.0.0.1", 5000, False)),
        ("https://127.0.0.1", Endpoint("127.0.0.1", 443, True)),
        ("http://localhost", Endpoint("localhost", 80, False)),
        ("https://[::1]:8443", Endpoint("::1", 8443, True)),
    ],
)
def test_parse_endpoint(url: str, expected: Endpoint) -> None:
    assert parse_endpoint(url) == expected


def test_endpoint_url_round_trips() -> None:
    for url in ("http://127.0.0.1:5000", "https://[::1]:8443"):
        assert parse_endpoint(url).url == url


@pytest.mark.parametrize(
    "url",
    [
        "127.0.0.1:5000",
        "ftp://127.0.0.1",
        "http://",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:port",
        "http://127.0.0.1/api/v2",
        "http://127.0.0.1/?x=1",
    ],
)
def test_parse_endpoint_refuses(url: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        parse_endpoint(url)

    assert caught.value.argument == "endpoint"
    assert "http://127.0.0.1:5000" in str(caught.value) or "root" in str(caught.value)


def test_an_endpoint_with_a_password_is_refused_without_repeating_it() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        parse_endpoint("http://me:hunter2-pw@127.0.0.1:5000")

    assert "hunter2-pw" not in str(caught.value)
    assert "user name or password" in str(caught.value)


def test_env_prefix() -> None:
    assert env_prefix("ec2") == "NUBO_EC2_"
    assert env_prefix("digital-ocean") == "NUBO_DIGITAL_OCEAN_"
    assert env_prefix("Open.Stack") == "NUBO_OPEN_STACK_"


def test_config_path(tmp_path: Path) -> None:
    home = Path("~").expanduser()

    assert config_path({}) == (home / ".config" / "nubo" / "config.toml", False)
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == (
        tmp_path / "nubo" / "config.toml",
        False,
    )
    assert config_path({"NUBO_CONFIG": str(tmp_path / "n.toml")}) == (
        tmp_path / "n.toml",
        True,
    )


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_load_profiles(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.toml",
        '[profiles.a]\nprovider = "ec2"\nregion = "eu-west-1"\n[profiles.b]\n',
    )

    profiles = load_profiles(path)

    assert profiles is not None
    assert dict(profiles["a"].values) == {"provider": "ec2", "region": "eu-west-1"}
    assert dict(profiles["b"].values) == {}
    assert load_profiles(tmp_path / "missing.toml") is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[profiles.a\n", "not valid TOML"),
        ('region = "x"\n', "top level"),
        ('[profiles.a]\nsecert = "x"\n', "unknown setting 'secert'"),
        ("[profiles.a]\nsecret = 12345678\n", "must be a string"),
        ('profiles = "x"\n', "must be tables"),
    ],
)
def test_load_profiles_refuses(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path / "c.toml", text)

    with pytest.raises(InvalidArgumentError, match=says):
        load_profiles(path)


def test_a_secret_of_the_wrong_type_is_not_repeated(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", "[profiles.a]\nsecret = 987654321\n")

    with pytest.raises(InvalidArgumentError) as caught:
        load_profiles(path)

    assert "987654321" not in str(caught.value)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o777])
def test_a_file_others_may_use_is_refused(tmp_path: Path, mode: int) -> None:
    path = write(tmp_path / "c.toml", '[profiles.a]\nsecret = "s3cr3t-value"\n', mode)

    with pytest.raises(InvalidArgumentError) as caught:
        load_profiles(path)

    assert f"chmod 600 {path}" in str(caught.value)
    assert f"{mode:03o}" in str(caught.value)
    assert "s3cr3t-value" not in str(caught.value)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_private_file_is_read(tmp_path: Path, mode: int) -> None:
    path = write(tmp_path / "c.toml", "[profiles.a]\n", mode)

    assert load_profiles(path) is not None


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir(mode=0o700)

    with pytest.raises(InvalidArgumentError, match="not a regular file"):
        load_profiles(tmp_path / "d")


# -- resolving ----------------------------------------------------------------------

AWS = {
    "AWS_ACCESS_KEY_ID": "aws-key",
    "AWS_SECRET_ACCESS_KEY": "aws-secret",
    "AWS_SESSION_TOKEN": "aws-token",
    "AWS_DEFAULT_REGION": "us-west-2",
}


def resolve(environ: dict[str, str], **given: str | None) -> Settings:
    args: dict[str, str | None] = {
        "provider": None,
        "profile": None,
        "region": None,
        "endpoint": None,
    }
    args.update(given)
    return resolve_settings(environ=environ, **args)  # type: ignore[arg-type]


def isolated(tmp_path: Path, **env: str) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp_path / "nothing-here"), **env}


def test_conventional_environment_variables(tmp_path: Path) -> None:
    settings = resolve(isolated(tmp_path, **AWS), provider="ec2")

    assert (settings.key, settings.secret, settings.token) == (
        "aws-key",
        "aws-secret",
        "aws-token",
    )
    assert settings.region == "us-west-2"
    assert settings.sources["key"] == "environment variable AWS_ACCESS_KEY_ID"


def test_nubo_variables_come_before_conventional_ones_as_a_set(tmp_path: Path) -> None:
    env = isolated(
        tmp_path, NUBO_EC2_KEY="nubo-key", NUBO_EC2_SECRET="nubo-secret", **AWS
    )

    settings = resolve(env, provider="ec2")

    # The AWS session token belongs to the AWS key: it is not paired with nubo's.
    assert (settings.key, settings.secret, settings.token) == (
        "nubo-key",
        "nubo-secret",
        None,
    )
    assert settings.secrets() == ["nubo-key", "nubo-secret"]


def test_digitalocean_token(tmp_path: Path) -> None:
    env = isolated(tmp_path, DIGITALOCEAN_ACCESS_TOKEN="do-token")

    settings = resolve(env, provider="digitalocean")

    assert settings.key == "do-token"
    assert settings.secret is None


def test_precedence_of_profiles_and_flags(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.toml",
        '[profiles.default]\nprovider = "ec2"\nkey = "dk"\nsecret = "ds"\n'
        'region = "eu-west-1"\n'
        '[profiles.work]\nprovider = "ec2"\nkey = "wk"\nsecret = "ws"\n'
        'endpoint = "http://127.0.0.1:5000"\n',
    )
    env = {"NUBO_CONFIG": str(config)}

    default = resolve(env)
    work = resolve({**env, **AWS}, profile="work", region="ap-south-1")
    by_env = resolve({**env, "NUBO_PROFILE": "work"})
    aws_first = resolve({**env, **AWS}, provider="ec2")

    assert (default.provider, default.key, default.region) == ("ec2", "dk", "eu-west-1")
    assert (work.key, work.token, work.region) == ("wk", None, "ap-south-1")
    assert work.endpoint == Endpoint("127.0.0.1", 5000, False)
    assert by_env.key == "wk"
    # With no profile named, the environment comes before the default profile.
    assert (aws_first.key, aws_first.region) == ("aws-key", "us-west-2")


def test_the_default_profile_of_another_provider_is_left_alone(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.toml", '[profiles.default]\nprovider = "ec2"\nkey = "dk"\n'
    )

    settings = resolve({"NUBO_CONFIG": str(config)}, provider="dummy")

    assert settings.key is None
    assert settings.profile is None


def test_without_a_provider_the_message_lists_the_installed(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        resolve_settings(
            provider=None,
            profile=None,
            region=None,
            endpoint=None,
            environ=isolated(tmp_path),
            installed=lambda: ["dummy", "ec2"],
        )

    assert "-p PROVIDER (dummy, ec2)" in str(caught.value)


def test_nubo_config_naming_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="does not exist"):
        resolve({"NUBO_CONFIG": str(tmp_path / "gone.toml")}, provider="dummy")


def test_a_bad_endpoint_in_a_profile_names_the_profile(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[profiles.x]\nendpoint = "ftp://127.0.0.1"\n')

    with pytest.raises(InvalidArgumentError) as caught:
        resolve({"NUBO_CONFIG": str(config)}, provider="dummy", profile="x")

    assert "profile 'x'" in str(caught.value)


def test_describe_credentials_names_no_value(tmp_path: Path) -> None:
    settings = resolve(isolated(tmp_path, **AWS), provider="ec2")

    text = settings.describe_credentials()

    assert "AWS_ACCESS_KEY_ID" in text
    assert "AWS_SESSION_TOKEN" in text
    assert "aws-secret" not in text


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "c.toml"
    os.mkfifo(fifo, 0o600)

    with pytest.raises(InvalidArgumentError, match="not a regular file"):
        load_profiles(fifo)
