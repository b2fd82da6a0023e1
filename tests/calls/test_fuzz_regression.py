"""Dialplan inputs the FuzzDialplan target found to stall (Fuzz/Regressions/FuzzDialplan, docs/security.md
"Fuzzing"), sent by a CRM over AMI to the real binary: the engine must go on serving every tenant.
"""

from __future__ import annotations

import time

import calltools as ct

NUMBER = "0391234567"
# A wide liveness bound: the engine answers CoreShowChannels in milliseconds when it is not stalled.
LIVENESS_SECONDS = 10


def test_backtracking_regex_in_an_originate_variable_does_not_stall(pbx, recorders):
    """C2C_TIMEOUT (set by the CRM) is substituted into `$["${C2C_TIMEOUT}" != ""]` of the generated
    [c2c] context. `aaaa…!\\" : \\"(a+)+$` (AMI unescapes the quotes) turns it into a regex match
    that backtracks for minutes with NSRegularExpression: the node stopped answering even AMI logins.
    The engine, AMI and other sessions must stay responsive."""
    crm = recorders("crm", events="off")
    # AMI removes quotes from Variable values unless escaped (`__ast_app_separate_args()`).
    payload = "a" * 40 + '!\\" : \\"(a+)+$'
    action = ct.c2c_variables_form("100", NUMBER)
    headers = [(k, v) for k, v in action.items() if k != "Variable"]
    headers += [("Variable", v) for v in list(action["Variable"]) + ["C2C_TIMEOUT=%s" % payload]]
    reply = crm.action(headers)[0]
    assert reply.get("Response") == "Success", reply
    time.sleep(1.0)   # the Local channel's ;2 half runs [c2c] at once
    assert pbx.alive, "centralino exited (code %s)" % pbx.proc.poll()
    started = time.monotonic()
    try:
        monitor = recorders("monitor", events="off")
        ct.channels_now(monitor)   # raises when CoreShowChannels gets no answer within its timeout
    except (OSError, AssertionError) as error:
        raise AssertionError("the node stopped answering AMI after the Originate: %r" % error) from error
    assert time.monotonic() - started < LIVENESS_SECONDS
    for m in ct.channels_now(monitor):
        monitor.action([("Action", "Hangup"), ("Channel", m.get("Channel"))], timeout=LIVENESS_SECONDS)

