"""A REGISTER whose stored text carries a NUL or another control character (issue: PostgreSQL refuses
text with NUL, and a binding's Call-ID, Contact, User-Agent and Path go to the registration table) is
refused with 400 after authentication, changes no binding, and the server keeps serving."""

from __future__ import annotations

import pytest

import sipwire
from siptools import PASSWORDS

NUMBER = "1017"


def test_register_with_control_characters_gets_400(sip_server):
    port = sip_server.sip_port
    password = PASSWORDS[("default", NUMBER)]
    with sipwire.SipClient(port) as phone:
        clean = "<sip:%s@127.0.0.1:%d>" % (NUMBER, phone.local[1])
        _, final = phone.register(NUMBER, password, "127.0.0.1", contacts=[clean], expires=120,
                                  extra=[("User-Agent", "Clean/1.0")])
        assert final.status == 200, final.text()
        for header, value, contact in (
                ("User-Agent", "Evil\x00Phone/1.0", "<sip:%s@127.0.0.9:5090>" % NUMBER),
                ("User-Agent", "Evil\x1b[31mPhone", "<sip:%s@127.0.0.9:5090>" % NUMBER),
                ("X-Unused", "-", '"A\x00B" <sip:%s@127.0.0.9:5090>' % NUMBER)):
            extra = [(header, value)] if header != "X-Unused" else []
            _, refused = phone.register(NUMBER, password, "127.0.0.1", contacts=[contact], expires=120, extra=extra)
            assert refused.status == 400, (header, refused.text())
            assert "control character in" in refused.reason, refused.reason
        # nothing changed: a query lists the clean binding only
        _, listed = phone.register(NUMBER, password, "127.0.0.1")
        assert listed.status == 200, listed.text()
        assert [c.uri for c in listed.contacts()] == [clean.strip("<>")], listed.text()
    # still serving others
    with sipwire.SipClient(port) as other:
        _, ok = other.register("1018", PASSWORDS[("default", "1018")], "127.0.0.1",
                               contacts=["<sip:1018@127.0.0.1:%d>" % other.local[1]], expires=60)
        assert ok.status == 200, ok.text()
