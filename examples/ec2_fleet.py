"""Walk a small EC2 fleet through its whole life with nubo, printing each step.

The script finds the installed providers, looks at a region (its zones, a few
sizes, some images), imports a key pair, starts two nodes and waits for them,
makes a volume, attaches it and snapshots it, makes an image from a node,
reboots a node, then tears everything down and shows that nothing it made is
left. It uses nubo's public API only.

It never guesses where to go. Point it at an EC2-compatible server::

    NUBO_EC2_ENDPOINT=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=testing \\
        AWS_SECRET_ACCESS_KEY=testing python examples/ec2_fleet.py

start moto's server on 127.0.0.1 for the length of the run (what ``nox -s demo``
does)::

    python examples/ec2_fleet.py --moto

or, knowingly, at real AWS, which bills for what the run makes while it lasts::

    AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \\
        python examples/ec2_fleet.py --aws --region eu-west-1

Exit status: 0 when the run went through and nothing is left, 1 when a step
failed or something is left, 2 when it was not told where to go or with what
credentials.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nubo
from nubo.compute import Node, NodeDriver, NodeImage, StorageVolumeState
from nubo.errors import NotFoundError, NuboError, WaitTimeoutError

#: Instance types the demo shows; asking for a few keeps DescribeInstanceTypes
#: quick (the whole list has several hundred).
SIZES = ("t3.nano", "t3.micro", "t3.small", "m5.large", "c5.large")

#: The image the nodes boot: the newest Amazon Linux 2 AMI, from Amazon.
IMAGE_OWNER = "amazon"
IMAGE_NAME = "amzn2-ami-hvm-*-x86_64-gp2"

#: The credentials given to moto's server with --moto; they are nobody's.
MOTO_KEY = "AKIDNUBODEMO0000000"
MOTO_SECRET = "nubo-demo-secret"


class Refused(NuboError):
    """The run was not told where to go, or with what credentials."""


# -- printing --------------------------------------------------------------------------


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows under a title, in columns as wide as their widest cell."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        widths = [
            max(width, len(cell)) for width, cell in zip(widths, row, strict=True)
        ]

    def line(values: Sequence[str]) -> str:
        padded = (v.ljust(w) for v, w in zip(values, widths, strict=True))
        return ("  " + "  ".join(padded)).rstrip()

    print(f"\n{title}")
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in cells:
        print(line(row))
    if not cells:
        print("  (none)")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def step(text: str) -> None:
    """Print the heading of one step of the run."""
    print(f"\n== {text}")


# -- the settings ----------------------------------------------------------------------


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--endpoint",
        default=os.environ.get("NUBO_EC2_ENDPOINT"),
        help="base URL of an EC2-compatible server, such as http://127.0.0.1:5000 "
        "(default: $NUBO_EC2_ENDPOINT)",
    )
    where.add_argument(
        "--moto",
        action="store_true",
        help="start moto's server on 127.0.0.1 for the run, and use it",
    )
    where.add_argument(
        "--aws",
        action="store_true",
        help="use real AWS, the EC2 endpoint of --region; it bills for the run",
    )
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        help="the region (default: $AWS_DEFAULT_REGION, else us-east-1)",
    )
    parser.add_argument(
        "--access-key",
        default=os.environ.get("AWS_ACCESS_KEY_ID"),
        help="the access key id (default: $AWS_ACCESS_KEY_ID)",
    )
    parser.add_argument(
        "--secret-key",
        default=os.environ.get("AWS_SECRET_ACCESS_KEY"),
        help="the secret access key (default: $AWS_SECRET_ACCESS_KEY; prefer it, "
        "a command line is seen by other users of the machine)",
    )
    parser.add_argument(
        "--size", default="t3.micro", help="instance type of the nodes (t3.micro)"
    )
    parser.add_argument(
        "--image", default=None, help="AMI id of the nodes (Amazon Linux 2's newest)"
    )
    parser.add_argument(
        "--wait-period",
        type=float,
        default=None,
        help="seconds between two polls (0.5 for a local server, 5 for AWS)",
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds to wait for each step"
    )
    return parser.parse_args(argv)


def make_driver(args: argparse.Namespace, endpoint: str | None) -> NodeDriver:
    """Make the EC2 driver the run uses, or refuse when told too little."""
    if endpoint is None and not args.aws:
        raise Refused(
            "no endpoint: give --endpoint URL (or set NUBO_EC2_ENDPOINT) for an "
            "EC2-compatible server, --moto to start moto's server on 127.0.0.1, or "
            "--aws to use real AWS, which bills for what the run makes"
        )
    if not args.access_key or not args.secret_key:
        raise Refused(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
            "AWS_SESSION_TOKEN for temporary ones), or pass --access-key and "
            "--secret-key"
        )

    cls = nubo.compute.get_driver("ec2")
    token = os.environ.get("AWS_SESSION_TOKEN") if not args.moto else None
    if endpoint is None:
        return cls(args.access_key, args.secret_key, region=args.region, token=token)

    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"the endpoint must be http(s)://host[:port], not {endpoint!r}")
    return cls(
        args.access_key,
        args.secret_key,
        host=parts.hostname,
        port=parts.port,
        secure=parts.scheme == "https",
        region=args.region,
        token=token,
    )


# -- waiting ---------------------------------------------------------------------------


def poll(
    what: str,
    check: Callable[[], bool],
    period: float,
    timeout: float,
) -> None:
    """Call ``check`` every ``period`` seconds until it is true, or give up."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise WaitTimeoutError(
                f"gave up waiting for {what} after {timeout:g} s; raise --timeout",
                timeout=timeout,
            )
        time.sleep(period)


