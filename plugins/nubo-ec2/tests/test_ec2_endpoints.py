"""Endpoints by region, for every partition. Pure: no host here is ever contacted."""

from __future__ import annotations

import pytest

from nubo.errors import InvalidArgumentError
from nubo_ec2._endpoints import (
    PARTITIONS,
    endpoint_for,
    partition_for,
    validate_region,
)


@pytest.mark.parametrize(
    ("region", "partition", "host"),
    [
        ("us-east-1", "aws", "ec2.us-east-1.amazonaws.com"),
        ("eu-west-3", "aws", "ec2.eu-west-3.amazonaws.com"),
        ("ap-southeast-5", "aws", "ec2.ap-southeast-5.amazonaws.com"),
        ("il-central-1", "aws", "ec2.il-central-1.amazonaws.com"),
        ("mx-central-1", "aws", "ec2.mx-central-1.amazonaws.com"),
        ("cn-north-1", "aws-cn", "ec2.cn-north-1.amazonaws.com.cn"),
        ("cn-northwest-1", "aws-cn", "ec2.cn-northwest-1.amazonaws.com.cn"),
        ("us-gov-west-1", "aws-us-gov", "ec2.us-gov-west-1.amazonaws.com"),
        ("us-gov-east-1", "aws-us-gov", "ec2.us-gov-east-1.amazonaws.com"),
        ("us-iso-east-1", "aws-iso", "ec2.us-iso-east-1.c2s.ic.gov"),
        ("us-isob-east-1", "aws-iso-b", "ec2.us-isob-east-1.sc2s.sgov.gov"),
        ("eu-isoe-west-1", "aws-iso-e", "ec2.eu-isoe-west-1.cloud.adc-e.uk"),
        ("us-isof-south-1", "aws-iso-f", "ec2.us-isof-south-1.csp.hci.ic.gov"),
    ],
)
def test_every_partition_has_its_endpoint(
    region: str, partition: str, host: str
) -> None:
    assert partition_for(region).name == partition
    assert endpoint_for(region) == host


def test_another_service_prefix() -> None:
    assert (
        endpoint_for("cn-north-1", service="sts") == "sts.cn-north-1.amazonaws.com.cn"
    )


def test_govcloud_is_not_taken_for_the_standard_partition() -> None:
    # us-gov-west-1 starts like a standard region; the more specific partition wins.
    assert partition_for("us-gov-west-1").name == "aws-us-gov"
    assert partition_for("us-west-1").name == "aws"


def test_each_partition_is_reachable() -> None:
    names = [p.name for p in PARTITIONS]
    assert len(names) == len(set(names))
    assert {"aws", "aws-cn", "aws-us-gov"} <= set(names)


@pytest.mark.parametrize(
    "junk",
    [
        "",
        " ",
        "us-east",
        "useast1",
        "us_east_1",
        "us-east-1 ",
        "US-EAST-1",
        "us-east-1/../x",
        "us-east-1.evil.example",
        "127.0.0.1",
        "ec2.us-east-1.amazonaws.com",
        "us-east-123",
        "é-east-1",
        "us-east-1\n",
    ],
)
def test_junk_regions_are_refused(junk: str) -> None:
    with pytest.raises(InvalidArgumentError, match="not a region name") as caught:
        endpoint_for(junk)
    assert caught.value.argument == "region"


@pytest.mark.parametrize("value", [None, 1, b"us-east-1", ["us-east-1"]])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="must be a string"):
        validate_region(value)


def test_a_region_in_the_wrong_case_gets_a_hint() -> None:
    with pytest.raises(InvalidArgumentError, match="did you mean 'eu-west-1'"):
        validate_region(" EU-West-1")


def test_a_well_formed_region_of_no_partition_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="no AWS partition") as caught:
        endpoint_for("xx-east-1")
    assert "host" in str(caught.value)


def test_validate_region_returns_it_unchanged() -> None:
    assert validate_region("ap-northeast-3") == "ap-northeast-3"
