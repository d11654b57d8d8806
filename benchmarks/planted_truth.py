"""Check a run against the generator's planted truth.

    python benchmarks/planted_truth.py GENERATED_DIR RUN_OUTPUT_DIR
"""

import json
import sys

from pipelines.generate.truth_check import compare

if __name__ == "__main__":
    result = compare(sys.argv[1], sys.argv[2])
    print(json.dumps(result, indent=1)[:6000])
    sys.exit(0 if result["exact"] else 1)
