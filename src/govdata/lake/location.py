"""Where lake tables live: a local directory or a prefix in an S3-compatible bucket.

A location turns a table name into the URI and storage options that ``deltalake``
needs. Table names are checked here, once, so that no name can reach outside the
location's root (no ``/``, no ``..``, no leading underscore, which Delta and govdata
keep for their own directories such as ``_delta_log`` and ``_locks``).

S3 is exercised only through the URIs and options it produces: no object store runs
in the test environment, so reading and writing real buckets is verified on a
deployment (MinIO or AWS S3), not in the suite.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from govdata.errors import InvalidInput

MAX_TABLE_NAME_LENGTH = 128
TABLE_NAME = re.compile(rf"[a-z0-9][a-z0-9_]{{0,{MAX_TABLE_NAME_LENGTH - 1}}}")
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
PREFIX_PART = re.compile(r"[A-Za-z0-9._\-]+")


def validate_table_name(name: str) -> str:
    """The name itself, if it is a safe table name; otherwise ``InvalidInput``."""
    if not TABLE_NAME.fullmatch(name):
        raise InvalidInput(
            "数据表名无效：只能包含小写字母、数字和下划线，不能以下划线开头，"
            f"最长 {MAX_TABLE_NAME_LENGTH} 个字符",
            code="lake_table_name_invalid",
            fields={"table": name[:200]},
        )
    return name


class StorageLocation(Protocol):
    """Where the lake's tables live."""

    def table_uri(self, name: str) -> str:
        """The URI ``deltalake`` opens for table ``name`` (validated)."""
        ...

    def storage_options(self) -> dict[str, str] | None:
        """Options passed to ``deltalake`` for every table here (None when local)."""
        ...

    def describe(self) -> str:
        """A description for logs and pages; never contains a secret."""
        ...


@dataclass(frozen=True)
class LocalLocation:
    """Tables as directories under ``root`` (default ``<data_dir>/lake``)."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).expanduser().resolve())

    @classmethod
    def under_data_dir(cls, data_dir: Path) -> LocalLocation:
        return cls(Path(data_dir) / "lake")

    def table_path(self, name: str) -> Path:
        return self.root / validate_table_name(name)

    def table_uri(self, name: str) -> str:
        return str(self.table_path(name))

    def storage_options(self) -> dict[str, str] | None:
        return None

    def describe(self) -> str:
        return str(self.root)

    def lock_path(self, name: str) -> Path:
        """The file the table's writer lock is held on (see :mod:`govdata.lake.locks`)."""
        return self.root / "_locks" / f"{validate_table_name(name)}.lock"


@dataclass(frozen=True)
class S3Location:
    """Tables under ``s3://bucket/prefix/`` on AWS S3 or an S3-compatible store.

    ``conditional_put="etag"`` makes ``deltalake`` commit with conditional writes
    (``If-None-Match``), which MinIO, Ceph RGW and AWS S3 support: two writers can
    never both create the same log entry, without a DynamoDB lock table. ``extra``
    passes further ``deltalake`` object-store options through unchanged.
    """

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    allow_http: bool = False
    conditional_put: str | None = "etag"
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not BUCKET_NAME.fullmatch(self.bucket):
            raise InvalidInput(
                "对象存储桶名无效", code="lake_uri_invalid", fields={"lake_uri": self.bucket}
            )
        parts = [part for part in self.prefix.split("/") if part]
        if any(part in {".", ".."} or not PREFIX_PART.fullmatch(part) for part in parts):
            raise InvalidInput(
                "对象存储路径前缀无效：只能包含字母、数字、点、横线和下划线",
                code="lake_uri_invalid",
                fields={"lake_uri": self.prefix},
            )
        object.__setattr__(self, "prefix", "/".join(parts))
        object.__setattr__(self, "extra", dict(self.extra))

    @property
    def root_uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def table_uri(self, name: str) -> str:
        return f"{self.root_uri}/{validate_table_name(name)}"

    def storage_options(self) -> dict[str, str] | None:
        options: dict[str, str] = {}
        if self.endpoint_url:
            options["AWS_ENDPOINT_URL"] = self.endpoint_url
        if self.region:
            options["AWS_REGION"] = self.region
        if self.access_key_id:
            options["AWS_ACCESS_KEY_ID"] = self.access_key_id
        if self.secret_access_key:
            options["AWS_SECRET_ACCESS_KEY"] = self.secret_access_key
        if self.allow_http:
            options["AWS_ALLOW_HTTP"] = "true"
        if self.conditional_put:
            options["aws_conditional_put"] = self.conditional_put
        options.update(self.extra)
        return options

    def describe(self) -> str:
        endpoint = f" ({self.endpoint_url})" if self.endpoint_url else ""
        return f"{self.root_uri}{endpoint}"


