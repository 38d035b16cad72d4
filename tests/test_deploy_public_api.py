"""nubo.compute.deployment's ``__all__`` is its public contract: keep it honest."""

import inspect
import types

import pytest

import nubo.compute.deployment as deployment

CONTRACT = {
    "ScriptDeployment",
    "FileDeployment",
    "SSHKeyDeployment",
    "MultiStepDeployment",
    "Deployment",
    "HostKeyPolicy",
    "AcceptFirstHostKeyPolicy",
    "KnownHostsPolicy",
    "SSHClient",
    "CommandResult",
}


def test_all_is_the_contract() -> None:
    assert set(deployment.__all__) == CONTRACT
    assert len(deployment.__all__) == len(CONTRACT)


def test_nothing_public_is_left_out_of_all() -> None:
    public = {
        name
        for name, value in vars(deployment).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", deployment.__name__) == deployment.__name__
        and name != "annotations"
    }

    assert public - set(deployment.__all__) == set()


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_every_public_name_is_documented(name: str) -> None:
    value = getattr(deployment, name)

    assert inspect.getdoc(value), f"{name} has no docstring"
    for member, attribute in vars(value).items():
        if not member.startswith("_") and inspect.isfunction(attribute):
            assert inspect.getdoc(attribute), f"{name}.{member} has no docstring"


def run_python(code: str) -> str:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_importing_the_steps_imports_no_paramiko() -> None:
    code = (
        "import sys, nubo.compute, nubo.compute.deployment, nubo_dummy; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'paramiko'))"
    )

    assert run_python(code) == "[]"


def test_the_steps_work_without_paramiko() -> None:
    code = (
        "import sys; sys.modules['paramiko'] = None; "
        "from nubo.compute.deployment import ScriptDeployment; "
        "print(ScriptDeployment('true', name='a.sh').describe())"
    )

    assert run_python(code) == "script 'a.sh'"
