"""What the benchmarks run in a fresh interpreter, one client at a time.

``python -m benchmarks._child fleet CLIENT PORT`` lists a whole fleet and prints,
as JSON, the wall and CPU time of the listing, the instances counted, the
resident memory before it and the peak resident memory of the process
(``ru_maxrss``).

The cold start is timed by :data:`COLD_PROBES`, run with ``python -I -c`` so that
nothing of this package is imported first.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time

__all__ = ["COLD_PROBES", "fleet", "main"]

log = logging.getLogger(__name__)

_COLD_HEAD = "import time\nstarted, cpu = time.perf_counter(), time.process_time()\n"
_COLD_TAIL = (
    "\nfinished, cpu_end = time.perf_counter(), time.process_time()\n"
    "import json\nprint(json.dumps("
    "{'seconds': finished - started, 'cpu_seconds': cpu_end - cpu}))\n"
)

# Import, look up the driver and make it: the code each client's user writes.
_COLD_BODIES = {
    "nubo": (
        "import nubo\n"
        "driver = nubo.get_driver('ec2')('AKIDNUBOBENCHEXAMPLE', 'not-a-secret',"
        " region='us-east-1', host='127.0.0.1', port=9, secure=False)\n"
    ),
    "libcloud": (
        "from libcloud.compute.providers import get_driver\n"
        "from libcloud.compute.types import Provider\n"
        "driver = get_driver(Provider.EC2)('AKIDNUBOBENCHEXAMPLE', 'not-a-secret',"
        " region='us-east-1', host='127.0.0.1', port=9, secure=False)\n"
    ),
    "boto3": (
        "import boto3\n"
        "client = boto3.client('ec2', region_name='us-east-1',"
        " endpoint_url='http://127.0.0.1:9',"
        " aws_access_key_id='AKIDNUBOBENCHEXAMPLE',"
        " aws_secret_access_key='not-a-secret')\n"
    ),
}

#: Whole programs that time a cold start and print its wall and CPU seconds.
COLD_PROBES = {
    name: _COLD_HEAD + body + _COLD_TAIL for name, body in _COLD_BODIES.items()
}


def _rss_kib() -> int:
    # The resident set now, from /proc; ru_maxrss only gives the peak.
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() // 1024


def fleet(client: str, port: int) -> dict[str, float]:
    """List every instance with one client and measure it.

    :param client: a key of :data:`benchmarks._clients.ALL_PAGES`.
    :param port: the canned server's port.
    :returns: ``seconds`` (wall), ``cpu_seconds`` (this process's), ``count``,
        ``rss_before_kib`` and ``peak_rss_kib``.
    """
    from benchmarks import _clients

    handle = _clients.make(client.split("-")[0], port)
    before = _rss_kib()

    started, cpu = time.perf_counter(), time.process_time()
    count = _clients.ALL_PAGES[client](handle)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "count": count,
        "rss_before_kib": before,
        "peak_rss_kib": peak,
    }


def main(argv: list[str]) -> int:
    """Run one measurement and print it as JSON.

    :param argv: ``fleet CLIENT PORT``.
    :returns: the exit status.
    """
    kind, client, port = argv
    if kind != "fleet":
        raise SystemExit(f"unknown measurement {kind!r}; only 'fleet' runs here")
    print(json.dumps(fleet(client, int(port))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
