"""Benchmarks that measure nubo beside what its users would pick instead.

``python -m benchmarks`` (or ``nox -s bench``) runs every workload against a
canned EC2 server on 127.0.0.1 and compares nubo's EC2 driver with a bare
``requests`` loop (the floor), apache-libcloud's EC2 driver and boto3. The parts:

- :mod:`benchmarks._fleet`: the XML answers, generated for any number of
  instances and cut into pages;
- :mod:`benchmarks._server`: the canned server, run in its own process;
- :mod:`benchmarks._clients`: one way to list nodes for each client;
- :mod:`benchmarks._child`: what runs in a fresh interpreter (fleet, cold start);
- :mod:`benchmarks._workloads`: the workloads, in alternating order and rounds;
- :mod:`benchmarks._report`: the markdown table, the JSON and the chart.

Nothing here is imported by nubo, and nothing here runs in the test session.
"""