def public_key(stack: ExitStack) -> str:
    """Return an OpenSSH public key for the demo's key pair.

    ``ssh-keygen`` makes a real one in a temporary folder, removed at the end;
    without it the key is random bytes in the ed25519 format, whose private half
    nobody holds. The nodes are never logged in to either way.
    """
    keygen = shutil.which("ssh-keygen")
    if keygen is not None:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        subprocess.run(
            [
                keygen,
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "nubo-demo",
                "-f",
                str(folder / "id"),
            ],
            check=True,
        )
        return (folder / "id.pub").read_text().strip()

    def field(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    blob = field(b"ssh-ed25519") + field(secrets.token_bytes(32))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} nubo-demo"


# -- the run ---------------------------------------------------------------------------


def show_nodes(title: str, nodes: Sequence[Node]) -> None:
    """Print a table of nodes."""
    table(
        title,
        ["id", "name", "state", "size", "zone", "public", "private"],
        [
            [
                n.id,
                n.name,
                n.state.value,
                n.extra.get("instance_type"),
                n.extra.get("availability_zone"),
                n.public_ips,
                n.private_ips,
            ]
            for n in nodes
        ],
    )


def look_around(driver: NodeDriver) -> None:
    """Print the providers, then the region's zones, some sizes and images."""
    step("Providers found")
    table(
        "nubo.providers()",
        ["provider", "distribution", "version", "status"],
        [[p.name, p.distribution, p.version, p.status] for p in nubo.providers()],
    )

    step(f"The region {driver.region}")
    zones = driver.list_locations()
    table(
        f"Zones ({len(zones)})",
        ["zone", "zone id", "state"],
        [[z.name, z.extra.get("zone_id"), z.extra.get("state")] for z in zones],
    )

    sizes = sorted(
        driver.list_sizes(ex_instance_types=list(SIZES)),
        key=lambda s: (s.ram or 0, s.id),
    )
    table(
        f"Sizes: {len(sizes)} named types of the region's many (price: not "
        "published by EC2)",
        ["size", "vCPUs", "RAM (MiB)", "disk (GB)", "price"],
        [[s.id, s.extra.get("vcpus"), s.ram, s.disk, s.price] for s in sizes],
    )


def find_image(driver: NodeDriver, image_id: str | None) -> NodeImage:
    """Return the image the nodes boot, and print the candidates."""
    if image_id is not None:
        images = [driver.get_image(image_id)]
    else:
        images = driver.list_images(
            ex_owners=IMAGE_OWNER, ex_filters={"name": IMAGE_NAME}
        )
        # The newest first; images made at the same time, by id, then by name.
        images.sort(key=lambda i: (i.id, i.name or ""))
        images.sort(key=lambda i: i.extra.get("creation_date") or "", reverse=True)
    if not images:
        raise NotFoundError(
            f"no image named {IMAGE_NAME} from {IMAGE_OWNER} here; pass --image"
        )

    shown = min(len(images), 5)
    if len(images) == 1:
        heading = "Images (1 found)"
    elif shown == len(images):
        heading = f"Images ({len(images)} found, newest first)"
    else:
        heading = f"Images ({len(images)} found, the newest {shown} shown)"
    table(
        heading,
        ["image", "name", "architecture", "created"],
        [
            [i.id, i.name, i.extra.get("architecture"), i.extra.get("creation_date")]
            for i in images[:5]
        ],
    )
    return images[0]


