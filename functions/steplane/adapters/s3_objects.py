"""S3 through a boto3 client, for a distributed Map's ItemReader and ResultWriter.

Imported only when a Map Run first reads or writes (most workflows never do; the
handlers' cold start does not pay for it).
"""

from __future__ import annotations

from typing import Any, Literal

from botocore.exceptions import ClientError

from steplane.ports import ObjectStoreError

# Errors a retry does not cure: the Map fails with States.ItemReaderFailed (or
# ResultWriterFailed), which its Retry and Catch see. Anything else (throttling, a
# network fault) is raised, and the message is delivered again.
_PERMANENT = {
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchVersion",
    "AccessDenied",
    "InvalidBucketName",
    "InvalidArgument",
    "InvalidObjectState",
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
    "404",
    "403",
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
        with _permanent(f"s3://{bucket}/{key}", "read"):
            body: bytes = self._client.get_object(**request)["Body"].read()
        return body

    def list(self, bucket: str, prefix: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The objects under ``prefix`` (ListObjectsV2, page after page), at most ``limit``."""
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        with _permanent(f"s3://{bucket}/{prefix}", "list"):
            while limit is None or len(found) < limit:
                page = self._client.list_objects_v2(**request)
                found.extend(page.get("Contents", []))
                if not page.get("IsTruncated"):
                    break
                request["ContinuationToken"] = page["NextContinuationToken"]
        return found[:limit] if limit is not None else found

    def put(self, bucket: str, key: str, body: bytes) -> None:
        """Write the object (the same key, the same bytes: a repeated write is harmless)."""
        with _permanent(f"s3://{bucket}/{key}", "write"):
            self._client.put_object(Bucket=bucket, Key=key, Body=body)


class _permanent:  # noqa: N801 - used as a context manager
    """Turn S3's permanent refusals into ObjectStoreError naming the object."""

    def __init__(self, where: str, doing: str) -> None:
        self._where = where
        self._doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, trace: Any) -> Literal[False]:
        if isinstance(error, ClientError):
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _PERMANENT:
                message = error.response.get("Error", {}).get("Message", "")
                raise ObjectStoreError(
                    f"could not {self._doing} {self._where}: {code} {message}".rstrip()
                ) from error
        return False
