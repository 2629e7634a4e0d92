"""The headless CLI: exit codes, messages on one line, no Qt imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from soraboard import __version__
from soraboard.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ei:
        main(["--version"])
    assert ei.value.code == 0
    assert capsys.readouterr().out.strip() == f"soraboard {__version__}"


def test_cost_of_the_demo_prints_the_table_and_the_seed_totals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "cost", "--demo", "city-morning")
    assert code == 0 and err == ""
    assert "City morning — 5 segments" in out
    assert "Skyline at dawn" in out and "$3.60" in out
    assert "Estimate   $10.80" in out
    assert "all cheapest $6.00 · current $10.80 · all best $18.00" in out
    assert "Budget     $20.00   left $20.00" in out


def test_new_then_cost_and_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "new", str(tmp_path / "Film"), "--demo", "goal")
    assert code == 0 and "Film.soraboard" in out
    code, out, _ = run(capsys, "cost", str(tmp_path / "Film.soraboard"))
    assert code == 0 and "Estimate   $4.00" in out  # 5 × 8 s at $0.10/s
    code, out, err = run(capsys, "validate", str(tmp_path / "Film.soraboard"))
    assert code == 0 and out == "OK — 5 segments\n"  # a current model: no retirement warning
    # a second `new` at the same place refuses, exit 1, one line
    code, _, err = run(capsys, "new", str(tmp_path / "Film"))
    assert code == 1 and err.count("\n") == 1 and "already exists" in err


def test_validate_exits_1_and_lists_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "new", str(tmp_path / "P"), "--demo", "mountain-road")
    f = tmp_path / "P.soraboard" / "storyboard.json"
    doc = json.loads(f.read_text())
    doc["storyboard"]["segments"][0]["duration"] = 10
    doc["storyboard"]["segments"][0]["prompt"]["actions"][1] = \
        "[6–12 s] it accelerates down a long straight towards the valley"
    doc["storyboard"]["segments"][0]["continuity"] = "chain"
    f.write_text(json.dumps(doc))
    code, out, err = run(capsys, "validate", str(tmp_path / "P.soraboard"))
    assert code == 1
    assert ("Segment 1 “Winding road”: duration 10 s is not allowed by "
            "vertex_ai/veo-3.1-fast-generate-001 (4, 6 or 8 s)") in out
    assert "the first segment is chained" in out
    assert "beat '[6–12 s] it accelerates down a long straight towards the valley' is outside" in out
    assert err.strip() == "3 problems"


def test_errors_are_one_line_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "Bad.soraboard"
    bad.mkdir()
    (bad / "storyboard.json").write_text('{"schema_version": 1, "storyboard": {"segments": [')
    code, out, err = run(capsys, "cost", str(bad))
    assert code == 1 and out == ""
    assert err.startswith("soraboard: error: ") and err.count("\n") == 1
    assert "not valid JSON" in err and "Traceback" not in err
    code, _, err = run(capsys, "cost")
    assert code == 2 and "give a PROJECT or --demo NAME" in err
    code, _, err = run(capsys, "cost", str(tmp_path / "missing"))
    assert code == 1 and f"{tmp_path / 'missing'}: no such project" in err
    assert ".soraboard" not in err  # about the path as typed


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--debug", "cost", str(tmp_path / "missing"))
    assert code == 1
    assert err.startswith("Traceback (most recent call last):") and "CliError" in err
    assert err.splitlines()[-1].startswith("soraboard: error:") and "no such project" in err


def test_headless_commands_never_import_qt(tmp_path: Path) -> None:
    code = (
        "import sys; from soraboard.cli import main; "
        f"rc = main(['cost', '--demo', 'city-morning']); "
        f"main(['new', {str(tmp_path / 'Q')!r}]); "
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]; "
        "print('QT:', bad); sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert "QT: []" in proc.stdout


def test_python_dash_m_works() -> None:
    proc = subprocess.run([sys.executable, "-m", "soraboard", "--version"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == f"soraboard {__version__}"


def test_validate_counts_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "new", str(tmp_path / "One"), "--demo", "goal")
    f = tmp_path / "One.soraboard" / "storyboard.json"
    doc = json.loads(f.read_text())
    doc["storyboard"]["segments"] = doc["storyboard"]["segments"][:1]
    doc["storyboard"]["segments"][0]["model"] = "sora-2"  # retired: one warning
    doc["storyboard"]["default_model"] = "sora-2"
    f.write_text(json.dumps(doc))
    code, out, _ = run(capsys, "validate", str(tmp_path / "One.soraboard"))
    assert code == 0
    assert out.splitlines()[-1] == "OK — 1 segment, 1 warning"


def _cli_without_gui(argv: list[str], cwd: Path) -> tuple[int, str, list[str]]:
    """Run the CLI in a fresh interpreter; (exit code, stderr, Qt modules it imported)."""
    code = ("import sys; from soraboard.cli import main; "
            f"rc = main({argv!r}); "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]; "
            "print(bad); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False, cwd=cwd)
    return proc.returncode, proc.stderr, eval(proc.stdout.strip() or "None")


def test_a_mistyped_command_is_refused_with_a_suggestion_and_never_starts_the_gui(
        tmp_path: Path) -> None:
    for argv in (["genrate"], ["genrate", "P"], ["exprot", "P", "-o", "f.mp4"]):
        code, err, qt = _cli_without_gui(argv, tmp_path)
        assert code == 2 and qt == [], (argv, err)
        assert err.count("\n") == 1 and "Traceback" not in err
        assert f"unknown command {argv[0]!r}" in err
    assert "did you mean generate?" in _cli_without_gui(["genrate"], tmp_path)[1]
    assert "did you mean export?" in _cli_without_gui(["exprot", "P"], tmp_path)[1]


def test_a_path_that_is_not_a_project_says_so_and_never_starts_the_gui(tmp_path: Path) -> None:
    (tmp_path / "story.txt").write_text("Once upon a time.")
    (tmp_path / "folder").mkdir()
    for arg, what in (("story.txt", "story.txt: not a soraboard project"),
                      ("folder", "folder: not a soraboard project"),
                      ("missing/film", "missing/film: no such project"),
                      ("Film.soraboard", "Film.soraboard: no such project")):
        code, err, qt = _cli_without_gui([arg], tmp_path)
        assert code == 1 and qt == [], (arg, err)
        assert err.count("\n") == 1 and what in err and "Traceback" not in err
        assert ".soraboard" not in err.replace("Film.soraboard", "").replace(
            "ending in .soraboard", "")  # nothing appended to what was typed
