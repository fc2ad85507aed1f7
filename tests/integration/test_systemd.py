"""systemd packaging: the unit verifies, keeps its hardening, and the sysusers/tmpfiles snippets
create the account and state directory they promise."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("ICEGATE_SOURCE_DIR", Path(__file__).resolve().parents[2]))
SYSTEMD_DIR = SOURCE_DIR / "systemd"
UNIT = SYSTEMD_DIR / "icegate.service"
SYSUSERS = SYSTEMD_DIR / "icegate.sysusers.conf"
TMPFILES = SYSTEMD_DIR / "icegate.tmpfiles.conf"
INSTALLED_BINARY = "/usr/local/bin/icegate"

# Directive -> exact value. Multi-token values are compared as sets of words.
REQUIRED = {
    "Unit": {
        "After": "network-online.target",
        "Wants": "network-online.target",
    },
    "Service": {
        "Type": "notify",
        "ExecStart": f"{INSTALLED_BINARY} serve -c /etc/icegate/icegate.yaml",
        "ExecReload": "/bin/kill -HUP $MAINPID",
        "User": "icegate",
        "Group": "icegate",
        "StateDirectory": "icegate",
        "ConfigurationDirectory": "icegate",
        "AmbientCapabilities": "CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectKernelLogs": "yes",
        "ProtectControlGroups": "yes",
        "ProtectClock": "yes",
        "ProtectHostname": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX AF_NETLINK",
        "RestrictNamespaces": "yes",
        "RestrictRealtime": "yes",
        "RestrictSUIDSGID": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "SystemCallArchitectures": "native",
        "UMask": "0077",
        "LimitNOFILE": "1048576",
        "Restart": "on-failure",
    },
    "Install": {
        "WantedBy": "multi-user.target",
    },
}
SET_VALUED = {"After", "Wants", "RestrictAddressFamilies", "AmbientCapabilities",
              "CapabilityBoundingSet", "WantedBy"}
DRAIN_GRACE_SECONDS = 30


def parse_unit(text):
    """Section -> key -> list of values (systemd allows a key more than once)."""
    sections, current = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"directive outside a section: {line}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.fixture(scope="module")
def unit():
    return parse_unit(UNIT.read_text())


def seconds(value):
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60}
    m = re.fullmatch(r"(\d+)\s*([a-z]*)", value)
    assert m and m.group(2) in units, f"unsupported time span {value!r}"
    return int(m.group(1)) * units[m.group(2)]


def need(tool):
    path = shutil.which(tool) or shutil.which(tool, path="/usr/bin:/bin")
    if path is None:
        pytest.skip(f"{tool} is not installed (apt-get install systemd)")
    return path


def verifiable_copy(tmp_path):
    """The unit with ExecStart's binary swapped for one that exists here: verify checks it."""
    binary = os.environ.get("ICEGATE_BINARY")
    if not binary or not os.access(binary, os.X_OK):
        binary = "/bin/true"
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED_BINARY} " in text
    copy = tmp_path / "icegate.service"
    copy.write_text(text.replace(f"ExecStart={INSTALLED_BINARY} ", f"ExecStart={binary} "))
    return copy


@pytest.mark.parametrize("section,key", [(s, k) for s, d in REQUIRED.items() for k in d])
def test_required_directive(unit, section, key):
    values = unit.get(section, {}).get(key)
    assert values, f"[{section}] {key}= is missing from {UNIT}"
    want = REQUIRED[section][key]
    if key in SET_VALUED:
        assert set(" ".join(values).split()) == set(want.split()), f"{key}={values}"
    else:
        assert values == [want], f"{key}={values}, expected {want}"


def test_system_call_filter_allows_only_system_service(unit):
    filters = unit["Service"].get("SystemCallFilter", [])
    assert "@system-service" in filters
    # Further lines may only take away (~...), never add to the allow list.
    assert all(f == "@system-service" or f.startswith("~") for f in filters), filters


def test_stop_timeout_exceeds_drain_grace(unit):
    (value,) = unit["Service"]["TimeoutStopSec"]
    assert DRAIN_GRACE_SECONDS < seconds(value) <= DRAIN_GRACE_SECONDS + 60


def test_systemd_analyze_verify(tmp_path):
    tool = need("systemd-analyze")
    copy = verifiable_copy(tmp_path)
    result = subprocess.run([tool, "verify", str(copy)], capture_output=True, text=True,
                            timeout=60)
    about_us = [l for l in result.stderr.splitlines() if "icegate" in l or str(tmp_path) in l]
    assert result.returncode == 0, result.stderr
    assert not about_us, "\n".join(about_us)


def test_systemd_analyze_security_exposure(tmp_path):
    tool = need("systemd-analyze")
    copy = verifiable_copy(tmp_path)
    result = subprocess.run([tool, "security", "--offline=yes", "--no-pager", str(copy)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    m = re.search(r"Overall exposure level for icegate\.service: (\d+\.\d+)", result.stdout)
    assert m, result.stdout[-500:]
    assert float(m.group(1)) <= 2.0, result.stdout


def test_sysusers_creates_system_account(tmp_path):
    tool = need("systemd-sysusers")
    (tmp_path / "etc").mkdir()
    result = subprocess.run([tool, f"--root={tmp_path}", str(SYSUSERS)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    users = [l.split(":") for l in (tmp_path / "etc/passwd").read_text().splitlines()]
    (entry,) = [u for u in users if u[0] == "icegate"]
    uid, gid, home, shell = int(entry[2]), int(entry[3]), entry[5], entry[6]
    assert 0 < uid < 1000, "a system user"
    assert home == "/var/lib/icegate"
    assert shell.endswith("/nologin")
    groups = [l.split(":") for l in (tmp_path / "etc/group").read_text().splitlines()]
    assert [g for g in groups if g[0] == "icegate" and int(g[2]) == gid]


def test_tmpfiles_line():
    lines = [l.split() for l in TMPFILES.read_text().splitlines()
             if l.strip() and not l.lstrip().startswith("#")]
    assert ["d", "/var/lib/icegate", "0750", "icegate", "icegate"] in [l[:5] for l in lines]


def test_tmpfiles_creates_state_dir(tmp_path):
    sysusers, tmpfiles = need("systemd-sysusers"), need("systemd-tmpfiles")
    if os.geteuid() != 0:
        pytest.skip("systemd-tmpfiles needs root to chown")
    (tmp_path / "etc").mkdir()
    subprocess.run([sysusers, f"--root={tmp_path}", str(SYSUSERS)], check=True,
                   capture_output=True, timeout=60)
    result = subprocess.run([tmpfiles, f"--root={tmp_path}", "--create", str(TMPFILES)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    def ids(name):
        return next(int(l.split(":")[2]) for l in (tmp_path / "etc" / name).read_text().splitlines()
                    if l.startswith("icegate:"))
    st = (tmp_path / "var/lib/icegate").stat()
    assert oct(st.st_mode & 0o7777) == oct(0o750)
    assert (st.st_uid, st.st_gid) == (ids("passwd"), ids("group"))
