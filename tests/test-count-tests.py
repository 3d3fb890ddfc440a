#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# test-count-tests.py: build-aux/count-tests on crafted meson test logs (TAP output).
import json
import os
import subprocess
import sys
import tempfile
import traceback

COUNTER = sys.argv[1]

GTEST_WITH_SKIP = """# random seed: R02S0
1..3
# Start of server tests
ok 1 /server/health
ok 2 /server/keyring # SKIP needs the unlocked gnome-keyring
ok 3 /server/api-key
# End of server tests
"""

# an assertion fails in case 3 of 5: GLib prints "Bail out!" and aborts
GTEST_CRASHED = """1..5
ok 1 /json/table
ok 2 /json/embedded-nul
Bail out! ERROR:test-json.c:40:test_random: assertion failed
"""

# node --test --test-reporter=tap (node 20): suites and a test with subtests wrap their
# cases; a YAML block quotes an error message that looks like TAP
NODE_NESTED = """TAP version 13
# Subtest: flat
ok 1 - flat
  ---
  duration_ms: 1.8
  ...
# Subtest: skipped
ok 2 - skipped # SKIP nope
  ---
  duration_ms: 0.2
  ...
# Subtest: wrapper
    # Subtest: child one
    ok 1 - child one
      ---
      duration_ms: 0.1
      ...
    # Subtest: child two
    ok 2 - child two
      ---
      duration_ms: 0.2
      ...
    1..2
ok 3 - wrapper
  ---
  duration_ms: 2.4
  ...
# Subtest: suite A
    # Subtest: case a1
    ok 1 - case a1
      ---
      duration_ms: 0.3
      ...
    # Subtest: inner
        # Subtest: case a2
        ok 1 - case a2
          ---
          duration_ms: 0.1
          ...
        1..1
    ok 2 - inner
      ---
      duration_ms: 0.4
      type: 'suite'
      ...
    1..2
ok 4 - suite A
  ---
  duration_ms: 1.3
  type: 'suite'
  ...
# Subtest: fails
not ok 5 - fails
  ---
  duration_ms: 0.1
  failureType: 'testCodeFailure'
  error: |-
    ok 5 - fake
    not ok 6
  code: 'ERR_TEST_FAILURE'
  ...
1..5
# tests 7
# suites 2
# pass 5
# fail 1
"""

# a suite's after hook fails while its only case passed
NODE_HOOK_FAILED = """TAP version 13
# Subtest: suite
    # Subtest: case
    ok 1 - case
      ---
      duration_ms: 0.5
      ...
    1..1
not ok 1 - suite
  ---
  duration_ms: 0.4
  type: 'suite'
  failureType: 'hookFailed'
  ...
1..1
"""

CASES = []


def case(function):
    CASES.append(function)
    return function


def run_counter(*args):
    done = subprocess.run([sys.executable, COUNTER, *args], capture_output=True, text=True)
    lines = done.stdout.splitlines()
    return done.returncode, lines[-1] if lines else "", lines


