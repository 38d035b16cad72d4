"""Every Python example on the site runs, page by page, as a reader would run it.

Each page's ``.. code-block:: python`` and ``.. code-block:: pycon`` blocks, and
its bare ``>>>`` paragraphs, run in the page's order in one namespace, in an
empty working directory, against the in-memory dummy provider, a server the page
starts on 127.0.0.1 itself, or moto's server that this test starts on 127.0.0.1.

What a block prints is checked where the page says what it prints: a ``pycon``
block is a doctest, and in a ``python`` block a ``print(...)`` whose line ends in
``# text``, or is followed by a comment line ``# text``, must print ``text``
(``...`` stands for anything). A block with such comments must print nothing
else.

The opt-out: a block that cannot run here, because it needs real credentials, a
real provider's network or a package the page has the reader make, carries the
option ``:class: no-run``::

   .. code-block:: python
      :class: no-run

It is still compiled, so it stays valid Python. Pages some of whose examples
another test runs, with what they need (a local SSH server), are listed in
``COVERED_ELSEWHERE``, with that test.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: The option that keeps a block from running.
NO_RUN = ":class: no-run"

#: Pages some of whose examples another test runs: the test module that runs
#: them, and the kinds of block it runs; this test runs the others.
COVERED_ELSEWHERE = {
    "compute.rst": ("test_compute_docs.py", {"pycon"}),
    "deployment.rst": ("test_deploy_docs.py", {"python"}),
}

#: Pages whose examples need moto's server; the page reads its address from
#: ``NUBO_EC2_ENDPOINT``, as the command line does.
NEEDS_MOTO = {"getting-started.rst"}

_LANGUAGES = {"python", "pycon"}
_DIRECTIVE = re.compile(r"^(\s*)\.\. code-block::\s*(\S+)\s*$")
_EXPECTED_SAME_LINE = re.compile(r"^\s*print\(.*\)\s+# (.*)$")
_EXPECTED_NEXT_LINE = re.compile(r"^\s*# (.*)$")


@dataclass
class Block:
    """One example of a page."""

    page: str
    line: int
    language: str
    code: str
    run: bool = True
    expected: list[str] = field(default_factory=list)


def _indented_body(lines: list[str], start: int, indent: int) -> tuple[int, list[str]]:
    """The lines of a directive's body from ``start``, and where it ends."""
    body: list[str] = []
    index = start
    while index < len(lines):
        line = lines[index]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
        index += 1
    return index, body


def _dedent(body: list[str]) -> str:
    depth = min(
        (len(line) - len(line.lstrip()) for line in body if line.strip()), default=0
    )
    return "\n".join(line[depth:] for line in body).strip("\n") + "\n"


def expected_output(code: str) -> list[str]:
    """What a python block says it prints, from its ``# text`` comments.

    :param code: the block.
    :returns: the printed lines it announces, in order.
    """
    expected: list[str] = []
    after_print = False
    for line in code.splitlines():
        same = _EXPECTED_SAME_LINE.match(line)
        if same:
            expected.append(same.group(1))
            after_print = False
            continue

        following = _EXPECTED_NEXT_LINE.match(line)
        if after_print and following:
            expected.append(following.group(1))
        after_print = line.strip().startswith("print(") and not following
    return expected


def page_blocks(path: Path) -> list[Block]:
    """Every python and pycon example of a page, in order.

    :param path: the reStructuredText page.
    :returns: its examples.
    """
    page = str(path.relative_to(DOCS))
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        directive = _DIRECTIVE.match(line)
        if directive:
            start = index
            indent = len(directive.group(1))
            language = directive.group(2)
            index, body = _indented_body(lines, index + 1, indent)
            options = [b.strip() for b in body if b.strip().startswith(":")]
            code_lines = [b for b in body if not b.strip().startswith(":")]
            if language in _LANGUAGES:
                code = _dedent(code_lines)
                blocks.append(
                    Block(
                        page,
                        start + 1,
                        language,
                        code,
                        run=NO_RUN not in options,
                        expected=expected_output(code) if language == "python" else [],
                    )
                )
            continue

        if line.startswith(">>> "):
            start = index
            while index < len(lines) and lines[index].strip():
                index += 1
            code = "\n".join(lines[start:index]) + "\n"
            blocks.append(Block(page, start + 1, "pycon", code))
            continue
        index += 1
    return blocks