# Friendly option names accepted in ``lake_storage_options`` and the S3Location field
# each one sets; the deltalake spellings (AWS_ENDPOINT_URL, ...) are accepted too.
_S3_OPTION_FIELDS = {
    "endpoint_url": "endpoint_url",
    "endpoint": "endpoint_url",
    "aws_endpoint_url": "endpoint_url",
    "aws_endpoint": "endpoint_url",
    "region": "region",
    "aws_region": "region",
    "aws_default_region": "region",
    "access_key_id": "access_key_id",
    "aws_access_key_id": "access_key_id",
    "secret_access_key": "secret_access_key",
    "aws_secret_access_key": "secret_access_key",
    "allow_http": "allow_http",
    "aws_allow_http": "allow_http",
    "conditional_put": "conditional_put",
    "aws_conditional_put": "conditional_put",
}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def location_from_uri(uri: str, options: Mapping[str, str] | None = None) -> StorageLocation:
    """The location for ``lake_uri``: a directory path, ``file://...`` or ``s3://bucket/prefix``.

    ``options`` are the object-storage options (``lake_storage_options``); they are
    refused for a local directory, where they would silently do nothing.
    """
    text = uri.strip()
    options = dict(options or {})
    if not text:
        raise InvalidInput("数据湖位置不能为空", code="lake_uri_invalid", fields={"lake_uri": uri})
    if text.startswith("s3://"):
        return _s3_location(text, options)
    if "://" in text and not text.startswith("file://"):
        raise InvalidInput(
            "数据湖位置只支持本地目录或 s3://桶/前缀",
            code="lake_uri_unsupported",
            fields={"lake_uri": text.split("://", 1)[0] + "://"},
        )
    if options:
        raise InvalidInput(
            "本地目录不使用对象存储参数，请删除 lake_storage_options",
            code="lake_uri_invalid",
            fields={"lake_storage_options": ", ".join(sorted(options))},
        )
    return LocalLocation(Path(text.removeprefix("file://")))


def _s3_location(uri: str, options: Mapping[str, str]) -> S3Location:
    parts = urlsplit(uri)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidInput(
            "对象存储位置只能写成 s3://桶/前缀，凭据放在 lake_storage_options 中",
            code="lake_uri_invalid",
            fields={"lake_uri": "s3://"},
        )
    settings: dict[str, str] = {}
    extra: dict[str, str] = {}
    for key, value in options.items():
        target = _S3_OPTION_FIELDS.get(key.lower())
        if target is not None:
            settings[target] = str(value)
        elif key.lower().startswith("aws_"):
            extra[key] = str(value)
        else:
            raise InvalidInput(
                f"不认识的对象存储参数“{key}”",
                code="lake_uri_invalid",
                fields={"lake_storage_options": key},
            )
    allow_http = settings.pop("allow_http", "false").strip().lower()
    if allow_http not in _TRUE | _FALSE:
        raise InvalidInput(
            "allow_http 须为 true 或 false",
            code="lake_uri_invalid",
            fields={"lake_storage_options": "allow_http"},
        )
    conditional_put = settings.pop("conditional_put", "etag") or None
    return S3Location(
        bucket=parts.netloc,
        prefix=parts.path,
        endpoint_url=settings.get("endpoint_url") or None,
        region=settings.get("region") or None,
        access_key_id=settings.get("access_key_id") or None,
        secret_access_key=settings.get("secret_access_key") or None,
        allow_http=allow_http in _TRUE,
        conditional_put=conditional_put,
        extra=extra,
    )
