"""AMI event filters: the Filter action and per-user eventfilter lists (Asterisk 20's semantics).

Events come from UserEvent actions of a second session of the same tenant, so each test knows
exactly which events were raised; a last `UserEvent: End` marks the end of each burst.
"""

from __future__ import annotations

import asyncio
import time

from amiwire import AMIConn, first, login_conn, parse
from conftest import SECRETS, provisioning_yaml

COMPILE_ERROR = "Filter did not compile.  Check the syntax of the filter given."
FORMAT_ERROR = "Filter was formatted incorrectly.  Check the syntax of the filter given."


def add_filter(conn: AMIConn, pattern: str, criteria: str | None = None, action_id: str = "f") -> list:
    headers = [("Action", "Filter"), ("Operation", "Add"), ("Filter", pattern)]
    if criteria is not None:
        headers.append(("MatchCriteria", criteria))
    headers.append(("ActionID", action_id))
    return parse(conn.action(headers))


def raise_events(port: int, events: list) -> None:
    """Each item: (UserEvent name, extra headers); then `End`."""
    sender = login_conn(port, "monitor", SECRETS["monitor"], events="off")
    try:
        for index, (name, extra) in enumerate(events + [("End", [])]):
            resp = parse(sender.action([("Action", "UserEvent"), ("UserEvent", name)] + extra + [("ActionID", "ue%d" % index)]))
            assert first(resp, "Response") == "Success", resp
    finally:
        sender.close()


def received_until_end(conn: AMIConn) -> list:
    """Every event up to the `End` user event, as (Event, UserEvent) pairs; End not included."""
    seen = []
    while True:
        msg = conn.read_message()
        if not msg.startswith(b"Event:"):
            continue
        pairs = parse(msg)
        if first(pairs, "UserEvent") == "End":
            return seen
        seen.append((first(pairs, "Event"), first(pairs, "UserEvent")))


BURST = [("Wanted", []), ("Other", []), ("Wanted", [("Foo", "drop")]), ("Wanted2", [])]


def test_without_filters_every_event_arrives(server):
    with login_conn(server.port, "monitor", SECRETS["monitor"]) as listener:
        raise_events(server.port, BURST)
        seen = received_until_end(listener)
    user_events = [name for (event, name) in seen if event == "UserEvent"]
    assert user_events == ["Wanted", "Other", "Wanted", "Wanted2"], seen
    # the sender's login raised security events too (monitor reads all)
    assert ("SuccessfulAuth", None) in seen, seen


def test_include_then_exclude_regex(server):
    with login_conn(server.port, "monitor", SECRETS["monitor"]) as listener:
        resp = add_filter(listener, "UserEvent: (Wanted|End)", action_id="inc")
        assert resp == [("Response", "Success"), ("ActionID", "inc"), ("Message", "Success")], resp
        raise_events(server.port, BURST)
        assert received_until_end(listener) == [("UserEvent", "Wanted"), ("UserEvent", "Wanted"), ("UserEvent", "Wanted2")]
        # an exclude filter is applied after the include filters
        assert first(add_filter(listener, "!Foo: drop", action_id="exc"), "Response") == "Success"
        raise_events(server.port, BURST)
        assert received_until_end(listener) == [("UserEvent", "Wanted"), ("UserEvent", "Wanted2")]


def test_exclude_only_and_event_name_fast_path(server):
    with login_conn(server.port, "monitor", SECRETS["monitor"]) as listener:
        # exclude filters only: everything else still arrives (here the security events of the sender's login)
        assert first(add_filter(listener, "!UserEvent: Other"), "Response") == "Success"
        raise_events(server.port, BURST)
        seen = received_until_end(listener)
        assert [n for (e, n) in seen if e == "UserEvent"] == ["Wanted", "Wanted", "Wanted2"], seen
        assert ("SuccessfulAuth", None) in seen, seen
    with login_conn(server.port, "monitor", SECRETS["monitor"]) as listener:
        # `Event: UserEvent` (no special character: a substring test) lets only user events through
        assert first(add_filter(listener, "Event: UserEvent"), "Response") == "Success"
        raise_events(server.port, BURST)
        seen = received_until_end(listener)
        assert seen == [("UserEvent", "Wanted"), ("UserEvent", "Other"), ("UserEvent", "Wanted"), ("UserEvent", "Wanted2")]


def test_match_criteria_advanced_form(server):
    with login_conn(server.port, "monitor", SECRETS["monitor"]) as listener:
        resp = add_filter(listener, "Wanted", criteria="name(UserEvent),header(UserEvent),method(starts_with)")
        assert first(resp, "Response") == "Success", resp
        assert first(add_filter(listener, "End", criteria="header(UserEvent),method(exact)"), "Response") == "Success"
        assert first(add_filter(listener, "drop", criteria="action(exclude),header(Foo),method(exact)"), "Response") == "Success"
        raise_events(server.port, BURST)
        assert received_until_end(listener) == [("UserEvent", "Wanted"), ("UserEvent", "Wanted2")]


