"""What the dummy cloud offers: its locations, sizes and public images.

The figures are made up but shaped like a real provider's, so that code written
against the dummy meets the same kinds of values elsewhere: memory in MiB, disks
in GiB, a monthly transfer allowance in GiB, and a price per hour in US dollars
(``None`` where the price is not published).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

__all__ = ["IMAGES", "LOCATIONS", "SIZES", "Image", "Location", "Size"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Location:
    """A data centre of the dummy cloud."""

    id: str
    name: str
    country: str


@dataclass(frozen=True)
class Size:
    """A size a dummy node can be made with."""

    id: str
    name: str
    vcpus: int
    ram: int
    disk: int
    bandwidth: int | None
    price: float | None
    gpus: int = 0
    #: The locations that offer it; every location when empty.
    locations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Image:
    """A public image every location offers."""

    id: str
    name: str
    distribution: str
    version: str
    min_disk: int


LOCATIONS = (
    Location("ams1", "Amsterdam 1", "NL"),
    Location("fra1", "Frankfurt 1", "DE"),
    Location("lon1", "London 1", "GB"),
    Location("nyc1", "New York 1", "US"),
    Location("sfo1", "San Francisco 1", "US"),
    Location("sgp1", "Singapore 1", "SG"),
    Location("syd1", "Sydney 1", "AU"),
)

SIZES = (
    Size("d1.nano", "Nano: 1 vCPU, 512 MiB", 1, 512, 10, 500, 0.0042),
    Size("d1.micro", "Micro: 1 vCPU, 1 GiB", 1, 1024, 25, 1000, 0.0083),
    Size("d1.small", "Small: 1 vCPU, 2 GiB", 1, 2048, 50, 2000, 0.0179),
    Size("d1.medium", "Medium: 2 vCPU, 4 GiB", 2, 4096, 80, 4000, 0.0357),
    Size("d1.large", "Large: 4 vCPU, 8 GiB", 4, 8192, 160, 5000, 0.0714),
    Size("d1.xlarge", "X-Large: 8 vCPU, 16 GiB", 8, 16384, 320, 6000, 0.1429),
    Size("m1.large", "Memory large: 4 vCPU, 32 GiB", 4, 32768, 200, 6000, 0.2530),
    Size(
        "g1.xlarge",
        "GPU X-Large: 8 vCPU, 60 GiB, 1 GPU",
        8,
        61440,
        500,
        None,
        None,
        gpus=1,
        locations=("fra1", "nyc1"),
    ),
)

IMAGES = (
    Image("img-ubuntu-2404", "Ubuntu 24.04 LTS", "ubuntu", "24.04", 10),
    Image("img-ubuntu-2204", "Ubuntu 22.04 LTS", "ubuntu", "22.04", 10),
    Image("img-debian-12", "Debian 12", "debian", "12", 10),
    Image("img-rocky-9", "Rocky Linux 9", "rocky", "9", 20),
    Image("img-fedora-41", "Fedora 41", "fedora", "41", 15),
    Image("img-alpine-320", "Alpine Linux 3.20", "alpine", "3.20", 1),
)
