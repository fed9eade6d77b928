"""`lsplug user add|token`, and where `lsplug start` listens without users."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lsplug import cli
from lsplug import config as lsconfig
from lsplug.cli.users import is_loopback, safe_host


def _config_file(tmp_path: Path, extra: str = "") -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"data_dir: {tmp_path / 'data'}\nhost: 0.0.0.0\n{extra}")
    return str(path)


def test_user_add_reads_the_password_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config_file(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert cli.main(["user", "add", "alice", "--password-stdin", "-c", config]) == 0
    assert "alice" in capsys.readouterr().out
    assert cli.main(["user", "token", "alice", "-c", config]) == 0
    assert len(capsys.readouterr().out.strip()) == 40


def test_a_short_password_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code = cli.main(["user", "add", "alice", "--password-stdin", "-c", _config_file(tmp_path)])
    assert code == 2 and "8 characters" in capsys.readouterr().err


def test_a_token_of_an_unknown_user_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["user", "token", "nobody", "-c", _config_file(tmp_path)]) == 2
    assert "no user" in capsys.readouterr().err


def test_without_users_the_server_listens_on_localhost_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = lsconfig.load(_config_file(tmp_path))
    assert safe_host(config) == "127.0.0.1"
    assert "listens on 127.0.0.1 only" in capsys.readouterr().err


def test_anonymous_remote_access_is_an_explicit_setting(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "auth: {allow_anonymous_remote: true}\n")
    assert safe_host(lsconfig.load(path)) == "0.0.0.0"


def test_with_a_user_the_configured_host_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _config_file(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert cli.main(["user", "add", "alice", "--password-stdin", "-c", path]) == 0
    assert safe_host(lsconfig.load(path)) == "0.0.0.0"


@pytest.mark.parametrize(("host", "local"), [("localhost", True), ("::1", True),
                                              ("127.0.0.2", True), ("0.0.0.0", False)])  # fmt: skip
def test_loopback_hosts(host: str, local: bool) -> None:
    assert is_loopback(host) is local
