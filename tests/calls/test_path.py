"""RFC 3327 Path on the registrar, with a fake edge proxy (a raw UDP socket) in front of a phone.

The "proxy" relays the phone's REGISTER with its own Via on top and `Path: <sip:proxy;lr>`; the 200
echoes the Path (the REGISTER says `Supported: path`), and a click-to-call then sends its INVITE to
the proxy's address, not to the REGISTER's Contact, with `Route: <sip:proxy;lr>` and the contact as
Request-URI (loose routing). The phone's own socket never hears from Centralino. The proxy answers
486, and the ACK of that failure carries the same Route.

Only a trusted edge may do so: this module's server runs with `--sip-trusted-edges 127.0.0.2/32` and
the fake proxy sends from 127.0.0.2. A phone on 127.0.0.1 that sends a Path is registered as a direct
one (the click-to-call INVITE goes to its source, never to the Path hop), and its digest signed for
its own address with two Vias is refused (only an edge's requests may sign the proxy's address).
"""

from __future__ import annotations

import re
import socket
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import calltools as ct
from calltools import DOMAIN_A, PASSWORDS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sip"))
import sipwire  # noqa: E402

EXT = "102"
EDGE_IP = "127.0.0.2"

pbx = ct.pbx_fixture("path", "--sip-trusted-edges", EDGE_IP + "/32")


