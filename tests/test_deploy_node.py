"""deploy_node against a real SSH server: the dummy provider's nodes report the
address of a local asyncssh server, so every login, command and copy is real."""

from __future__ import annotations

import logging
import pickle
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_deploy_sshd import (
    KEY_PASSPHRASE,
    PASSWORD,
    ClientKey,
    LocalSSHServer,
    User,
    make_client_key,
    running_sshd,
)

from nubo.compute import NodeAuthPassword, NodeDriver, NodeState
from nubo.compute.deployment import (
    Deployment,
    FileDeployment,
    KnownHostsPolicy,
    MultiStepDeployment,
    ScriptDeployment,
    SSHKeyDeployment,
)
from nubo.errors import DeploymentError, InvalidArgumentError, NotSupportedError
from nubo_dummy import DummyNodeDriver

pytestmark = [pytest.mark.peer, pytest.mark.timeout(120)]


@pytest.fixture
def key(tmp_path: Path) -> ClientKey:
    return make_client_key(tmp_path, "id_root")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def users(key: ClientKey) -> dict[str, User]:
    return {
        "root": User(keys=[key.public]),
        "deploy": User(password=PASSWORD),
    }


@pytest.fixture
def sshd(home: Path, users: dict[str, User]) -> Iterator[LocalSSHServer]:
    with running_sshd(home, users) as server:
        yield server


@pytest.fixture
def driver() -> DummyNodeDriver:
    return DummyNodeDriver(ex_seed=3, ex_boot_delay=0.05)


def deploy(driver: DummyNodeDriver, port: int, step: Deployment, **kwargs: Any) -> Any:
    """deploy_node on a dummy node that answers on 127.0.0.1:port."""
    kwargs.setdefault("name", "web-1")
    kwargs.setdefault("size", driver.list_sizes()[0])
    kwargs.setdefault("image", driver.get_image("img-debian-12"))
    kwargs.setdefault("ex_public_ips", ["127.0.0.1"])
    kwargs.setdefault("wait_period", 0.05)
    kwargs.setdefault("timeout", 30)
    return driver.deploy_node(step, ssh_port=port, **kwargs)


# -- logging in ---------------------------------------------------------------------


