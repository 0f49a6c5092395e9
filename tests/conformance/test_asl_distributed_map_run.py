"""The distributed Map, run end to end on the local runtime against moto's S3: a Map Run
of child executions whose inputs are read once and stored (see the README's design);
each case cites the rule it pins (the Step Functions developer guide, the ASL spec).
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Iterator
from typing import Any

import pytest

from steplane.definition.loader import load_definition
from steplane.errors import DefinitionError
from steplane.execution import ExecutionStatus
from steplane.local import LocalRuntime
from steplane.local.result import ExecutionResult
from steplane.names import child_execution_id
from tests.fan_out_children import fail_or_wait

BUCKET = "data"


def _processor(kind: str = "STANDARD", **work: Any) -> dict[str, Any]:
    state = work or {"Type": "Pass"}
    return {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": kind},
        "StartAt": "Work",
        "States": {"Work": {**state, "End": True}},
    }


def _task(kind: str = "STANDARD") -> dict[str, Any]:
    return _processor(kind, Type="Task", Resource="work")


def _map(**fields: Any) -> dict[str, Any]:
    fields.setdefault("ItemProcessor", _processor())
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, **fields}}}


def _reader(key: str, input_type: str, **config: Any) -> dict[str, Any]:
    return {
        "Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket": BUCKET, "Key": key},
        "ReaderConfig": {"InputType": input_type, **config},
    }


@pytest.fixture
def rt() -> Iterator[LocalRuntime]:
    with LocalRuntime() as runtime:
        runtime.session.client("s3").create_bucket(Bucket=BUCKET)
        yield runtime


def _put(rt: LocalRuntime, key: str, body: str | bytes) -> None:
    rt.session.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body)


def _get(rt: LocalRuntime, key: str) -> Any:
    body = rt.session.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return json.loads(body)


def _go(
    rt: LocalRuntime, definition: dict[str, Any], data: Any = None, **workers: Any
) -> ExecutionResult:
    for resource, work in workers.items():
        rt.register(resource, work)
    return rt.run_until_complete(rt.start(definition, {} if data is None else data))


def _kinds(result: ExecutionResult) -> list[str]:
    return [event["type"] for event in result.history]


def _echo(data: Any, _context: Any) -> Any:
    return data


def _fail_odd(data: Any, _context: Any) -> Any:
    if isinstance(data, int) and data % 2:
        raise ValueError(f"odd {data}")
    return data


# -- items ------------------------------------------------------------------------------


def test_a_map_run_over_its_input_outputs_the_children_outputs_in_order(rt: LocalRuntime) -> None:
    # [guide] "If you don't export the Map state results, it returns an array of all the
    # child workflow execution results"; without an ItemReader ItemsPath selects them.
    result = _go(rt, _map(ItemsPath="$.xs", ItemProcessor=_task()), {"xs": [1, 2, 3]}, work=_echo)
    assert result.status == ExecutionStatus.SUCCEEDED, result
    assert result.output == [1, 2, 3]
    kinds = _kinds(result)
    # MapStateStarted, then the Map Run's events, then the state's end.
    assert kinds.index("MapStateStarted") < kinds.index("MapRunStarted")
    assert kinds.index("MapRunStarted") < kinds.index("MapRunSucceeded")
    assert kinds.index("MapRunSucceeded") < kinds.index("MapStateSucceeded")
    started = next(e for e in result.history if e["type"] == "MapRunStarted")
    arn = started["mapRunArn"]
    assert ":mapRun:" in arn
    assert "/M:" in arn


def test_items_are_read_from_a_json_array_in_s3(rt: LocalRuntime) -> None:
    # [guide] "The JSON file must contain an array"; a child per element.
    _put(rt, "items.json", json.dumps([{"a": 1}, {"a": 2}]))
    result = _go(rt, _map(ItemReader=_reader("items.json", "JSON")))
    assert result.status == ExecutionStatus.SUCCEEDED, result
    assert result.output == [{"a": 1}, {"a": 2}]
    started = next(e for e in result.history if e["type"] == "MapStateStarted")
    assert started["length"] == 0  # read after it started


def test_items_are_read_from_json_lines_and_capped_by_max_items(rt: LocalRuntime) -> None:
    # [guide] JSONL: "as many child workflow executions as the number of lines";
    # [spec] ReaderConfig "MAY have a "MaxItems" field".
    _put(rt, "items.jsonl", "\n".join(json.dumps({"n": n}) for n in range(10)) + "\n")
    reader = _reader("items.jsonl", "JSONL", MaxItems=4)
    result = _go(rt, _map(ItemReader=reader))
    assert result.output == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]


def test_csv_rows_become_objects_keyed_by_the_first_row(rt: LocalRuntime) -> None:
    # [guide] "FIRST_ROW - Use this option if the first line of the file is the header";
    # "Fields are treated as strings"; short rows get "empty strings for the missing
    # values", long rows have "the additional fields" skipped.
    _put(rt, "rows.csv", "id,name\n1,ada\n2\n3,bob,extra\n")
    result = _go(rt, _map(ItemReader=_reader("rows.csv", "CSV", CSVHeaderLocation="FIRST_ROW")))
    assert result.output == [
        {"id": "1", "name": "ada"},
        {"id": "2", "name": ""},
        {"id": "3", "name": "bob"},
    ]


def test_csv_with_a_given_header_reads_every_row_as_data(rt: LocalRuntime) -> None:
    # [guide] "GIVEN - Use this option to specify the header within the state machine
    # definition", in CSVHeaders; CSVDelimiter PIPE.
    _put(rt, "rows.csv", "1|ada\n2|bob\n")
    reader = _reader(
        "rows.csv", "CSV", CSVHeaderLocation="GIVEN", CSVHeaders=["id", "name"], CSVDelimiter="PIPE"
    )
    result = _go(rt, _map(ItemReader=reader))
    assert result.output == [{"id": "1", "name": "ada"}, {"id": "2", "name": "bob"}]


def test_a_listing_gives_one_item_per_object_under_the_prefix(rt: LocalRuntime) -> None:
    # [guide] listObjectsV2: each child gets {"Etag", "Key", "LastModified", "Size",
    # "StorageClass"}.
    for name in ("b.txt", "a.txt"):
        _put(rt, f"in/{name}", "x" * 3)
    _put(rt, "other/c.txt", "y")
    reader = {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": BUCKET, "Prefix": "in/"},
    }
    result = _go(rt, _map(ItemReader=reader))
    assert [item["Key"] for item in result.output] == ["in/a.txt", "in/b.txt"]
    first = result.output[0]
    assert set(first) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}
    assert first["Size"] == 3
    assert isinstance(first["LastModified"], int)


def test_reader_parameters_are_evaluated_against_the_state_input(rt: LocalRuntime) -> None:
    # [guide] ItemReader Parameters name "the Amazon S3 bucket name and object key"; in
    # JSONPath, ".$" fields select them from the input.
    _put(rt, "mine.json", "[7]")
    reader = _reader("unused", "JSON")
    reader["Parameters"] = {"Bucket.$": "$.bucket", "Key.$": "$.key"}
    result = _go(rt, _map(ItemReader=reader), {"bucket": BUCKET, "key": "mine.json"})
    assert result.output == [7]


def test_a_missing_object_fails_the_map_with_item_reader_failed(rt: LocalRuntime) -> None:
    # [guide] "States.ItemReaderFailed: A Map state failed because it couldn't read from
    # the item source specified in the ItemReader field"; Catch sees it.
    definition = _map(
        ItemReader=_reader("nope.json", "JSON"),
        Catch=[{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Caught"}],
    )
    definition["States"]["M"].pop("End")
    definition["States"]["M"]["Next"] = "Done"
    definition["States"]["Done"] = {"Type": "Succeed"}
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    result = _go(rt, definition)
    assert result.status == ExecutionStatus.SUCCEEDED
    assert result.output["Error"] == "States.ItemReaderFailed"
    assert "nope.json" in result.output["Cause"]


def test_a_malformed_file_fails_the_map_naming_the_line(rt: LocalRuntime) -> None:
    # [guide] ItemReaderFailed when the items cannot be read; the cause says where.
    _put(rt, "bad.jsonl", '{"ok": 1}\n{"broken": \n')
    result = _go(rt, _map(ItemReader=_reader("bad.jsonl", "JSONL")))
    assert result.status == ExecutionStatus.FAILED
    assert result.error == "States.ItemReaderFailed"
    assert "line 2" in (result.cause or "")


# -- selection and batching --------------------------------------------------------------


def test_item_selector_shapes_each_item_with_its_index(rt: LocalRuntime) -> None:
    # [guide] the order "ItemReader ... ItemsPath ... ItemSelector ... ItemBatcher";
    # $$.Map.Item.Index and Value in ItemSelector.
    _put(rt, "items.json", '["a", "b"]')
    selector = {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "tag.$": "$.tag"}
    definition = _map(ItemReader=_reader("items.json", "JSON"), ItemSelector=selector)
    result = _go(rt, definition, {"tag": "t"})
    assert result.output == [{"i": 0, "v": "a", "tag": "t"}, {"i": 1, "v": "b", "tag": "t"}]


def test_item_batcher_groups_items_with_batch_input(rt: LocalRuntime) -> None:
    # [guide] "1130 nodes ... maximum items value for each batch of 100 ... 12 batches";
    # each child receives {"BatchInput": ..., "Items": [...]}.
    batcher = {"MaxItemsPerBatch": 100, "BatchInput": {"run.$": "$.run"}}
    definition = _map(ItemsPath="$.xs", ItemBatcher=batcher)
    result = _go(rt, definition, {"xs": list(range(1130)), "run": "r1"})
    assert result.status == ExecutionStatus.SUCCEEDED, result
    assert len(result.output) == 12
    assert result.output[0] == {"Items": list(range(100)), "BatchInput": {"run": "r1"}}
    assert result.output[11]["Items"] == list(range(1100, 1130))


def test_item_batcher_bounds_each_batch_by_bytes(rt: LocalRuntime) -> None:
    # [guide] MaxInputBytesPerBatch: "the maximum size of a batch in bytes".
    items = ["x" * 40 for _ in range(10)]
    definition = _map(ItemsPath="$", ItemBatcher={"MaxInputBytesPerBatch": 150})
    result = _go(rt, definition, items)
    batches = [batch["Items"] for batch in result.output]
    assert functools.reduce(operator.iadd, batches, []) == items
    assert all(len(json.dumps({"Items": b}, separators=(",", ":"))) <= 150 for b in batches)
    assert len(batches) == 4  # three 42-byte items a batch (1 + 3*42 + 2 + 10 = 139 bytes)


# -- failures -----------------------------------------------------------------------------


def test_one_failed_child_fails_the_run_with_the_threshold_error(rt: LocalRuntime) -> None:
    # [guide] "The default percentage value is zero, which means that the workflow fails
    # if any one of its child workflow executions fails"; "Step Functions returns a
    # States.ExceedToleratedFailureThreshold error when the Map Run fails".
    result = _go(rt, _map(ItemsPath="$", ItemProcessor=_task()), [2, 3, 4], work=_fail_odd)
    assert result.status == ExecutionStatus.FAILED
    assert result.error == "States.ExceedToleratedFailureThreshold"
    assert "MapRunFailed" in _kinds(result)


def _failed(output: Any) -> bool:
    """A tolerated failure's place in the output: its execution result (the guide, of the
    results: "If a child workflow execution fails, Step Functions returns its execution
    result unchanged")."""
    return isinstance(output, dict) and output.get("Status") == "FAILED" and "Error" in output


