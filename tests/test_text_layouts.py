"""The "text" layouts of the registry's and the marks' results live beside their use cases."""

from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stdout


def test_help_does_not_import_the_use_cases():
    """The "text" layouts live beside their use cases and register when those are imported,
    which a command does when it runs: `envmon --help` imports none of them."""
    code = ("import sys; from envmon.cli import app; "
            "print(sorted(m for m in sys.modules if m.endswith('.api')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "envmon.registry.api" not in out and "envmon.assess.api" not in out


def test_text_layouts_register_with_their_use_cases():
    from envmon.assess.api import MarkAdded, MarkKind, MarkRevoked
    from envmon.registry.api import CrcPolicy, FileWritten, ImportResult
    from envmon.render import formats_for, render

    for result_type in (MarkAdded, MarkRevoked, CrcPolicy, FileWritten, ImportResult):
        assert "text" in formats_for(result_type), result_type
    stream = io.StringIO()
    with redirect_stdout(stream):
        render(MarkAdded(MarkKind.EXEMPTION, 3), "text")
        render(CrcPolicy("MN1", ("hj212",)), "text")
    assert stream.getvalue() == "exemption 3 added\nMN1: CRC modes hj212\n"
