"""JoinWithdrawals on a batch: a join by traveller id, the same pairs whatever the order."""

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipelines.withdrawals.transforms import JoinWithdrawals


def _withdrawal(traveller_id, reason, message):
    return {"traveller_id": traveller_id, "reason": reason, "message_id": message}


def test_batch_join_pairs_each_item_with_one_withdrawal():
    items = [("t1", "flag-a"), ("t1", "flag-b"), ("t2", "flag-c"), ("t3", "flag-d")]
    # t1 withdrawn twice (a redelivered cancellation): one of them, the same on every run
    withdrawals = [_withdrawal("t1", "CANCELLED", "m2"), _withdrawal("t1", "CANCELLED", "m1"),
                   _withdrawal("t3", "REPLACED", "m3"), _withdrawal("t9", "CANCELLED", "m4")]
    for ordered in (withdrawals, list(reversed(withdrawals))):
        with TestPipeline() as pipeline:
            met = ({"items": pipeline | "Items" >> beam.Create(items),
                    "withdrawals": pipeline | "Withdrawals" >> beam.Create(ordered)}
                   | JoinWithdrawals(3600))
            assert_that(met | beam.Map(lambda pair: (pair[0], pair[1]["message_id"])),
                        equal_to([("flag-a", "m1"), ("flag-b", "m1"), ("flag-d", "m3")]))