def test_failures_within_the_tolerated_count_let_the_map_succeed(rt: LocalRuntime) -> None:
    # [guide] ToleratedFailureCount: "The Map Run automatically fails if it exceeds this
    # number"; two failures of a tolerated two do not. A failed child's place holds its
    # execution result, with its error and cause.
    definition = _map(
        ItemsPath="$", ItemProcessor=_task(), ToleratedFailureCount=2, MaxConcurrency=1
    )
    result = _go(rt, definition, [1, 2, 3, 4], work=_fail_odd)
    assert result.status == ExecutionStatus.SUCCEEDED, result
    assert [_failed(o) for o in result.output] == [True, False, True, False]
    assert result.output[1::2] == [2, 4]
    assert result.output[0]["Error"] == "ValueError"
    assert "odd 1" in result.output[0]["Cause"]


def test_one_failure_over_the_tolerated_count_fails_the_map(rt: LocalRuntime) -> None:
    # [guide] "fails if it exceeds this number": three failures over a tolerated two.
    definition = _map(ItemsPath="$", ItemProcessor=_task(), ToleratedFailureCount=2)
    result = _go(rt, definition, [1, 3, 5, 6], work=_fail_odd)
    assert result.error == "States.ExceedToleratedFailureThreshold"


@pytest.mark.parametrize(("percentage", "status"), [(50, "SUCCEEDED"), (49, "FAILED")])
def test_the_tolerated_percentage_is_of_all_items(
    rt: LocalRuntime, percentage: float, status: str
) -> None:
    # [guide] "the percentage of failed items as the result of the total number of failed
    # or timed out items divided by the total number of items": 2 of 4 is 50%.
    definition = _map(ItemsPath="$", ItemProcessor=_task(), ToleratedFailurePercentage=percentage)
    result = _go(rt, definition, [1, 2, 3, 4], work=_fail_odd)
    assert result.status == status