def run(
    driver: NodeDriver, args: argparse.Namespace, stack: ExitStack
) -> dict[str, Any]:
    """Walk the fleet through its life; register every teardown on ``stack``."""
    period = args.wait_period
    run_id = secrets.token_hex(4)
    tags = {"nubo-demo": run_id}
    made: dict[str, Any] = {"run_id": run_id, "image_snapshots": []}

    look_around(driver)
    image = find_image(driver, args.image)

    step("Import a key pair")
    key_pair = driver.import_key_pair_from_string(
        f"nubo-demo-{run_id}", public_key(stack)
    )
    made["key_pair"] = key_pair.name
    stack.callback(_undo, f"key pair {key_pair.name}", driver.delete_key_pair, key_pair)
    table(
        "Key pairs",
        ["name", "fingerprint"],
        [
            [k.name, k.fingerprint]
            for k in driver.list_key_pairs()
            if k.name == key_pair.name
        ],
    )

    step("Create two nodes and wait until they run")
    nodes = []
    for number in (1, 2):
        node = driver.create_node(
            f"nubo-demo-{run_id}-{number}",
            args.size,
            image,
            ex_keyname=key_pair.name,
            ex_metadata=tags,
        )
        stack.callback(_undo, f"node {node.id}", driver.destroy_node, node)
        nodes.append(node)
    made["nodes"] = [node.id for node in nodes]
    show_nodes("Just created", nodes)

    # Nobody logs in to the nodes, so a private address is enough to be ready.
    ready = driver.wait_until_running(
        nodes, wait_period=period, timeout=args.timeout, ssh_interface="private_ips"
    )
    nodes = [node for node, _ in ready]
    show_nodes("Running", nodes)

    step("Create a volume, attach it, snapshot it")
    zone = nodes[0].extra["availability_zone"]
    location = next(z for z in driver.list_locations() if z.id == zone)
    volume = driver.create_volume(
        1, f"nubo-demo-{run_id}-data", location=location, ex_metadata=tags
    )
    made["volume"] = volume.id
    stack.callback(
        _undo,
        f"volume {volume.id} (detached first)",
        _destroy_volume,
        driver,
        volume.id,
        period,
        args.timeout,
    )

    def volume_is(state: StorageVolumeState) -> Callable[[], bool]:
        def check() -> bool:
            try:
                [fresh] = driver.list_volumes(ex_volume_ids=[volume.id])
            except NotFoundError:
                return False  # EC2 may not list a new volume at once
            return fresh.state is state

        return check

    poll("the volume", volume_is(StorageVolumeState.AVAILABLE), period, args.timeout)
    driver.attach_volume(nodes[0], volume, device="/dev/sdf")
    poll("the attachment", volume_is(StorageVolumeState.INUSE), period, args.timeout)

    snapshot = driver.create_volume_snapshot(volume, f"nubo-demo-{run_id}-snap")
    made["snapshot"] = snapshot.id
    stack.callback(
        _undo, f"snapshot {snapshot.id}", driver.destroy_volume_snapshot, snapshot
    )
    volumes = driver.list_volumes(ex_filters={"tag:nubo-demo": run_id})
    table(
        "Volumes",
        ["volume", "name", "GiB", "state", "node", "device"],
        [
            [
                v.id,
                v.name,
                v.size,
                v.state.value,
                v.extra.get("node_id"),
                v.extra.get("device"),
            ]
            for v in volumes
        ],
    )
    snapshots = driver.list_volume_snapshots(volume)
    table(
        "Snapshots",
        ["snapshot", "name", "GiB", "state", "volume"],
        [
            [s.id, s.name, s.size, s.state.value, s.extra.get("volume_id")]
            for s in snapshots
        ],
    )

    step("Make an image from a node")
    made_image = driver.create_image(
        nodes[1], f"nubo-demo-{run_id}-image", description="made by the nubo demo"
    )
    made["image"] = made_image.id
    stack.callback(
        _undo,
        f"image {made_image.id} and its snapshots",
        _delete_image,
        driver,
        made_image,
    )

    def image_ready() -> bool:
        try:
            image = driver.get_image(made_image.id)
        except NotFoundError:
            return False  # EC2 may not list a new image at once
        return image.extra.get("state") == "available"

    poll("the image", image_ready, period, args.timeout)
    fresh_image = driver.get_image(made_image.id)
    made["image_snapshots"] = [
        m["snapshot_id"]
        for m in fresh_image.extra.get("block_device_mappings", [])
        if m.get("snapshot_id")
    ]
    table(
        "Images of the account",
        ["image", "name", "state", "root device"],
        [
            [i.id, i.name, i.extra.get("state"), i.extra.get("root_device_name")]
            for i in driver.list_images()
            if i.id == made_image.id
        ],
    )

    step("Reboot a node")
    driver.reboot_node(nodes[1])
    rebooted = driver.wait_until_running(
        [nodes[1]],
        wait_period=period,
        timeout=args.timeout,
        ssh_interface="private_ips",
    )
    show_nodes("After the reboot", [node for node, _ in rebooted])

    step("Tear everything down")
    # The stack undoes the run in reverse order: the image, the snapshot, the
    # volume, the nodes, the key pair. It does the same when a step fails.
    stack.close()
    return made


