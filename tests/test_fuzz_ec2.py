"""Hypothesis over the EC2 provider's parsers and signer: answers recorded from
moto, mutated at random, and requests of any shape give results or
``nubo.errors`` exceptions, never anything else."""

from __future__ import annotations

import contextlib
import copy
import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from nubo import errors

parse = pytest.importorskip("nubo_ec2._parse", reason="nubo-ec2 is not installed")
sigv4 = pytest.importorskip("nubo_ec2._sigv4", reason="nubo-ec2 is not installed")


SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

DATA = Path(__file__).parent.parent / "plugins" / "nubo-ec2" / "tests" / "data"

ITEM_PARSERS = [
    parse.parse_instance,
    parse.parse_volume,
    parse.parse_snapshot,
    parse.parse_image,
    parse.parse_key_pair,
    parse.parse_availability_zone,
    parse.parse_instance_type,
    parse.parse_tags,
]

ROOT_PARSERS = [*ITEM_PARSERS, parse.parse_reservations, parse.parse_error]


def samples() -> dict[str, Any]:
    found = {}
    for path in sorted(DATA.glob("*.xml")):
        found[path.name] = etree.fromstring(path.read_bytes())
    return found


SAMPLES = samples() if DATA.is_dir() else {}

if not SAMPLES:
    pytest.skip("the EC2 samples are not in this checkout", allow_module_level=True)

TEXTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "true", "false", "-1", "1e309", "NaN", "2026-13-45T25:61:00Z", "x"]
    ),
)

MUTATIONS = st.lists(
    st.tuples(
        st.integers(0, 10_000),
        st.sampled_from(["delete", "text", "clear", "duplicate", "junk", "rename"]),
        TEXTS,
    ),
    max_size=8,
)


def mutate(root: Any, mutations: list[tuple[int, str, str]]) -> Any:
    root = copy.deepcopy(root)
    for index, how, value in mutations:
        elements = list(root.iter())
        element = elements[index % len(elements)]
        parent = element.getparent()
        if how == "delete" and parent is not None:
            parent.remove(element)
        elif how == "text":
            element.text = "".join(c for c in value if c.isprintable())
        elif how == "clear":
            element.clear()
        elif how == "duplicate" and parent is not None:
            parent.append(copy.deepcopy(element))
        elif how == "junk":
            etree.SubElement(element, "item").text = "junk"
        elif how == "rename":
            element.tag = "{urn:other}" + etree.QName(element).localname
    return root


def run_parsers(root: Any) -> None:
    for parser in ROOT_PARSERS:
        parser(root)
    for item in parse.find_all(root, "item"):
        for parser in ITEM_PARSERS:
            parser(item)
    parse.next_token(root)


@SETTINGS
@given(st.sampled_from(sorted(SAMPLES)), MUTATIONS)
def test_parsers_take_any_mutation_of_a_real_answer(
    name: str, mutations: list[tuple[int, str, str]]
) -> None:
    root = mutate(SAMPLES[name], mutations)

    with contextlib.suppress(errors.NuboError):
        run_parsers(root)


@SETTINGS
@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_parsers_take_whatever_parses_as_xml(body: bytes) -> None:
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False))
    except (etree.XMLSyntaxError, ValueError):
        return
    if root is None:
        return

    with contextlib.suppress(errors.NuboError):
        run_parsers(root)


HEADERS = st.dictionaries(
    st.text(min_size=1, max_size=10), st.text(max_size=20) | st.integers(), max_size=4
)
PARAMS = st.dictionaries(
    st.text(max_size=10), st.text(max_size=20) | st.integers() | st.booleans()
)


@SETTINGS
@given(
    method=st.sampled_from(["GET", "POST", "", "weird method"]),
    url=st.text(max_size=40).map(lambda path: f"https://ec2.test/{path}"),
    headers=HEADERS,
    params=PARAMS,
    body=st.binary(max_size=50),
    access_key=st.text(max_size=20),
    secret_key=st.just("") | st.text(max_size=30).map(lambda s: f"wJalr{s}"),
    region=st.text(max_size=12),
    token=st.none() | st.text(max_size=20),
)
def test_the_signer_takes_any_request(
    method: str,
    url: str,
    headers: dict[str, Any],
    params: dict[str, Any],
    body: bytes,
    access_key: str,
    secret_key: str,
    region: str,
    token: str | None,
) -> None:
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    try:
        signed = sigv4.sign_request(
            method,
            url,
            headers,
            body,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            session_token=token,
            params=params,
            when=when,
        )
    except errors.NuboError:
        return

    assert signed["Authorization"].startswith(sigv4.ALGORITHM)
    # The secret never leaves the signer, unless the caller put it elsewhere.
    given_elsewhere = f"{access_key}{token}{region}{url}{headers}{params}"
    if secret_key not in given_elsewhere:
        assert secret_key not in "".join(signed.values())