def count(*programs):
    """Writes a testlog.json of (name, result, stdout) rows and counts it."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "testlog.json")
        with open(path, "w") as log:
            for name, result, stdout in programs:
                log.write(json.dumps({"name": name, "result": result, "stdout": stdout,
                                      "returncode": 0 if result == "OK" else 1}) + "\n")
        return run_counter(path)


def expect(actual, wanted):
    if actual != wanted:
        raise AssertionError(f"got {actual!r}, wanted {wanted!r}")


@case
def gtest_cases_count_one_by_one_with_skips_apart():
    expect(count(("server", "OK", GTEST_WITH_SKIP))[:2], (0, "2 passed, 0 failed, 1 skipped"))


@case
def a_crashed_program_fails_its_unreported_planned_cases():
    status, summary, lines = count(("json", "FAIL", GTEST_CRASHED))
    expect((status, summary), (1, "2 passed, 3 failed, 0 skipped"))
    expect("FAIL json (FAIL): 3 planned case(s) never reported" in lines, True)


@case
def a_program_failing_after_all_its_cases_passed_is_one_failure():
    # every case ok, plan complete, then a leak report at exit
    expect(count(("server", "FAIL", "1..2\nok 1 /a\nok 2 /b\n"))[:2], (1, "2 passed, 1 failed, 0 skipped"))


@case
def a_timeout_before_the_plan_is_a_failure():
    # node prints its plan last: killed before it, every result so far said ok
    expect(count(("sdk", "TIMEOUT", "TAP version 13\nok 1 - text\nok 2 - tools\n"))[:2],
           (1, "2 passed, 1 failed, 0 skipped"))


@case
def a_missing_plan_is_a_failure_even_when_meson_said_ok():
    expect(count(("x", "OK", "ok 1 /a\n"))[:2], (1, "1 passed, 1 failed, 0 skipped"))


@case
def more_results_than_planned_is_a_failure():
    expect(count(("x", "OK", "1..1\nok 1 /a\nok 2 /b\n"))[:2], (1, "2 passed, 1 failed, 0 skipped"))


@case
def node_counts_its_innermost_cases_not_suites_or_wrappers():
    # flat, child one, child two, case a1, case a2 pass; skipped; fails
    expect(count(("sdk", "FAIL", NODE_NESTED))[:2], (1, "5 passed, 1 failed, 1 skipped"))


@case
def a_wrapper_failing_on_its_own_is_one_failure():
    expect(count(("sdk", "FAIL", NODE_HOOK_FAILED))[:2], (1, "1 passed, 1 failed, 0 skipped"))


@case
def todo_cases_are_neither_passed_nor_failed_unless_they_pass():
    expect(count(("x", "OK", "1..2\nnot ok 1 /a # TODO later\nok 2 /b\n"))[:2], (0, "1 passed, 0 failed, 1 skipped"))
    expect(count(("x", "UNEXPECTEDPASS", "1..1\nok 1 /a # TODO later\n"))[:2], (1, "0 passed, 1 failed, 0 skipped"))


@case
def programs_without_tap_are_one_case_each():
    expect(count(("links", "OK", ""), ("validate", "FAIL", "error: bad key\n"), ("gone", "SKIP", ""),
                 ("crash", "ERROR", ""))[:2],
           (1, "1 passed, 2 failed, 1 skipped"))


@case
def a_program_skipped_by_its_plan_is_one_skipped_case():
    expect(count(("ui", "SKIP", "1..0 # SKIP no display\n"))[:2], (0, "0 passed, 0 failed, 1 skipped"))


@case
def programs_add_up():
    expect(count(("server", "OK", GTEST_WITH_SKIP), ("json", "FAIL", GTEST_CRASHED), ("sdk", "FAIL", NODE_NESTED),
                 ("links", "OK", ""))[:2],
           (1, "10 passed, 4 failed, 2 skipped"))


@case
def a_missing_test_log_is_a_failure():
    expect(run_counter("/nonexistent/testlog.json")[:2], (1, "0 passed, 1 failed, 0 skipped"))


@case
def sum_adds_the_last_summary_of_each_run_and_fails_a_run_without_one():
    with tempfile.TemporaryDirectory() as directory:
        plain, sanitize, broken = (os.path.join(directory, name) for name in ("plain", "sanitize", "broken"))
        with open(plain, "w") as out:
            out.write("==> building\n3 passed, 1 failed, 0 skipped\nlater noise\n700 passed, 0 failed, 2 skipped\n")
        with open(sanitize, "w") as out:
            out.write("698 passed, 2 failed, 4 skipped\n")
        with open(broken, "w") as out:
            out.write("ninja: build stopped\n")
        expect(run_counter("--sum", plain, sanitize)[:2], (1, "1398 passed, 2 failed"))
        expect(run_counter("--sum", plain)[:2], (0, "700 passed, 0 failed"))
        expect(run_counter("--sum", plain, broken)[:2], (1, "700 passed, 1 failed"))


def main():
    print(f"1..{len(CASES)}")
    failed = 0
    for number, function in enumerate(CASES, 1):
        try:
            function()
            print(f"ok {number} {function.__name__}")
        except Exception:
            failed += 1
            print(f"not ok {number} {function.__name__}")
            for line in traceback.format_exc().splitlines():
                print(f"# {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