def _undo(what: str, action: Callable[..., Any], *args: Any) -> None:
    try:
        action(*args)
    except NotFoundError:
        print(f"  {what}: already gone")
    except NuboError as error:
        print(f"  {what}: could not remove it: {error}")
    else:
        print(f"  {what}: removed")


def _destroy_volume(
    driver: NodeDriver, volume_id: str, period: float, timeout: float
) -> None:
    [volume] = driver.list_volumes(ex_volume_ids=[volume_id])
    if volume.extra.get("node_id"):
        driver.detach_volume(volume)

    def detached() -> bool:
        [fresh] = driver.list_volumes(ex_volume_ids=[volume_id])
        return fresh.state is StorageVolumeState.AVAILABLE

    poll("the detachment", detached, period, timeout)
    driver.destroy_volume(volume)


def _delete_image(driver: NodeDriver, image: NodeImage) -> None:
    driver.delete_image(image, ex_delete_snapshots=True)


def left_over(driver: NodeDriver, made: dict[str, Any]) -> list[list[str]]:
    """Return what the run made that the provider still has."""
    run_id = made["run_id"]
    left: list[list[str]] = []

    for node in driver.list_nodes(ex_filters={"tag:nubo-demo": run_id}):
        if node.state.value not in ("terminated", "terminating"):
            left.append(["node", node.id, node.state.value])
    going = (StorageVolumeState.DELETING, StorageVolumeState.DELETED)
    for volume in driver.list_volumes(ex_filters={"tag:nubo-demo": run_id}):
        if volume.state not in going:
            left.append(["volume", volume.id, volume.state.value])

    snapshot_ids = [made["snapshot"], *made["image_snapshots"]]
    for snapshot_id in filter(None, snapshot_ids):
        try:
            found = driver.ex_list_snapshots(ex_snapshot_ids=[snapshot_id])
        except NotFoundError:
            found = []
        left += [["snapshot", s.id, s.state.value] for s in found]

    if made.get("image"):
        try:
            image = driver.get_image(made["image"])
        except NotFoundError:
            image = None
        if image is not None and image.extra.get("state") != "deregistered":
            left.append(["image", image.id, str(image.extra.get("state"))])

    if any(k.name == made["key_pair"] for k in driver.list_key_pairs()):
        left.append(["key pair", made["key_pair"], "-"])
    return left


@contextmanager
def endpoint_for(args: argparse.Namespace) -> Iterator[str | None]:
    """Yield the endpoint of the run: moto's, started here, or the one given."""
    if not args.moto:
        yield args.endpoint
        return

    # examples/ holds the helper that runs moto's server; it is not installed.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _moto_server import moto_server

    args.access_key, args.secret_key = MOTO_KEY, MOTO_SECRET
    # A proxy from the environment must not see the loopback traffic.
    bypass = [v for v in (os.environ.get("NO_PROXY"), "127.0.0.1") if v]
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(bypass)
    print("Starting moto's server on 127.0.0.1 ...")
    try:
        with moto_server(handle_signals=True) as server:
            print(f"moto's server answers on {server.url}")
            yield server.url
    finally:
        # Said on every way out: the end of the run, an error, Ctrl-C.
        print("moto's server stopped")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; return the exit status."""
    args = parse_arguments(argv)
    if args.wait_period is None:
        args.wait_period = 5.0 if args.aws else 0.5

    try:
        with endpoint_for(args) as endpoint:
            driver = make_driver(args, endpoint)
            print(f"Driving {driver!r} with nubo {nubo.__version__}")

            with ExitStack() as stack:
                made = run(driver, args, stack)

            step("What is left")
            listed = driver.list_nodes(ex_filters={"tag:nubo-demo": made["run_id"]})
            show_nodes("The run's nodes: EC2 lists terminated ones for a while", listed)
            left = left_over(driver, made)
            table(
                "Resources this run made that still exist",
                ["kind", "id", "state"],
                left,
            )
            if left:
                print("\nSomething is left: remove it by hand.")
                return 1
            print("\nNothing is left.")
            return 0
    except Refused as refused:
        print(f"ec2_fleet: {refused}", file=sys.stderr)
        return 2
    except NuboError as error:
        print(f"\nec2_fleet: the run failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ec2_fleet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