def test_errors_and_asterisk_texts(server):
    with login_conn(server.port, "crm", SECRETS["crm"]) as crm:
        # crm writes call,originate only: Asterisk would want `system`; here a filter narrows only its own session
        assert parse(crm.action([("Action", "Filter"), ("Operation", "Add"), ("Filter", "XX[X"), ("ActionID", "bad")])) == [
            ("Response", "Error"), ("ActionID", "bad"), ("Message", COMPILE_ERROR)]
        assert first(add_filter(crm, "x", criteria="nnnn(yyy)"), "Message") == FORMAT_ERROR
        assert first(add_filter(crm, "x", criteria="name(Hangup)"), "Message") == FORMAT_ERROR  # method none with a pattern
        assert first(add_filter(crm, ""), "Message") == FORMAT_ERROR
        assert first(add_filter(crm, "!"), "Message") == FORMAT_ERROR
        assert first(add_filter(crm, "(a|b" + "x" * 300 + ")"), "Message") == COMPILE_ERROR  # past --ami-filter-max-pattern
        assert first(add_filter(crm, "^(.*)*(.*)*X$"), "Response") == "Success", "the linear matcher takes what glibc would take"
        resp = parse(crm.action([("Action", "Filter"), ("Operation", "Remove"), ("Filter", "x"), ("ActionID", "rm")]))
        assert resp == [("Response", "Error"), ("ActionID", "rm"), ("Message", "Unknown operation")], resp
        commands = parse(crm.action([("Action", "ListCommands"), ("ActionID", "lc")]))
        assert first(commands, "Filter") is None, "ListCommands stays Asterisk's: Filter is listed for `system` users only"
    with login_conn(server.port, "monitor", SECRETS["monitor"]) as monitor:
        commands = parse(monitor.action([("Action", "ListCommands"), ("ActionID", "lc")]))
        assert first(commands, "Filter") == "Dynamically add filters for the current manager session.  (Priv: system,all)"


def test_filter_limit_per_session(server):
    with login_conn(server.port, "crm", SECRETS["crm"]) as crm:
        for index in range(32):
            assert first(add_filter(crm, "Event: X%d" % index, action_id="n%d" % index), "Response") == "Success"
        resp = add_filter(crm, "Event: One-too-many", action_id="over")
        assert resp == [("Response", "Error"), ("ActionID", "over"), ("Message", "Too many filters: a session holds at most 32")]


def test_responses_and_list_items_are_not_filtered(server):
    with login_conn(server.port, "monitor", SECRETS["monitor"]) as listener:
        assert first(add_filter(listener, "Event: NothingAtAll"), "Response") == "Success"
        pong = parse(listener.action([("Action", "Ping"), ("ActionID", "p")]))
        assert first(pong, "Ping") == "Pong"
        listener.send(b"Action: CoreShowChannels\r\nActionID: cs\r\n\r\n")
        resp = parse(listener.read_response("cs"))
        assert first(resp, "EventList") == "start", resp
        complete = listener.read_event("CoreShowChannelsComplete")
        assert first(complete, "ActionID") == "cs"
        # while asynchronous events are held back: the sender's UserEvents and security events
        raise_events(server.port, BURST)
        listener.send(b"Action: Ping\r\nActionID: p2\r\n\r\n")
        assert listener.read_message().startswith(b"Response: Success\r\nActionID: p2\r\nPing: Pong"), "no event came first"


# Time for the server to read a WaitEvent sent on an idle connection (it takes well under a millisecond).
WAIT_BEGINS = 0.3


def test_wait_event_with_a_regex_filter(server):
    sender = login_conn(server.port, "monitor", SECRETS["monitor"], events="off")
    try:
        with login_conn(server.port, "monitor", SECRETS["monitor"], events="on") as listener:
            assert first(add_filter(listener, "UserEvent: Wa(nted|it)"), "Response") == "Success"
            # As Asterisk 20's action_waitevent_tcp(): any event ends the wait; the filters decide what is written
            # Nothing on the wire says a WaitEvent has begun (in Asterisk neither), and an event raised before
            # it begins is written at once; so each wait gets WAIT_BEGINS to begin before the sender raises the
            # event (an assumption about time: generous, not a guarantee).
            listener.send(b"Action: WaitEvent\r\nTimeout: 5\r\nActionID: w1\r\n\r\n")
            time.sleep(WAIT_BEGINS)
            assert first(parse(sender.action([("Action", "UserEvent"), ("UserEvent", "Other"), ("ActionID", "o")])), "Response") == "Success"
            # the filtered event ends the wait: well before its Timeout of 5 s
            assert parse(listener.read_message(timeout=2.5)) == [("Response", "Success"), ("ActionID", "w1"),
                                                      ("Message", "Waiting for Event completed.")]
            assert parse(listener.read_message()) == [("Event", "WaitEventComplete"), ("ActionID", "w1")]
            listener.send(b"Action: WaitEvent\r\nTimeout: 5\r\nActionID: w2\r\n\r\n")
            time.sleep(WAIT_BEGINS)
            assert first(parse(sender.action([("Action", "UserEvent"), ("UserEvent", "Wait"), ("ActionID", "w")])), "Response") == "Success"
            assert first(parse(listener.read_message()), "ActionID") == "w2"
            assert first(parse(listener.read_message()), "UserEvent") == "Wait"
            assert parse(listener.read_message()) == [("Event", "WaitEventComplete"), ("ActionID", "w2")]
            # a timeout with nothing raised
            listener.send(b"Action: WaitEvent\r\nTimeout: 1\r\nActionID: w3\r\n\r\n")
            assert first(parse(listener.read_message(timeout=5)), "ActionID") == "w3"
            assert parse(listener.read_message()) == [("Event", "WaitEventComplete"), ("ActionID", "w3")]
    finally:
        sender.close()


