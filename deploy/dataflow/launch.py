"""Flex template entry point: the template's parameters arrive as --name=value arguments, the
Dataflow options (runner, project, region, sdk_container_image, ...) among them; paxshare's own
parser takes its options and passes the rest to Beam, as `paxshare stream ... -- BEAM OPTIONS`."""

import sys

from pipelines.cli import main

if __name__ == "__main__":
    sys.exit(main(["stream", *sys.argv[1:]]))
