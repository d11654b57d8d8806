"""``paxshare stream``'s runner defaults: streaming mode, Prism when no runner is named, and no
dynamic bundle splits on Prism (they lost a flight's state; see pipelines.stream.PRISM_EXPERIMENTS)."""

from __future__ import annotations

import pytest
from apache_beam.options.pipeline_options import DebugOptions, PipelineOptions, StandardOptions

from pipelines import stream


@pytest.mark.parametrize("args", [
    ["--prism_location=/bin/true"],
    ["--runner=PortableRunner", "--job_endpoint=localhost:8099", "--environment_type=EXTERNAL",
     "--environment_config=localhost:50000"],
    ["--runner=PortableRunner", "--job_endpoint=localhost:8099", "--experiments=prism_disable_sdf_split"],
])
def test_stream_runs_streaming_without_prism_bundle_splits(args):
    options = PipelineOptions(args)
    stream.with_stream_defaults(options)
    assert options.view_as(StandardOptions).streaming
    experiments = options.view_as(DebugOptions).experiments
    assert experiments.count("prism_disable_sdf_split") == 1


def test_prism_is_the_default_runner():
    options = PipelineOptions(["--prism_location=/bin/true"])
    stream.with_stream_defaults(options)
    assert options.view_as(StandardOptions).runner == "PrismRunner"
