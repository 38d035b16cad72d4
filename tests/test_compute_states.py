"""The state enums: their values, and how raw provider states map onto them."""

import pytest

from nubo.compute import NodeState, StorageVolumeState, VolumeSnapshotState

MAPPING = {"active": NodeState.RUNNING, "shutting-down": NodeState.TERMINATING}


@pytest.mark.parametrize("enum", [NodeState, StorageVolumeState, VolumeSnapshotState])
def test_values_are_lower_case_strings_and_include_unknown(enum: type) -> None:
    for member in enum:
        assert isinstance(member, str)
        assert member.value == member.value.lower()
        assert str(member) == member.value
    assert enum("unknown").name == "UNKNOWN"


def test_node_states_cover_what_users_of_several_clouds_meet() -> None:
    wanted = {
        "running",
        "starting",
        "rebooting",
        "stopping",
        "stopped",
        "pending",
        "suspended",
        "paused",
        "terminated",
        "error",
        "unknown",
        "migrating",
        "reconfiguring",
        "updating",
    }

    assert wanted <= {member.value for member in NodeState}


def test_a_state_compares_equal_to_its_string() -> None:
    assert NodeState.RUNNING == "running"
    assert f"{NodeState.STOPPED}" == "stopped"


def test_from_raw_maps_a_known_state_and_keeps_the_raw_value() -> None:
    extra: dict[str, object] = {}

    state = NodeState.from_raw("active", MAPPING, extra)

    assert state is NodeState.RUNNING
    assert extra == {"raw_state": "active"}


def test_from_raw_falls_back_to_lower_case() -> None:
    assert NodeState.from_raw("ACTIVE", MAPPING) is NodeState.RUNNING


@pytest.mark.parametrize("raw", ["hibernating", None, 42, {"code": 16}, ["x"]])
def test_from_raw_turns_anything_unmapped_into_unknown(raw: object) -> None:
    extra: dict[str, object] = {}

    state = NodeState.from_raw(raw, MAPPING, extra)

    assert state is NodeState.UNKNOWN
    assert extra["raw_state"] == raw


def test_from_raw_works_for_volume_and_snapshot_states() -> None:
    volumes = {"in-use": StorageVolumeState.INUSE}
    snapshots = {"completed": VolumeSnapshotState.AVAILABLE}

    assert StorageVolumeState.from_raw("in-use", volumes) is StorageVolumeState.INUSE
    assert StorageVolumeState.from_raw("odd", volumes) is StorageVolumeState.UNKNOWN
    assert (
        VolumeSnapshotState.from_raw("completed", snapshots)
        is VolumeSnapshotState.AVAILABLE
    )


def test_coerce_accepts_members_and_their_values() -> None:
    assert NodeState.coerce(NodeState.PAUSED) is NodeState.PAUSED
    assert NodeState.coerce("Running") is NodeState.RUNNING


def test_coerce_keeps_an_unknown_string_in_extra() -> None:
    extra: dict[str, object] = {}

    assert NodeState.coerce("hibernating", extra) is NodeState.UNKNOWN
    assert extra == {"raw_state": "hibernating"}
