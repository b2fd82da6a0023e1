"""The device and registration views across nodes (docs/cluster.md, "Forwarded actions"), against two
real nodes on a private PostgreSQL, as test_forwarding.py runs them (its `cluster` fixture: tenants A
and B homed on n2, their AMI users and the panel's administrator on n1).

- AMI ExtensionState, ExtensionStateList, DeviceStateList, PJSIPShowEndpoints and PJSIPShowContacts
  sent to n1 answer with n2's view (n2 holds A's phone's registration, n1 none): the same response
  and list events as the same user's session on n2, each with the session's ActionID;
- tenant B's sessions on n1 see B's devices only (as B's sessions on n2 do), none of A's;
- the panel's and the REST API's registrations on n1 are n2's (the tenant's home), its capacity too;
  the dashboard names n1 beside the AMI sessions, which are per node.
"""

from __future__ import annotations

import re

import calltools as ct
from calltools import DOMAIN_A, TENANT_A_UUID, TENANT_B_UUID
from test_forwarding import ADMIN_PASSWORD, Panel, api, cluster, metric  # noqa: F401 (cluster: the fixture)

# Values that differ between two reads a moment apart (a contact's expiry is written from the clock).
VOLATILE = {"ExpirationTime"}

VIEWS = (
    [("Action", "ExtensionState"), ("Exten", "100"), ("Context", "default")],
    [("Action", "ExtensionState"), ("Exten", "199")],
    [("Action", "ExtensionState")],
    [("Action", "ExtensionStateList")],
    [("Action", "DeviceStateList")],
    [("Action", "PJSIPShowEndpoints")],
    [("Action", "PJSIPShowContacts")],
)


def shape(messages):
    return [(m.event or "Response", [(k, v if k not in VOLATILE else "") for k, v in m.pairs if k != "ActionID"])
            for m in messages]


def test_device_views_on_n1_are_the_home_nodes(cluster, tmp_path):
    n1, n2 = cluster.n1, cluster.n2
    port = ct.register_phone(n2, tmp_path, "100", DOMAIN_A)
    on_n1 = ct.AMIRecorder(n1.ami_port, "monitor", "m0nitor")
    on_n2 = ct.AMIRecorder(n2.ami_port, "monitor", "m0nitor")
    b_on_n1 = ct.AMIRecorder(n1.ami_port, "monitor_b", "m0nitorB")
    b_on_n2 = ct.AMIRecorder(n2.ami_port, "monitor_b", "m0nitorB")
    crm = ct.AMIRecorder(n1.ami_port, "crm", "s3cret")
    try:
        sent_before = metric(n1, "centralino_cluster_forwarded_actions_total", 'side="sent"')
        for action in VIEWS:
            forwarded, local = on_n1.action(action), on_n2.action(action)
            assert shape(forwarded) == shape(local), (action, forwarded, local)
            aid = forwarded[0].get("ActionID")
            assert aid and all(m.get("ActionID") == aid for m in forwarded), forwarded
        # Only the extension-less ExtensionState is refused on n1 itself; the six others travelled.
        assert metric(n1, "centralino_cluster_forwarded_actions_total", 'side="sent"') - sent_before == len(VIEWS) - 1

        # n2's view, not n1's: the phone registered on n2 is idle and listed with its source port.
        state = on_n1.action(VIEWS[0])[0]
        assert (state.get("Status"), state.get("StatusText"), state.get("Hint")) == ("0", "Idle", "PJSIP/100"), state
        contacts = [m for m in on_n1.action([("Action", "PJSIPShowContacts")]) if m.event == "ContactList"]
        assert [(m.get("Endpoint"), m.get("ViaPort")) for m in contacts] == [("100", str(port))], contacts
        devices = {m.get("Device"): m.get("State") for m in on_n1.action([("Action", "DeviceStateList")])
                   if m.event == "DeviceStateChange"}
        assert devices.get("PJSIP/100") == "NOT_INUSE", devices
        endpoints = {m.get("ObjectName"): m for m in on_n1.action([("Action", "PJSIPShowEndpoints")]) if m.event == "EndpointList"}
        assert endpoints["100"].get("DeviceState") == "Not in use" and endpoints["100"].get("Contacts"), endpoints["100"].pairs

        # The user's own permissions hold on n1: crm (write=call,originate) has no `system`.
        denied = crm.action([("Action", "PJSIPShowContacts")])[0]
        assert (denied.get("Response"), denied.get("Message")) == ("Error", "Permission denied"), denied

        # Tenant B (homed on n2 too) sees its own devices only: the same as on n2, none of A's.
        for action in VIEWS:
            forwarded, local = b_on_n1.action(action), b_on_n2.action(action)
            assert shape(forwarded) == shape(local), (action, forwarded, local)
            assert not [m for m in forwarded if str(port) in m.get("ViaPort", "") + m.get("Contacts", "") + m.get("Uri", "")], forwarded
        b_state = b_on_n1.action(VIEWS[0])[0]
        assert b_state.get("StatusText") == "Unavailable", "B's own 100 has no phone: %s" % b_state.pairs
        b_contacts = b_on_n1.action([("Action", "PJSIPShowContacts")])
        assert b_contacts[-1].get("ListItems") == "0", b_contacts
    finally:
        for recorder in (on_n1, on_n2, b_on_n1, b_on_n2, crm):
            recorder.close()


def test_panel_and_api_registrations_on_n1_are_the_home_nodes(cluster, tmp_path):
    n1, n2 = cluster.n1, cluster.n2
    port = ct.register_phone(n2, tmp_path, "101", DOMAIN_A)
    panel = Panel(n1.http_port, "admin", ADMIN_PASSWORD)
    token = panel.new_token("views")
    status, body = api(n1.http_port, token, "GET", "/api/v1/tenants/%s/status" % TENANT_A_UUID)
    assert status == 200, body
    assert body["node"] == "n1", body
    mine = [r for r in body["registrations"] if r["number"] == "101"]
    assert [r["source"] for r in mine] == ["127.0.0.1:%d" % port], body["registrations"]
    # B's registrations (on n2 too) hold none of A's phones.
    status, b_body = api(n1.http_port, token, "GET", "/api/v1/tenants/%s/status" % TENANT_B_UUID)
    assert status == 200 and not [r for r in b_body["registrations"] if r["source"].endswith(":%d" % port)], b_body
    # The capacity is the home node's, with n1's AMI sessions of the tenant.
    probe = ct.AMIRecorder(n1.ami_port, "monitor", "m0nitor")
    try:
        status, capacity = api(n1.http_port, token, "GET", "/api/v1/tenants/%s/capacity" % TENANT_A_UUID)
        assert status == 200 and capacity["amiSessions"] == 1, capacity
    finally:
        probe.close()
    # The dashboard lists the phone registered on n2 and says whose AMI sessions it shows.
    page = panel.fetch("/tenants/%s" % TENANT_A_UUID)
    assert "Connected AMI sessions to node n1" in page, page[:2000]
    assert re.search(r"127\.0\.0\.1:%d" % port, page), "the phone registered on n2 is on n1's dashboard"
