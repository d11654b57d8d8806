"""Partner files and audit segments of a stream are named by window and firing, so a window that
fires again for late records never reuses a name."""

from __future__ import annotations

import glob
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.transforms import trigger, window
from apache_beam.transforms.window import GlobalWindow, IntervalWindow
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from pipelines import crypto
from pipelines.sharing import output
from pipelines.sharing.audit import LocalStore, verify
from pipelines.sharing.transforms import ShareWithPartners, window_run_id
from sharing_samples import RULES, make_keys, traveller

WINDOW = IntervalWindow(1795305600, 1795309200)  # 2026-11-22T00:00Z, one hour


def _pane(index: int, timing=PaneInfoTiming.LATE) -> PaneInfo:
    return PaneInfo(is_first=index == 0, is_last=False, timing=timing, index=index, nonspeculative_index=index)


def test_batch_keeps_the_run_id():
    assert window_run_id("r1", GlobalWindow()) == "r1"
    assert window_run_id("r1", GlobalWindow(), _pane(3)) == "r1"


def test_each_firing_of_a_window_has_its_own_name():
    names = [window_run_id("r1", WINDOW, _pane(i, PaneInfoTiming.ON_TIME if i == 0 else PaneInfoTiming.LATE))
             for i in range(4)]
    assert names == ["r1.w20261122T000000Z", "r1.w20261122T000000Z.p1", "r1.w20261122T000000Z.p2",
                     "r1.w20261122T000000Z.p3"]
    assert window_run_id("r1", WINDOW) == names[0]  # no pane known: the first firing's name


def test_a_window_that_fires_again_publishes_beside_its_first_files(tmp_path):
    """Late records fire a window again (discarding): that firing's file sits beside the first one
    under its own name, each record reaches the partner once, and the audit chain verifies."""
    keys = make_keys(tmp_path / "keys")
    out = tmp_path / "out"
    start = WINDOW.start
    first, late = traveller("M1/1", route=("JFK", "MEX")), traveller("M2/1", route=("JFK", "MEX"), surname="ROE")
    events = (TestStream()
              .advance_watermark_to(start)
              .add_elements([window.TimestampedValue(first, start + 60)])
              .advance_watermark_to(start + 7200)  # the window has fired on time
              .add_elements([window.TimestampedValue(late, start + 120)])  # behind the watermark
              .advance_watermark_to_infinity())
    options = PipelineOptions(["--runner=DirectRunner"])
    options.view_as(StandardOptions).streaming = True
    with beam.Pipeline(options=options) as p:
        _ = (p | events
             | beam.WindowInto(window.FixedWindows(3600), trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
                               accumulation_mode=trigger.AccumulationMode.DISCARDING, allowed_lateness=86400)
             | ShareWithPartners(RULES, keys, out, "r1", shared_at="2026-11-23T12:00:00Z", provider="USA",
                                 shards=1, per_window=True))
    files = sorted(Path(f).name for f in glob.glob(str(out / "partners" / "MEX" / "*.sealed")))
    assert files == ["shared-MEX-r1.w20261122T000000Z-00000-of-00001.avro.sealed",
                     "shared-MEX-r1.w20261122T000000Z.p1-00000-of-00001.avro.sealed"]
    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    ids = sorted(r["record_id"] for f in files
                 for r in output.open_records((out / "partners" / "MEX" / f).read_bytes(), keyring, "MEX", f, trusted))
    assert len(ids) == len(set(ids)) == 2
    assert verify(LocalStore(out / "audit"), trusted=trusted).ok
    assert not list((out / ".staging").rglob("*"))
