"""A provider that repeats the API key back (issue 15 item 4): the key is in no take record,
no log line, no --debug output and no `providers` check column."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from soraboard.generation.providers import ProviderProfile, save_profile
from soraboard.redact import RedactingFilter, redact, register_secret
from tests.generation.conftest import make_bundle
from tests.helpers.fake_videos_server import FakeVideosServer

KEY = "gw-credential-7Hq2mZ9xVb4Lp0"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "soraboard", *args], capture_output=True,
                          text=True, timeout=120, env=os.environ.copy(), stdin=subprocess.DEVNULL)


def test_a_key_echoed_by_the_provider_is_stored_logged_and_shown_masked(
        tmp_path: Path, server: FakeVideosServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # an environment variable whose name does not look like a key: only the profile knows it
    monkeypatch.setenv("GW_CREDENTIAL", KEY)
    save_profile(ProviderProfile("gw", server.base_url, key_env="GW_CREDENTIAL",
                                 poll_interval=0.05))
    server.faults.echo_key = True
    bundle = make_bundle(tmp_path / "Film", [False])

    gen = _cli("--debug", "generate", str(bundle.path), "--provider", "gw", "--yes")
    assert gen.returncode == 1
    assert "Invalid credentials" in gen.stdout + gen.stderr  # the provider's words stay
    assert KEY[:10] not in gen.stdout + gen.stderr
    records = list((bundle.path / "takes").glob("*.json"))
    assert records and all(KEY not in f.read_text() for f in records)
    assert any("[redacted]" in f.read_text() for f in records)

    check = _cli("--debug", "providers")
    row = next(line for line in check.stdout.splitlines() if line.startswith("gw "))
    assert "Invalid credentials" in row and KEY[:10] not in check.stdout + check.stderr
    # not a byte of it anywhere in the project or the user's folders
    home = Path(os.environ["SORABOARD_HOME"])
    for root in (bundle.path, home):
        for f in root.rglob("*"):
            if f.is_file():
                assert KEY.encode() not in f.read_bytes(), f


def test_the_gui_log_and_tracebacks_are_masked(tmp_path: Path) -> None:
    from soraboard.app import setup_logging

    register_secret(KEY)
    file = setup_logging()
    log = logging.getLogger("soraboard.test")
    try:
        raise RuntimeError(f"provider said: bad key {KEY}")
    except RuntimeError:
        log.exception("job failed with %s", KEY)
    log.warning("Authorization: Bearer abcdefghijklmnop, key sk-proj-abcdefghijklmnop")
    for h in logging.getLogger().handlers:
        h.flush()
    text = file.read_text("utf-8")
    assert KEY not in text and "abcdefghijklmnop" not in text
    assert text.count("[redacted]") >= 4 and "RuntimeError" in text
    for h in list(logging.getLogger().handlers):
        if any(isinstance(f, RedactingFilter) for f in h.filters) and \
                isinstance(h, logging.FileHandler):
            logging.getLogger().removeHandler(h)
            h.close()


def test_redact_shapes() -> None:
    assert redact("key sk-abcdefgh12345678 end") == "key sk-[redacted] end"
    assert redact('{"api_key": "zzzzzzzz"}') == '{"api_key": "[redacted]"}'
    assert redact("Bearer abc.def-ghi_jkl") == "Bearer [redacted]"
    assert redact("a short sk-1 is not a key") == "a short sk-1 is not a key"
