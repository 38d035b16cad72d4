"""The compute guide's examples run, against the dummy provider, as written."""

import doctest
import io
from pathlib import Path

GUIDE = Path(__file__).parent.parent / "docs" / "compute.rst"


def test_every_example_in_the_compute_guide_runs() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, "compute.rst", str(GUIDE), 0)
    out = io.StringIO()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )

    result = runner.run(test, out=out.write)

    assert result.failed == 0, out.getvalue()
    assert result.attempted >= 30
