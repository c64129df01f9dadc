"""Invariant `reports_match_facts`: what the system tells its callers, against what happened.

Every other checker judges the data; this one judges the answers callers act on. An emitter that
says "failed" for a record that is durable (and so will be delivered by reconcile) makes its
caller retry a signal that is already on its way; "delivered" without a 200 makes it drop one
that is not. The facts are the world's: the durable bytes at the moment of the answer
(`durable` in `emit.result`), the ingest answers RiskCast gave, the frames at the end.
"""
from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter

from scenarios.invariants.model import CheckContext, Violation

NOT_FAILED = frozenset({"delivered", "duplicate", "deferred"})
INGEST_STATUS_OF = {"delivered": 200, "duplicate": 409}


def reports_match_facts(ctx: CheckContext) -> Iterator[Violation]:
    """Each emit result and each reconcile replay claim, held against the facts seen so far."""
    answered: set[tuple[str, int, str]] = set()
    accepted: set[str] = set()
    durable_at_start: dict[str, bool] = {}
    in_flight: dict[str, int] = {}  # emits of a signal started and not yet answered
    alone: dict[str, bool] = {}  # no other emit of the signal overlapped the one in flight
    events = sorted([*ctx.of_kind("ingest.result"), *ctx.of_kind("emit.start"), *ctx.of_kind("emit.result"),
                     *ctx.of_kind("reconcile.result")], key=itemgetter(0))  # by `index`
    beyond_promise = ctx.beyond_promise  # a fact of the whole run: asked once, not at every answer
    # read only when the run stayed within the promise (below), so derived only then (and shared)
    placed = {} if beyond_promise else ctx.placed()
    for index, _, _, kind, fields in events:
        get = fields.get
        if kind == "ingest.result":
            # each field read once: a present key's `get` is its subscript, and `str` of one value
            # twice gives equal texts (the sets compare by equality)
            status = get("status")
            if status in (200, 409):
                ack = get("ack_id")
                if ack:
                    sid = str(fields["signal_id"])
                    answered.add((sid, int(status), str(ack)))
                    accepted.add(sid)
            continue
        if kind == "emit.start":
            # a signal emitted again may already be durable from an earlier emit, or become durable
            # through another emit of it in flight at the same time: only what a lone emit changed
            # is its own doing
            sid = str(get("signal_id"))
            flight = in_flight.get(sid, 0) + 1
            in_flight[sid] = flight
            alone[sid] = flight == 1
            durable_at_start[sid] = bool(get("durable"))
            continue
        if kind == "reconcile.result":
            unconfirmed = [sid for sid in get("replayed") or [] if sid not in accepted]
            if unconfirmed:
                yield Violation("reports_match_facts",
                                f"reconcile reported {len(unconfirmed)} signal(s) of {get('partition')} "
                                "replayed that RiskCast never accepted",
                                signal_ids=tuple(unconfirmed[:20]), partition=get("partition"),
                                trace_indices=(int(index),))
                return
            continue
        sid, status = str(get("signal_id")), get("status")
        # the count in flight read once: `max(count - 1, 0)` and `count > 1` of the same count
        flight = in_flight.get(sid, 0)
        overlapped = not alone.get(sid, True) or flight > 1
        in_flight[sid] = flight - 1 if flight > 1 else 0
        if flight <= 1:
            alone[sid] = True
        message = None
        wanted = INGEST_STATUS_OF.get(status)
        if wanted is not None and (sid, wanted, str(get("ack_id"))) not in answered:
            message = f"the emitter said {status} with ack {get('ack_id')}, but RiskCast never answered {wanted} with it"
        elif (status == "failed" and get("durable") and not durable_at_start.get(sid, False)
              and not overlapped and not beyond_promise):
            message = "the emitter said failed (nothing written), but the record was durable in the ledger"
        elif status in NOT_FAILED and not beyond_promise:
            holder = placed.get((get("partition"), get("sequence")))
            if get("durable") is False:
                message = f"the emitter said {status} (in the ledger), but the record was not durable"
            elif holder is not None and holder != sid:
                message = (f"the writer placed it at {fields.get('partition')}#{fields.get('sequence')}, "
                           f"but that frame holds {holder}")
        if message is not None:
            yield Violation("reports_match_facts", f"signal {sid}: {message}", signal_ids=(sid,),
                            partition=fields.get("partition"), trace_indices=(int(index),))
            return
