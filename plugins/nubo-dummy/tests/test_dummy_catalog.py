"""The dummy provider's locations, sizes and images, and image management."""

from typing import Any

import pytest

from nubo.compute import Node, NodeImage, NodeLocation, NodeSize
from nubo.errors import InvalidArgumentError, NotFoundError, ProviderError
from nubo_dummy import DummyNodeDriver


def location(driver: DummyNodeDriver, location_id: str) -> NodeLocation:
    return next(loc for loc in driver.list_locations() if loc.id == location_id)


def test_locations_have_names_and_countries(driver: DummyNodeDriver) -> None:
    locations = driver.list_locations()

    assert len(locations) >= 5
    assert all(len(loc.country or "") == 2 for loc in locations)
    assert location(driver, "ams1").country == "NL"
    assert list(driver.iter_locations()) == locations


def test_sizes_are_realistic(driver: DummyNodeDriver) -> None:
    sizes = driver.list_sizes()

    for size in sizes:
        assert isinstance(size.ram, int)
        assert size.ram >= 512
        assert isinstance(size.disk, int)
        assert size.disk >= 10
        assert size.extra["vcpus"] >= 1
        assert size.price is None or 0 < size.price < 10
    priced = [s for s in sizes if s.price is not None and s.extra["gpus"] == 0]
    assert [s.ram for s in priced] == sorted(s.ram for s in priced)
    assert any(s.price is None for s in sizes)


def test_sizes_in_a_location(driver: DummyNodeDriver) -> None:
    everywhere = {s.id for s in driver.list_sizes()}
    in_ams = {s.id for s in driver.list_sizes(location(driver, "ams1"))}
    in_fra = {s.id for s in driver.list_sizes(location(driver, "fra1"))}

    assert "g1.xlarge" in everywhere
    assert "g1.xlarge" not in in_ams
    assert "g1.xlarge" in in_fra
    assert in_ams < everywhere
    assert list(driver.iter_sizes(location(driver, "fra1"))) == driver.list_sizes(
        location(driver, "fra1")
    )


def test_sizes_of_an_unknown_location(driver: DummyNodeDriver) -> None:
    with pytest.raises(NotFoundError, match="no location 'mars1'"):
        driver.list_sizes(NodeLocation("mars1", "Mars", None, driver))
    with pytest.raises(InvalidArgumentError, match="must be a NodeLocation"):
        driver.list_sizes("ams1")  # type: ignore[arg-type]


def test_public_images(driver: DummyNodeDriver) -> None:
    images = driver.list_images()

    assert len(images) >= 5
    assert all(image.extra["public"] for image in images)
    assert driver.get_image("img-debian-12").name == "Debian 12"
    assert list(driver.iter_images()) == images


def test_get_image_of_an_unknown_id(driver: DummyNodeDriver) -> None:
    with pytest.raises(NotFoundError, match="no image 'img-nope'"):
        driver.get_image("img-nope")


def test_create_image_from_a_node(driver: DummyNodeDriver, node: Node) -> None:
    image = driver.create_image(node, "web-golden", description="after setup")

    assert image.name == "web-golden"
    assert image.extra["public"] is False
    assert image.extra["location"] == "ams1"
    assert image.extra["description"] == "after setup"
    assert image.extra["distribution"] == "debian"
    assert driver.get_image(image.id) == image
    assert image in driver.list_images()
    assert image in driver.list_images(location(driver, "ams1"))
    assert image not in driver.list_images(location(driver, "syd1"))


def test_a_new_node_from_a_private_image(
    driver: DummyNodeDriver, node: Node, size: NodeSize
) -> None:
    image = driver.create_image(node, "golden")

    clone = driver.create_node("clone", size, image)
    assert clone.image == image

    sydney = location(driver, "syd1")
    with pytest.raises(ProviderError, match="copy it there") as caught:
        driver.create_node("far", size, image, location=sydney)
    assert caught.value.code == "ImageNotAvailable"


def test_create_image_refuses(driver: DummyNodeDriver, node: Node) -> None:
    with pytest.raises(InvalidArgumentError, match="needs a name"):
        driver.create_image(node, "")
    with pytest.raises(InvalidArgumentError, match="node must be a Node"):
        driver.create_image(node.id, "x")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        driver.create_image(Node("node-nope", "x", "running", [], [], driver), "x")

    driver.destroy_node(node)
    with pytest.raises(ProviderError, match="it is terminated"):
        driver.create_image(node, "x")


def test_delete_image(driver: DummyNodeDriver, node: Node) -> None:
    image = driver.create_image(node, "golden")

    assert driver.delete_image(image) is True

    assert image not in driver.list_images()
    with pytest.raises(NotFoundError):
        driver.delete_image(image)
    with pytest.raises(NotFoundError):
        driver.get_image(image.id)


def test_a_node_outlives_its_deleted_image(
    driver: DummyNodeDriver, node: Node, size: NodeSize
) -> None:
    image = driver.create_image(node, "golden")
    clone = driver.create_node("clone", size, image)
    driver.delete_image(image)

    fresh = driver.get_node(clone.id)

    assert fresh.image is None
    assert fresh.extra["image_id"] == image.id


def test_public_images_cannot_be_deleted(driver: DummyNodeDriver) -> None:
    with pytest.raises(ProviderError, match="is public") as caught:
        driver.delete_image(driver.get_image("img-debian-12"))

    assert caught.value.code == "OperationNotPermitted"
    assert caught.value.status is None
    with pytest.raises(InvalidArgumentError):
        driver.delete_image("img-debian-12")  # type: ignore[arg-type]


def test_copy_image_into_the_driver_region(node: Node) -> None:
    # A driver of the same cloud, working in Sydney.
    driver: Any = node.driver
    image = driver.create_image(node, "golden")
    driver.region = "syd1"

    copy = driver.copy_image("ams1", image, "golden-syd", description="copied")

    assert copy != image
    assert copy.extra["location"] == "syd1"
    assert copy.extra["description"] == "copied"
    assert copy.extra["source"] == f"image:{image.id}@ams1"


def test_copy_a_public_image(driver: DummyNodeDriver) -> None:
    copy = driver.copy_image("nyc1", driver.get_image("img-alpine-320"), "alpine")

    assert copy.extra["location"] == "ams1"
    assert copy.extra["distribution"] == "alpine"


def test_copy_image_refuses(driver: DummyNodeDriver, node: Node) -> None:
    image = driver.create_image(node, "golden")

    with pytest.raises(InvalidArgumentError, match="no region 'mars1'"):
        driver.copy_image("mars1", image, "x")
    with pytest.raises(NotFoundError, match="in syd1"):
        driver.copy_image("syd1", image, "x")
    with pytest.raises(NotFoundError):
        driver.copy_image("ams1", NodeImage("img-nope", "x", driver), "x")
    with pytest.raises(InvalidArgumentError, match="needs a name"):
        driver.copy_image("ams1", image, "")
