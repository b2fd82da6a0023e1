"""Numbers a CRM or a phone sends must never kill the process (issue 9, defect 1).

Each test sends the number that used to trap (an `Int64(Double)` or timer overflow), lets the call
reach the point where the number is used (the agent's SIPp phone answers), and then checks that the
same server process is alive, answers AMI Ping, and still completes an ordinary click-to-call.
"""

from __future__ import annotations

import time

import pytest

import c2chelp as h
import calltools as ct

NUMBER = "0391234567"


def ping(pbx) -> None:
    """The server process is the one the module started, and AMI answers Ping."""
    assert pbx.alive, "centralino exited (code %s)" % pbx.proc.poll()
    rec = ct.AMIRecorder(pbx.ami_port, "monitor", ct.AMI_USERS["monitor"][0], events="off")
    try:
        reply = rec.action([("Action", "Ping")])[0]
        assert reply.get("Response") == "Success" and reply.get("Ping") == "Pong", reply
    finally:
        rec.close()


def hang_up_all(pbx) -> None:
    rec = ct.AMIRecorder(pbx.ami_port, "monitor", ct.AMI_USERS["monitor"][0], events="off")
    try:
        for m in ct.channels_now(rec):
            rec.action([("Action", "Hangup"), ("Channel", m.get("Channel"))])
        assert ct.wait_until(lambda: not ct.channels_now(rec), 5, 0.1), "channels left after AMI Hangup"
    finally:
        rec.close()


def originate_wait(pbx, data: str):
    """Originate Local/100@c2c running Wait(data) once the agent answers; returns the final message."""
    action = {"Action": "Originate", "Async": "true", "Channel": "Local/100@c2c", "Application": "Wait",
              "Data": data, "Timeout": "10000"}
    res = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", action).result(20)
    return ct.final_originate_message(res)


def assert_click_to_call_works(pbx, peers, recorders):
    crm = recorders("crm")
    mark = crm.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"), name="agent-after")
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=300, end="bye", hold=800))
    res = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER)).result(20)
    final = ct.final_originate_message(res)
    assert final.get("Response") == "Success" and final.get("Reason") == "4", final
    ra, rt = agent.wait(), trunk.wait()
    assert ra.returncode == 0 and ra.received_requests("BYE"), "agent phone:\n" + ra.report()
    assert rt.returncode == 0, "trunk:\n" + rt.report()
    h.wait_call_over(crm, mark)


@pytest.mark.parametrize("data", ["1e300", "nan", "inf", "1e16", "-5"])
def test_wait_with_extreme_duration_after_answer(pbx, peers, recorders, data):
    """Wait(1e300) once crashed the node when the agent answered (Int64(seconds * 1000) trapped);
    nan, inf and 1e16 too. Now: a huge duration is clamped to INT_MAX ms as Asterisk clamps it (the
    call stays up until hung up), nan and negatives do not wait (Asterisk's pbx_builtin_wait())."""
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait", wait=20000))
    final = originate_wait(pbx, data)
    assert final.get("Response") == "Success", "the agent answered, so the Originate succeeds: %s" % final
    time.sleep(0.5)   # the Wait has started (or, for nan/-5, the application has ended)
    ping(pbx)
    if data in ("nan", "-5"):
        ra = agent.wait()
        assert ra.returncode == 0 and ra.received_requests("BYE"), (
            "Wait(%s) does not wait: the call ends and the agent gets BYE\n%s" % (data, ra.report()))
    else:
        rec = ct.AMIRecorder(pbx.ami_port, "monitor", ct.AMI_USERS["monitor"][0], events="off")
        try:
            names = [m.get("Channel") for m in ct.channels_now(rec)]
        finally:
            rec.close()
        assert any(n.startswith("Local/100@c2c-") for n in names), (
            "Wait(%s) is clamped to ~24.8 days: the call is still up: %s" % (data, names))
        hang_up_all(pbx)
        ra = agent.wait()
        assert ra.returncode == 0 and ra.received_requests("BYE"), ra.report()
    ping(pbx)
    assert_click_to_call_works(pbx, peers, recorders)


@pytest.mark.parametrize("application,data", [("NoOp", "x"), ("Hangup", "99999999999999999999"), ("Hangup", "-1")])
def test_originate_application_that_finishes_at_once_ends_the_call(pbx, peers, application, data):
    """An application that returns at once (NoOp, Hangup with a cause that is not 1-127) ends the
    call: the agent gets BYE. Ending the channel inside the answer that started it used to leave the
    agent's call up, which is also what Wait(nan) and Wait(-5) hit."""
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait", wait=8000))
    action = {"Action": "Originate", "Async": "true", "Channel": "Local/100@c2c", "Application": application,
              "Data": data, "Timeout": "10000"}
    final = ct.final_originate_message(ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", action).result(20))
    assert final.get("Response") == "Success", final
    ra = agent.wait()
    assert ra.returncode == 0 and ra.received_requests("BYE"), ra.report()
    ping(pbx)


@pytest.mark.parametrize("value", ["99999999999", "1e300", "nan"])
def test_dial_timeout_from_an_originate_variable(pbx, peers, recorders, value):
    """C2C_TIMEOUT (set by the CRM) becomes the Dial timeout of the generated [c2c] context: a huge
    value is clamped to INT_MAX ms and nan rings without a timeout, as app_dial does; the call
    proceeds. (A guard: NIO's TimeAmount saturates, so this did not trap before either.)"""
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"))
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=300, end="bye", hold=800))
    action = ct.c2c_variables_form("100", NUMBER)
    action["Variable"] = list(action["Variable"]) + ["C2C_TIMEOUT=%s" % value]
    res = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", action).result(20)
    final = ct.final_originate_message(res)
    assert final.get("Response") == "Success", final
    ra, rt = agent.wait(), trunk.wait()
    assert ra.returncode == 0 and rt.returncode == 0, ra.report() + rt.report()
    ping(pbx)


