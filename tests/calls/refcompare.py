"""Compare a recorded AMI event stream of one click-to-call with an Asterisk 20 reference transcript.

The reference (``tests/fixtures/reference/asterisk-20/bN_*.crm_readcall.s2c.raw``) was recorded with chan_sip;
event order *between* channels is not fixed (README), so the comparison is per channel role:

* roles: ``L1``/``L2`` (the Local pair), ``PHONE`` (the agent's phone), ``DEST`` (trunk or extension
  leg), bridges ``BR1``/``BR2`` by order of creation, ``ORIG`` (OriginateResponse), device states;
* every channel name, uniqueid, linkedid and bridge id is replaced by its role, ``SIP/`` and ``PJSIP/``
  are the same, the trunk endpoint ``trunk`` (reference) and ``carrier`` (ours) are the same;
* the reference's Local optimisation (LocalOptimizationBegin/End and what follows from it, including
  the early hang-up of the Local halves) does not happen in Centralino: after the first
  LocalOptimizationBegin only the teardown invariants are compared.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from calltools import Msg, parse_message


def reference_dir() -> Path:
    env = os.environ.get("CENTRALINO_REFERENCE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "asterisk-20"


def load_reference(name: str, stream: str = "crm_readcall") -> List[Msg]:
    """Messages the reference client received after its Originate was queued (incl. that response)."""
    raw = (reference_dir() / ("%s.%s.s2c.raw" % (name, stream))).read_bytes()
    # drop the banner line
    if raw.startswith(b"Asterisk Call Manager"):
        raw = raw.split(b"\r\n", 1)[1]
    msgs = [Msg(parse_message(m)) for m in raw.split(b"\r\n\r\n") if m.strip()]
    for i, m in enumerate(msgs):
        if (m.get("Message") or "").startswith("Originate successfully queued"):
            return msgs[i + 1:]
    raise AssertionError("no Originate in reference %s" % name)


CHANNEL_KEYS = ("Channel", "DestChannel", "LocalOneChannel", "LocalTwoChannel", "SourceChannel")
OPTIMISATION = ("LocalOptimizationBegin", "LocalOptimizationEnd")
# what is not a per-channel event
NO_CHANNEL = ("DeviceStateChange", "ExtensionStatus", "OriginateResponse", "BridgeCreate",
              "BridgeDestroy")


class Normaliser:
    def __init__(self, agent: str, dest: Optional[str]):
        self.agent = agent
        self.dest = dest
        self.uid_role: Dict[str, str] = {}
        self.bridges: Dict[str, str] = {}

    def role(self, chan: Optional[str]) -> Optional[str]:
        if not chan:
            return None
        if chan.startswith("Local/"):
            return "L1" if chan.endswith(";1") else ("L2" if chan.endswith(";2") else "LOCAL?")
        m = re.match(r"(?:PJSIP|SIP)/([^-]+)-[0-9a-f]{8}$", chan)
        if m:
            ep = m.group(1)
            if ep == self.agent:
                return "PHONE"
            if ep in ("trunk", "carrier") or ep == self.dest:
                return "DEST"
            return "SIP:" + ep
        return "?" + chan

    def learn(self, msgs: Sequence[Msg]) -> None:
        for m in msgs:
            for pre in ("", "Dest", "LocalOne", "LocalTwo"):
                ch, uid = m.get(pre + "Channel"), m.get(pre + "Uniqueid")
                if ch and uid and uid not in self.uid_role:
                    r = self.role(ch)
                    if r:
                        self.uid_role[uid] = r
            b = m.get("BridgeUniqueid")
            if b and b not in self.bridges:
                self.bridges[b] = "BR%d" % (len(self.bridges) + 1)

    def value(self, key: str, value: str) -> str:
        k = key.lower()
        if k in [c.lower() for c in CHANNEL_KEYS]:
            r = self.role(value)
            return r if r else value
        if k.endswith("uniqueid") or k.endswith("linkedid") or k == "destuniqueid":
            if k == "bridgeuniqueid":
                return self.bridges.get(value, value)
            return "UID:" + self.uid_role.get(value, value if value in ("<unknown>", "") else "?")
        if k == "device":
            m = re.match(r"(?:PJSIP|SIP)/(.+)$", value)
            if m:
                ep = m.group(1)
                return "DEV:" + ("TRUNK" if ep in ("trunk", "carrier") else ep)
            return value
        if k == "dialstring":
            m = re.match(r"^trunk/(\d+)$", value) or re.match(r"^(\d+)@carrier$", value)
            if m:
                return "TRUNK:" + m.group(1)
        return value


@dataclass
class Ev:
    name: str
    keys: List[str]
    values: Dict[str, str]
    raw: Msg

    def label(self) -> str:
        v = self.values
        extra = ""
        if self.name.startswith("Dial"):
            extra = "(%s->%s%s)" % (v.get("Channel", "-"), v.get("DestChannel"),
                                    "," + v["DialStatus"] if "DialStatus" in v else "")
        elif self.name in ("Newstate", "Newchannel"):
            extra = "(%s)" % v.get("ChannelStateDesc")
        elif self.name.startswith("Bridge") and "Channel" in v:
            extra = "(%s)" % v.get("BridgeUniqueid")
        elif self.name == "Hangup":
            extra = "(%s)" % v.get("Cause")
        return self.name + extra


def normalise(msgs: Sequence[Msg], agent: str, dest: Optional[str]) -> List[Ev]:
    n = Normaliser(agent, dest)
    n.learn(msgs)
    out = []
    for m in msgs:
        if not m.event:
            continue
        vals = {k: n.value(k, v) for k, v in m.pairs}
        out.append(Ev(m.event, list(m.keys), vals, m))
    return out


def roles_of(e: Ev) -> List[str]:
    rs = []
    for k in CHANNEL_KEYS:
        r = e.values.get(k)
        if r and r not in rs:
            rs.append(r)
    return rs


def per_role(events: Sequence[Ev]) -> Dict[str, List[Ev]]:
    out: Dict[str, List[Ev]] = {}
    for e in events:
        if e.name in NO_CHANNEL or e.name in OPTIMISATION:
            continue
        for r in roles_of(e):
            out.setdefault(r, []).append(e)
    return out


@dataclass
class Comparison:
    errors: List[str] = field(default_factory=list)      # structural: names, field names, order
    value_diffs: List[str] = field(default_factory=list)  # same event, different normalised value

    def summary(self) -> str:
        return "\n".join(["STRUCTURE:"] + self.errors + ["VALUES:"] + self.value_diffs)


# Events that PJSIP-era Asterisk emits and the chan_sip reference does not: ami-reference.md 8.3
# ("Agent busy: Newstate phone Busy, DialEnd ;2->phone BUSY, Hangup phone 17 User busy").
ALLOWED_EXTRA = {("PHONE", "Newstate(Busy)"), ("DEST", "Newstate(Busy)")}


def compare(ref_msgs: Sequence[Msg], our_msgs: Sequence[Msg], agent: str, dest: Optional[str],
            ignore_values: Sequence[str] = ()) -> Comparison:
    """Structural comparison per role; see module doc."""
    res = Comparison()
    ref = normalise(ref_msgs, agent, dest)
    ours = normalise(our_msgs, agent, dest)
    names_ours = {e.name for e in ours}
    for opt in OPTIMISATION:
        if opt in names_ours:
            res.errors.append("we emitted %s, but there is no Local optimisation" % opt)
    cut = next((i for i, e in enumerate(ref) if e.name == "LocalOptimizationBegin"), len(ref))
    ref_setup = ref[:cut]
    ref_roles = per_role(ref_setup)
    our_roles = per_role(ours)
    for role in sorted(set(ref_roles) | set(our_roles)):
        r_seq = ref_roles.get(role, [])
        o_seq = our_roles.get(role, [])
        r_has = {e.label() for e in r_seq}
        extra_ok = [e for e in o_seq if (role, e.label()) in ALLOWED_EXTRA and e.label() not in r_has]
        if extra_ok:
            res.value_diffs.append("%s: %s emitted (PJSIP behaviour, ami-reference 8.3; not in the chan_sip "
                                   "reference)" % (role, [e.label() for e in extra_ok]))
            o_seq = [e for e in o_seq if e not in extra_ok]
        if not o_seq:
            res.errors.append("%s: no events from us (reference: %s)" % (role, [e.label() for e in r_seq]))
            continue
        if not r_seq:
            res.errors.append("%s: we emitted events for a role the reference does not have: %s"
                              % (role, [e.label() for e in o_seq]))
            continue
        r_labels = [e.label() for e in r_seq]
        o_labels = [e.label() for e in o_seq]
        if cut < len(ref):
            # the reference optimised the Local pair away after r_seq: compare our prefix only
            sm = difflib.SequenceMatcher(a=r_labels, b=o_labels[:len(r_labels) + 4], autojunk=False)
        else:
            sm = difflib.SequenceMatcher(a=r_labels, b=o_labels, autojunk=False)
        pairs = []
        last_b = 0
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "equal":
                pairs += list(zip(range(i1, i2), range(j1, j2)))
                last_b = j2
            else:
                if i2 > i1:
                    res.errors.append("%s: reference events %s missing from ours" % (role, r_labels[i1:i2]))
                if j2 > j1 and not (cut < len(ref) and i1 == i2 == len(r_labels)):
                    res.errors.append("%s: we emit %s where the reference has %s"
                                      % (role, o_labels[j1:j2], r_labels[i1:i2] or "nothing"))
                    last_b = j2
        if any(e.startswith(role + ":") for e in res.errors):
            res.errors.append("%s: full sequences\n   reference: %s\n   ours:      %s"
                              % (role, r_labels, o_labels))
        for i, j in pairs:
            re_, oe = r_seq[i], o_seq[j]
            if re_.keys != oe.keys:
                res.errors.append("%s: %s fields differ\n   reference: %s\n   ours:      %s"
                                  % (role, re_.label(), re_.keys, oe.keys))
                continue
            for k in re_.keys:
                if k in ignore_values:
                    continue
                if re_.values.get(k) != oe.values.get(k):
                    pjsip = (k.endswith("ChannelState") and oe.values.get(k) == "7" or
                             k.endswith("ChannelStateDesc") and oe.values.get(k) == "Busy")
                    res.value_diffs.append("%s %s %s: reference %r, ours %r%s"
                                           % (role, re_.label(), k, re_.values.get(k), oe.values.get(k),
                                              " (PJSIP behaviour: the busy channel is in state Busy)"
                                              if pjsip else ""))
        rest = o_seq[max(last_b, pairs[-1][1] + 1 if pairs else 0):]
        if cut < len(ref):
            # teardown after the point where Asterisk optimised the Local pair away
            allowed = {"BridgeLeave", "HangupRequest", "SoftHangupRequest", "Hangup"}
            bad = [e.label() for e in rest if e.name not in allowed]
            if bad:
                res.errors.append("%s: unexpected events in the teardown: %s" % (role, bad))
        if not any(e.name == "Hangup" for e in o_seq):
            res.errors.append("%s: no Hangup" % role)
        if sum(e.name == "Hangup" for e in o_seq) > 1:
            res.errors.append("%s: more than one Hangup" % role)
        enters = [e.values.get("BridgeUniqueid") for e in o_seq if e.name == "BridgeEnter"]
        leaves = [e.values.get("BridgeUniqueid") for e in o_seq if e.name == "BridgeLeave"]
        if sorted(enters) != sorted(leaves):
            res.errors.append("%s: BridgeEnter %s but BridgeLeave %s" % (role, enters, leaves))
    # bridges: created and destroyed once each
    created = [e.values.get("BridgeUniqueid") for e in ours if e.name == "BridgeCreate"]
    destroyed = [e.values.get("BridgeUniqueid") for e in ours if e.name == "BridgeDestroy"]
    ref_created = [e.values.get("BridgeUniqueid") for e in ref if e.name == "BridgeCreate"]
    if sorted(created) != sorted(destroyed):
        res.errors.append("bridges created %s but destroyed %s" % (created, destroyed))
    if len(created) != len(ref_created):
        res.errors.append("%d bridges created, reference %d" % (len(created), len(ref_created)))
    for bc in [e for e in ours if e.name in ("BridgeCreate", "BridgeDestroy")]:
        rb = next((e for e in ref if e.name == bc.name), None)
        if rb is not None and rb.keys != bc.keys:
            res.errors.append("%s fields differ: reference %s, ours %s" % (bc.name, rb.keys, bc.keys))
    # OriginateResponse fields
    r_or = [e for e in ref if e.name == "OriginateResponse"]
    o_or = [e for e in ours if e.name == "OriginateResponse"]
    if len(o_or) != len(r_or):
        res.errors.append("%d OriginateResponse, reference %d" % (len(o_or), len(r_or)))
    for re_, oe in zip(r_or, o_or):
        if re_.keys != oe.keys:
            res.errors.append("OriginateResponse fields: reference %s, ours %s" % (re_.keys, oe.keys))
        for k in re_.keys:
            if k not in ("ActionID",) and k not in ignore_values and re_.values.get(k) != oe.values.get(k):
                res.value_diffs.append("OriginateResponse %s: reference %r, ours %r"
                                       % (k, re_.values.get(k), oe.values.get(k)))
    # device states (the README: their number varies between runs) -> compare the sets
    r_dev = {(e.values.get("Device"), e.values.get("State")) for e in ref if e.name == "DeviceStateChange"}
    o_dev = {(e.values.get("Device"), e.values.get("State")) for e in ours if e.name == "DeviceStateChange"}
    if r_dev - o_dev:
        res.errors.append("DeviceStateChange missing: %s (ours: %s)" % (sorted(r_dev - o_dev), sorted(o_dev)))
    if o_dev - r_dev:
        res.value_diffs.append("DeviceStateChange extra: %s" % sorted(o_dev - r_dev))
    return res
