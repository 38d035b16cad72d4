"""XmlResponse drops the indentation between elements, and keeps every value.

Providers indent their XML answers; the blanks between elements carry nothing,
and keeping them as text nodes makes the tree of a large page bigger and slower
to build. Values, blank ones included, must come through unchanged.
"""

from __future__ import annotations

import pytest
import responses
from lxml import etree

import nubo

BASE = "https://api.example.test"

INDENTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <reservationSet>
        <item>
            <instanceId>i-1</instanceId>
            <tagSet>
                <item><key>Name</key><value>web  one</value></item>
                <item><key>blank</key><value> </value></item>
                <item><key>empty</key><value></value></item>
            </tagSet>
        </item>
    </reservationSet>
</DescribeInstancesResponse>
"""


class XmlConn(nubo.ConnectionKey):
    responseCls = nubo.XmlResponse
    host = "api.example.test"


def _root() -> etree._Element:
    responses.get(f"{BASE}/x", body=INDENTED)
    connection = XmlConn("the-token-value", retry=False)
    return connection.request("/x").object


@responses.activate
def test_indentation_between_elements_is_not_kept() -> None:
    root = _root()

    assert root.text is None
    assert all(node.tail is None for node in root.iter())
    assert all(
        node.text is None for node in root.iter() if len(node) and node is not root
    )


@responses.activate
def test_the_tree_is_the_one_of_the_same_answer_without_indentation() -> None:
    root = _root()

    flat = etree.fromstring(
        etree.tostring(
            etree.fromstring(INDENTED, etree.XMLParser(remove_blank_text=True))
        )
    )
    assert etree.tostring(root) == etree.tostring(flat)
    assert b"\n" not in etree.tostring(root)


@responses.activate
@pytest.mark.parametrize(
    ("key", "value"), [("Name", "web  one"), ("blank", " "), ("empty", None)]
)
def test_values_come_through_unchanged(key: str, value: str | None) -> None:
    root = _root()

    tags = {
        nubo.XmlResponse.findtext_local(item, "key"): item
        for item in nubo.XmlResponse.findall_local(root, "item")
        if nubo.XmlResponse.find_local(item, "key") is not None
    }
    found = nubo.XmlResponse.find_local(tags[key], "value")
    assert found is not None
    assert found.text == value
