"""liftoff.aws.iptables_persisted, run in-process on files in tmp_path.

The module checks new content with iptables-restore --test / ip6tables-restore --test before it
replaces a file. These tests put fake binaries of those names first on PATH (the module finds them
with get_bin_path, which searches PATH before /sbin and /usr/sbin): by default they log their
arguments and exit 0; `refusing` makes them print an error and exit 1, to prove a refused check
leaves the file unchanged. The real check of real chain text is in test_iptables_rules.py.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.liftoff.aws.plugins.module_utils.iptables_persisted import IPTABLES_BEGIN, IPTABLES_END, iptables_persisted_merge
from ansible_collections.liftoff.aws.plugins.modules import iptables_persisted
from tests.unit.module_runner import run_module
from tests.unit.test_iptables_persisted import CHAIN, NEWER, USER_FILE

# The files are the test user's own (root in CI, but the tests should not need it).
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name

FAKE_RESTORE = """#!/bin/sh
echo "$(basename "$0") $*" >> "{log}"
if [ -e "{refuse}" ]; then echo "iptables-restore: line 3 failed" >&2; exit 1; fi
exit 0
"""


class Fake:
    def __init__(self, directory):
        self.log = directory / "calls.log"
        self.refuse_flag = directory / "refuse"

    def calls(self):
        return self.log.read_text().splitlines() if self.log.exists() else []

    def refuse(self):
        self.refuse_flag.touch()


@pytest.fixture
def restore(tmp_path, monkeypatch):
    """Fake iptables-restore and ip6tables-restore first on PATH (see the module docstring)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = Fake(tmp_path)
    for name in ("iptables-restore", "ip6tables-restore"):
        script = bin_dir / name
        script.write_text(FAKE_RESTORE.format(log=fake.log, refuse=fake.refuse_flag))
        script.chmod(0o755)
    monkeypatch.setenv("PATH", "%s%s%s" % (bin_dir, os.pathsep, os.environ.get("PATH", "")))
    return fake


@pytest.fixture
def rules(tmp_path):
    directory = tmp_path / "etc-iptables"
    directory.mkdir()
    return directory / "rules.v4"


def run(path, check=False, diff=False, **args):
    args = dict({"path": str(path), "owner": OWNER, "group": GROUP}, **args)
    result, calls = run_module(iptables_persisted, args, check=check, diff=diff)
    assert calls == []
    return result


def mode_of(path):
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(path):
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def test_missing_file_is_created_with_our_chain_and_mode(restore, rules):
    result = run(rules, chain_text=CHAIN)
    assert result["changed"] and not result.get("failed")
    assert rules.read_text() == iptables_persisted_merge("", CHAIN)
    assert mode_of(rules) == 0o640
    assert result["path"] == str(rules) and str(rules) in result["msg"]
    assert result["diff"]["before"] == "" and result["diff"]["after"] == rules.read_text()
    # the check ran on a temporary file beside the target, which is gone again
    assert len(restore.calls()) == 1 and restore.calls()[0].startswith("iptables-restore --test %s/.rules.v4." % rules.parent)
    assert leftovers(rules) == []


def test_empty_file_gets_our_chain(restore, rules):
    rules.write_text("")
    result = run(rules, chain_text=CHAIN)
    assert result["changed"]
    assert rules.read_text() == iptables_persisted_merge("", CHAIN)


def test_second_run_changes_nothing(restore, rules):
    run(rules, chain_text=CHAIN)
    inode, mtime = rules.stat().st_ino, rules.stat().st_mtime_ns
    result = run(rules, chain_text=CHAIN, diff=True)
    assert not result["changed"] and "already holds" in result["msg"]
    assert (rules.stat().st_ino, rules.stat().st_mtime_ns) == (inode, mtime)
    assert result["diff"]["before"] == result["diff"]["after"]
    assert len(restore.calls()) == 1  # nothing to write, nothing to check


def test_new_chain_text_replaces_ours(restore, rules):
    rules.write_text(USER_FILE)
    run(rules, chain_text=CHAIN)
    result = run(rules, chain_text=NEWER, diff=True)
    assert result["changed"]
    text = rules.read_text()
    assert "--dport 443" in text and "-i lo" not in text
    assert text.count(IPTABLES_BEGIN) == 1 and text.count("-A INPUT -j LIFTOFF-INPUT") == 1
    assert "-i lo" in result["diff"]["before"] and "--dport 443" in result["diff"]["after"]


def test_other_tables_and_rules_stay_byte_for_byte(restore, rules):
    rules.write_bytes(USER_FILE.encode())
    run(rules, chain_text=CHAIN)
    data = rules.read_bytes()
    begin, end = data.index(IPTABLES_BEGIN.encode()), data.index(IPTABLES_END.encode()) + len(IPTABLES_END) + 1
    assert data[:begin] + data[end:] == USER_FILE.encode()
    # our block sits in *filter after the declarations, before every INPUT rule
    assert data.index(b":MY-CHAIN - [0:0]\n") < begin < data.index(b"-A INPUT -p tcp")