def pages() -> list[str]:
    """Every page of the site that has an example, by its path under docs/."""
    found = []
    for path in sorted(DOCS.rglob("*.rst")):
        if "_build" in path.parts:
            continue
        if page_blocks(path):
            found.append(str(path.relative_to(DOCS)))
    return found


def blocks_to_run(page: str) -> list[Block]:
    """A page's examples that no other test runs.

    :param page: the page's path under docs/.
    :returns: its examples, but those of the kinds ``COVERED_ELSEWHERE`` names.
    """
    elsewhere = COVERED_ELSEWHERE.get(page, ("", set()))[1]
    return [b for b in page_blocks(DOCS / page) if b.language not in elsewhere]


def _matches(expected: str, printed: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, printed) is not None


def run_block(block: Block, namespace: dict[str, object]) -> None:
    """Run one example in the page's namespace, and check what it prints.

    :param block: the example.
    :param namespace: the page's globals, shared by its examples.
    """
    where = f"{block.page}, line {block.line}"
    if block.language == "pycon":
        test = doctest.DocTestParser().get_doctest(
            block.code, namespace, where, where, block.line
        )
        test.globs = namespace
        out = io.StringIO()
        runner = doctest.DocTestRunner(
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
        result = runner.run(test, out=out.write, clear_globs=False)
        assert result.failed == 0, out.getvalue()
        return

    # Not compiled with this module's __future__ imports: as a reader runs it.
    code = compile(block.code, where, "exec", dont_inherit=True)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, namespace)

    if block.expected:
        lines = printed.getvalue().splitlines()
        assert len(lines) == len(block.expected), (where, lines, block.expected)
        for want, got in zip(block.expected, lines, strict=True):
            assert _matches(want, got), (where, want, got)


@contextlib.contextmanager
def _moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's server on 127.0.0.1 for one page, its URL in NUBO_EC2_ENDPOINT."""
    pytest.importorskip("nubo_ec2")
    try:
        import moto.server  # noqa: F401
    except ImportError:
        if os.environ.get("NUBO_REQUIRE_PEERS"):
            pytest.fail("moto's server is not installed: pip install 'moto[server]'")
        pytest.skip("moto's server is not installed: pip install 'moto[server]'")

    examples = str(ROOT / "examples")
    monkeypatch.syspath_prepend(examples)
    from _moto_server import moto_server

    with moto_server() as server:
        monkeypatch.setenv("NUBO_EC2_ENDPOINT", server.url)
        yield


def test_the_extraction_finds_the_examples() -> None:
    found = {page: page_blocks(DOCS / page) for page in pages()}

    assert "index.rst" in found
    assert "hook-plugins.rst" in found
    assert "getting-started.rst" in found
    assert any(b.language == "pycon" for b in found["compute.rst"])
    assert any(not b.run for b in found["providers/ec2.rst"])
    assert sum(len(b.expected) for b in found["hook-plugins.rst"]) >= 6


def test_the_expected_output_convention() -> None:
    code = "print(1)  # 1\nx = 2\nprint(x)\n# 2\nx = 3\n# a comment, not output\n"

    assert expected_output(code) == ["1", "2"]
    assert _matches("SHA256:...", "SHA256:abc")
    assert not _matches("deploy-42", "deploy-43")


def test_a_block_can_opt_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        ".. code-block:: python\n   :class: no-run\n\n   raise SystemExit\n\n"
        ".. code-block:: python\n\n   ran = True\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "DOCS", tmp_path)

    blocks = page_blocks(page)

    assert [(b.run, b.code) for b in blocks] == [
        (False, "raise SystemExit\n"),
        (True, "ran = True\n"),
    ]


def test_the_pages_covered_elsewhere_are_run_there() -> None:
    for page, (module, _languages) in COVERED_ELSEWHERE.items():
        text = (ROOT / "tests" / module).read_text(encoding="utf-8")

        assert page in text, (page, module)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", [p for p in pages() if blocks_to_run(p)])
def test_every_example_of_the_page_runs(
    page: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocks = blocks_to_run(page)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    namespace: dict[str, object] = {"__name__": "__docs__"}

    with contextlib.ExitStack() as stack:
        if page in NEEDS_MOTO:
            stack.enter_context(_moto_endpoint(monkeypatch))
        for block in blocks:
            if block.run:
                run_block(block, namespace)
            elif block.language == "python":
                compile(
                    block.code, f"{page}, line {block.line}", "exec", dont_inherit=True
                )