def test_a_script_runs_with_key_auth_and_its_output_is_kept(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    step = ScriptDeployment(
        '#!/bin/sh\necho "hello $1 from $USER"\necho warn >&2\n',
        args=["a b"],
        name="hello.sh",
    )

    node = deploy(driver, sshd.port, step, ssh_key=key.path)

    assert step.stdout == "hello a b from root\n"
    assert step.stderr == "warn\n"
    assert step.exit_status == 0
    assert node.state is NodeState.RUNNING
    assert node.public_ips == ["127.0.0.1"]
    assert node.extra["ssh_username"] == "root"
    assert sshd.commands == ["./hello.sh 'a b'"]
    assert (sshd.home / "hello.sh").stat().st_mode & 0o777 == 0o700


def test_the_first_host_key_is_accepted_recorded_and_logged(
    driver: DummyNodeDriver,
    sshd: LocalSSHServer,
    key: ClientKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="nubo")

    node = deploy(driver, sshd.port, ScriptDeployment("true"), ssh_key=key.path)

    assert node.extra["ssh_host_key_type"] == "ssh-ed25519"
    assert node.extra["ssh_host_key_fingerprint"] == sshd.fingerprint
    accepted = [r for r in caplog.records if "accepting the SSH host key" in r.message]
    assert len(accepted) == 1
    assert sshd.fingerprint in accepted[0].message
    assert f"[127.0.0.1]:{sshd.port}" in accepted[0].message


def test_password_auth_from_the_node_auth(
    driver: DummyNodeDriver, sshd: LocalSSHServer
) -> None:
    step = ScriptDeployment("echo $USER")

    deploy(
        driver,
        sshd.port,
        step,
        ssh_username="deploy",
        auth=NodeAuthPassword(PASSWORD),
    )

    assert step.stdout == "deploy\n"
    assert sshd.logins == [("deploy", "password", True)]


def test_a_private_key_given_as_text_works(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    step = ScriptDeployment("echo ok")

    deploy(driver, sshd.port, step, ssh_key=key.text)

    assert step.stdout == "ok\n"


def test_the_alternate_user_names_are_tried_in_turn(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    node = deploy(
        driver,
        sshd.port,
        ScriptDeployment("true"),
        ssh_key=key.path,
        ssh_username="admin",
        ssh_alternate_usernames=["ubuntu", "root", "never-reached"],
    )

    tried = [name for name, _, _ in sshd.logins]
    assert list(dict.fromkeys(tried)) == ["admin", "ubuntu", "root"]
    assert sshd.logins[-1] == ("root", "publickey", True)
    assert node.extra["ssh_username"] == "root"


def test_a_wrong_key_is_refused_once_and_not_retried(
    driver: DummyNodeDriver, sshd: LocalSSHServer, tmp_path: Path
) -> None:
    wrong = make_client_key(tmp_path, "id_wrong")

    with pytest.raises(DeploymentError, match="refused every login") as caught:
        deploy(driver, sshd.port, ScriptDeployment("true"), ssh_key=wrong.path)

    assert sshd.logins == [("root", "publickey", False)]
    assert sshd.commands == []
    node = driver.get_node(caught.value.node)
    assert node.state is NodeState.RUNNING
    assert "still there" in str(caught.value)
    assert f"driver.get_node({node.id!r})" in str(caught.value)


def test_a_server_that_comes_up_late_is_waited_for(
    driver: DummyNodeDriver,
    home: Path,
    users: dict[str, User],
    key: ClientKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="nubo")
    step = ScriptDeployment("echo up")

    with running_sshd(home, users, start_delay=1.0) as server:
        deploy(driver, server.port, step, ssh_key=key.path, wait_period=0.1)

    assert step.stdout == "up\n"
    refused = [r for r in caplog.records if "not answering yet" in r.message]
    assert refused, "the server was up at the first attempt: nothing was retried"
    assert "connection refused" in refused[0].message


def test_a_server_that_never_comes_up_fails_after_the_timeout(
    driver: DummyNodeDriver, key: ClientKey
) -> None:
    # A bound socket that does not listen: every connection is refused.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]

        with pytest.raises(DeploymentError, match="within 1 s") as caught:
            deploy(driver, port, ScriptDeployment("true"), ssh_key=key.path, timeout=1)

    assert "connection refused" in str(caught.value)
    assert caught.value.step == "connect"
    assert caught.value.node is not None


# -- host keys ----------------------------------------------------------------------


def test_a_strict_policy_accepts_the_key_its_known_hosts_lists(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line())

    node = deploy(
        driver,
        sshd.port,
        ScriptDeployment("true"),
        ssh_key=key.path,
        host_key_policy=KnownHostsPolicy(known_hosts),
    )

    assert node.extra["ssh_host_key_fingerprint"] == sshd.fingerprint


def test_a_strict_policy_refuses_another_key_and_does_not_log_in(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey, tmp_path: Path
) -> None:
    import asyncssh

    other = asyncssh.generate_private_key("ssh-ed25519")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line(other))

    with pytest.raises(DeploymentError, match="does not match") as caught:
        deploy(
            driver,
            sshd.port,
            ScriptDeployment("true"),
            ssh_key=key.path,
            host_key_policy=KnownHostsPolicy(known_hosts),
        )

    assert sshd.fingerprint in str(caught.value)
    assert sshd.logins == []


def test_a_strict_policy_refuses_a_host_it_does_not_list(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")

    with pytest.raises(DeploymentError, match="is not in"):
        deploy(
            driver,
            sshd.port,
            ScriptDeployment("true"),
            ssh_key=key.path,
            host_key_policy=KnownHostsPolicy(known_hosts),
        )

    assert sshd.logins == []


def test_a_host_key_that_changes_within_a_deployment_is_refused(
    key: ClientKey,
) -> None:
    import asyncssh
    import paramiko

    from nubo.compute import _ssh
    from nubo.compute.deployment import AcceptFirstHostKeyPolicy

    def paramiko_key() -> Any:
        text = asyncssh.generate_private_key("ssh-ed25519").export_private_key()
        return _ssh.load_private_key(text.decode(), None)

    check = _ssh.HostKeyCheck(AcceptFirstHostKeyPolicy(), "node-1")
    first, second = paramiko_key(), paramiko_key()
    client = paramiko.SSHClient()

    check.missing_host_key(client, "[127.0.0.1]:2200", first)
    check.missing_host_key(client, "[127.0.0.1]:2200", first)
    with pytest.raises(DeploymentError, match="changed from"):
        check.missing_host_key(client, "[127.0.0.1]:2200", second)


# -- steps that fail ----------------------------------------------------------------


def test_a_failing_script_names_step_status_and_output(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    step = ScriptDeployment(
        "echo try >> tries\necho step-one\necho broken-thing >&2\nexit 3\n",
        name="setup.sh",
    )

    with pytest.raises(DeploymentError) as caught:
        deploy(driver, sshd.port, step, ssh_key=key.path, max_tries=2)

    error = caught.value
    assert error.step == "script 'setup.sh'"
    assert error.exit_status == 3
    assert "broken-thing" in (error.output_tail or "")
    assert "step-one" in (error.output_tail or "")
    assert "exited with status 3" in str(error)
    assert "'setup.sh'" in str(error)
    assert (sshd.home / "tries").read_text() == "try\ntry\n"
    assert error.node is not None
    assert pickle.loads(pickle.dumps(error)).node == error.node


def test_a_failed_deployment_is_tried_again_and_can_pass(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    step = ScriptDeployment("[ -e marker ] && exit 0\ntouch marker\nexit 1\n")

    deploy(driver, sshd.port, step, ssh_key=key.path, max_tries=2)

    assert step.exit_status == 0
    assert len(sshd.commands) == 2


def test_one_try_means_no_retry(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    with pytest.raises(DeploymentError, match="status 1"):
        deploy(
            driver, sshd.port, ScriptDeployment("exit 1"), ssh_key=key.path, max_tries=1
        )

    assert len(sshd.commands) == 1


def test_a_step_may_allow_failure(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    step = ScriptDeployment("echo no; exit 5", allow_failure=True)

    deploy(driver, sshd.port, step, ssh_key=key.path)

    assert step.exit_status == 5
    assert step.stdout == "no\n"


def test_a_step_timeout_is_enforced(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    step = ScriptDeployment(
        "echo started\nexec sleep 60\n", name="slow.sh", timeout=0.5
    )

    with pytest.raises(
        DeploymentError, match=r"did not finish within 0\.5 s"
    ) as caught:
        deploy(driver, sshd.port, step, ssh_key=key.path, max_tries=1)

    assert caught.value.step == "script 'slow.sh'"
    assert caught.value.exit_status is None
    assert step.exit_status is None


def test_output_that_is_not_utf8_is_kept_with_replacement(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    step = ScriptDeployment(
        "printf 'caf\\351 \\377ok\\n'\nprintf '\\200err\\n' >&2\nexit 2\n",
        allow_failure=True,
    )

    deploy(driver, sshd.port, step, ssh_key=key.path)

    assert step.stdout == "caf\ufffd \ufffdok\n"
    assert step.stderr == "\ufffderr\n"

    failing = ScriptDeployment("printf '\\377\\376 bad\\n'; exit 2")
    with pytest.raises(DeploymentError) as caught:
        deploy(driver, sshd.port, failing, ssh_key=key.path, max_tries=1)
    assert "\ufffd\ufffd bad" in (caught.value.output_tail or "")


def test_ex_destroy_on_failure_destroys_the_node(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    with pytest.raises(DeploymentError, match="the node was destroyed") as caught:
        deploy(
            driver,
            sshd.port,
            ScriptDeployment("exit 9"),
            ssh_key=key.path,
            max_tries=1,
            ex_destroy_on_failure=True,
        )

    assert driver.get_node(caught.value.node).state is NodeState.TERMINATED
    assert caught.value.exit_status == 9


def test_a_node_that_fails_to_boot_is_reported(
    driver: DummyNodeDriver, key: ClientKey
) -> None:
    with pytest.raises(DeploymentError, match="will not run") as caught:
        deploy(driver, 22, ScriptDeployment("true"), ssh_key=key.path, ex_fail=True)

    assert driver.get_node(caught.value.node).state is NodeState.ERROR


# -- files and keys -----------------------------------------------------------------


def test_files_and_keys_are_copied_over_sftp(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey, tmp_path: Path
) -> None:
    source = tmp_path / "app.conf"
    source.write_bytes(b"port = 8080\n\xff binary too\n")
    source.chmod(0o640)
    extra_key = make_client_key(tmp_path, "id_extra")
    (sshd.home / "etc").mkdir()

    steps = MultiStepDeployment(
        [
            FileDeployment(source, "etc/app.conf"),
            SSHKeyDeployment(extra_key.public),
            SSHKeyDeployment(extra_key.public),
            ScriptDeployment("cat etc/app.conf | head -1"),
        ]
    )

    deploy(driver, sshd.port, steps, ssh_key=key.path)

    copied = sshd.home / "etc" / "app.conf"
    assert copied.read_bytes() == source.read_bytes()
    assert copied.stat().st_mode & 0o777 == 0o640
    authorized = (sshd.home / ".ssh" / "authorized_keys").read_text()
    assert authorized == extra_key.public + "\n"
    assert steps.steps[3].stdout == "port = 8080\n"  # type: ignore[attr-defined]


def test_the_script_is_deleted_when_asked(
    driver: DummyNodeDriver, sshd: LocalSSHServer, key: ClientKey
) -> None:
    kept = ScriptDeployment("true", name="kept.sh")
    gone = ScriptDeployment("true", name="gone.sh", delete=True)

    deploy(driver, sshd.port, MultiStepDeployment([kept, gone]), ssh_key=key.path)

    assert (sshd.home / "kept.sh").exists()
    assert not (sshd.home / "gone.sh").exists()


# -- secrets --------------------------------------------------------------------------


def test_no_password_or_private_key_in_logs_reprs_or_errors(
    driver: DummyNodeDriver,
    home: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    locked = make_client_key(tmp_path, "id_locked", passphrase=KEY_PASSPHRASE)
    users = {"deploy": User(password=PASSWORD, keys=[locked.public])}
    caplog.set_level(logging.DEBUG)
    step = ScriptDeployment("echo fine; exit 4")
    auth = NodeAuthPassword(PASSWORD)
    body = locked.text.splitlines()[2]

    with (
        running_sshd(home, users) as server,
        pytest.raises(DeploymentError) as caught,
    ):
        deploy(
            driver,
            server.port,
            step,
            ssh_username="deploy",
            ssh_key=locked.path,
            ssh_key_password=KEY_PASSPHRASE,
            auth=auth,
            max_tries=2,
        )

    assert ("deploy", "publickey", True) in server.logins
    shown = [caplog.text, str(caught.value), repr(caught.value), repr(step), repr(auth)]
    shown += [repr(driver.get_node(caught.value.node).extra)]
    for text in shown:
        assert PASSWORD not in text
        assert KEY_PASSPHRASE not in text
        assert body not in text


def test_an_encrypted_key_without_its_passphrase_is_refused_before_creating(
    driver: DummyNodeDriver, tmp_path: Path
) -> None:
    locked = make_client_key(tmp_path, "id_locked", passphrase=KEY_PASSPHRASE)

    with pytest.raises(InvalidArgumentError, match="ssh_key_password"):
        deploy(driver, 22, ScriptDeployment("true"), ssh_key=locked.path)
    with pytest.raises(InvalidArgumentError, match="not a private key") as caught:
        deploy(
            driver,
            22,
            ScriptDeployment("true"),
            ssh_key=locked.path,
            ssh_key_password="wrong",
        )

    assert "wrong" not in str(caught.value)
    assert driver.list_nodes() == []


# -- before anything is made ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"max_tries": 0}, "max_tries"),
        ({"ssh_port": 0}, "ssh_port"),
        ({"ssh_timeout": -1}, "ssh_timeout"),
        ({"ssh_interface": "wifi"}, "ssh_interface"),
        ({"ssh_alternate_usernames": "ubuntu"}, "ssh_alternate_usernames"),
        ({"host_key_policy": "trust-me"}, "host_key_policy"),
        ({"ssh_key": "/nonexistent/id_ed25519"}, "ssh_key"),
    ],
)
def test_bad_arguments_fail_before_a_node_is_made(
    driver: DummyNodeDriver, kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        deploy(driver, kwargs.pop("ssh_port", 22), ScriptDeployment("true"), **kwargs)

    assert caught.value.argument == argument
    assert driver.list_nodes() == []


def test_steps_and_policies_are_checked_before_a_node_is_made(
    driver: DummyNodeDriver, tmp_path: Path
) -> None:
    with pytest.raises(InvalidArgumentError, match="deploy must be"):
        deploy(driver, 22, "echo hi")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="no readable file"):
        deploy(driver, 22, FileDeployment(tmp_path / "missing", "x"))
    with pytest.raises(InvalidArgumentError, match="known_hosts"):
        deploy(
            driver,
            22,
            ScriptDeployment("true"),
            host_key_policy=KnownHostsPolicy(tmp_path / "none"),
        )

    assert driver.list_nodes() == []


def test_without_paramiko_the_error_names_the_extra_and_nothing_is_made(
    driver: DummyNodeDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "paramiko", None)
    monkeypatch.delitem(sys.modules, "nubo.compute._ssh", raising=False)
    monkeypatch.delattr("nubo.compute._ssh", raising=False)

    with pytest.raises(DeploymentError, match=r"pip install 'nubo\[ssh\]'") as caught:
        deploy(driver, 22, ScriptDeployment("true"))

    assert caught.value.node is None
    assert driver.list_nodes() == []


def test_deploy_node_is_offered_where_nodes_can_be_made_and_waited_for() -> None:
    class ListsOnly(NodeDriver):
        type = "lists-only"

        def list_nodes(self) -> list[Any]:
            return []

    assert DummyNodeDriver.supports("deploy_node") is True
    assert ListsOnly.supports("deploy_node") is False
    with pytest.raises(NotSupportedError) as caught:
        ListsOnly(None).deploy_node(ScriptDeployment("true"), name="x")
    assert caught.value.method == "deploy_node"
