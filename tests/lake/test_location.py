"""Where tables live: local directories and S3 prefixes, and safe table names.

No S3 server runs in the test environment: these tests pin the URIs and the
``deltalake`` storage options an S3 location produces; reading and writing a real
bucket is checked on a deployment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govdata.errors import InvalidInput
from govdata.lake.location import (
    MAX_TABLE_NAME_LENGTH,
    LocalLocation,
    S3Location,
    location_from_uri,
    validate_table_name,
)


def test_a_local_table_is_a_directory_under_the_root(tmp_path: Path) -> None:
    location = LocalLocation(tmp_path / "lake")
    assert location.table_uri("people") == str(tmp_path / "lake" / "people")
    assert location.storage_options() is None


def test_the_default_local_root_is_lake_under_the_data_dir(tmp_path: Path) -> None:
    assert LocalLocation.under_data_dir(tmp_path).root == (tmp_path / "lake").resolve()


def test_a_relative_local_root_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert LocalLocation(Path("var/lake")).root == tmp_path.resolve() / "var" / "lake"


@pytest.mark.parametrize("name", ["people", "p2026_q1", "0001_codes", "a" * MAX_TABLE_NAME_LENGTH])
def test_table_names_of_lower_case_letters_digits_and_underscores_are_accepted(
    name: str,
) -> None:
    assert validate_table_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../escape",
        "a/b",
        "People",
        "_delta_log",
        "_locks",
        "名单",
        "a b",
        "a" * (MAX_TABLE_NAME_LENGTH + 1),
        "people\n",
    ],
)
def test_other_table_names_are_refused_before_any_path_is_built(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        LocalLocation(tmp_path).table_uri(name)
    assert raised.value.error_code == "lake_table_name_invalid"


def test_an_s3_table_is_a_key_prefix_under_bucket_and_prefix() -> None:
    location = S3Location(bucket="govdata-lake", prefix="/nm/150000/")
    assert location.table_uri("people") == "s3://govdata-lake/nm/150000/people"
    assert S3Location(bucket="govdata-lake").table_uri("people") == "s3://govdata-lake/people"


def test_s3_options_are_the_ones_deltalake_reads() -> None:
    location = S3Location(
        bucket="lake",
        endpoint_url="http://minio.internal:9000",
        region="cn-north-1",
        access_key_id="AKID",
        secret_access_key="SECRET",
        allow_http=True,
    )
    assert location.storage_options() == {
        "AWS_ENDPOINT_URL": "http://minio.internal:9000",
        "AWS_REGION": "cn-north-1",
        "AWS_ACCESS_KEY_ID": "AKID",
        "AWS_SECRET_ACCESS_KEY": "SECRET",
        "AWS_ALLOW_HTTP": "true",
        "aws_conditional_put": "etag",
    }


def test_an_s3_location_never_shows_its_secret() -> None:
    location = S3Location(bucket="lake", access_key_id="AKID", secret_access_key="SECRET")
    assert "SECRET" not in repr(location)
    assert "SECRET" not in location.describe()


@pytest.mark.parametrize("prefix", ["a/../b", "a/./b", "空格/x", "a b"])
def test_an_s3_prefix_cannot_climb_or_carry_odd_characters(prefix: str) -> None:
    with pytest.raises(InvalidInput):
        S3Location(bucket="lake", prefix=prefix)


def test_a_plain_path_or_file_uri_gives_a_local_location(tmp_path: Path) -> None:
    assert location_from_uri(str(tmp_path), {}) == LocalLocation(tmp_path)
    assert location_from_uri(f"file://{tmp_path}", {}) == LocalLocation(tmp_path)


def test_an_s3_uri_gives_an_s3_location_with_friendly_or_deltalake_option_names() -> None:
    friendly = location_from_uri(
        "s3://govdata-lake/nm",
        {
            "endpoint_url": "http://minio:9000",
            "region": "us-east-1",
            "access_key_id": "AKID",
            "secret_access_key": "SECRET",
            "allow_http": "true",
        },
    )
    spelled = location_from_uri(
        "s3://govdata-lake/nm",
        {
            "AWS_ENDPOINT_URL": "http://minio:9000",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKID",
            "AWS_SECRET_ACCESS_KEY": "SECRET",
            "AWS_ALLOW_HTTP": "1",
        },
    )
    assert friendly == spelled
    assert isinstance(friendly, S3Location)
    assert friendly.table_uri("people") == "s3://govdata-lake/nm/people"
    assert friendly.storage_options() == {
        "AWS_ENDPOINT_URL": "http://minio:9000",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKID",
        "AWS_SECRET_ACCESS_KEY": "SECRET",
        "AWS_ALLOW_HTTP": "true",
        "aws_conditional_put": "etag",
    }


def test_other_aws_options_pass_through_to_deltalake() -> None:
    location = location_from_uri("s3://lake", {"AWS_S3_LOCKING_PROVIDER": "dynamodb"})
    options = location.storage_options()
    assert options is not None
    assert options["AWS_S3_LOCKING_PROVIDER"] == "dynamodb"


@pytest.mark.parametrize(
    ("uri", "options", "code"),
    [
        ("", {}, "lake_uri_invalid"),
        ("gs://bucket/lake", {}, "lake_uri_unsupported"),
        ("https://example.org/lake", {}, "lake_uri_unsupported"),
        ("s3://AB/lake", {}, "lake_uri_invalid"),
        ("s3://user:pass@lake/x", {}, "lake_uri_invalid"),
        ("s3://lake/x", {"colour": "blue"}, "lake_uri_invalid"),
        ("s3://lake/x", {"allow_http": "maybe"}, "lake_uri_invalid"),
        ("/srv/lake", {"region": "us-east-1"}, "lake_uri_invalid"),
    ],
)
def test_bad_lake_settings_are_invalid_input(uri: str, options: dict[str, str], code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        location_from_uri(uri, options)
    assert raised.value.error_code == code
