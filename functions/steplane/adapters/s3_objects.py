"""S3 through a boto3 client, for a distributed Map's ItemReader and ResultWriter.

Imported only when a Map Run first reads or writes (most workflows never do; the
handlers' cold start does not pay for it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from steplane.ports import ObjectStoreError

# Errors a later try may cure (botocore has already retried them): raised, so the
# message is delivered again. Every other refusal (no such bucket or key, access denied,
# a bad name, a KMS key that cannot be used, ...) is permanent: the Map fails with
# States.ItemReaderFailed (or ResultWriterFailed), which its Retry and Catch see.
_TRANSIENT = {
    "SlowDown",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "OperationAborted",
}


class S3Objects:
    """Objects of the buckets the engine is allowed to read and write."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def get(self, bucket: str, key: str, version: str | None = None) -> bytes:
        """The object's bytes."""
        request = {"Bucket": bucket, "Key": key}
        if version is not None:
            request["VersionId"] = version
        with _refusals(f"s3://{bucket}/{key}", "read"):
            body: bytes = self._client.get_object(**request)["Body"].read()
        return body

    def list(self, bucket: str, prefix: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The objects under ``prefix`` (ListObjectsV2, page after page), at most ``limit``."""
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        with _refusals(f"s3://{bucket}/{prefix}", "list"):
            while limit is None or len(found) < limit:
                page = self._client.list_objects_v2(**request)
                found.extend(page.get("Contents", []))
                if not page.get("IsTruncated"):
                    break
                request["ContinuationToken"] = page["NextContinuationToken"]
        return found[:limit] if limit is not None else found

    def put(self, bucket: str, key: str, body: bytes) -> None:
        """Write the object (the same key, the same bytes: a repeated write is harmless)."""
        with _refusals(f"s3://{bucket}/{key}", "write"):
            self._client.put_object(Bucket=bucket, Key=key, Body=body)


@contextmanager
def _refusals(where: str, doing: str) -> Iterator[None]:
    """S3's permanent refusals (and parameters botocore refuses to send: an empty or
    malformed bucket name) as ObjectStoreError naming the object."""
    try:
        yield
    except ParamValidationError as error:
        raise ObjectStoreError(f"could not {doing} {where}: {error}") from error
    except ClientError as error:
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in _TRANSIENT or status >= 500:
            raise
        message = details.get("Message", "")
        raise ObjectStoreError(f"could not {doing} {where}: {code} {message}".rstrip()) from error
