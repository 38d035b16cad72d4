"""The conformance kit over the DigitalOcean driver, against Prism on 127.0.0.1.

The driver offers the whole compute contract and claims it, so that the kit
checks ``supports`` against every method. Prism answers each request with the
spec's fixed example, whatever was asked before; so the kit tests that read are
run, and those that follow a resource through changes are not, because the
change never shows. Every request the driver makes must pass Prism's
validation.

Run against Prism:

- the claims, ``supports`` and its refusal of unknown names;
- the listings (sizes, locations, images, nodes with stable uuids) and
  ``list_*`` agreeing with ``iter_*``;
- ``get_node``, ``get_image`` and ``get_key_pair`` of an unknown id raising
  ``NotFoundError``: a hook plugin asks Prism for the spec's 404 answer
  (``Prefer: code=404``) on the calls that name an id the kit made up, and on
  no other call.

Not applicable to Prism, and skipped with the reason:

- ``test_node_lifecycle``, ``test_node_stop_start_reboot`` and
  ``test_wait_until_running_outcomes``: a destroyed or stopped droplet is still
  the example's active one;
- ``test_volume_lifecycle`` and ``test_volume_attach_detach``: a volume never
  leaves the example's state, so it is never seen attached, detached or gone;
- ``test_key_pair_round_trip`` and ``test_key_pair_import``: a new key is the
  example's key, under the example's name, not the one asked for;
- ``test_get_image``: the example of one image is not the first listed one;
- ``test_lists_complete_across_pages``: the driver always asks for the largest
  page and Prism has one fixed page; ``test_do_paging.py`` follows pages;
- ``test_unsupported_methods_raise_not_supported`` skips itself: the driver
  supports every method.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest
from do_support import TOKEN, PrismServer, Recorder, no_wait_policy

import nubo
from nubo.compute import NodeDriver
from nubo.testing import CONTRACT_METHODS, ConformanceSuite
from nubo_digitalocean import DigitalOceanNodeDriver

pytestmark = pytest.mark.peer


class _NotFoundFor:
    """A hook plugin that asks Prism for the spec's 404 answer, for the GET
    calls that name one of the ids it was given."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    @nubo.hookimpl
    def add_default_headers(self, request: nubo.Request) -> None:
        last = request.action.rstrip("/").rsplit("/", 1)[-1]
        if request.method == "GET" and last in self.ids:
            request.headers["Prefer"] = "code=404"


def _not_on_prism(reason: str) -> Callable[..., None]:
    @pytest.mark.skip(reason=f"does not apply to Prism: {reason}")
    def test(self: ConformanceSuite, driver: NodeDriver) -> None:
        """Skipped: Prism cannot show what this test checks."""

    return test


_STATIC_NODE = "a destroyed or stopped droplet is still the example's active one"
_STATIC_VOLUME = "a volume never leaves the example's state"
_STATIC_KEY = "a new key is the example's key, under the example's name"
_STATIC_IMAGE = "the example of one image is not the first listed one"
_ONE_PAGE = "the driver asks for the largest page, and Prism has one fixed page"


class TestDigitalOceanConformance(ConformanceSuite):
    capabilities = CONTRACT_METHODS
    timeout = 5.0
    wait_period = 0.05

    test_node_lifecycle = _not_on_prism(_STATIC_NODE)
    test_node_stop_start_reboot = _not_on_prism(_STATIC_NODE)
    test_wait_until_running_outcomes = _not_on_prism(_STATIC_NODE)
    test_volume_lifecycle = _not_on_prism(_STATIC_VOLUME)
    test_volume_attach_detach = _not_on_prism(_STATIC_VOLUME)
    test_key_pair_round_trip = _not_on_prism(_STATIC_KEY)
    test_key_pair_import = _not_on_prism(_STATIC_KEY)
    test_get_image = _not_on_prism(_STATIC_IMAGE)
    test_lists_complete_across_pages = _not_on_prism(_ONE_PAGE)

    @pytest.fixture(autouse=True)
    def _prism(self, prism: PrismServer, recorder: Recorder) -> Iterator[None]:
        self.server = prism
        self.not_found = _NotFoundFor()
        nubo.register_plugin(self.not_found, name="do-kit-not-found")
        try:
            yield
        finally:
            nubo.unregister_plugin(self.not_found)

        bad = recorder.violations()
        if bad:
            lines = [f"{item.method} {item.url}: {item.violations}" for item in bad]
            pytest.fail("Prism refused requests the driver made:\n" + "\n".join(lines))

    def make_driver(self) -> NodeDriver:
        return DigitalOceanNodeDriver(
            TOKEN,
            secure=False,
            host=self.server.host,
            port=self.server.port,
            region="nyc3",
            ex_action_timeout=1.0,
            ex_poll_interval=0.05,
            retry=no_wait_policy(),
        )

    def unknown_id(self, kind: str) -> str:
        # Droplet and image ids are numbers; key pairs are looked up by name.
        if kind == "key_pair":
            made = super().unknown_id(kind)
        else:
            made = str(random.randrange(10**9, 10**10))
        self.not_found.ids.add(made)
        return made