def test_a_tolerated_count_read_by_its_path(rt: LocalRuntime) -> None:
    # [guide] ToleratedFailureCountPath: "the reference path must select a field whose
    # value is a non-negative integer".
    fields = {"ItemsPath": "$.xs", "ToleratedFailureCountPath": "$.ok"}
    result = _go(rt, _map(ItemProcessor=_task(), **fields), {"xs": [1, 2], "ok": 1}, work=_fail_odd)
    assert _failed(result.output[0])
    assert result.output[1] == 2
    bad = _go(rt, _map(ItemProcessor=_task(), **fields), {"xs": [1, 2], "ok": -1}, work=_fail_odd)
    assert bad.error == "States.Runtime"
    assert "non-negative integer" in (bad.cause or "")


def test_an_inline_map_with_a_tolerance_goes_on_past_tolerated_failures(rt: LocalRuntime) -> None:
    # [spec] ToleratedFailureCount applies to a Map; an inline one keeps it too.
    processor = {
        "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": "work", "End": True}},
    }
    definition = _map(ItemsPath="$", ItemProcessor=processor, ToleratedFailureCount=1)
    output = _go(rt, definition, [1, 2], work=_fail_odd).output
    assert _failed(output[0])
    assert output[1] == 2
    failed = _go(rt, definition, [1, 3, 2], work=_fail_odd)
    assert failed.error == "States.ExceedToleratedFailureThreshold"


