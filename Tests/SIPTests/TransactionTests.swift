import NIOCore
import XCTest

@testable import SIP

final class TransactionTests: XCTestCase {
    private func invite() throws -> SIPRequest {
        try XCTUnwrap(try SampleMessages.parse(SampleMessages.invite).request)
    }

    private func register() throws -> SIPRequest {
        try XCTUnwrap(try SampleMessages.parse(SampleMessages.register).request)
    }

    private func response(_ code: Int, to request: SIPRequest) -> SIPResponse {
        SIPResponse(replyingTo: request, statusCode: code, toTag: "uas1")
    }

    // MARK: INVITE client

    func testInviteClientRetransmitsOnTimerAUntilTimerB() throws {
        var machine = InviteClientTransaction(request: try invite(), reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.sendTimes, [0, 500, 1500, 3500, 7500, 15500, 31500])
        XCTAssertEqual(clock.time(of: .timeout), 32_000)
        XCTAssertEqual(clock.time(of: .terminated), 32_000)
        XCTAssertTrue(machine.isTerminated)
    }

    func testInviteClientOverReliableTransportDoesNotRetransmit() throws {
        var machine = InviteClientTransaction(request: try invite(), reliable: true)
        var clock = ManualClock()
        clock.apply(machine.start())
        XCTAssertNil(clock.timers[.A])
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.sendTimes, [0])
        XCTAssertEqual(clock.time(of: .timeout), 32_000)
    }

    func testInviteClientFailureIsAckedAndAbsorbedUntilTimerD() throws {
        let request = try invite()
        var machine = InviteClientTransaction(request: request, reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.advance(to: 200_000) { machine.event(.timerFired($0)) }
        clock.apply(machine.event(.response(response(180, to: request))))
        XCTAssertNil(clock.timers[.A])
        XCTAssertNil(clock.timers[.B])
        clock.advance(to: 1_000_000) { machine.event(.timerFired($0)) }
        let busy = response(486, to: request)
        clock.apply(machine.event(.response(busy)))
        clock.advance(to: 2_000_000) { machine.event(.timerFired($0)) }
        clock.apply(machine.event(.response(busy)))  // retransmitted 486
        XCTAssertEqual(clock.passedToTU.compactMap(\.response?.statusCode), [180, 486])
        let acks = clock.sentMessages.compactMap(\.request).filter { $0.method == .ack }
        XCTAssertEqual(acks.count, 2)
        let ack = try XCTUnwrap(acks.first)
        XCTAssertEqual(ack.uri, request.uri)
        XCTAssertEqual(ack.headers.topVia?.branch, request.headers.topVia?.branch)
        XCTAssertEqual(ack.headers.cseq, SIPCSeq(number: 314159, method: .ack))
        XCTAssertEqual(ack.headers.to?.tag, "uas1")
        XCTAssertEqual(ack.headers.callID, request.headers.callID)
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.time(of: .terminated), 33_000)  // 1 s + Timer D 32 s
    }

    func testInviteClient2xxGoesToAcceptedAndPassesRetransmissionsUntilTimerM() throws {
        let request = try invite()
        var machine = InviteClientTransaction(request: request, reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        let ok = response(200, to: request)
        clock.apply(machine.event(.response(ok)))
        clock.advance(to: 600_000) { machine.event(.timerFired($0)) }
        clock.apply(machine.event(.response(ok)))
        XCTAssertEqual(clock.sendTimes, [0])  // no ACK from the transaction for a 2xx
        XCTAssertEqual(clock.passedToTU.count, 2)
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.time(of: .terminated), 32_000)
    }

    // MARK: non-INVITE client

    func testNonInviteClientTimerECapsAtT2UntilTimerF() throws {
        var machine = NonInviteClientTransaction(request: try register(), reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.sendTimes, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500])
        XCTAssertEqual(clock.time(of: .timeout), 32_000)
    }

    func testNonInviteClientProvisionalSwitchesToT2ThenFinalLingersForTimerK() throws {
        let request = try register()
        var machine = NonInviteClientTransaction(request: request, reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.advance(to: 600_000) { machine.event(.timerFired($0)) }
        clock.apply(machine.event(.response(response(100, to: request))))
        clock.advance(to: 10_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.sendTimes, [0, 500, 1500, 5500, 9500])
        clock.apply(machine.event(.response(response(200, to: request))))
        clock.apply(machine.event(.response(response(200, to: request))))
        XCTAssertEqual(clock.passedToTU.compactMap(\.response?.statusCode), [100, 200])
        clock.advance(to: 20_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.time(of: .terminated), 15_000)  // + T4
        XCTAssertNil(clock.time(of: .timeout))
    }

    func testNonInviteClientReliableTerminatesOnFinal() throws {
        let request = try register()
        var machine = NonInviteClientTransaction(request: request, reliable: true)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.apply(machine.event(.response(response(401, to: request))))
        XCTAssertTrue(machine.isTerminated)
        XCTAssertTrue(clock.timers.isEmpty)
    }

    // MARK: INVITE server

    func testInviteServerSends100AndRepeatsLastResponseToRetransmissions() throws {
        let request = try invite()
        var machine = InviteServerTransaction(request: request, reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        XCTAssertEqual(clock.passedToTU.first?.request, request)
        clock.apply(machine.event(.request(request)))
        clock.apply(machine.event(.respond(response(180, to: request))))
        clock.apply(machine.event(.request(request)))
        XCTAssertEqual(clock.sentMessages.compactMap(\.response?.statusCode), [100, 100, 180, 180])
    }

    func testInviteServerRetransmitsFailureOnTimerGUntilTimerH() throws {
        let request = try invite()
        var machine = InviteServerTransaction(request: request, reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.apply(machine.event(.respond(response(486, to: request))))
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        let finals = clock.log.filter { if case .send(.response(let r)) = $0.action { return r.statusCode == 486 } else { return false } }
        XCTAssertEqual(finals.map { $0.time / 1000 }, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500])
        XCTAssertEqual(clock.time(of: .timeout), 32_000)
    }

    func testInviteServerAckConfirmsThenTimerI() throws {
        let request = try invite()
        var machine = InviteServerTransaction(request: request, reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        let busy = response(486, to: request)
        clock.apply(machine.event(.respond(busy)))
        clock.advance(to: 700_000) { machine.event(.timerFired($0)) }
        let ack = SIPRequest.ack(for: request, response: busy)
        clock.apply(machine.event(.request(ack)))
        clock.apply(machine.event(.request(ack)))  // absorbed in Confirmed
        XCTAssertNil(clock.timers[.G])
        XCTAssertNil(clock.timers[.H])
        clock.advance(to: 10_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.time(of: .terminated), 5_700)  // + T4
        XCTAssertEqual(clock.sentMessages.count, 3)  // 100, 486, one retransmission at 500 ms
        XCTAssertNil(clock.time(of: .timeout))
    }

    func testInviteServer2xxAcceptedPassesAckAndAbsorbsInviteUntilTimerL() throws {
        let request = try invite()
        var machine = InviteServerTransaction(request: request, reliable: true)
        var clock = ManualClock()
        clock.apply(machine.start())
        let ok = response(200, to: request)
        clock.apply(machine.event(.respond(ok)))
        clock.apply(machine.event(.request(request)))  // absorbed
        clock.apply(machine.event(.respond(ok)))  // TU retransmits its 2xx
        var ack = SIPRequest.ack(for: request, response: ok)
        ack.headers.replaceOrAdd(.via, "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnewack")
        clock.apply(machine.event(.request(ack)))
        XCTAssertEqual(clock.sentMessages.compactMap(\.response?.statusCode), [100, 200, 200])
        XCTAssertEqual(clock.passedToTU.compactMap(\.request?.method), [.invite, .ack])
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.time(of: .terminated), 32_000)
    }

    // MARK: non-INVITE server

    func testNonInviteServerAbsorbsThenRepeatsFinalUntilTimerJ() throws {
        let request = try register()
        var machine = NonInviteServerTransaction(request: request, reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.apply(machine.event(.request(request)))  // absorbed in Trying
        XCTAssertTrue(clock.sentMessages.isEmpty)
        clock.apply(machine.event(.respond(response(401, to: request))))
        clock.advance(to: 1_000_000) { machine.event(.timerFired($0)) }
        clock.apply(machine.event(.request(request)))
        XCTAssertEqual(clock.sentMessages.compactMap(\.response?.statusCode), [401, 401])
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.time(of: .terminated), 32_000)
    }

    func testNonInviteServerProvisionalThenReliableFinalTerminates() throws {
        let request = try register()
        var machine = NonInviteServerTransaction(request: request, reliable: true)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.apply(machine.event(.respond(response(100, to: request))))
        clock.apply(machine.event(.request(request)))
        clock.apply(machine.event(.respond(response(200, to: request))))
        XCTAssertEqual(clock.sentMessages.compactMap(\.response?.statusCode), [100, 100, 200])
        XCTAssertTrue(machine.isTerminated)
    }

    func testTransportErrorTerminates() throws {
        var machine = NonInviteClientTransaction(request: try register(), reliable: true)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.apply(machine.event(.transportError))
        XCTAssertTrue(clock.contains(.transportError))
        XCTAssertTrue(machine.isTerminated)
        XCTAssertTrue(clock.timers.isEmpty)
    }

    // MARK: 2xx retransmission by the UAS core (RFC 3261 §13.3.1.4)

    func testSuccessRetransmittedOnTimerGScheduleUntilTimerH() throws {
        let request = try invite()
        var machine = SIPSuccessRetransmission(response: response(200, to: request), reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        // T1 doubling, capped at T2 = 4 s, for 64·T1 = 32 s.
        XCTAssertEqual(clock.sendTimes, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500])
        XCTAssertEqual(clock.time(of: .timeout), 32_000)
        XCTAssertTrue(machine.isTerminated)
    }

    func testSuccessRetransmissionStopsAtAckAndAnswersRetransmittedInvite() throws {
        let request = try invite()
        let ok = response(200, to: request)
        var machine = SIPSuccessRetransmission(response: ok, reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.advance(to: 1_000_000) { machine.event(.timerFired($0)) }
        clock.apply(machine.event(.request(request)))  // the INVITE again: its 2xx was lost
        var ack = request
        ack.method = .ack
        clock.apply(machine.event(.request(ack)))
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.sendTimes, [0, 500, 1000])
        XCTAssertEqual(clock.passedToTU.compactMap(\.request?.method), [.ack])
        XCTAssertFalse(clock.contains(.timeout))
        XCTAssertTrue(machine.isTerminated)
        XCTAssertTrue(clock.timers.isEmpty)
    }

    func testSuccessOverReliableTransportIsSentOnceButWaitsForAck() throws {
        var machine = SIPSuccessRetransmission(response: response(200, to: try invite()), reliable: true)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.advance(to: 40_000_000) { machine.event(.timerFired($0)) }
        XCTAssertEqual(clock.sendTimes, [0])
        XCTAssertEqual(clock.time(of: .timeout), 32_000)
    }

    func testTimerHAndTimerBFollowT1() throws {
        // Timer H is 64·T1 of the machine's own settings, not Timer F's fixed value; Timer A keeps doubling past T2.
        let timers = SIPTimerSettings(t1: 100_000, t2: 400_000, t4: 500_000)
        let request = try invite()
        var server = InviteServerTransaction(request: request, reliable: false, timers: timers)
        var serverClock = ManualClock()
        serverClock.apply(server.start())
        serverClock.apply(server.event(.respond(response(486, to: request))))
        serverClock.advance(to: 10_000_000) { server.event(.timerFired($0)) }
        XCTAssertEqual(serverClock.time(of: .timeout), 6_400)
        XCTAssertEqual(Array(serverClock.sendTimes.prefix(6)), [0, 0, 100, 300, 700, 1100])
        var client = InviteClientTransaction(request: request, reliable: false, timers: timers)
        var clientClock = ManualClock()
        clientClock.apply(client.start())
        clientClock.advance(to: 10_000_000) { client.event(.timerFired($0)) }
        XCTAssertEqual(clientClock.sendTimes, [0, 100, 300, 700, 1500, 3100, 6300])
        XCTAssertEqual(clientClock.time(of: .timeout), 6_400)
    }

    func testClientTransportErrorEndsInviteTransaction() throws {
        var machine = InviteClientTransaction(request: try invite(), reliable: false)
        var clock = ManualClock()
        clock.apply(machine.start())
        clock.apply(machine.event(.transportError))
        XCTAssertTrue(clock.contains(.transportError))
        XCTAssertTrue(machine.isTerminated)
        XCTAssertTrue(clock.timers.isEmpty)
    }

    // MARK: keys

    func testTransactionKeys() throws {
        let request = try invite()
        let serverKey = try XCTUnwrap(SIPTransactionKey(serverRequest: request))
        XCTAssertEqual(serverKey, .branch("z9hG4bK776asdhds", sentBy: "192.0.2.10:5060", method: "INVITE"))
        let ack = SIPRequest.ack(for: request, response: response(486, to: request))
        XCTAssertEqual(SIPTransactionKey(serverRequest: ack), serverKey)
        var cancel = request
        cancel.method = .cancel
        let cancelKey = try XCTUnwrap(SIPTransactionKey(serverRequest: cancel))
        XCTAssertNotEqual(cancelKey, serverKey)
        XCTAssertEqual(cancelKey.cancelledInviteKey, serverKey)
        XCTAssertEqual(SIPTransactionKey(clientResponse: response(180, to: request)), SIPTransactionKey(clientRequest: request))
    }

    func testRFC2543FallbackKeyMatchesAckToInvite() throws {
        let request = try TortureFixtures.request("invalid", "inv2543")
        let key = try XCTUnwrap(SIPTransactionKey(serverRequest: request))
        guard case .rfc2543 = key else { return XCTFail("expected RFC 2543 key") }
        let ack = SIPRequest.ack(for: request, response: response(486, to: request))
        XCTAssertEqual(SIPTransactionKey(serverRequest: ack), key)
        let badbranch = try TortureFixtures.request("invalid", "badbranch")
        guard case .rfc2543? = SIPTransactionKey(serverRequest: badbranch) else { return XCTFail("expected fallback") }
    }
}
