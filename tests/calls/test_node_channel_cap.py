"""The node's channel cap over every tenant (`--max-channels`), against the real binary.

The cap used to be a constant (4,000) with no flag. Here the node holds 4 channels in all and each
tenant may hold 4: acme's ringing click-to-call takes 3 (Local;1, Local;2 and the ringing phone), so
globex's click-to-call, within its own tenant limit, is refused by the node's cap: `OriginateResponse`
with `Response: Failure`, and its phone is never rung. Once acme's call is gone, globex's next
click-to-call connects.
"""

from __future__ import annotations

import c2chelp as h
import calltools as ct
from calltools import TENANT_B_UUID

pbx = ct.pbx_fixture("nodecap", "--max-channels", "4", "--tenant-max-channels", "4")


def test_the_nodes_channel_cap_refuses_the_other_tenants_call_until_channels_are_free(pbx, peers, recorders):
    # globex's phones are registered and answer from the start: only the node's cap can keep them quiet.
    agent, dest = h.globex_phones(peers, hold=500, timeout=40)
    ringer = peers.phone("101", ct.uas_scenario(peers.workdir, "noanswer", wait=15000), calls=1, timeout=30,
                         name="phone101_acme_rings")
    acme = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("101", "102", timeout_ms=8000))
    assert ringer.wait_for_message(lambda m: m.method == "INVITE" and m.direction == "received", 10), \
        "acme's agent phone should ring"

    # globex, well inside its own limit of 4, gets nothing: the node holds acme's 3 of its 4 channels.
    refused = ct.PanoramiskOriginate(pbx.ami_port, "crm_b", "s3cretB",
                                     ct.c2c_variables_form("100", "101", tenant_uuid=TENANT_B_UUID))
    _, final = h.originate_parts(refused.result(15))
    assert final.get("Response") == "Failure" and final.get("Reason") == "0", final
    assert "the node's limit of 4 channels is reached" in pbx.log_text(), "the refusal should be logged with the cap"
    assert not [m for m in agent.messages_so_far() if m.method == "INVITE"], "globex's agent must not ring"

    # acme's call ends unanswered (its 8 s Timeout); then globex's click-to-call connects.
    _, acme_final = h.originate_parts(acme.result(20))
    assert acme_final.get("Response") == "Failure", acme_final
    ct.no_channels_left(recorders("crm", events="off"))
    h.assert_globex_click_to_call_connects(pbx, agent, dest)
    assert pbx.alive