# -- scope and child executions -----------------------------------------------------------


def test_express_children_time_out_after_five_minutes(rt: LocalRuntime) -> None:
    # [guide] Express workflows run "for a duration of up to five minutes"; a child that
    # runs longer fails (States.Timeout), which fails the Map Run.
    processor = _processor("EXPRESS", Type="Wait", Seconds=301)
    result = _go(rt, _map(ItemsPath="$", ItemProcessor=processor), [1])
    assert result.error == "States.ExceedToleratedFailureThreshold"
    child = rt.store.get_head(child_execution_id(result.execution_id, 1, 0))
    assert child is not None
    assert child.error == "States.Timeout"
    quick = _go(
        rt, _map(ItemsPath="$", ItemProcessor=_processor("EXPRESS", Type="Wait", Seconds=299)), [1]
    )
    assert quick.status == ExecutionStatus.SUCCEEDED


def test_map_run_children_read_no_outer_variables(rt: LocalRuntime) -> None:
    # [blog, variables] "distributed map state cannot reference variables in outer scopes".
    processor = _processor(Type="Pass", Parameters={"v.$": "$x"})
    definition = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
            "M": {"Type": "Map", "End": True, "ItemProcessor": processor},
        },
    }
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    (problem,) = caught.value.problems
    assert problem.location == "/States/M/ItemProcessor/States/Work/Parameters"
    assert "distributed Map" in problem.message


def test_labels_are_unique_in_a_definition() -> None:
    # [guide] Labels "must be unique within a state machine definition".
    definition = _map(Label="same")
    definition["States"]["M"].pop("End")
    definition["States"]["M"]["Next"] = "N"
    other = {"ProcessorConfig": _processor()["ProcessorConfig"], "StartAt": "Other"}
    other["States"] = {"Other": {"Type": "Pass", "End": True}}
    definition["States"]["N"] = {
        "Type": "Map",
        "End": True,
        "Label": "same",
        "ItemProcessor": other,
    }
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    assert [p.location for p in caught.value.problems] == ["/States/N/Label"]


# -- results --------------------------------------------------------------------------------


