"""Importing nubo scans nothing and imports no plugin; lookups scan once.

Checked in a fresh interpreter, where nothing else has looked a provider up yet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import distfactory

# Counts every call of the metadata library's scan, then follows one process
# through import, listing and loading.
SCRIPT = textwrap.dedent(
    """
    import sys
    import importlib_metadata

    calls = []
    original = importlib_metadata.distributions

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    importlib_metadata.distributions = counting

    import nubo
    from nubo import _registry

    plugin, other = sys.argv[1], sys.argv[2]
    assert plugin not in sys.modules and other not in sys.modules
    assert calls == [], calls
    assert _registry._scan_count == 0

    names = [r.name for r in nubo.providers()]
    assert plugin in names and other in names, names
    assert plugin not in sys.modules and other not in sys.modules
    assert len(calls) == 1 and _registry._scan_count == 1

    nubo.get_driver(plugin)
    nubo.get_driver(plugin.upper())
    assert plugin in sys.modules
    assert other not in sys.modules
    assert len(calls) == 1 and _registry._scan_count == 1

    nubo.refresh_providers()
    nubo.get_driver(plugin)
    assert len(calls) == 2 and _registry._scan_count == 2
    print("checked")
    """
)


def test_import_scans_nothing_and_lookups_scan_once(tmp_path: Path) -> None:
    site = tmp_path / "site"
    names = [distfactory.fresh_name("cold"), distfactory.fresh_name("untouched")]
    for name in names:
        distfactory.dist_info(
            site,
            f"{name}-dist",
            "1.0",
            {"nubo.compute": {name: f"{name}:Driver"}},
            {name: distfactory.driver_source(name)},
        )
    env = {**os.environ, "PYTHONPATH": str(site)}

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, *names],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "checked"
