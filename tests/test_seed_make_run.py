"""`make run HOST=… PORT=…`: links in emails, QR codes and certificates follow the server's
address (SYMPOSIUM_BASE_URL defaults to it); an explicit SYMPOSIUM_BASE_URL still wins.

The test takes the `flask run` line that `make -n run` prints, with FLASK replaced by a command
that prints the variable, and runs it in a shell."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def base_url(*make_args: str, env: dict | None = None) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    printed = subprocess.run(
        [
            make,
            "-n",
            "-s",
            "-C",
            str(ROOT),
            "run",
            *make_args,
            "FLASK=printenv SYMPOSIUM_BASE_URL #",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    line = [text for text in printed.splitlines() if "run --host" in text][-1]
    shell_env = {"PATH": os.environ["PATH"], "SECRET_KEY": "not-used", **(env or {})}
    return subprocess.run(
        ["sh", "-c", line], capture_output=True, text=True, timeout=30, env=shell_env, check=True
    ).stdout.strip()


def test_links_follow_host_and_port():
    assert base_url() == "http://127.0.0.1:5000"
    assert base_url("HOST=127.0.0.1", "PORT=8080") == "http://127.0.0.1:8080"
    assert base_url("HOST=192.168.1.20", "PORT=8000") == "http://192.168.1.20:8000"
    assert base_url("HOST=::1", "PORT=8080") == "http://[::1]:8080"


def test_every_interface_links_to_this_machine_by_name():
    url = base_url("HOST=0.0.0.0", "PORT=8080")
    assert url.startswith("http://") and url.endswith(":8080")
    name = url.removeprefix("http://").removesuffix(":8080")
    assert name not in ("0.0.0.0", "") and name.split(".")[0] == socket.gethostname().split(".")[0]


def test_an_explicit_base_url_wins():
    env = {"SYMPOSIUM_BASE_URL": "https://events.example.org"}
    assert base_url("HOST=0.0.0.0", "PORT=8080", env=env) == "https://events.example.org"