def test_check_mode_says_changed_and_writes_nothing(restore, rules):
    result = run(rules, check=True, diff=True, chain_text=CHAIN)
    assert result["changed"] and "would write" in result["msg"]
    assert not rules.exists() and leftovers(rules) == []
    assert result["diff"]["after"] == iptables_persisted_merge("", CHAIN)

    rules.write_text(USER_FILE)
    rules.chmod(0o644)
    result = run(rules, check=True, diff=True, chain_text=CHAIN)
    assert result["changed"]
    assert result["diff"]["before"] == USER_FILE and result["diff"]["after"] == iptables_persisted_merge(USER_FILE, CHAIN)
    assert rules.read_text() == USER_FILE and mode_of(rules) == 0o644 and leftovers(rules) == []
    assert restore.calls() == []


def test_wrong_mode_alone_is_put_right(restore, rules):
    run(rules, chain_text=CHAIN)
    rules.chmod(0o644)
    result = run(rules, check=True, chain_text=CHAIN)
    assert result["changed"] and mode_of(rules) == 0o644
    result = run(rules, chain_text=CHAIN)
    assert result["changed"] and "set owner, group or mode" in result["msg"]
    assert mode_of(rules) == 0o640


def test_absent_removes_only_our_lines(restore, rules):
    rules.write_text(USER_FILE)
    run(rules, chain_text=CHAIN)
    result = run(rules, state="absent", check=True, diff=True)
    assert result["changed"] and IPTABLES_BEGIN in rules.read_text()
    assert result["diff"]["after"] == USER_FILE
    result = run(rules, state="absent", diff=True)
    assert result["changed"] and "removed" in result["msg"]
    assert rules.read_bytes() == USER_FILE.encode()
    result = run(rules, state="absent")
    assert not result["changed"] and "nothing to remove" in result["msg"]


def test_absent_without_our_lines_touches_nothing(restore, rules):
    # no final newline and a mode of the user's own: both stay
    rules.write_text(USER_FILE.rstrip("\n"))
    rules.chmod(0o600)
    mtime = rules.stat().st_mtime_ns
    result = run(rules, state="absent")
    assert not result["changed"] and not result.get("failed")
    assert rules.read_text() == USER_FILE.rstrip("\n") and mode_of(rules) == 0o600
    assert rules.stat().st_mtime_ns == mtime and restore.calls() == []


def test_absent_on_missing_file_creates_nothing(restore, rules):
    result = run(rules, state="absent", family=6)
    assert not result["changed"] and "does not exist" in result["msg"]
    assert not rules.exists() and leftovers(rules) == []


def test_lines_a_save_wrote_are_taken_out_too(restore, rules):
    saved = USER_FILE.replace(":MY-CHAIN - [0:0]\n", ":MY-CHAIN - [0:0]\n:LIFTOFF-INPUT - [0:0]\n").replace(
        "-A INPUT -p tcp", "-A INPUT -j LIFTOFF-INPUT\n-A INPUT -p tcp")
    rules.write_text(saved)
    assert run(rules, state="absent")["changed"]
    assert rules.read_text() == USER_FILE


def test_family_6_is_checked_with_ip6tables_restore(restore, tmp_path):
    path = tmp_path / "rules.v6"
    assert run(path, family=6, chain_text=CHAIN)["changed"]
    assert [call.split()[0:2] for call in restore.calls()] == [["ip6tables-restore", "--test"]]
    assert run(path, family=6, state="absent")["changed"]
    assert [call.split()[0] for call in restore.calls()] == ["ip6tables-restore", "ip6tables-restore"]


def test_refused_content_leaves_the_file_unchanged(restore, rules):
    rules.write_text(USER_FILE)
    restore.refuse()
    result = run(rules, chain_text=CHAIN)
    assert result.get("failed")
    assert str(rules) in result["msg"] and "iptables-restore --test refused" in result["msg"]
    assert "line 3 failed" in result["msg"]
    assert rules.read_text() == USER_FILE and leftovers(rules) == []


def test_missing_binary_fails_naming_it(restore, rules):
    with mock.patch.object(basic.AnsibleModule, "get_bin_path", return_value=None):
        result = run(rules, family=6, chain_text=CHAIN)
    assert result.get("failed") and "ip6tables-restore not found" in result["msg"] and str(rules) in result["msg"]
    assert not rules.exists() and leftovers(rules) == []


def test_missing_directory_fails(restore, tmp_path):
    result = run(tmp_path / "nope" / "rules.v4", chain_text=CHAIN)
    assert result.get("failed") and "does not exist" in result["msg"]


@pytest.mark.parametrize("args, message", [
    ({}, "chain_text"),
    ({"chain_text": "  \n"}, "chain_text is empty"),
])
def test_present_needs_chain_text(restore, rules, args, message):
    result = run(rules, **args)
    assert result.get("failed") and message in result["msg"]
    assert not rules.exists()


def test_filter_table_without_commit_is_refused_naming_the_file(restore, rules):
    rules.write_text("*filter\n:INPUT ACCEPT [0:0]\n")
    result = run(rules, chain_text=CHAIN)
    assert result.get("failed") and str(rules) in result["msg"] and "no COMMIT" in result["msg"]
    assert rules.read_text() == "*filter\n:INPUT ACCEPT [0:0]\n"