def test_result_writer_exports_the_layout_the_guide_documents(rt: LocalRuntime) -> None:
    # [guide] the state "returns the Map Run ARN and data about the Amazon S3 export
    # location": {"MapRunArn", "ResultWriterDetails": {"Bucket", "Key":
    # "<prefix>/<uuid>/manifest.json"}}; "SUCCEEDED_n.json", "FAILED_n.json" ("failed,
    # timed out, and aborted"), "The index number starts from 0".
    writer = {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": BUCKET, "Prefix": "out"},
    }
    definition = _map(
        ItemsPath="$", ItemProcessor=_task(), ResultWriter=writer, ToleratedFailureCount=5
    )
    result = _go(rt, definition, [1, 2, 4], work=_fail_odd)
    assert result.status == ExecutionStatus.SUCCEEDED, result
    details = result.output["ResultWriterDetails"]
    assert details["Bucket"] == BUCKET
    run_id = result.output["MapRunArn"].rsplit(":", 1)[1]
    assert details["Key"] == f"out/{run_id}/manifest.json"
    manifest = _get(rt, details["Key"])
    assert manifest["MapRunArn"] == result.output["MapRunArn"]
    assert manifest["DestinationBucket"] == BUCKET
    (succeeded,) = manifest["ResultFiles"]["SUCCEEDED"]
    assert succeeded["Key"] == f"out/{run_id}/SUCCEEDED_0.json"
    records = _get(rt, succeeded["Key"])
    assert [json.loads(r["Output"]) for r in records] == [2, 4]
    assert {r["Status"] for r in records} == {"SUCCEEDED"}
    assert json.loads(records[0]["Input"]) == 2
    (failed_file,) = manifest["ResultFiles"]["FAILED"]
    (failure,) = _get(rt, failed_file["Key"])
    assert failure["Status"] == "FAILED"
    assert failure["Error"] == "ValueError"
    assert manifest["ResultFiles"]["PENDING"] == []


def test_result_writer_compact_jsonl_writes_outputs_only(rt: LocalRuntime) -> None:
    # [guide] "COMPACT - returns the output of the child workflow executions"; "JSONL -
    # formats the results as JSON Lines".
    writer = {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": BUCKET, "Prefix": "out"},
        "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSONL"},
    }
    result = _go(rt, _map(ItemsPath="$", ResultWriter=writer), [{"a": 1}, {"a": 2}])
    manifest = _get(rt, result.output["ResultWriterDetails"]["Key"])
    key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
    body = rt.session.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    assert body == '{"a":1}\n{"a":2}\n'


def test_a_failed_run_exports_pending_children(rt: LocalRuntime) -> None:
    # [guide] "PENDING_n.json - ... child workflow executions that weren't started because
    # the Map Run failed or aborted".
    writer = {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": BUCKET, "Prefix": "p"},
    }
    definition = _map(ItemsPath="$", ItemProcessor=_task(), ResultWriter=writer, MaxConcurrency=1)
    bucket_objects: list[str] = []
    result = _go(rt, definition, [1, 2, 4], work=_fail_odd)
    assert result.error == "States.ExceedToleratedFailureThreshold"
    listing = rt.session.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="p/")
    bucket_objects = sorted(o["Key"].rsplit("/", 1)[1] for o in listing["Contents"])
    assert bucket_objects == ["FAILED_0.json", "PENDING_0.json", "manifest.json"]


def test_the_status_endpoint_counts_a_running_map_run(rt: LocalRuntime) -> None:
    # [issue] the Map Run's counts are queryable while it runs: pending, running,
    # succeeded, failed.
    definition = _map(
        ItemsPath="$", ItemProcessor=_processor(Type="Wait", Seconds=60), MaxConcurrency=2
    )
    execution_id = rt.start(definition, [1, 2, 3, 4, 5])
    rt.advance(1)  # the children launched, their Waits not over
    status, body = rt.http("GET", f"/executions/{execution_id}")
    assert status == 200
    children = body["children"]
    assert children["total"] == 5
    assert children["running"] == 2
    assert children["pending"] == 3
    rt.run_until_complete(execution_id)


@pytest.mark.parametrize(("kind", "status"), [("EXPRESS", "SUCCEEDED"), ("STANDARD", "ABORTED")])
def test_express_children_are_not_stopped_when_the_run_fails(
    rt: LocalRuntime, kind: str, status: str
) -> None:
    # [guide] "If you use a child workflow execution of the Express type, you can't stop
    # the execution"; a STANDARD child of a failed Map Run is aborted ("either the user
    # cancelled the execution, or Step Functions stopped the execution because the Map
    # Run failed").
    processor = fail_or_wait({"Variable": "$", "NumericEquals": 0}, 120, kind)
    result = _go(rt, _map(ItemsPath="$", ItemProcessor=processor), [1, 0])
    assert result.error == "States.ExceedToleratedFailureThreshold"
    rt.advance(200)  # the slow child's Wait is over
    slow = rt.store.get_head(child_execution_id(result.execution_id, 1, 0))
    assert slow is not None
    assert slow.status.value == status


