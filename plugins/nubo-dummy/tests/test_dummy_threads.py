"""One dummy driver shared by sixteen threads: nothing lost, nothing doubled."""

import threading
from collections.abc import Callable

from nubo.compute import NodeState
from nubo_dummy import DummyNodeDriver

THREADS = 16
ROUNDS = 10


def run_in_threads(work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def target(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=target, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_sixteen_threads_share_one_driver() -> None:
    driver = DummyNodeDriver(ex_seed=16, ex_boot_delay=0)
    size = driver.list_sizes()[0]
    image = driver.list_images()[0]

    def work(n: int) -> None:
        for r in range(ROUNDS):
            node = driver.create_node(f"t{n}-{r}", size, image)
            volume = driver.create_volume(1, f"v{n}-{r}")
            driver.attach_volume(node, volume)
            volume.snapshot()
            driver.create_key_pair(f"k{n}-{r}")
            driver.list_nodes()
            if r % 2:
                driver.detach_volume(volume)
                node.destroy()

    errors = run_in_threads(work)

    assert errors == []
    nodes = driver.list_nodes()
    assert len(nodes) == THREADS * ROUNDS
    assert len({n.id for n in nodes}) == THREADS * ROUNDS
    addresses = [ip for n in nodes for ip in n.private_ips]
    assert len(set(addresses)) == len(addresses) == THREADS * ROUNDS // 2
    states = [n.state for n in nodes]
    assert states.count(NodeState.TERMINATED) == THREADS * ROUNDS // 2
    assert states.count(NodeState.RUNNING) == THREADS * ROUNDS // 2
    assert len(driver.list_volumes()) == THREADS * ROUNDS
    assert len(driver.list_key_pairs()) == THREADS * ROUNDS
    snapshots = sum(len(driver.list_volume_snapshots(v)) for v in driver.list_volumes())
    assert snapshots == THREADS * ROUNDS


def test_sixteen_threads_racing_for_one_name() -> None:
    driver = DummyNodeDriver(ex_seed=1)
    won: list[int] = []

    def work(n: int) -> None:
        driver.create_key_pair("shared")
        won.append(n)

    errors = run_in_threads(work)

    assert len(won) == 1
    assert len(errors) == THREADS - 1
    assert all("exists" in str(error) for error in errors)


def test_sixteen_threads_racing_to_attach_one_volume() -> None:
    driver = DummyNodeDriver(ex_seed=2, ex_boot_delay=0)
    size = driver.list_sizes()[0]
    image = driver.list_images()[0]
    nodes = [driver.create_node(f"n{n}", size, image) for n in range(THREADS)]
    volume = driver.create_volume(1, "contested")

    errors = run_in_threads(lambda n: driver.attach_volume(nodes[n], volume))

    assert len(errors) == THREADS - 1
    [attached] = driver.list_volumes()
    assert attached.extra["node_id"] in {n.id for n in nodes}
