"""Shared by the browser tests: tool checks (node, npm, Debian's Chromium, tests/e2e's npm
dependencies) and the SPKI pin icegate logs for Chromium's certificate check."""
import json
import os
import re
import shutil
import subprocess

import pytest

from icegate_proc import ROOT

E2E = ROOT / "tests" / "e2e"
CHROMIUM = "/usr/bin/chromium"


def require_tools():
    """node, npm and Chromium are test dependencies (`make test-deps`): missing is a failure."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(CHROMIUM + " (apt-get install chromium)")
    if missing:
        pytest.fail("browser test needs " + ", ".join(missing)
                    + "; `make test-deps` installs them", pytrace=False)
    if not (E2E / "node_modules" / "playwright-core" / "package.json").exists():
        try:
            done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=E2E,
                                  capture_output=True, text=True, timeout=240)
        except subprocess.TimeoutExpired:
            pytest.fail("`npm ci` in tests/e2e took over 240 s", pytrace=False)
        if done.returncode != 0:
            pytest.fail(f"`npm ci` in tests/e2e failed ({done.returncode}):\n"
                        + done.stdout + done.stderr, pytrace=False)


def spki_pin(log):
    m = re.search(r"certificate SPKI sha256 \(for --ignore-certificate-errors-spki-list\): "
                  r"([A-Za-z0-9+/=]+)", log)
    assert m, "icegate printed no SPKI pin:\n" + log
    return m.group(1)



def run_e2e(script, args, server, tmp_path, timeout):
    """Runs tests/e2e/<script> against a running icegate and returns its JSON result, failing
    the test (with both sides' output) when it hangs, icegate dies, or the script reports a
    failure. The result is also saved as result.json in tmp_path."""
    try:
        run = subprocess.run(["node", str(E2E / script), *args], cwd=E2E, capture_output=True,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{script} did not end:\n{e.stderr!s}\n--- icegate ---\n"
                    + server.output(), pytrace=False)
    log = server.output()
    assert server.alive(), "icegate died during the browser test:\n" + log
    print(run.stderr)
    try:
        result = json.loads(run.stdout)
    except ValueError:
        result = None
    if result is not None:
        (tmp_path / "result.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2))
    assert run.returncode == 0 and result and result["ok"], (
        f"{script} exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
        f"\n--- icegate ---\n{log}")
    return result