def recv_request(sock: socket.socket, method: str, timeout: float):
    """The next request `method` on `sock` (qualify OPTIONS and others answered 200 and skipped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            data, peer = sock.recvfrom(65535)
        except socket.timeout:
            return None, None
        if not data.strip():
            continue
        msg = sipwire.parse_message(data)
        if msg.is_response:
            continue
        if msg.method == method:
            return msg, peer
        if msg.method != "ACK":
            sock.sendto(response(msg, 200, "OK"), peer)
    return None, None


def response(req, code: int, reason: str, to_tag: str = "") -> bytes:
    lines = ["SIP/2.0 %d %s" % (code, reason)]
    lines += ["Via: %s" % v for v in req.get_all("via")]
    to = req.get("to") or ""
    if to_tag and ";tag=" not in to:
        to += ";tag=" + to_tag
    lines += ["From: %s" % req.get("from"), "To: %s" % to, "Call-ID: %s" % req.get("call-id"),
              "CSeq: %s" % req.get("cseq"), "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def test_register_with_path_then_click_to_call_goes_to_the_first_path_hop(pbx, recorders):
    phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phone.bind(("127.0.0.1", 0))
    phone_port = phone.getsockname()[1]
    # The proxy's address in Path is another socket than the one the REGISTER comes from, so the
    # INVITE reaching it shows it was routed by the Path, not sent back to the REGISTER's source.
    edge = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    edge.bind(("127.0.0.1", 0))
    try:
        with sipwire.SipClient(pbx.sip_port, local_ip=EDGE_IP) as proxy:
            hop = "<sip:127.0.0.1:%d;lr>" % edge.getsockname()[1]
            contact = "<sip:%s@127.0.0.1:%d>" % (EXT, phone_port)
            phone_via = ("Via", "SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport=%d"
                         % (phone_port, uuid.uuid4().hex[:12], phone_port))
            first, final = proxy.register(
                EXT, PASSWORDS[(DOMAIN_A, EXT)], DOMAIN_A, contacts=[contact], expires=600,
                extra=[phone_via, ("Path", hop), ("Supported", "path")])
            assert first.status == 401, first.text()
            assert final.status == 200, final.text()
            assert final.get_all("path") == [hop], "the 200 echoes the Path:\n" + final.text()
            assert [c.uri for c in final.contacts()] == [contact.strip("<>")], final.text()

            crm = recorders("crm")
            action = ct.c2c_variables_form(EXT, "0391234567")
            res = crm.action([(k, x) for k, v in action.items() for x in (v if isinstance(v, list) else [v])])
            assert res and res[0].get("Response") == "Success", res

            invite, peer = recv_request(edge, "INVITE", 10)
            assert invite is not None, "no INVITE reached the Path hop's address:\n" + "\n".join(proxy.log[-4:])
            assert invite.start == "INVITE sip:%s@127.0.0.1:%d SIP/2.0" % (EXT, phone_port), invite.text()
            assert invite.get_all("route") == [hop], "the Path is the INVITE's Route set:\n" + invite.text()
            assert peer[1] == pbx.sip_port
            edge.sendto(response(invite, 486, "Busy Here", to_tag="busy1"), peer)
            ack, _ = recv_request(edge, "ACK", 5)
            assert ack is not None, "no ACK for the 486"
            assert ack.get_all("route") == [hop], ack.text()

            for sock, what in ((phone, "the phone's contact address"), (proxy.sock, "the REGISTER's source")):
                sock.settimeout(0.5)
                try:
                    data, _ = sock.recvfrom(65535)
                    raise AssertionError("%s was sent to:\n%s" % (what, data.decode()))
                except socket.timeout:
                    pass
    finally:
        phone.close()
        edge.close()


def test_register_with_path_without_supported_is_stored_but_not_echoed(pbx):
    with sipwire.SipClient(pbx.sip_port, local_ip=EDGE_IP) as proxy:
        hop = "<sip:127.0.0.1:%d;lr>" % proxy.local[1]
        _, final = proxy.register(EXT, PASSWORDS[(DOMAIN_A, EXT)], DOMAIN_A,
                                  contacts=["<sip:%s@127.0.0.1:9>" % EXT], expires=600, extra=[("Path", hop)])
        assert final.status == 200, final.text()
        assert final.get_all("path") == [], "no Path in the 200 to a phone without Supported: path"
        _, gone = proxy.register(EXT, PASSWORDS[(DOMAIN_A, EXT)], DOMAIN_A,
                                 contacts=["<sip:%s@127.0.0.1:9>" % EXT], expires=0)
        assert gone.status == 200


def test_too_many_path_entries_get_400(pbx):
    with sipwire.SipClient(pbx.sip_port, local_ip=EDGE_IP) as proxy:
        hops = ", ".join("<sip:127.0.0.%d;lr>" % n for n in range(1, 6))
        _, final = proxy.register(EXT, PASSWORDS[(DOMAIN_A, EXT)], DOMAIN_A,
                                  contacts=["<sip:%s@127.0.0.1:9>" % EXT], expires=600, extra=[("Path", hops)])
        assert final.status == 400, final.text()
        assert "Path" in final.reason, final.text()


def test_path_from_a_phone_outside_the_trusted_edges_is_ignored(pbx, recorders):
    hop_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    hop_sock.bind(("127.0.0.1", 0))
    try:
        with sipwire.SipClient(pbx.sip_port) as phone:
            hop = "<sip:127.0.0.1:%d;lr>" % hop_sock.getsockname()[1]
            contact = "<sip:%s@127.0.0.1:%d>" % (EXT, phone.local[1])
            first, final = phone.register(
                EXT, PASSWORDS[(DOMAIN_A, EXT)], DOMAIN_A, contacts=[contact], expires=600,
                extra=[("Path", hop), ("Supported", "path")])
            assert first.status == 401, first.text()
            assert final.status == 200, final.text()
            assert final.get_all("path") == [], "a Path from a non-edge is not stored nor echoed:\n" + final.text()
            log = pbx.log_path.read_text(errors="replace")
            assert "SIP Path ignored" in log, "the ignored Path is logged"
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % pbx.http_port, timeout=10) as reply:
                metrics = reply.read().decode()
            ignored = re.search(r"(?m)^centralino_sip_path_ignored_total (\S+)$", metrics)
            assert ignored and float(ignored.group(1)) >= 1, "the ignored Path is counted in /metrics"

            crm = recorders("crm")
            action = ct.c2c_variables_form(EXT, "0391234567")
            res = crm.action([(k, x) for k, v in action.items() for x in (v if isinstance(v, list) else [v])])
            assert res and res[0].get("Response") == "Success", res

            invite, peer = recv_request(phone.sock, "INVITE", 10)
            assert invite is not None, "no INVITE reached the phone's source:\n" + "\n".join(phone.log[-4:])
            assert invite.get_all("route") == [], "a direct binding has no Route:\n" + invite.text()
            phone.sock.sendto(response(invite, 486, "Busy Here", to_tag="busy2"), peer)
            assert recv_request(phone.sock, "ACK", 5)[0] is not None, "no ACK for the 486"
            hop_sock.settimeout(0.5)
            try:
                data, _ = hop_sock.recvfrom(65535)
                raise AssertionError("the Path hop of a non-edge was sent:\n%s" % data.decode())
            except socket.timeout:
                pass
            _, gone = phone.register(EXT, PASSWORDS[(DOMAIN_A, EXT)], DOMAIN_A, contacts=[contact], expires=0)
            assert gone.status == 200, gone.text()
    finally:
        hop_sock.close()


def register_signed_for_own_address(client: sipwire.SipClient) -> sipwire.Message:
    """A REGISTER relayed as by a proxy (two Vias) whose digest `uri` is the sender's own address."""
    aor = "sip:%s@%s" % (EXT, DOMAIN_A)
    phone_via = ("Via", "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK%s" % uuid.uuid4().hex[:12])
    headers = [phone_via, ("Contact", "<sip:%s@127.0.0.1:9>" % EXT), ("Expires", "600")]
    first = client.request("REGISTER", "sip:" + DOMAIN_A, aor, extra=headers)
    assert first.status == 401, first.text()
    signed = "sip:%s:%d" % client.local
    auth = sipwire.digest_authorization(sipwire.pick_challenge(first), "REGISTER", signed, EXT, PASSWORDS[(DOMAIN_A, EXT)])
    return client.request("REGISTER", "sip:" + DOMAIN_A, aor, extra=headers + [("Authorization", auth)])


def test_digest_signed_for_the_proxy_address_only_from_a_trusted_edge(pbx):
    with sipwire.SipClient(pbx.sip_port) as stranger:
        final = register_signed_for_own_address(stranger)
        assert final.status == 401, "a non-edge's digest for its own address is refused:\n" + final.text()
    with sipwire.SipClient(pbx.sip_port, local_ip=EDGE_IP) as proxy:
        final = register_signed_for_own_address(proxy)
        assert final.status == 200, "the trusted edge's is accepted:\n" + final.text()
        _, gone = proxy.register(EXT, PASSWORDS[(DOMAIN_A, EXT)], DOMAIN_A,
                                 contacts=["<sip:%s@127.0.0.1:9>" % EXT], expires=0)
        assert gone.status == 200