@pytest.mark.parametrize("timeout", ["9223372036854775807", "99999999999999999999", "2147483648", "-99999999999", "1e9", "nan"])
def test_originate_timeout_out_of_range_is_refused(pbx, recorders, timeout):
    """Timeout is `sscanf("%30d")` milliseconds in Asterisk; a value that does not fit a C int was
    accepted. Now: `Response: Error`, `Message: Invalid timeout`, and the session lives on."""
    crm = recorders("crm", events="off")
    reply = crm.action([("Action", "Originate"), ("Channel", "Local/100@c2c"), ("Application", "Wait"),
                        ("Data", "1"), ("Timeout", timeout), ("Async", "true")])[0]
    assert (reply.get("Response"), reply.get("Message")) == ("Error", "Invalid timeout"), reply
    ping(pbx)


@pytest.mark.parametrize("priority", ["9223372036854775807", "99999999999999999999", "-2147483649"])
def test_originate_priority_out_of_range_is_refused(pbx, recorders, priority):
    crm = recorders("crm", events="off")
    reply = crm.action([("Action", "Originate"), ("Channel", "Local/100@c2c"), ("Context", "from_c2c"),
                        ("Exten", NUMBER), ("Priority", priority), ("Async", "true")])[0]
    assert (reply.get("Response"), reply.get("Message")) == ("Error", "Invalid priority"), reply
    ping(pbx)


def test_waitevent_timeout_overflow(pbx, recorders):
    """WaitEvent's Timeout (seconds) beyond a C int means no timeout; the node lives on (a guard)."""
    crm = recorders("crm")
    crm.send([("Action", "WaitEvent"), ("Timeout", "99999999999"), ("ActionID", "we-1")])
    time.sleep(0.3)
    ping(pbx)


@pytest.mark.parametrize("pt", ["300", "128", "99999999999999999999"])
def test_sdp_payload_type_beyond_seven_bits(pbx, peers, pt):
    """An offer whose only format is payload type 300 (a=rtpmap:300 PCMU/8000) used to be accepted and
    answered with payload type 300, which no RTP header can carry (the field is 7 bits, RFC 3550
    §5.1; the ringback path guards its UInt8 conversion, so this did not trap). Such a format now
    matches no codec, so the call is refused with 488."""
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait", wait=5000), timeout=8)
    caller = peers.caller("100", "101", str(ct.SCENARIOS / "uac_call_fail_pt.xml"), keys={"pt": pt}, timeout=10)
    rc = caller.wait()
    assert rc.returncode == 0, rc.report()
    finals = rc.received_finals()
    assert finals and finals[-1] == 488, "expected 488 Not Acceptable Here: %s\n%s" % (finals, rc.report())
    callee.stop()
    ping(pbx)


@pytest.mark.parametrize("port", ["/", "/2", "99999999999999999999"])
def test_sdp_media_line_without_a_port(pbx, peers, port):
    """`m=audio / RTP/AVP 0` split into no port and indexed an empty array (a trap on the first
    INVITE carrying it). Now the body is not an offer; what the call does then is the call layer's
    choice (today: it is treated as an INVITE without an offer), but the INVITE gets a final answer
    and the node lives on."""
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait", wait=5000), timeout=8)
    caller = peers.caller("100", "101", str(ct.SCENARIOS / "uac_call_fail_pt.xml"), keys={"pt": "0", "rtp_port": port}, timeout=6)
    rc = caller.wait()
    finals = [code for code in rc.received_finals() if code != 401]
    assert finals, "the authenticated INVITE got no final response:\n%s" % rc.report()
    hang_up_all(pbx)   # before stopping the callee, so that its BYE cannot reach the next test's phone
    callee.wait(10)
    ping(pbx)


def test_sdp_media_port_65535(pbx, peers):
    """`m=audio 65535`: RTCP goes to the next port, and building the address for port 65536 trapped
    (NIO converts it to a 16-bit port) as the INVITE arrived. Now there is no RTCP address for it."""
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait", wait=5000), timeout=8)
    caller = peers.caller("100", "101", str(ct.SCENARIOS / "uac_call_fail_pt.xml"), keys={"pt": "0", "rtp_port": "65535"}, timeout=6)
    rc = caller.wait()
    finals = [code for code in rc.received_finals() if code != 401]
    assert finals, "the authenticated INVITE got no final response:\n%s" % rc.report()
    hang_up_all(pbx)   # before stopping the callee, so that its BYE cannot reach the next test's phone
    callee.wait(10)
    ping(pbx)
