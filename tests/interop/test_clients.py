"""Real client libraries, used unmodified, against Centralino."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from amiwire import login_conn
from conftest import SECRETS


# -- panoramisk (asyncio) ---------------------------------------------------

def test_panoramisk_login_ping_event(server):
    from panoramisk import Manager

    async def scenario():
        loop = asyncio.get_running_loop()
        logged_in = loop.create_future()
        got_event = loop.create_future()
        manager = Manager(host="127.0.0.1", port=server.port, username="monitor",
                          secret=SECRETS["monitor"], events="on", loop=loop,
                          ping_delay=600, reconnect_timeout=600)

        def on_login(mgr):
            if not logged_in.done():
                logged_in.set_result(True)

        manager.on_login = on_login

        def on_user_event(mgr, event):
            if event.get("UserEvent") == "PanoramiskProbe" and not got_event.done():
                got_event.set_result(event)

        manager.register_event("UserEvent", on_user_event)
        await manager.connect()
        try:
            await asyncio.wait_for(logged_in, 5)
            assert manager.authenticated
            assert manager.protocol.version == "9.0.0"

            pong = await asyncio.wait_for(manager.send_action({"Action": "Ping"}), 5)
            assert pong.success, pong
            assert pong["Response"] == "Success"
            assert pong["Ping"] == "Pong"
            assert float(pong["Timestamp"]) > 0

            # raise the event from a separate raw session of the same tenant
            sender = await loop.run_in_executor(
                None, lambda: login_conn(server.port, "monitor", SECRETS["monitor"], events="off"))
            try:
                resp = await loop.run_in_executor(None, lambda: sender.action(
                    [("Action", "UserEvent"), ("UserEvent", "PanoramiskProbe"),
                     ("Foo", "bar"), ("ActionID", "pano-ue")]))
                assert resp == b"Response: Success\r\nActionID: pano-ue\r\nMessage: Event Sent\r\n\r\n"
                event = await asyncio.wait_for(got_event, 5)
            finally:
                sender.close()
            assert event["Event"] == "UserEvent"
            assert event["Privilege"] == "user,all"
            assert event["Foo"] == "bar"
        finally:
            manager.close()

    asyncio.run(scenario())


# -- pystrix ----------------------------------------------------------------

def _pystrix_manager(port):
    import pystrix
    manager = pystrix.ami.Manager()
    manager.connect("127.0.0.1", port)
    return manager


def test_pystrix_plain_login_ping_logoff(server):
    from pystrix.ami import core

    manager = _pystrix_manager(server.port)
    try:
        assert manager.get_asterisk_info() == ("Asterisk Call Manager", "9.0.0")
        login = manager.send_action(core.Login("crm", SECRETS["crm"], events=False))
        assert login is not None, "no Login response"
        assert login.success
        assert login.response["Message"] == "Authentication accepted"

        ping = manager.send_action(core.Ping())
        assert ping is not None, "no Ping response"
        assert ping.success
        assert ping.response["Ping"] == "Pong"
        assert ping.response["ActionID"] == ping.action_id

        bye = manager.send_action(core.Logoff())
        assert bye is not None, "no Logoff response"
        assert bye.response["Response"] == "Goodbye"
        assert bye.response["Message"] == "Thanks for all the fish."
    finally:
        manager.close()

    # wrong password: pystrix raises ManagerAuthError with the server's message
    manager = _pystrix_manager(server.port)
    try:
        with pytest.raises(core.ManagerAuthError) as exc:
            manager.send_action(core.Login("crm", "wrong", events=False))
        assert "Authentication failed" in str(exc.value)
    finally:
        manager.close()


def test_pystrix_md5_challenge_login(server):
    from pystrix.ami import core

    manager = _pystrix_manager(server.port)
    try:
        chal = manager.send_action(core.Challenge())
        assert chal is not None and chal.success, chal
        challenge = chal.result.get("Challenge")
        assert challenge and challenge.isdigit() and len(challenge) <= 9, challenge

        login = manager.send_action(core.Login("crm", SECRETS["crm"], challenge=challenge,
                                               events=False))
        assert login is not None and login.success, login
        assert login.response["Message"] == "Authentication accepted"

        ping = manager.send_action(core.Ping())
        assert ping is not None and ping.response["Ping"] == "Pong"
        bye = manager.send_action(core.Logoff())
        assert bye is not None and bye.response["Response"] == "Goodbye"
    finally:
        manager.close()


# -- asterisk-ami (python-ami) ---------------------------------------------

def test_asterisk_ami_login_ping_logoff(server):
    from asterisk.ami import AMIClient, SimpleAction

    client = AMIClient(address="127.0.0.1", port=server.port, timeout=3)
    disconnected = threading.Event()
    client.add_listener(on_disconnect=lambda source, error=None: disconnected.set())
    try:
        login = client.login(username="crm", secret=SECRETS["crm"]).response
        assert login is not None, "no Login response within asterisk-ami's timeout"
        assert login.status == "Success"
        assert login.keys["Message"] == "Authentication accepted"
        assert client._ami_version == "9.0.0"

        ping = client.send_action(SimpleAction("Ping")).response
        assert ping is not None, "no Ping response"
        assert ping.status == "Success"
        assert ping.keys["Ping"] == "Pong"

        bye = client.logoff().response
        assert bye is not None, "no Logoff response"
        assert bye.status == "Goodbye"
        assert bye.keys["Message"] == "Thanks for all the fish."
        assert disconnected.wait(5), "listener did not see the connection end after Logoff"
    finally:
        client.disconnect()


# -- py-asterisk (Asterisk.Manager) -----------------------------------------

def test_py_asterisk_login_ping_close(server):
    from Asterisk.Manager import Manager

    manager = Manager(("127.0.0.1", server.port), "crm", SECRETS["crm"],
                      listen_events=False, timeout=5)
    try:
        pong = manager.Ping()  # raises CommunicationError if the response lacks ActionID
        assert pong["Response"] == "Success"
        assert pong["Ping"] == "Pong"
        commands = manager.ListCommands()
        assert "Originate" in commands and "Ping" in commands
    finally:
        manager.close()  # sends Logoff and requires 'Response: Goodbye'


def test_py_asterisk_wrong_password(server):
    from Asterisk.Manager import AuthenticationFailure, Manager

    with pytest.raises(AuthenticationFailure):
        Manager(("127.0.0.1", server.port), "crm", "wrong", listen_events=False, timeout=5)


def test_py_asterisk_permission_denied(server):
    from Asterisk.Manager import Manager, PermissionDenied

    manager = Manager(("127.0.0.1", server.port), "noorig", SECRETS["noorig"],
                      listen_events=False, timeout=5)
    try:
        with pytest.raises(PermissionDenied):
            manager.Originate("Local/100@c2c", context="from_c2c", extension="0391234567",
                              priority="1", async_param=True)
    finally:
        manager.close()


# -- pyami-asterisk (asyncio) ------------------------------------------------

def test_pyami_asterisk_login_ping(server):
    from pyami_asterisk import AMIClient

    responses = []

    async def scenario():
        client = AMIClient(host="127.0.0.1", port=server.port, username="crm",
                           secret=SECRETS["crm"], ping_delay=0, reconnect_timeout=0)

        def on_ping(response):
            responses.append(response)

        client.create_action({"Action": "Ping"}, on_ping)
        # connect_ami returns once the last callback ran and the client closed
        await asyncio.wait_for(client.connect_ami(), 10)
        return client

    client = asyncio.run(scenario())
    assert client._authenticated, "pyami-asterisk did not accept our Login response"
    assert client.ami_version == "Asterisk Call Manager/9.0.0"
    assert len(responses) == 1, responses
    assert responses[0]["Response"] == "Success"
    assert responses[0]["Ping"] == "Pong"


def test_pyami_asterisk_wrong_password(server):
    from pyami_asterisk import AMIClient

    async def scenario():
        client = AMIClient(host="127.0.0.1", port=server.port, username="crm",
                           secret="wrong", ping_delay=0, reconnect_timeout=0)
        await asyncio.wait_for(client.connect_ami(), 10)
        return client

    client = asyncio.run(scenario())
    assert client._authenticated is False