def test_map_run_children_do_not_see_outer_variables_at_run_time(rt: LocalRuntime) -> None:
    # [blog, variables] "distributed map state cannot reference variables in outer
    # scopes": a JSONata child (its reads are not checked at load) finds none.
    work = {"Type": "Pass", "Output": "{% $exists($x) %}", "QueryLanguage": "JSONata"}
    definition = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
            "M": {"Type": "Map", "End": True, "ItemProcessor": _processor(**work)},
        },
    }
    result = _go(rt, definition, [1])
    assert result.output == [False]


def test_a_failed_batch_counts_all_its_items_against_the_tolerance(rt: LocalRuntime) -> None:
    # [guide] "If one of the executions fails and the other succeeds, you'll have 50
    # successful and 50 failed items"; the percentage is "failed ... items divided by the
    # total number of items": batches of 2 of [1, 2, 4, 6] fail the first (2 of 4 items).
    def fail_odd_batch(data: Any, _context: Any) -> Any:
        if any(n % 2 for n in data["Items"]):
            raise ValueError("odd item")
        return data["Items"]

    processor = _task()
    batcher = {"MaxItemsPerBatch": 2}
    tolerated = {"ItemsPath": "$", "ItemProcessor": processor, "ItemBatcher": batcher}
    ok = _go(
        rt, _map(**tolerated, ToleratedFailurePercentage=50), [1, 2, 4, 6], work=fail_odd_batch
    )
    assert ok.status == ExecutionStatus.SUCCEEDED
    too_many = _go(rt, _map(**tolerated, ToleratedFailurePercentage=49), [1, 2, 4, 6])
    assert too_many.error == "States.ExceedToleratedFailureThreshold"
    counted = _go(rt, _map(**tolerated, ToleratedFailureCount=1), [1, 2, 4, 6])
    assert counted.error == "States.ExceedToleratedFailureThreshold"  # 2 items > 1


@pytest.mark.parametrize(
    "parameters",
    [{"Bucket": "", "Key": "k"}, {"Bucket": "Not A Bucket", "Key": "k"}, {"Bucket": BUCKET}],
)
def test_bad_reader_parameters_fail_the_map_naming_them(
    rt: LocalRuntime, parameters: dict[str, Any]
) -> None:
    # Never a handler crashing into redeliveries: each names what is wrong.
    reader = {**_reader("k", "JSON"), "Parameters": parameters}
    result = _go(rt, _map(ItemReader=reader))
    assert result.status == ExecutionStatus.FAILED
    assert result.error in {"States.ItemReaderFailed", "States.Runtime"}
    assert "Bucket" in (result.cause or "") or "Key" in (result.cause or "")


def test_a_bad_result_bucket_fails_the_map_with_result_writer_failed(rt: LocalRuntime) -> None:
    # [guide] "States.ResultWriterFailed: A Map state failed because it couldn't write
    # results to the destination specified in the ResultWriter field".
    writer = {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": "Not A Bucket", "Prefix": "p"},
    }
    result = _go(rt, _map(ItemsPath="$", ResultWriter=writer), [1])
    assert result.error == "States.ResultWriterFailed"
    assert "Not A Bucket" in (result.cause or "")


def test_a_child_input_over_256_kib_fails_the_map_before_any_child_runs(rt: LocalRuntime) -> None:
    # [guide] "The execution input used to start a child workflow execution can't exceed
    # 256 KiB"; ItemSelector is how to keep an item's input small.
    _put(rt, "big.json", json.dumps([{"blob": "x" * 300_000}, {"blob": "y"}]))
    result = _go(rt, _map(ItemReader=_reader("big.json", "JSON")))
    assert result.error == "States.DataLimitExceeded"
    assert "item 0" in (result.cause or "")
    small = _go(rt, _map(ItemReader=_reader("big.json", "JSON"), ItemSelector={"n": 1}))
    assert small.output == [{"n": 1}, {"n": 1}]


