"""The ``s3`` storage: attachments' bytes in a bucket of any S3-compatible store (AWS S3,
MinIO, Ceph RGW, Yandex Object Storage, VK Cloud), through aioboto3.

Where the bucket is comes from the strategy's settings (a region policy of kind
``storage`` on the country) or, where a setting is empty, from the environment:
``endpoint_url`` (``VMESTE_S3_ENDPOINT_URL``; empty is AWS), ``bucket``
(``VMESTE_S3_BUCKET``), ``region`` (``VMESTE_S3_REGION``, ``us-east-1``), ``prefix``
(prepended to every key) and ``addressing_style`` (``path``, which every
S3-compatible store speaks, or ``virtual``). The credentials come from the environment
only (``VMESTE_S3_ACCESS_KEY_ID``, ``VMESTE_S3_SECRET_ACCESS_KEY``; unset, botocore's own
chain: an instance role, ``~/.aws``), never from a policy or a row.

Choose it for every new file with ``VMESTE_ATTACHMENT_STORAGE=s3``, or with a policy.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from vmeste.platform.attachments.storage import STORAGE, StorageUnavailable, StoredObjectMissing
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_, _
from vmeste.platform.settings import Settings
from vmeste.platform.strategies import unknown_settings

DEFAULTS = {"endpoint_url": "", "bucket": "", "region": "", "prefix": "",
            "addressing_style": "path"}
_MISSING = ("NoSuchKey", "404", "NotFound")


@dataclass(frozen=True)
class S3Store:
    bucket: str
    endpoint_url: str | None
    region: str
    prefix: str = ""
    addressing_style: str = "path"
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[Any]:
        """A client, and every failure but a missing key as :class:`StorageUnavailable`
        (a refused request, a store that cannot be reached)."""
        import aioboto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        session = aioboto3.Session(aws_access_key_id=self.access_key_id,
                                   aws_secret_access_key=self.secret_access_key,
                                   region_name=self.region)
        config = Config(s3={"addressing_style": self.addressing_style},
                        retries={"max_attempts": 3, "mode": "standard"})
        try:
            async with session.client("s3", endpoint_url=self.endpoint_url,
                                      config=config) as s3:
                yield s3
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise StoredObjectMissing(str(error)) from None
            raise StorageUnavailable(f"s3: {error.response.get('Error', {}).get('Code')}"
                                     ) from None
        except BotoCoreError as error:
            raise StorageUnavailable(f"s3: {type(error).__name__}") from None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        async with self._client() as s3:
            await s3.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data,
                                ContentType=content_type)

    async def get(self, key: str) -> bytes:
        async with self._client() as s3:
            answer = await s3.get_object(Bucket=self.bucket, Key=self.prefix + key)
            async with answer["Body"] as body:
                data: bytes = await body.read()
                return data

    async def delete(self, key: str) -> None:
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=self.prefix + key)


def s3_store(settings: Mapping[str, Any], platform: Settings,
             environ: Mapping[str, str] = os.environ) -> S3Store:
    def value(name: str, variable: str, default: str = "") -> str:
        return str(settings.get(name) or "").strip() or environ.get(variable, "").strip() or (
            default)

    return S3Store(bucket=value("bucket", "VMESTE_S3_BUCKET"),
                   endpoint_url=value("endpoint_url", "VMESTE_S3_ENDPOINT_URL") or None,
                   region=value("region", "VMESTE_S3_REGION", "us-east-1"),
                   prefix=str(settings.get("prefix") or ""),
                   addressing_style=str(settings.get("addressing_style") or "path"),
                   access_key_id=environ.get("VMESTE_S3_ACCESS_KEY_ID") or None,
                   secret_access_key=environ.get("VMESTE_S3_SECRET_ACCESS_KEY") or None)


def _validate(settings: Mapping[str, Any]) -> list[str]:
    problems = unknown_settings(settings, DEFAULTS, ("order",))
    if settings.get("addressing_style", "path") not in ("path", "virtual"):
        problems.append(_("addressing_style is path or virtual"))
    if not all(isinstance(settings.get(k, ""), str) for k in DEFAULTS):
        problems.append(_("The S3 settings are strings"))
    return problems


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(kind=STORAGE, name="s3", defaults=DEFAULTS, validate=_validate,
                         handler=s3_store,
                         description=N_("Files on an S3-compatible object store"))]


@hookimpl
def vmeste_startup_checks(settings: Settings) -> list[str]:
    if settings.attachment_storage == "s3" and not os.environ.get("VMESTE_S3_BUCKET"):
        return ["VMESTE_ATTACHMENT_STORAGE is s3 but VMESTE_S3_BUCKET is not set"]
    return []
