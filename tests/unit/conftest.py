"""Fixtures for unit tests that run our modules in-process (see module_runner.py)."""

from __future__ import annotations

import pytest
from moto import mock_aws


@pytest.fixture
def moto_aws(monkeypatch):
    """In-process moto with dummy credentials; nothing leaks in from the caller's environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield
