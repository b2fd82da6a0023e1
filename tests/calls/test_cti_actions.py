"""CTI AMI actions on live calls: CoreShowChannels, Status, Getvar/Setvar, Hangup (uniqueid, /regex/),
Redirect, BlindTransfer, PJSIPShowEndpoints/Contacts, ExtensionState(List), DeviceStateList, and the
tenant boundary for each of them.

The calls are real: a click-to-call (variables form; agent 100 and the SIPp trunk answer and wait for
BYE) or an internal call (SIPp UAC 100 -> registered 101, both waiting for BYE). Actions are sent over a
raw AMI socket by the acme monitor (read=all write=all), the acme crm (read=call write=call,originate)
and the globex monitor_b. Expected replies are Asterisk 20's (ami-reference 2.2, 2.3, 4.2, 7).
"""

from __future__ import annotations

import re
from typing import Dict, List

import calltools as ct
from calltools import DOMAIN_A, DOMAIN_B, PASSWORDS, SCENARIOS, TENANT_A_UUID

NUMBER = "0391234567"          # dialled through route 0 -> carrier, the trunk sees 391234567

BLOCK = ["Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
         "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid"]
STATUS_TAIL = ["Type", "DNID", "EffectiveConnectedLineNum", "EffectiveConnectedLineName", "TimeToHangup",
               "BridgeID", "Application", "Data", "Nativeformats", "Readformat", "Readtrans", "Writeformat",
               "Writetrans", "Callgroup", "Pickupgroup", "Seconds"]
ACME_EXTENSIONS = sorted(n for (d, n) in PASSWORDS if d == DOMAIN_A)
GLOBEX_EXTENSIONS = sorted(n for (d, n) in PASSWORDS if d == DOMAIN_B)


# -- helpers -------------------------------------------------------------------------------------------

def act(rec: ct.AMIRecorder, action: str, **fields) -> List[ct.Msg]:
    return rec.action([("Action", action)] + list(fields.items()))


def block_keys(m: ct.Msg) -> List[str]:
    """Keys without the optional Tenantid/ChanVariable lines of the channel block."""
    return [k for k in m.keys if k not in ("Tenantid", "ChanVariable")]


def assert_error(msgs: List[ct.Msg], message: str) -> None:
    r = msgs[0]
    assert r.get("Response") == "Error" and r.get("Message") == message, (
        "expected Response: Error / Message: %s, got %r" % (message, r))
    assert r.keys == ["Response", "ActionID", "Message"], "error reply shape: %r" % r


def assert_success(msgs: List[ct.Msg], message: str) -> None:
    r = msgs[0]
    assert r.get("Response") == "Success" and r.get("Message") == message, (
        "expected Response: Success / Message: %s, got %r" % (message, r))
    assert r.keys == ["Response", "ActionID", "Message"], "reply shape: %r" % r


def list_reply(msgs: List[ct.Msg], start_message: str, item: str, complete: str,
               action_id_last: bool = False) -> List[ct.Msg]:
    """Checks an Asterisk list reply (ami-reference 2.2) and returns its items."""
    first = msgs[0]
    aid = first.get("ActionID")
    assert first.keys == ["Response", "ActionID", "EventList", "Message"], "list ack shape: %r" % first
    assert (first.get("Response"), first.get("EventList"), first.get("Message")) == (
        "Success", "start", start_message), first
    items, done = msgs[1:-1], msgs[-1]
    for m in items:
        assert m.event == item, "unexpected message inside the %s list: %r" % (item, m)
        assert m.get("ActionID") == aid, m
        if action_id_last:
            assert m.keys[-1] == "ActionID", "ActionID must be the last field of %s: %r" % (item, m)
        else:
            assert m.keys[:2] == ["Event", "ActionID"], "ActionID must follow Event in %s: %r" % (item, m)
    assert done.event == complete, "list must end with %s: %r" % (complete, done)
    assert done.keys[:4] == ["Event", "ActionID", "EventList", "ListItems"], done
    assert done.get("EventList") == "Complete" and done.get("ListItems") == str(len(items)), (
        "ListItems must count the %d items: %r" % (len(items), done))
    return items


def wait_connected(mon: ct.AMIRecorder, n: int, timeout: float = 10.0) -> Dict[str, ct.Msg]:
    """Until CoreShowChannels shows n channels, all Up and in a bridge; returns them by name."""
    last: List[ct.Msg] = []

    def up():
        last[:] = ct.channels_now(mon)
        return len(last) == n and all(m.get("ChannelState") == "6" and m.get("BridgeId") for m in last)
    assert ct.wait_until(up, timeout, 0.1), "call never connected (%d channels Up and bridged expected): %r" % (
        n, last)
    return {m.get("Channel"): m for m in last}


def wait_no_channels(mon: ct.AMIRecorder, timeout: float = 8.0) -> None:
    left: List[ct.Msg] = []

    def empty():
        left[:] = ct.channels_now(mon)
        return not left
    assert ct.wait_until(empty, timeout, 0.2), "channels left: %s" % [m.get("Channel") for m in left]


def named(chans, pattern: str) -> ct.Msg:
    got = [m for name, m in chans.items() if re.fullmatch(pattern, name)]
    assert len(got) == 1, "one channel %s expected among %s" % (pattern, sorted(chans))
    return got[0]

# What Asterisk reports while the call is bridged: the dialled legs run no application of their own
# ("AppDial" / "(Outgoing Line)"); each calling channel is still inside Dial(), whose data is the
# substituted argument string (ast_channel_appl/ast_channel_data stay set for the whole Dial).
EXPECTED_APPL = {"PHONE": ("AppDial", "(Outgoing Line)"), "TRUNK": ("AppDial", "(Outgoing Line)"),
                 "L1": ("Dial", "PJSIP/391234567@carrier"), "L2": ("Dial", "PJSIP/100,30"),
                 "A": ("Dial", "PJSIP/101,30"), "B": ("AppDial", "(Outgoing Line)")}


def application_problems(by_role, appl_key: str, data_key: str) -> List[str]:
    out = []
    for role, m in sorted(by_role.items()):
        got = (m.get(appl_key), m.get(data_key))
        if got != EXPECTED_APPL[role]:
            out.append("%s %s: %s/%s = %r, Asterisk: %r" % (role, m.get("Channel"), appl_key, data_key, got,
                                                           EXPECTED_APPL[role]))
    return out


def start_c2c(peers, mon: ct.AMIRecorder):
    """Click-to-call 100 -> NUMBER (variables form, __TENANT_UUID) until all four channels are Up and
    bridged. Returns (agent sipp, trunk sipp, roles -> CoreShowChannel item)."""
    mark = mon.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"))
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"))
    action = ct.c2c_variables_form("100", NUMBER)
    headers = [(k, vv) for k, v in action.items() for vv in (v if isinstance(v, list) else [v])]
    resp = mon.action(headers)[0]
    assert resp.get("Message") == "Originate successfully queued", resp
    fin = mon.wait_for(lambda m: m.event == "OriginateResponse" and m.get("ActionID") == resp.get("ActionID"),
                       10, mark)
    assert fin is not None and fin.get("Reason") == "4", "agent never answered: %r" % fin
    chans = wait_connected(mon, 4)
    roles = {"L1": named(chans, r"Local/100@c2c-[0-9a-f]{8};1"), "PHONE": named(chans, r"PJSIP/100-[0-9a-f]{8}"),
             "TRUNK": named(chans, r"PJSIP/carrier-[0-9a-f]{8}")}
    roles["L2"] = named(chans, re.escape(roles["L1"].get("Channel")[:-1]) + "2")
    return agent, trunk, roles


def start_internal(peers, mon: ct.AMIRecorder, ring: int = 300):
    """SIPp UAC 100 calls 101 (registered SIPp UAS); both wait for BYE. Returns (caller, callee, roles)."""
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=ring, end="wait"))
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call_wait_bye.xml"))
    chans = wait_connected(mon, 2)
    return caller, callee, {"A": named(chans, r"PJSIP/100-[0-9a-f]{8}"), "B": named(chans, r"PJSIP/101-[0-9a-f]{8}")}


def got_bye(sipp: ct.Sipp, what: str) -> ct.SippResult:
    res = sipp.wait()
    assert res.returncode == 0 and res.received_requests("BYE"), "%s must get a BYE and complete:\n%s" % (
        what, res.report())
    return res


def bye_so_far(sipp: ct.Sipp) -> bool:
    return any(m.direction == "received" and m.method == "BYE" and not m.is_response
               for m in sipp.messages_so_far())


# -- CoreShowChannels, Hangup by /regex/ --------------------------------------------------------------

def test_core_show_channels_then_hangup_by_regex(pbx, peers, recorders):
    mon, mon_b, crm = recorders("monitor"), recorders("monitor_b"), recorders("crm")
    agent, trunk, roles = start_c2c(peers, mon)

    msgs = act(mon, "CoreShowChannels")
    items = list_reply(msgs, "Channels will follow", "CoreShowChannel", "CoreShowChannelsComplete")
    assert len(items) == 4, [m.get("Channel") for m in items]
    assert msgs[-1].keys == ["Event", "ActionID", "EventList", "ListItems"], msgs[-1]
    for m in items:
        assert block_keys(m) == ["Event", "ActionID"] + BLOCK + [
            "Application", "ApplicationData", "Duration", "BridgeId"], "CoreShowChannel field order: %r" % m
        assert re.fullmatch(r"\d\d:\d\d:\d\d", m.get("Duration")), m
        assert m.get("ChannelState") == "6" and m.get("ChannelStateDesc") == "Up", m
        assert m.get("Linkedid") == roles["L1"].get("Uniqueid"), "one Linkedid for every leg: %r" % m
    by = {r: next(m for m in items if m.get("Channel") == roles[r].get("Channel")) for r in roles}
    # Application/ApplicationData: checked now, asserted at the end so that the rest still runs
    appl_problems = application_problems(by, "Application", "ApplicationData")
    assert by["L2"].get("BridgeId") == by["PHONE"].get("BridgeId") != by["L1"].get("BridgeId") == by["TRUNK"].get("BridgeId"), (
        "two bridges: L2+PHONE and L1+TRUNK: %s" % {r: m.get("BridgeId") for r, m in by.items()})

    # another tenant sees none of it; the crm user lacks system/reporting (ami-reference 4.2 [obs])
    other = act(mon_b, "CoreShowChannels")
    assert list_reply(other, "Channels will follow", "CoreShowChannel", "CoreShowChannelsComplete") == [], other
    assert_error(act(crm, "CoreShowChannels"), "Permission denied")

    # Hangup errors, and a globex regex that matches everything hangs up nothing of acme's
    assert_error(act(mon, "Hangup"), "No channel specified")
    assert_error(act(mon, "Hangup", Channel="PJSIP/nosuch-00000000"), "No such channel")
    none = act(mon_b, "Hangup", Channel="/.*/")
    assert list_reply(none, "Channels hung up will follow", "ChannelHungup", "ChannelsHungupListComplete",
                      action_id_last=True) == []
    assert len(ct.channels_now(mon)) == 4 and not bye_so_far(agent) and not bye_so_far(trunk)

    mark = mon.mark()
    hung = act(mon, "Hangup", Channel="/^PJSIP/carrier-/")
    items = list_reply(hung, "Channels hung up will follow", "ChannelHungup", "ChannelsHungupListComplete",
                       action_id_last=True)
    assert [m.keys for m in items] == [["Event", "Channel", "ActionID"]], items
    assert items[0].get("Channel") == roles["TRUNK"].get("Channel"), items
    got_bye(trunk, "the trunk (hung up by regex)")
    got_bye(agent, "the agent's phone 100 (its call ended)")
    wait_no_channels(mon)
    gone = {m.get("Channel") for m in mon.events(mark, "Hangup")}
    assert gone == {m.get("Channel") for m in roles.values()}, gone
    assert not appl_problems, "CoreShowChannel Application/ApplicationData differ from Asterisk's:\n" + "\n".join(appl_problems)


# -- Status ---------------------------------------------------------------------------------------------

def test_status(pbx, peers, recorders):
    mon, mon_b, crm = recorders("monitor"), recorders("monitor_b"), recorders("crm")
    agent, trunk, roles = start_c2c(peers, mon)
    csc = {m.get("Channel"): m for m in ct.channels_now(mon)}

    msgs = act(mon, "Status")
    items = list_reply(msgs, "Channel status will follow", "Status", "StatusComplete", action_id_last=True)
    assert sorted(m.get("Channel") for m in items) == sorted(csc), items
    for m in items:
        assert block_keys(m) == ["Event", "Privilege"] + BLOCK + STATUS_TAIL + ["ActionID"], (
            "Status field order (ami-reference 7): %r" % m)
        assert m.get("Privilege") == "Call", m
        assert m.get("BridgeID") == csc[m.get("Channel")].get("BridgeId"), (m, csc[m.get("Channel")])
        assert m.get("Seconds").isdigit(), m
    st_by = {r: next(m for m in items if m.get("Channel") == roles[r].get("Channel")) for r in roles}
    appl_problems = application_problems(st_by, "Application", "Data")
    done = msgs[-1]
    assert done.keys == ["Event", "ActionID", "EventList", "ListItems", "Items"], done
    assert done.get("Items") == done.get("ListItems") == "4", done

    # one channel by name, with Variables (C2C_SRC is the ;1's own, TENANT_UUID is inherited by all legs)
    one = act(mon, "Status", Channel=roles["L1"].get("Channel"), Variables="C2C_SRC,TENANT_UUID")
    items = list_reply(one, "Channel status will follow", "Status", "StatusComplete", action_id_last=True)
    assert len(items) == 1 and items[0].get("Channel") == roles["L1"].get("Channel"), items
    assert block_keys(items[0])[-3:] == ["Variable", "Variable", "ActionID"], items[0]
    assert [v for k, v in items[0].pairs if k == "Variable"] == ["C2C_SRC=100", "TENANT_UUID=%s" % TENANT_A_UUID], items[0]
    assert one[-1].get("ListItems") == one[-1].get("Items") == "1", one[-1]
    # by uniqueid
    by_id = act(mon, "Status", Channel=roles["PHONE"].get("Uniqueid"), Variables="TENANT_UUID")
    items = list_reply(by_id, "Channel status will follow", "Status", "StatusComplete", action_id_last=True)
    assert [m.get("Channel") for m in items] == [roles["PHONE"].get("Channel")], items
    assert items[0].get("Variable") == "TENANT_UUID=%s" % TENANT_A_UUID, items[0]

    assert_error(act(mon, "Status", Channel="PJSIP/nosuch-00000000"), "No such channel")
    # crm holds call: allowed
    assert len(list_reply(act(crm, "Status"), "Channel status will follow", "Status", "StatusComplete",
                          action_id_last=True)) == 4
    # globex: nothing of acme's
    assert_error(act(mon_b, "Status", Channel=roles["PHONE"].get("Channel")), "No such channel")
    assert_error(act(mon_b, "Status", Channel=roles["PHONE"].get("Uniqueid")), "No such channel")
    assert list_reply(act(mon_b, "Status"), "Channel status will follow", "Status", "StatusComplete",
                      action_id_last=True) == []

    assert_success(act(mon, "Hangup", Channel=roles["L1"].get("Channel")), "Channel Hungup")
    got_bye(agent, "agent 100")
    got_bye(trunk, "trunk")
    wait_no_channels(mon)
    assert not appl_problems, "Status Application/Data differ from Asterisk's:\n" + "\n".join(appl_problems)


# -- Getvar / Setvar ------------------------------------------------------------------------------------

def getvar(rec, channel, variable):
    r = act(rec, "Getvar", Channel=channel, Variable=variable)[0]
    return r


def test_getvar_setvar(pbx, peers, recorders):
    mon, mon_b, crm = recorders("monitor"), recorders("monitor_b"), recorders("crm")
    agent, trunk, roles = start_c2c(peers, mon)
    phone, dest = roles["PHONE"].get("Channel"), roles["TRUNK"].get("Channel")

    # __TENANT_UUID from the Originate's Variable reaches the phone and the trunk legs
    for ch in (phone, dest, roles["L1"].get("Channel"), roles["L2"].get("Channel")):
        r = getvar(mon, ch, "TENANT_UUID")
        assert r.keys == ["Response", "ActionID", "Variable", "Value"], r
        assert (r.get("Response"), r.get("Variable"), r.get("Value")) == ("Success", "TENANT_UUID", TENANT_A_UUID), (ch, r)
    # by uniqueid too, and an unset variable is an empty Value
    r = getvar(mon, roles["TRUNK"].get("Uniqueid"), "TENANT_UUID")
    assert r.get("Value") == TENANT_A_UUID, r
    r = getvar(mon, phone, "CRMID")
    assert r.get("Response") == "Success" and r.get("Value") == "" and r.keys[-1] == "Value", r

    # Setvar, then Getvar and Status see it; monitor (read dialplan) gets the VarSet
    mark = mon.mark()
    assert_success(act(mon, "Setvar", Channel=phone, Variable="CRMID", Value="42"), "Variable Set")
    assert getvar(mon, phone, "CRMID").get("Value") == "42"
    assert getvar(mon, dest, "CRMID").get("Value") == "", "Setvar must touch only the named channel"
    vs = mon.wait_for(lambda m: m.event == "VarSet" and m.get("Channel") == phone and m.get("Variable") == "CRMID",
                      3, mark)
    assert vs is not None and vs.get("Value") == "42", "Setvar on a channel raises VarSet (dialplan class)"
    st = act(mon, "Status", Channel=phone, Variables="CRMID")
    assert st[1].get("Variable") == "CRMID=42", st

    # crm (write=call,originate): Setvar and Getvar need call (ami-reference 4.2), so both are allowed
    assert_success(act(crm, "Setvar", Channel=dest, Variable="CRM_TICKET", Value="T-1"), "Variable Set")
    r = getvar(crm, dest, "CRM_TICKET")
    assert (r.get("Response"), r.get("Value")) == ("Success", "T-1"), r
    assert_error(act(crm, "Getvar", Channel=dest, Variable="SHELL(id)"), "GetVar Access Forbidden: Variable")

    # errors
    assert_error(act(mon, "Getvar", Channel=phone), "No variable specified")
    assert_error(act(mon, "Setvar", Channel=phone, Value="1"), "No variable specified")
    assert_error(act(mon, "Getvar", Channel="PJSIP/nosuch-00000000", Variable="TENANT_UUID"), "No such channel")
    assert_error(act(mon, "Setvar", Channel="PJSIP/nosuch-00000000", Variable="X", Value="1"), "No such channel")

    # another tenant cannot read or write acme's channels
    assert_error(act(mon_b, "Getvar", Channel=phone, Variable="TENANT_UUID"), "No such channel")
    assert_error(act(mon_b, "Getvar", Channel=roles["PHONE"].get("Uniqueid"), Variable="TENANT_UUID"),
                 "No such channel")
    assert_error(act(mon_b, "Setvar", Channel=phone, Variable="CRMID", Value="evil"), "No such channel")
    assert getvar(mon, phone, "CRMID").get("Value") == "42"

    assert_success(act(crm, "Hangup", Channel=phone), "Channel Hungup")
    got_bye(agent, "agent 100")
    got_bye(trunk, "trunk")
    wait_no_channels(mon)


# -- Hangup by uniqueid ---------------------------------------------------------------------------------

def test_hangup_by_uniqueid_and_tenant_boundary(pbx, peers, recorders):
    mon, mon_b = recorders("monitor"), recorders("monitor_b")
    caller, callee, roles = start_internal(peers, mon)
    a, b = roles["A"], roles["B"]
    appl_problems = application_problems(roles, "Application", "ApplicationData")
    st = list_reply(act(mon, "Status"), "Channel status will follow", "Status", "StatusComplete", action_id_last=True)
    appl_problems += application_problems({r: next(m for m in st if m.get("Channel") == roles[r].get("Channel"))
                                           for r in roles}, "Application", "Data")

    for target in (a.get("Channel"), a.get("Uniqueid"), b.get("Channel"), "/^PJSIP/"):
        r = act(mon_b, "Hangup", Channel=target)
        if target.startswith("/"):
            assert list_reply(r, "Channels hung up will follow", "ChannelHungup", "ChannelsHungupListComplete",
                              action_id_last=True) == []
        else:
            assert_error(r, "No such channel")
    assert len(ct.channels_now(mon)) == 2 and not bye_so_far(caller) and not bye_so_far(callee), (
        "globex Hangups must not touch acme's call")

    mark = mon.mark()
    assert_success(act(mon, "Hangup", Channel=b.get("Uniqueid"), Cause="16"), "Channel Hungup")
    got_bye(callee, "callee 101 (hung up by uniqueid)")
    got_bye(caller, "caller 100")
    wait_no_channels(mon)
    hang = {m.get("Channel"): m for m in mon.events(mark, "Hangup")}
    assert set(hang) == {a.get("Channel"), b.get("Channel")}, hang
    assert hang[b.get("Channel")].get("Cause") == "16", hang[b.get("Channel")]
    assert_error(act(mon, "Hangup", Channel=b.get("Uniqueid")), "No such channel")
    assert not appl_problems, "Application/Data of the internal call differ from Asterisk's:\n" + "\n".join(appl_problems)


# -- Redirect -------------------------------------------------------------------------------------------

def test_redirect_caller_leg(pbx, peers, recorders):
    mon, mon_b = recorders("monitor"), recorders("monitor_b")
    p102 = peers.phone("102", ct.uas_scenario(peers.workdir, "answer", ring=1500, end="wait"))
    caller, callee, roles = start_internal(peers, mon)
    a, b = roles["A"], roles["B"]
    ch = a.get("Channel")

    # validation, in Asterisk's order, and the tenant boundary; the call stays up
    assert_error(act(mon, "Redirect"), "Channel not specified")
    assert_error(act(mon, "Redirect", Channel=ch), "Context not specified")
    assert_error(act(mon, "Redirect", Channel=ch, Context="internal"), "Exten not specified")
    assert_error(act(mon, "Redirect", Channel=ch, Context="internal", Exten="102"), "Priority not specified")
    assert_error(act(mon, "Redirect", Channel=ch, Context="internal", Exten="102", Priority="first"),
                 "Priority is invalid")
    assert_error(act(mon, "Redirect", Channel="PJSIP/nosuch-00000000", Context="internal", Exten="102", Priority="1"),
                 "Channel does not exist: PJSIP/nosuch-00000000")
    assert_error(act(mon_b, "Redirect", Channel=ch, Context="internal", Exten="102", Priority="1"),
                 "Channel does not exist: %s" % ch)
    assert_error(act(mon_b, "Redirect", Channel=a.get("Uniqueid"), Context="internal", Exten="102", Priority="1"),
                 "Channel does not exist: %s" % a.get("Uniqueid"))
    assert len(ct.channels_now(mon)) == 2 and not bye_so_far(caller) and not bye_so_far(callee)
    assert not p102.messages_so_far(), "nothing may reach 102 before the Redirect"

    mark = mon.mark()
    assert_success(act(mon, "Redirect", Channel=ch, Context="internal", Exten="102", Priority="1"),
                   "Redirect successful")
    # the other party (the dialled 101, no dialplan of its own) is hung up
    got_bye(callee, "101 (its peer was redirected away)")
    left = mon.wait_for(lambda m: m.event == "BridgeLeave" and m.get("Channel") == ch, 3, mark)
    assert left is not None, "the redirected channel must leave its bridge (BridgeLeave)"
    # the redirected caller now rings 102
    inv = p102.wait_for_message(lambda m: m.direction == "received" and m.method == "INVITE" and not m.is_response, 5)
    assert inv is not None and inv.ruri.startswith("sip:102@"), "102 must get an INVITE after the Redirect"
    dial = mon.wait_for(lambda m: m.event == "DialBegin" and m.get("Channel") == ch, 3, mark)
    assert dial is not None and (dial.get("DestChannel") or "").startswith("PJSIP/102-"), dial
    newexten = mon.wait_for(lambda m: m.event == "Newexten" and m.get("Channel") == ch and
                            m.get("Context") == "internal" and m.get("Extension") == "102", 3, mark)
    assert newexten is not None, "the redirected channel runs internal,102,1 (Newexten)"
    # ... and is connected when 102 answers; the caller's own dialog was never ended
    ans = mon.wait_for(lambda m: m.event == "DialEnd" and m.get("Channel") == ch and m.get("DialStatus") == "ANSWER", 6, mark)
    assert ans is not None, "102 answered but the redirected caller was not connected"
    chans = wait_connected(mon, 2)
    assert set(chans) == {ch, dial.get("DestChannel")}, sorted(chans)
    assert chans[ch].get("Uniqueid") == a.get("Uniqueid")
    assert not bye_so_far(caller), "the redirected caller must not get a BYE"
    hang = {m.get("Channel"): m for m in mon.events(mark, "Hangup")}
    assert set(hang) == {b.get("Channel")}, hang

    assert_success(act(mon, "Hangup", Channel=ch), "Channel Hungup")
    got_bye(caller, "caller 100")
    got_bye(p102, "102")
    wait_no_channels(mon)


# -- BlindTransfer --------------------------------------------------------------------------------------

def test_blind_transfer(pbx, peers, recorders):
    mon, mon_b = recorders("monitor"), recorders("monitor_b")
    p102 = peers.phone("102", ct.uas_scenario(peers.workdir, "answer", ring=1500, end="wait"))
    caller, callee, roles = start_internal(peers, mon)
    a, b = roles["A"], roles["B"]

    assert_error(act(mon, "BlindTransfer", Exten="102"), "No channel specified")
    assert_error(act(mon, "BlindTransfer", Channel=b.get("Channel")), "No extension specified")
    assert_error(act(mon, "BlindTransfer", Channel="PJSIP/nosuch-00000000", Exten="102", Context="internal"),
                 "Channel specified does not exist")
    assert_error(act(mon_b, "BlindTransfer", Channel=b.get("Channel"), Exten="102", Context="internal"),
                 "Channel specified does not exist")
    assert len(ct.channels_now(mon)) == 2 and not bye_so_far(caller) and not bye_so_far(callee)

    # 101 (the transferer) sends its peer, caller 100, to 102
    mark = mon.mark()
    assert_success(act(mon, "BlindTransfer", Channel=b.get("Channel"), Exten="102", Context="internal"),
                   "Transfer succeeded")
    got_bye(callee, "101 (the transferer)")
    inv = p102.wait_for_message(lambda m: m.direction == "received" and m.method == "INVITE" and not m.is_response, 5)
    assert inv is not None, "102 must ring after the transfer"
    dial = mon.wait_for(lambda m: m.event == "DialBegin" and m.get("Channel") == a.get("Channel"), 3, mark)
    assert dial is not None and (dial.get("DestChannel") or "").startswith("PJSIP/102-"), dial
    ans = mon.wait_for(lambda m: m.event == "DialEnd" and m.get("Channel") == a.get("Channel") and
                       m.get("DialStatus") == "ANSWER", 6, mark)
    assert ans is not None, "the transferee was not connected to 102"
    chans = wait_connected(mon, 2)
    assert set(chans) == {a.get("Channel"), dial.get("DestChannel")}, sorted(chans)
    assert not bye_so_far(caller), "the transferee must not get a BYE"

    assert_success(act(mon, "Hangup", Channel=dial.get("DestChannel")), "Channel Hungup")
    got_bye(p102, "102")
    got_bye(caller, "caller 100")
    wait_no_channels(mon)


def test_blind_transfer_raises_blindtransfer_event(pbx, peers, recorders):
    """Asterisk's ast_bridge_transfer_blind() publishes a blind-transfer message that AMI writes as
    `Event: BlindTransfer` (class call): Result, the Transferer and Transferee channel blocks, IsExternal,
    Context, Extension. A CTI client learns of the transfer from it."""
    mon = recorders("monitor")
    p102 = peers.phone("102", ct.uas_scenario(peers.workdir, "noanswer"))
    caller, callee, roles = start_internal(peers, mon)
    a, b = roles["A"], roles["B"]
    mark = mon.mark()
    assert_success(act(mon, "BlindTransfer", Channel=b.get("Channel"), Exten="102", Context="internal"),
                   "Transfer succeeded")
    got_bye(callee, "101 (the transferer)")
    assert p102.wait_for_message(lambda m: m.direction == "received" and m.method == "INVITE", 5) is not None
    ev = mon.wait_for(lambda m: m.event == "BlindTransfer", 3, mark)
    seen = sorted({m.event for m in mon.events(mark)})
    assert_success(act(mon, "Hangup", Channel=a.get("Channel")), "Channel Hungup")
    got_bye(caller, "caller 100")
    wait_no_channels(mon)
    assert ev is not None, "no BlindTransfer event after a successful AMI BlindTransfer; events seen: %s" % seen
    assert ev.get("Privilege") == "call,all" and ev.get("Result") == "Success", ev
    assert (ev.get("TransfererChannel"), ev.get("TransfereeChannel")) == (b.get("Channel"), a.get("Channel")), ev
    assert (ev.get("Context"), ev.get("Extension")) == ("internal", "102"), ev


# -- Endpoints, contacts, extension and device state ------------------------------------------------------

def endpoint_items(rec):
    return list_reply(act(rec, "PJSIPShowEndpoints"),
                      "A listing of Endpoints follows, presented as EndpointList events",
                      "EndpointList", "EndpointListComplete")


def contact_items(rec):
    return list_reply(act(rec, "PJSIPShowContacts"),
                      "A listing of Contacts follows, presented as ContactList events",
                      "ContactList", "ContactListComplete")


def ext_state(rec, exten):
    r = act(rec, "ExtensionState", Exten=exten, Context="internal")[0]
    assert r.keys == ["Response", "ActionID", "Message", "Exten", "Context", "Hint", "Status", "StatusText"], r
    assert (r.get("Response"), r.get("Message"), r.get("Exten"), r.get("Context")) == (
        "Success", "Extension Status", exten, "internal"), r
    return r


def test_endpoints_contacts_and_states(pbx, peers, recorders):
    mon, mon_b, crm = recorders("monitor"), recorders("monitor_b"), recorders("crm")
    port = peers.register(["100"])
    wait_no_channels(mon)
    uri = "sip:100@127.0.0.1:%d" % port

    eps = endpoint_items(mon)
    assert [m.get("ObjectName") for m in eps] == ACME_EXTENSIONS, [m.get("ObjectName") for m in eps]
    for m in eps:
        assert m.keys == ["Event", "ActionID", "ObjectType", "ObjectName", "Transport", "Aor", "Auths",
                          "OutboundAuths", "Contacts", "DeviceState", "ActiveChannels"], m
        assert m.get("ObjectType") == "endpoint" and m.get("Aor") == m.get("ObjectName"), m
    e100 = next(m for m in eps if m.get("ObjectName") == "100")
    assert "100/%s" % uri in (e100.get("Contacts") or "").split(","), e100
    assert e100.get("DeviceState") == "Not in use", e100
    e219 = next(m for m in eps if m.get("ObjectName") == "219")       # never registered
    assert e219.get("Contacts") == "" and e219.get("DeviceState") == "Unavailable", e219

    cts = contact_items(mon)
    mine = [m for m in cts if m.get("Endpoint") == "100" and m.get("Uri") == uri]
    assert len(mine) == 1, cts
    c = mine[0]
    assert c.keys == ["Event", "ActionID", "ObjectType", "ObjectName", "ViaAddr", "ViaPort", "Endpoint", "Aor",
                      "Uri", "UserAgent", "ExpirationTime", "Status", "RoundtripUsec"], c
    assert (c.get("ObjectType"), c.get("ViaAddr"), c.get("ViaPort"), c.get("Aor"), c.get("Status")) == (
        "contact", "127.0.0.1", str(port), "100", "Reachable"), c
    assert c.get("ObjectName").startswith("100;@") and c.get("UserAgent") == "SIPp", c
    assert {m.get("Endpoint") for m in cts} <= set(ACME_EXTENSIONS), cts

    # tenant boundary and permissions (PJSIPShow* need system)
    assert [m.get("ObjectName") for m in endpoint_items(mon_b)] == GLOBEX_EXTENSIONS
    assert not [m for m in contact_items(mon_b) if m.get("Uri") == uri], "globex sees acme's contact"
    assert_error(act(crm, "PJSIPShowEndpoints"), "Permission denied")
    assert_error(act(crm, "PJSIPShowContacts"), "Permission denied")

    # ExtensionState: idle, unknown, missing Exten; crm may ask (call)
    r = ext_state(mon, "100")
    assert (r.get("Hint"), r.get("Status"), r.get("StatusText")) == ("PJSIP/100", "0", "Idle"), r
    r = ext_state(crm, "100")
    assert r.get("Status") == "0", r
    r = ext_state(mon, "999")
    assert (r.get("Hint"), r.get("Status"), r.get("StatusText")) == ("", "-1", "Unknown"), r
    r = ext_state(mon, "219")
    assert (r.get("Status"), r.get("StatusText")) == ("4", "Unavailable"), r
    assert_error(act(mon, "ExtensionState"), "Extension not specified")

    def lists(rec):
        es = list_reply(act(rec, "ExtensionStateList"), "Extension Statuses will follow", "ExtensionStatus",
                        "ExtensionStateListComplete")
        for m in es:
            assert m.keys == ["Event", "ActionID", "Exten", "Context", "Hint", "Status", "StatusText"], m
        ds = list_reply(act(rec, "DeviceStateList"), "Device State Changes will follow", "DeviceStateChange",
                        "DeviceStateListComplete")
        for m in ds:
            assert m.keys == ["Event", "ActionID", "Device", "State"], m
        return {m.get("Exten"): m for m in es}, {m.get("Device"): m.get("State") for m in ds}

    es, ds = lists(mon)
    assert sorted(es) == ACME_EXTENSIONS and es["100"].get("Status") == "0" and es["100"].get("Hint") == "PJSIP/100", es["100"]
    assert ds.get("PJSIP/100") == "NOT_INUSE" and ds.get("PJSIP/219") == "UNAVAILABLE", ds
    es_b, ds_b = lists(mon_b)
    assert sorted(es_b) == GLOBEX_EXTENSIONS, sorted(es_b)

    # during a call 100 -> 101: InUse
    caller, callee, roles = start_internal(peers, mon)
    r = ext_state(mon, "100")
    assert (r.get("Status"), r.get("StatusText")) == ("1", "InUse"), r
    r = ext_state(mon, "101")
    assert (r.get("Status"), r.get("StatusText")) == ("1", "InUse"), r
    es, ds = lists(mon)
    assert (es["100"].get("Status"), es["100"].get("StatusText")) == ("1", "InUse"), es["100"]
    assert ds.get("PJSIP/100") == "INUSE" and ds.get("PJSIP/101") == "INUSE", ds
    e100 = next(m for m in endpoint_items(mon) if m.get("ObjectName") == "100")
    assert e100.get("DeviceState") == "In use", e100
    # globex's 100 is not acme's 100
    r = ext_state(mon_b, "100")
    assert r.get("Status") != "1", "globex 100 must not be InUse because acme 100 is: %r" % r
    es_b, ds_b = lists(mon_b)
    assert es_b["100"].get("Status") != "1" and ds_b.get("PJSIP/100") != "INUSE", (es_b["100"], ds_b)

    assert_success(act(mon, "Hangup", Channel=roles["A"].get("Channel")), "Channel Hungup")
    got_bye(caller, "caller 100")
    got_bye(callee, "callee 101")
    wait_no_channels(mon)
    assert ct.wait_until(lambda: ext_state(mon, "100").get("Status") == "0", 3, 0.1), ext_state(mon, "100")
