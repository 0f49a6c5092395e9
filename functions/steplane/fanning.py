"""The shell of Parallel and Map: launching children on lanes, moving lanes on as children
end, and counting a visit's children for its fan-in (see the README's design).

Every step reads the truth (the parent's head, the lane records, the children's heads)
and makes only conditional writes, so a message delivered twice, late, or after a crash
changes nothing twice; the pure core decides what each child's input is and what their
outcome does to the parent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from steplane.asl.failures import AslError
from steplane.definition.loader import Definition
from steplane.errors import StatesError
from steplane.execution import ChildOf, Execution, ExecutionStatus, FanOut
from steplane.interpreter.decisions import Command, HistoryEvent, StepLanes, Transition, WakeAt
from steplane.interpreter.engine import decide
from steplane.interpreter.signals import Abort, Begin, ChildEnded, FanIn, WakePurpose
from steplane.jsontypes import Json
from steplane.map_runs import MapRunShell, read_decision
from steplane.messages import AbortMessage, LanesMessage
from steplane.names import child_execution_id
from steplane.ports import CommitOutcome, ExecutionStore, LaneRecord, ObjectStore
from steplane.settings import Settings
from steplane.states import FANNING, stoppable
from steplane.states.map_items import child_name

# Children one StepLanes message launches before it hands the rest to a message of its
# own (an invocation stays short however many Pass-only children end at once).
LAUNCHES_PER_MESSAGE = 50
# Up to this many lanes, a lane's end or failure is counted by reading every lane record
# (a Query of 64 small items is about one read unit); above, by a count item (one write
# unit, whatever the lanes).
QUERIED_LANES = 64


class FanOutShell:
    """Launches, moves and counts the children of fan-outs."""

    def __init__(
        self,
        store: ExecutionStore,
        *,
        send: Callable[[Execution, tuple[Command, ...], datetime], None],
        settings: Settings,
        definition: Callable[[str], Definition],
        with_input: Callable[[Execution, Definition], Execution],
        seed: Callable[[str], str],
        objects: Callable[[], ObjectStore],
        resend: Callable[[Execution, Definition, datetime], None],
    ) -> None:
        self._store = store
        # The engine's: a head's commands to their queues (steplane.routing).
        self._send = send
        self._settings = settings
        self._definition = definition
        self._with_input = with_input
        self._seed = seed
        # The engine's: send again what a head implies is in flight.
        self._resend = resend
        self._map_runs = MapRunShell(
            store,
            objects=objects,
            send=send,
            settings=settings,
            definition=definition,
            with_input=with_input,
            seed=seed,
        )

    # -- lanes --------------------------------------------------------------------------
    def step_lanes(self, message: LanesMessage, now: datetime) -> bool:
        """Move each lane of the message on; False when the parent no longer waits on the
        visit (a stale message: nothing to do)."""
        parent = self._store.get_head(message.parent)
        if (
            message.read
            and parent is not None
            and parent.decision_id == read_decision(message.visit)
        ):
            # This read moved the parent (on to its lanes, or out of a failed Map) and may
            # have died before it sent what that implies: send it again (receivers
            # ignore duplicates).
            self._resend(parent, self._definition(parent.definition_hash), now)
            return True
        fan = _waiting_on(parent, message.visit)
        if parent is None or fan is None:
            return False
        if fan.launch_at is not None and now < fan.launch_at:
            return False  # a retry's children wait for its delay
        if message.read:
            return fan.reading and self._map_runs.read(parent, now)
        if fan.reading:
            return False  # no lane moves before the items are read
        definition = self._definition(parent.definition_hash)
        budget = LAUNCHES_PER_MESSAGE
        count = False
        for lane in range(message.first, min(message.last, fan.lanes - 1) + 1):
            if budget <= 0:
                # The rest in a message of their own: this invocation has done enough.
                rest = StepLanes(message.parent, message.visit, lane, message.last)
                self._send(parent, (rest,), now)
                break
            ended, launched = self._step_lane(parent, definition, lane, fan, now, message.ended)
            budget -= launched
            count = count or ended
        # A step no child sent (the launch, a continuation, the sweeper's re-send) counts
        # every lane: a wake-up lost to a crash is re-derived there.
        if count or message.ended is None:
            self.check_fan_in(parent, message.visit, fan, now)
        return True

    def _step_lane(  # noqa: PLR0917 - the lane step's whole context
        self,
        parent: Execution,
        definition: Definition,
        lane: int,
        fan: FanOut,
        now: datetime,
        ended: int | None = None,
    ) -> tuple[bool, int]:
        """Move one lane on as far as its children have ended: ``(whether the fan-in may
        be due, children launched)``."""
        # The parent waits on this very visit (step_lanes checked): its entered version.
        lanes, visit = self._store.lanes, parent.entered_version
        if ended is not None:
            # Sent by the child that ended at ``ended``: the lane is expected there. Moving
            # it is conditional on that; if it is elsewhere, the move reads it as it is.
            # (Its earlier failures are not known here: only this move's own are
            # counted, which is all the counts need.)
            record: LaneRecord | None = LaneRecord(lane, ended)
        else:
            record = lanes.get(parent.execution_id, visit, lane)
        expiry = self._expiry(parent)
        if record is None:
            if lane >= fan.total:
                # A lane with no child (a visit of none): its record says it has ended.
                lanes.open(parent.execution_id, visit, lane, expiry)
                return True, 0
            # Not moved yet: at its first child (its record comes with its first move).
            record = LaneRecord(lane, lane)
        # Where no failure is tolerated, a failed child fails the visit: the lane launches
        # no more. Where some are, the lane goes on past failures.
        stops = not fan.tolerates_failures
        if record.pos >= fan.total or (stops and record.failed > 0):
            # Found ended (a re-sent step, not a move): every lane is counted, in case the
            # mover's count or wake-up was lost to a crash.
            return True, 0
        launched = 0
        while record.pos < fan.total and launched < LAUNCHES_PER_MESSAGE:
            child_id = child_execution_id(parent.execution_id, visit, record.pos)
            child = self._store.get_head(child_id)
            if child is None:
                child = self._launch(parent, definition, record.pos, fan, now)
                launched += 1
                if child is None or not child.status.is_terminal:
                    return False, launched
            if not child.status.is_terminal:
                return False, launched
            failed = child.status is not ExecutionStatus.SUCCEEDED
            weight = child.parent.weight if failed and child.parent is not None else 1
            record = lanes.advance(
                parent.execution_id,
                visit,
                record,
                fan.lanes,
                failed=failed,
                weight=weight,
                expiry=expiry,
            )
            if record.moved:
                failed_items = weight if failed else 0
                self._count(parent, fan, record, failed=failed_items, expiry=expiry, now=now)
            elif record.pos >= fan.total or (stops and record.failed > 0):
                return True, launched  # another mover ended it (and counted)
            if stops and record.failed > 0:
                return False, launched
        if record.pos < fan.total:  # stopped for the budget: go on in a message of its own
            self._send(parent, (StepLanes(parent.execution_id, visit, lane, lane),), now)
        return False, launched

    def _count(
        self,
        parent: Execution,
        fan: FanOut,
        record: LaneRecord,
        *,
        failed: int,
        expiry: int,
        now: datetime,
    ) -> None:
        """Count a lane's move that ended the lane or failed a child (the mover alone
        counts it; ``failed``: the items the failed child carried), and wake the parent
        when the counts say the fan-in is due: every lane ended, or the failures over
        the tolerance. The first mover to see it due claims the visit's wake-up, so the
        parent is woken once however many see it; a wake-up lost after its claim is
        healed by the parent's sweep, whose lane steps count every lane."""
        ended = record.pos >= fan.total
        if not ended and not failed:
            return
        visit = parent.entered_version
        if fan.lanes <= QUERIED_LANES:
            # Few lanes: reading them all (one Query, a read unit or two) costs less than
            # updating a count (a write unit), and needs no count item.
            lanes_ended, items_failed = _counts(
                self._store.lanes.all(parent.execution_id, visit), fan
            )
        else:
            lanes_ended, items_failed = self._store.lanes.count(
                parent.execution_id, visit, ended=int(ended), failed=failed, expiry=expiry
            )
        due = lanes_ended >= fan.lanes or fan.over_tolerance(items_failed)
        if due and self._store.lanes.claim_wake(parent.execution_id, visit, expiry):
            self._send(parent, (WakeAt(now, WakePurpose.FAN_IN, parent.version),), now)

    def _expiry(self, parent: Execution) -> int:
        """``expiresAt`` of an item written now for the visit ``parent`` is parked on: its
        transition's items', or the head's floor if the sweeper has raised it since (a
        lane's first move may come long after the parent parked)."""
        floor = parent.children_expire_at
        raised = math.ceil(floor.timestamp()) if floor is not None else 0
        return max(self._store.child_expiry(parent), raised)

    def _launch(
        self, parent: Execution, definition: Definition, index: int, fan: FanOut, now: datetime
    ) -> Execution | None:
        """Create child ``index`` and run its first decision (None: another launch of the
        same child won; the lane looks again at its next step)."""
        assert parent.state is not None, "a parked head names its state"
        visit = parent.entered_version
        state = definition.state(parent.state)
        lifecycle = FANNING[state.type]
        policy = lifecycle.child_policy(state)
        child_id = child_execution_id(parent.execution_id, visit, index)
        loaded = self._with_input(parent, definition)
        decision_id = f"launch:{visit}:{index}"
        weight = 1
        failure: AslError | None = None
        child_input: Json = None
        try:
            if fan.stored:
                child_input, weight = self._stored_input(parent, visit, index)
            else:
                child_input = lifecycle.child_input(
                    parent.state, state, loaded, index, self._settings
                )
        except AslError as error:
            failure = error
        place = ChildOf(
            parent.execution_id,
            parent.state,
            visit,
            index,
            fan.lanes,
            fan.total,
            weight=weight,
            own_context=policy.own_context,
            context=_context_of(parent),
        )
        fresh = _fresh_child(child_id, parent, loaded, place, now)
        if policy.max_seconds is not None:
            fresh = replace(fresh, deadline=now + timedelta(seconds=policy.max_seconds))
        if failure is not None:
            # The item's input cannot be built (an ItemSelector that fails on it): the
            # child fails with that error, so the Map sees it like any failed item.
            transition = _failed_at_birth(fresh, now, failure)
        else:
            decision = decide(
                definition,
                fresh,
                Begin(child_input),
                now,
                self._seed(decision_id),
                settings=self._settings,
            )
            assert isinstance(decision, Transition), "Begin always moves a new execution"
            transition = decision
        created = replace(transition.execution, decision_id=decision_id)
        outcome = self._store.commit(None, created, transition.events)
        if outcome is not CommitOutcome.COMMITTED:
            return None
        # The lane moves on in this invocation: the child's hint to it is not needed (a
        # fan-out of the child's own is launched by its StepLanes, which is sent).
        commands = tuple(
            c
            for c in transition.commands
            if not (isinstance(c, StepLanes) and c.parent == parent.execution_id)
        )
        self._send(created, commands, now)
        return created

    def _stored_input(self, parent: Execution, visit: int, index: int) -> tuple[Json, int]:
        """A Map Run child's stored input and weight (raises AslError if it is gone: its
        retention passed, so the child fails like any child that cannot start)."""
        try:
            return self._store.child_inputs.get(parent.execution_id, visit, index)
        except KeyError as missing:
            raise AslError(str(missing.args[0])) from None

    # -- stopping -----------------------------------------------------------------------
    def abort(self, message: AbortMessage, now: datetime) -> bool:
        """Abort the running child of each lane of the message (the parent has left the
        visit, so no lane launches another). False when none was running."""
        parent = self._store.get_head(message.parent)
        if parent is None or _waiting_on(parent, message.visit) is not None:
            return False  # the parent still waits on the visit: nothing to stop
        aborted = False
        for lane in range(message.first, message.last + 1):
            # A lane without a record has not moved: its first child is its current one.
            record = self._store.lanes.get(message.parent, message.visit, lane)
            aborted = self._abort_child(message, record or LaneRecord(lane, lane), now) or aborted
        return aborted

    def _abort_child(self, message: AbortMessage, record: LaneRecord, now: datetime) -> bool:
        child_id = child_execution_id(message.parent, message.visit, record.pos)
        for _ in range(3):  # the child may move meanwhile: decide again on what it is now
            child = self._store.get_head(child_id)
            if child is None or child.status.is_terminal:
                return False
            definition = self._definition(child.definition_hash)
            if child.parent is not None and not stoppable(definition, child.parent.state):
                return False  # EXPRESS: it runs to its end; its result is ignored
            decision_id = f"abort:{message.visit}"
            # With its input: what the child leaves running (a nested execution a Task of
            # it waits for) may be named by $$.Execution.Input.
            child = self._with_input(child, definition)
            decision = decide(
                definition, child, Abort(), now, self._seed(decision_id), settings=self._settings
            )
            if not isinstance(decision, Transition):
                return False
            ended = replace(decision.execution, decision_id=decision_id)
            if self._store.commit(child, ended, decision.events) is CommitOutcome.COMMITTED:
                self._send(ended, decision.commands, now)  # its own children's aborts
                return True
        return False

    # -- fan-in -------------------------------------------------------------------------
    def check_fan_in(self, parent: Execution, visit: int, fan: FanOut, now: datetime) -> None:
        """Count every lane, and wake the parent when every lane has ended or the failures
        are over the tolerance (a hint: the parent's decision counts again before it
        moves). For lane steps that find a lane ended: its mover's count or wake-up may
        have been lost to a crash."""
        lanes_ended, items_failed = _counts(self._store.lanes.all(parent.execution_id, visit), fan)
        if lanes_ended >= fan.lanes or fan.over_tolerance(items_failed):
            self._send(parent, (WakeAt(now, WakePurpose.FAN_IN, parent.version),), now)

    def fan_in(self, parent: Execution) -> FanIn | None:
        """What the store shows of the visit ``parent`` is parked on: every child ended
        (their outcomes, in order), failures over the tolerance (the first failed child),
        or nothing decided yet (None). A Map Run's results are exported first, when its
        ResultWriter says where."""
        fan = parent.fan_out
        if fan is None:
            return None
        visit = parent.entered_version
        records = self._store.lanes.all(parent.execution_id, visit)
        lanes_ended, failed = _counts(records, fan)
        if fan.over_tolerance(failed):
            first = min(r.first_failed for r in records if r.first_failed is not None)
            fan_in = FanIn(visit, failures=(self._outcome(parent, visit, first),), failed=failed)
            return self._map_runs.exported(parent, fan, fan_in, None) if fan.stored else fan_in
        if lanes_ended < fan.lanes:
            return None
        ids = [child_execution_id(parent.execution_id, visit, i) for i in range(fan.total)]
        heads = self._store.get_heads(ids)
        results = tuple(
            _ended(index, child_id, heads.get(child_id)) for index, child_id in enumerate(ids)
        )
        fan_in = FanIn(visit, results=results, failed=failed)
        return self._map_runs.exported(parent, fan, fan_in, heads) if fan.stored else fan_in

    def _outcome(self, parent: Execution, visit: int, index: int) -> ChildEnded:
        child_id = child_execution_id(parent.execution_id, visit, index)
        return _ended(index, child_id, self._store.get_head(child_id))


