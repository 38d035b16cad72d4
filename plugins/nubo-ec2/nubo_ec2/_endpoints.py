"""Which host serves EC2 in a region, for every AWS partition.

AWS groups its regions in partitions: the standard one, China, GovCloud and the
isolated ones. A partition fixes the DNS suffix of its endpoints, so the EC2 host
of a region is ``ec2.{region}.{suffix}``. The driver asks :func:`endpoint_for`
when it is given a region and no host; with a host (moto's server, another
EC2-compatible server) this module is not used.

Nothing here resolves or contacts a host: the answer is computed from the region's
name alone.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from nubo.errors import InvalidArgumentError

__all__ = [
    "PARTITIONS",
    "Partition",
    "endpoint_for",
    "partition_for",
    "validate_region",
]

log = logging.getLogger(__name__)

# A region is lower-case words joined by hyphens, ending in a number:
# us-east-1, cn-northwest-1, us-gov-west-1, us-isob-east-1.
_REGION = re.compile(r"[a-z]{2,5}(?:-[a-z]+){1,2}-[0-9]{1,2}")


@dataclass(frozen=True)
class Partition:
    """One AWS partition: a set of regions that share a DNS suffix.

    :param name: AWS's id for the partition (``aws``, ``aws-cn``, ``aws-us-gov``).
    :param dns_suffix: the suffix of every endpoint in it.
    :param pattern: a regular expression that the partition's regions match whole.
    """

    name: str
    dns_suffix: str
    pattern: re.Pattern[str]

    def matches(self, region: str) -> bool:
        """Tell whether a region belongs to this partition.

        :param region: a region name, already validated.
        :returns: ``True`` when the whole name matches the partition's pattern.
        """
        return self.pattern.fullmatch(region) is not None


#: The partitions known, most specific first: the first that matches a region wins.
PARTITIONS: tuple[Partition, ...] = (
    Partition("aws-us-gov", "amazonaws.com", re.compile(r"us-gov-[a-z]+-[0-9]+")),
    Partition("aws-iso", "c2s.ic.gov", re.compile(r"us-iso-[a-z]+-[0-9]+")),
    Partition("aws-iso-b", "sc2s.sgov.gov", re.compile(r"us-isob-[a-z]+-[0-9]+")),
    Partition("aws-iso-e", "cloud.adc-e.uk", re.compile(r"eu-isoe-[a-z]+-[0-9]+")),
    Partition("aws-iso-f", "csp.hci.ic.gov", re.compile(r"us-isof-[a-z]+-[0-9]+")),
    Partition("aws-cn", "amazonaws.com.cn", re.compile(r"cn-[a-z]+-[0-9]+")),
    Partition(
        "aws",
        "amazonaws.com",
        re.compile(r"(?:us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-[0-9]+"),
    ),
)


def validate_region(region: object) -> str:
    """Check that a value is a well-formed region name and return it.

    :param region: the region the driver was given.
    :returns: the region, unchanged.
    :raises InvalidArgumentError: the value is not a string, or not shaped like a
        region name (lower-case words and a number, joined by hyphens).
    """
    if not isinstance(region, str):
        raise InvalidArgumentError(
            f"region must be a string such as 'us-east-1', not {type(region).__name__}",
            argument="region",
        )

    if _REGION.fullmatch(region) is None:
        hint = ""
        cleaned = region.strip().lower()
        if cleaned != region and _REGION.fullmatch(cleaned):
            hint = f"; did you mean {cleaned!r}?"
        raise InvalidArgumentError(
            f"{region!r} is not a region name; give one such as 'us-east-1', "
            f"'cn-north-1' or 'us-gov-west-1'{hint}",
            argument="region",
        )
    return region


def partition_for(region: str) -> Partition:
    """Return the partition that a region belongs to.

    :param region: a region name, such as ``cn-north-1``.
    :returns: its partition.
    :raises InvalidArgumentError: the region is malformed, or belongs to no
        partition known here; give the driver a ``host`` in that case.
    """
    validate_region(region)

    for partition in PARTITIONS:
        if partition.matches(region):
            return partition

    raise InvalidArgumentError(
        f"region {region!r} belongs to no AWS partition known to nubo-ec2; check "
        "its spelling, or give the driver the endpoint's host explicitly",
        argument="region",
    )


def endpoint_for(region: str, service: str = "ec2") -> str:
    """Return the host name of a service's endpoint in a region.

    :param region: a region name, such as ``eu-west-3``.
    :param service: the endpoint prefix of the service.
    :returns: the host, such as ``ec2.eu-west-3.amazonaws.com``.
    :raises InvalidArgumentError: the region is malformed or of no known partition.
    """
    partition = partition_for(region)
    host = f"{service}.{region}.{partition.dns_suffix}"
    log.debug("endpoint of %s in %s (%s): %s", service, region, partition.name, host)
    return host
