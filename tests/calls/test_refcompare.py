"""Self-test of the reference comparison (no server): a reference compared with itself passes, and
a stream with a missing event, a changed value or a wrong Linkedid does not."""

from __future__ import annotations

import pytest

import c2chelp as h
import refcompare
from calltools import Msg


@pytest.mark.parametrize("name,dest", [("b2_c2c_phone_noanswer", None), ("b3_c2c_phone_busy", None)])
def test_reference_matches_itself(name, dest):
    ref = refcompare.load_reference(name)
    cmp = refcompare.compare(ref, ref, "100", dest)
    assert not cmp.errors and not cmp.value_diffs, cmp.summary()


def _sip_to_pjsip(msgs):
    out = []
    for m in msgs:
        pairs = [(k, v.replace("SIP/trunk-", "PJSIP/carrier-").replace("SIP/", "PJSIP/")
                  if v.startswith("SIP/") else v) for k, v in m.pairs]
        out.append(Msg(pairs))
    return out


def test_channel_technology_and_trunk_name_are_normalised():
    ref = refcompare.load_reference("b3_c2c_phone_busy")
    cmp = refcompare.compare(ref, _sip_to_pjsip(ref), "100", None)
    assert not cmp.errors and not cmp.value_diffs, cmp.summary()


def test_mutations_are_caught():
    ref = refcompare.load_reference("b2_c2c_phone_noanswer")
    # drop the phone's NewCallerid
    dropped = [m for m in ref if not (m.event == "NewCallerid" and m.get("Channel", "").startswith("SIP/100-"))]
    assert refcompare.compare(ref, dropped, "100", None).errors
    # change a caller id value
    changed = [Msg([(k, "other" if (k == "CallerIDName" and m.event == "Newstate") else v) for k, v in m.pairs])
               for m in ref]
    hard, _ = h.split_value_diffs(refcompare.compare(ref, changed, "100", None).value_diffs)
    assert hard
    # a leg with a foreign Linkedid
    foreign = [Msg([(k, "999.9" if (k == "Linkedid" and m.get("Channel", "").startswith("SIP/")) else v)
                    for k, v in m.pairs]) for m in ref]
    hard, _ = h.split_value_diffs(refcompare.compare(ref, foreign, "100", None).value_diffs)
    assert any("Linkedid" in d for d in hard), hard