def _counts(records: list[LaneRecord], fan: FanOut) -> tuple[int, int]:
    """``(lanes ended, items failed)`` of a visit's lane records (a lane without a record
    has not moved, so has not ended)."""
    lanes_ended = sum(1 for r in records if r.pos >= fan.total)
    return lanes_ended, sum(r.items_failed for r in records)


def _ended(index: int, child_id: str, child: Execution | None) -> ChildEnded:
    """How child ``index`` ended, as its head says."""
    if child is None or not child.status.is_terminal:
        # A lane moves past ended children only; one gone is one whose retention passed
        # (a visit running longer than RetentionDays): its result is lost.
        cause = f"the child execution {child_id!r} is gone: its retention has passed"
        return ChildEnded(index, False, error=StatesError.RUNTIME.value, cause=cause)
    if child.status is ExecutionStatus.SUCCEEDED:
        return ChildEnded(index, True, output=child.data)
    status = child.status.value
    return ChildEnded(index, False, error=child.error, cause=child.cause, status=status)


def _fresh_child(
    child_id: str, parent: Execution, loaded: Execution, place: ChildOf, now: datetime
) -> Execution:
    """The new child's head, before its first decision. A Parallel's branch or an inline
    Map's iteration runs within its root execution: its ``$$.Execution`` (Id, Name,
    StartTime, Input) is the root's, and it reads the variables around it. A Map Run's
    child is an execution of its own: its own name (a UUID, as Step Functions names
    them), start and input (set by its first decision), and no outer variables."""
    if place.own_context:
        return Execution(
            execution_id=child_id,
            workflow=parent.workflow,
            name=child_name(child_id),
            definition_hash=parent.definition_hash,
            input_hash="",
            start_date=now,
            parent=place,
        )
    fresh = Execution(
        execution_id=child_id,
        workflow=parent.workflow,
        name=parent.name,
        definition_hash=parent.definition_hash,
        input_hash="",
        start_date=parent.start_date,
        parent=place,
        variables=parent.variables,
    )
    return replace(fresh, input=loaded.input) if loaded.input_loaded else fresh


def _context_of(parent: Execution) -> str | None:
    """Whose input is ``$$.Execution.Input`` for a child of ``parent`` running within it
    (None: the root's, as for most)."""
    place = parent.parent
    if place is None:
        return None
    source = place.input_source(parent.execution_id)
    return None if source == parent.execution_id.split("/", 1)[0] else source


def _waiting_on(parent: Execution | None, visit: int) -> FanOut | None:
    """The fan-out ``parent`` waits on at ``visit``, if it still does."""
    if parent is None or parent.status.is_terminal or parent.entered_version != visit:
        return None
    return parent.fan_out


def _failed_at_birth(fresh: Execution, now: datetime, error: AslError) -> Transition:
    """A child whose input could not be built: started and failed in one transition."""
    events = (
        HistoryEvent(1, "ExecutionStarted", now),
        HistoryEvent(
            2, "ExecutionFailed", now, details={"error": error.error, "cause": error.cause}
        ),
    )
    ended = replace(
        fresh,
        version=1,
        status=ExecutionStatus.FAILED,
        error=error.error,
        cause=error.cause,
        stop_date=now,
        updated_at=now,
        event_count=2,
    )
    return Transition(ended, events, ())


__all__ = ["FanOutShell", "LaneRecord"]