def test_writer_config_alone_flattens_the_output(rt: LocalRuntime) -> None:
    # [guide] "FLATTEN - ... If a child workflow execution returns an array, this option
    # flattens the array"; with only WriterConfig, the results go to the next state.
    writer = {"WriterConfig": {"Transformation": "FLATTEN"}}
    result = _go(rt, _map(ItemsPath="$", ResultWriter=writer), [[1, 2], [3], 4])
    assert result.output == [1, 2, 3, 4]


def test_items_path_does_not_go_with_an_item_reader() -> None:
    # [guide] ItemsPath: "In Distributed mode, you specify this field only when you use a
    # JSON array or object from a previous step as your state input".
    with pytest.raises(DefinitionError) as caught:
        load_definition(_map(ItemReader=_reader("k", "JSON"), ItemsPath="$.xs"))
    assert [p.location for p in caught.value.problems] == ["/States/M/ItemsPath"]


def test_a_map_run_child_is_an_execution_of_its_own(rt: LocalRuntime) -> None:
    # [guide] a distributed Map "runs each iteration as a child workflow execution": its
    # $$.Execution is its own (name, input), not its parent's.
    work = {
        "Type": "Pass",
        "Parameters": {"name.$": "$$.Execution.Name", "input.$": "$$.Execution.Input"},
    }
    result = _go(rt, _map(ItemsPath="$.xs", ItemProcessor=_processor(**work)), {"xs": ["a"]})
    (child,) = result.output
    assert child["input"] == "a"
    assert child["name"] != result.execution_id.split(":", 1)[1]


def test_an_items_source_is_in_the_context_object(rt: LocalRuntime) -> None:
    # [guide, Context object] Map.Item.Source: "For state input, the value will be :
    # STATE_DATA"; for an object read, "S3://bucket-name/object-key"; for a listing,
    # "S3://bucket-name".
    selector = {"source.$": "$$.Map.Item.Source"}
    from_input = _go(rt, _map(ItemsPath="$", ItemSelector=selector), [1])
    assert from_input.output == [{"source": "STATE_DATA"}]
    inline = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    inline_map = _go(rt, _map(ItemProcessor=inline, ItemSelector=selector), [1])
    assert inline_map.output == [{"source": "STATE_DATA"}]
    _put(rt, "one.json", "[1]")
    read = _go(rt, _map(ItemReader=_reader("one.json", "JSON"), ItemSelector=selector))
    assert read.output == [{"source": f"S3://{BUCKET}/one.json"}]
    listing = {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": BUCKET, "Prefix": "one"},
    }
    listed = _go(rt, _map(ItemReader=listing, ItemSelector=selector))
    assert listed.output == [{"source": f"S3://{BUCKET}"}]


def test_a_jsonata_map_run_reads_writes_and_batches_by_expressions(rt: LocalRuntime) -> None:
    # [guide] JSONata states give the ItemReader and ResultWriter "Arguments" (not
    # Parameters), and numbers as {% %} expressions (MaxItems, MaxItemsPerBatch).
    _put(rt, "nums.jsonl", "".join(f"{n}\n" for n in range(6)))
    state = {
        "Type": "Map",
        "QueryLanguage": "JSONata",
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "Arguments": {"Bucket": "{% $states.input.bucket %}", "Key": "nums.jsonl"},
            "ReaderConfig": {"InputType": "JSONL", "MaxItems": "{% $states.input.max %}"},
        },
        "ItemBatcher": {"MaxItemsPerBatch": "{% 2 %}", "BatchInput": {"tag": "{% 'b' %}"}},
        "ItemProcessor": {**_processor(), "StartAt": "Work"},
        "ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject",
            "Arguments": {"Bucket": BUCKET, "Prefix": "{% 'j' %}"},
            "WriterConfig": {"Transformation": "COMPACT"},
        },
        "End": True,
    }
    result = _go(rt, {"StartAt": "M", "States": {"M": state}}, {"bucket": BUCKET, "max": 5})
    assert result.status == ExecutionStatus.SUCCEEDED, result
    manifest = _get(rt, result.output["ResultWriterDetails"]["Key"])
    assert manifest["DestinationBucket"] == BUCKET
    (succeeded,) = manifest["ResultFiles"]["SUCCEEDED"]
    batches = _get(rt, succeeded["Key"])
    assert batches == [
        {"Items": [0, 1], "BatchInput": {"tag": "b"}},
        {"Items": [2, 3], "BatchInput": {"tag": "b"}},
        {"Items": [4], "BatchInput": {"tag": "b"}},
    ]
