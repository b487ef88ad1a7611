"""Sessions share one model loader, but nothing else: profiles and regions stay per session."""

import json
import marshal
import os
import sys

import botocore.loaders
import pytest
from botocore.exceptions import ProfileNotFound

from shared import aws


def test_sessions_parse_each_service_model_once(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    first, second = aws.session(region_name="eu-west-1"), aws.session(region_name="us-east-1")
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    assert first.region_name == "eu-west-1" and second.region_name == "us-east-1"
    first.client("sts")
    calls = []
    original = loader.file_loader.load_file
    monkeypatch.setattr(loader.file_loader, "load_file", lambda path: calls.append(path) or original(path))
    second.client("sts")
    assert not [path for path in calls if "service-2" in path], "the sts model was parsed a second time"


def test_the_loader_search_path_does_not_grow_with_each_session():
    aws.session()
    paths = list(aws.session()._session.get_component("data_loader").search_paths)
    aws.session()
    assert aws.session()._session.get_component("data_loader").search_paths == paths


def test_an_unknown_profile_fails_when_the_session_is_made(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(ProfileNotFound, match="no-such-profile"):
        aws.session(profile_name="no-such-profile")


def test_the_suites_own_boto3_sessions_share_the_loader_too():
    """tests/conftest.py points botocore's default loader at the shared one: moto's fresh default sessions reuse parsed models."""
    import boto3

    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION._session.get_component("data_loader") is aws.model_loader()


@pytest.mark.parametrize(("service", "kind"), [("sts", "service-2"), ("dynamodb", "endpoint-rule-set-1"), ("s3", "paginators-1")])
def test_models_read_as_plain_dicts_equal_botocores_own_reading(service, kind):
    # Fresh loaders on both sides: botocore adjusts a loaded S3 model in place as its clients use
    # it (idempotently, shared by every client of a loader), so the shared loader is not compared.
    plain = botocore.loaders.Loader(file_loader=aws.PlainJSONFileLoader())
    theirs = botocore.loaders.create_loader()
    version = theirs.determine_latest_version(service, "service-2")
    path = f"{service}/{version}/{kind}"
    assert isinstance(plain.load_data(path), dict)
    assert plain.load_data(path) == theirs.load_data(path)
    assert plain.load_service_model(service, "service-2") == theirs.load_service_model(service, "service-2")
    assert isinstance(aws.model_loader().file_loader, aws.PlainJSONFileLoader)


def test_a_process_session_is_reused_while_the_aws_environment_stays_the_same(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "first")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    session = aws.process_session(region_name="eu-west-1")
    assert aws.process_session(region_name="eu-west-1") is session
    assert aws.process_session(region_name="us-east-1") is not session
    assert aws.process_session(region_name="us-east-1").region_name == "us-east-1"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "second")  # other credentials: never the first session
    other = aws.process_session(region_name="eu-west-1")
    assert other is not session
    assert other.get_credentials().access_key == "second"


def test_an_unknown_profile_fails_every_time_a_process_session_is_asked_for(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for _ in range(2):
        with pytest.raises(ProfileNotFound, match="no-such-profile"):
            aws.process_session(profile_name="no-such-profile")


@pytest.fixture
def model_cache(monkeypatch, tmp_path):
    """Python's bytecode cache prefix (and so the parsed-model cache) in a fresh folder."""
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "pycache"))
    return tmp_path / "pycache" / aws.MODEL_CACHE


def read_model(path) -> object:
    return aws.PlainJSONFileLoader().load_file(str(path).removesuffix(".json"))


def test_a_parsed_model_is_kept_and_read_back_without_parsing_it_again(model_cache, monkeypatch, tmp_path):
    model = tmp_path / "service-2.json"
    model.write_text(json.dumps({"metadata": {"protocol": "json"}, "shapes": {"Name": {"type": "string", "max": 64}}}))
    first = read_model(model)
    assert len(list(model_cache.glob("*.marshal"))) == 1 and not list(model_cache.glob("*.partial"))
    monkeypatch.setattr(aws.json, "loads", lambda *_: pytest.fail("a kept model was parsed again"))
    assert read_model(model) == first == {"metadata": {"protocol": "json"}, "shapes": {"Name": {"type": "string", "max": 64}}}


def test_a_changed_model_file_is_parsed_afresh(model_cache, tmp_path):
    model = tmp_path / "service-2.json"
    model.write_text(json.dumps({"version": 1}))
    assert read_model(model) == {"version": 1}
    model.write_text(json.dumps({"version": 22}))  # another size, and another modification time
    os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 1_000_000))
    assert read_model(model) == {"version": 22}


def test_a_damaged_kept_model_is_parsed_again_and_replaced(model_cache, tmp_path):
    model = tmp_path / "service-2.json"
    model.write_text(json.dumps({"version": 1}))
    read_model(model)
    (kept,) = model_cache.glob("*.marshal")
    kept.write_bytes(b"\x00not marshal")
    assert read_model(model) == {"version": 1}
    assert marshal.loads(kept.read_bytes()) == {"version": 1}


def test_nothing_is_kept_without_a_bytecode_cache_folder_or_where_it_cannot_be_written(monkeypatch, tmp_path):
    model = tmp_path / "service-2.json"
    model.write_text(json.dumps({"version": 1}))
    monkeypatch.setattr(sys, "pycache_prefix", None)
    assert aws.model_cache_file(str(model)) is None
    assert read_model(model) == {"version": 1}
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setattr(sys, "pycache_prefix", str(blocked))
    assert read_model(model) == {"version": 1}


def test_botocores_own_models_read_back_from_the_cache_equal_a_fresh_parse(model_cache):
    loader = botocore.loaders.Loader(file_loader=aws.PlainJSONFileLoader())
    parsed = loader.load_service_model("dynamodb", "service-2")
    assert list(model_cache.glob("*.marshal"))
    kept = botocore.loaders.Loader(file_loader=aws.PlainJSONFileLoader()).load_service_model("dynamodb", "service-2")
    assert kept == parsed and kept is not parsed
