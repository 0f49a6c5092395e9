"""A Map Run's ResultWriter: the children's results exported to S3 in the layout the guide
documents, "manifest.json", "SUCCEEDED_n.json", "FAILED_n.json" (failed, timed out and
aborted children) and "PENDING_n.json" (children never started), under
``{Prefix}/{Map Run id}/``.

Every key and every byte follows from the store, so an export done again after a crash
writes the same objects.
"""

from __future__ import annotations

import json
from typing import Any

from steplane.execution import Execution, ExecutionStatus, FanOut
from steplane.jsontypes import Json, compact_json
from steplane.names import child_execution_id
from steplane.ports import ExecutionStore, ObjectStore
from steplane.states.lifecycle import MapRun
from steplane.states.map_items import MapRunName, WriteRequest


def export(  # noqa: PLR0917 - the Map Run's whole context
    objects: ObjectStore,
    store: ExecutionStore,
    parent: Execution,
    fan: FanOut,
    map_run: MapRun,
    heads: dict[str, Execution] | None,
) -> dict[str, Json]:
    """Write the Map Run's result files and manifest; its ``ResultWriterDetails``.
    ``heads``: the children's, when the fan-in read them already."""
    writer = map_run.writer
    assert writer is not None, "exported only with a ResultWriter that names a Bucket"
    visit = parent.entered_version
    ids = [child_execution_id(parent.execution_id, visit, i) for i in range(fan.total)]
    if heads is None:
        heads = store.get_heads(ids)
    inputs = store.child_inputs.get_many(parent.execution_id, visit, list(range(fan.total)))
    groups: dict[str, list[Json]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for index, child_id in enumerate(ids):
        head = heads.get(child_id)
        record = _record(map_run.name, inputs.get(index), head)
        status = "PENDING" if head is None else "SUCCEEDED" if _succeeded(head) else "FAILED"
        groups[status].append(record)
    run_id = map_run.name.run_id
    folder = f"{writer.prefix.rstrip('/')}/{run_id}" if writer.prefix.strip("/") else run_id
    files: dict[str, list[dict[str, Json]]] = {}
    for status, records in groups.items():
        files[status] = []
        if not records:
            continue
        shaped = _transformed(writer, records) if status == "SUCCEEDED" else records
        key = f"{folder}/{status}_0.json"
        body = _body(writer, shaped)
        objects.put(writer.bucket, key, body)
        files[status].append({"Key": key, "Size": len(body)})
    manifest = {
        "DestinationBucket": writer.bucket,
        "MapRunArn": map_run.name.arn,
        "ResultFiles": {status: files[status] for status in ("FAILED", "PENDING", "SUCCEEDED")},
    }
    manifest_key = f"{folder}/manifest.json"
    objects.put(writer.bucket, manifest_key, compact_json(manifest).encode())
    return {"Bucket": writer.bucket, "Key": manifest_key}


def _succeeded(head: Execution) -> bool:
    return head.status is ExecutionStatus.SUCCEEDED


def _record(name: MapRunName, child_input: Json, head: Execution | None) -> Json:
    """One child as the guide's ``Transformation: NONE`` example shows it (Input and
    Output as JSON text)."""
    record: dict[str, Json] = {
        "Input": compact_json(child_input),
        "InputDetails": {"Included": True},
    }
    if head is None:
        record["Status"] = "PENDING"
        return record
    record.update(
        {
            "ExecutionArn": name.child_arn(head.name),
            "Name": head.name,
            "StateMachineArn": name.child_machine_arn,
            "StartDate": head.start_date.isoformat(),
            "Status": head.status.value if head.status.is_terminal else "ABORTED",
            "RedriveCount": 0,
            "RedriveStatus": "NOT_REDRIVABLE",
        }
    )
    if head.stop_date is not None:
        record["StopDate"] = head.stop_date.isoformat()
    if _succeeded(head):
        record["Output"] = compact_json(head.data)
        record["OutputDetails"] = {"Included": True}
    else:
        record["Error"] = head.error
        record["Cause"] = head.cause
    return record


def _transformed(writer: WriteRequest, records: list[Json]) -> list[Json]:
    """The guide: "COMPACT - returns the output of the child workflow executions";
    "FLATTEN - ... If a child workflow execution returns an array, this option flattens
    the array"; NONE keeps each record whole."""
    if writer.transformation == "NONE":
        return records
    outputs: list[Json] = []
    for record in records:
        assert isinstance(record, dict), "records are objects"
        output = json.loads(str(record["Output"]))
        if writer.transformation == "FLATTEN" and isinstance(output, list):
            outputs.extend(output)
        else:
            outputs.append(output)
    return outputs


def _body(writer: WriteRequest, records: list[Any]) -> bytes:
    """The guide: "JSON - formats the results as a JSON array. JSONL - formats the results
    as JSON Lines"."""
    if writer.output_type == "JSONL":
        return "".join(compact_json(record) + "\n" for record in records).encode()
    return compact_json(records).encode()
