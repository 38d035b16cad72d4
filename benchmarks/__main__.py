"""Run every benchmark: ``python -m benchmarks [--quick] [--docs]``."""

import sys

from benchmarks._workloads import main

sys.exit(main())