def test_panoramisk_filter_action(server):
    from panoramisk import Manager

    async def scenario():
        loop = asyncio.get_running_loop()
        logged_in = loop.create_future()
        got = []
        done = loop.create_future()
        manager = Manager(host="127.0.0.1", port=server.port, username="monitor", secret=SECRETS["monitor"], events="on",
                          loop=loop, ping_delay=600, reconnect_timeout=600)
        manager.on_login = lambda mgr: logged_in.done() or logged_in.set_result(True)

        def on_event(mgr, event):
            got.append((event.get("Event"), event.get("UserEvent")))
            if event.get("UserEvent") == "End" and not done.done():
                done.set_result(True)

        manager.register_event("*", on_event)
        await manager.connect()
        try:
            await asyncio.wait_for(logged_in, 5)
            resp = await asyncio.wait_for(
                manager.send_action({"Action": "Filter", "Operation": "Add", "Filter": "UserEvent: (Wanted2|End)"}), 5)
            assert resp.success, resp
            await loop.run_in_executor(None, lambda: raise_events(server.port, BURST))
            await asyncio.wait_for(done, 5)
        finally:
            manager.close()
        # FullyBooted and its own SuccessfulAuth came before the filter (FullyBooted is written at login,
        # never filtered, as in Asterisk); the sender's SuccessfulAuth and the other user events came after it
        assert got == [("FullyBooted", None), ("SuccessfulAuth", None), ("UserEvent", "Wanted2"), ("UserEvent", "End")], got

    asyncio.run(scenario())


FILTERED_USER = """\
      - username: filtered
        password: f1ltered
        permit: ["127.0.0.0/8"]
        read: all
        write: all
        eventfilter:
          - "UserEvent: Wanted"
          - "!Foo: drop"
"""


def with_user(extra: str) -> str:
    text = provisioning_yaml()
    marker = "  - name: globex\n"
    return text.replace(marker, extra + marker)


def test_yaml_eventfilter_applies_at_login_and_filter_adds_to_it(start_server):
    srv = start_server(["--ami-auth-delay-ms", "200"], yaml_text=with_user(FILTERED_USER), name="eventfilter")
    with login_conn(srv.port, "filtered", "f1ltered") as listener:
        # End, then a last event the filters let through: in one sender's order, so a wrongly passed End
        # shows before the mark (a Ping's reply marks nothing: another session's events may follow it)
        raise_events(srv.port, BURST + [("End", []), ("WantedMark", [])])
        # the user's filters: Wanted and Wanted2 (a regex search), not the one with Foo: drop, nor End
        seen = []
        while ("UserEvent", "WantedMark") not in seen:
            msg = parse(listener.read_message())
            seen.append((first(msg, "Event"), first(msg, "UserEvent")))
        # FullyBooted is written by the login itself (as Asterisk's action_login), not filtered
        assert seen == [("FullyBooted", None), ("UserEvent", "Wanted"), ("UserEvent", "Wanted2"),
                        ("UserEvent", "WantedMark")], seen
        # a Filter action adds to the user's list for this session
        assert first(add_filter(listener, "UserEvent: End"), "Response") == "Success"
        raise_events(srv.port, BURST)
        assert received_until_end(listener) == [("UserEvent", "Wanted"), ("UserEvent", "Wanted2")]
    # another user of the tenant is not filtered
    with login_conn(srv.port, "monitor", SECRETS["monitor"]) as monitor:
        raise_events(srv.port, [("Other", [])])
        assert ("UserEvent", "Other") in received_until_end(monitor)


def test_yaml_eventfilter_is_validated(tmp_path):
    from conftest import run_apply
    bad = with_user(FILTERED_USER.replace('"!Foo: drop"', '"XX[X"'))
    yaml_file = tmp_path / "bad.yaml"
    yaml_file.write_text(bad)
    data = tmp_path / "data"
    data.mkdir()
    res = run_apply(data, yaml_file)
    assert res.returncode != 0
    assert "eventfilter" in res.stderr and "XX[X" in res.stderr, res.stderr
