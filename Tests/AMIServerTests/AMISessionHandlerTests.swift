import AMI
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import PBX
import XCTest

@testable import AMIServer

/// `AMISessionHandler` behind the frame decoder, as `AMIServer` builds the pipeline, on an
/// `EmbeddedChannel`: real directory, event bus and server context, no call engine, no sockets.
/// Expected bytes follow the Asterisk 20 transcripts in tests/fixtures/reference/asterisk-20.
final class AMISessionHandlerTests: XCTestCase {
    let tenant = UUID()
    let otherTenant = UUID()
    let logger = Logger(label: "test")
    static let banner = "Asterisk Call Manager/9.0.0\r\n"

    func makeServer(_ adjust: (inout AMIServerConfiguration) -> Void = { _ in }) -> AMIServerContext {
        var configuration = AMIServerConfiguration()
        configuration.authFailureDelay = .seconds(1)
        adjust(&configuration)
        let directory = AMIDirectory()
        directory.replace(
            with: [
                AMIAccount(tenant: tenant, username: "crm", secret: "s3cret", permit: ["127.0.0.0/8"], read: "all", write: "all"),
                AMIAccount(tenant: tenant, username: "noorig", secret: "n0orig", permit: ["127.0.0.0/8"], read: "call", write: "call"),
                AMIAccount(tenant: otherTenant, username: "other", secret: "0ther", permit: ["127.0.0.0/8"], read: "all", write: "all"),
            ], logger: logger)
        return AMIServerContext(
            configuration: configuration, directory: directory, bus: AMIEventBus(logger: logger), calls: nil,
            observer: nil, logger: logger, startTime: Date().timeIntervalSince1970)
    }

    /// Counts `read()` calls that get past the session handler toward the socket.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    /// One connection: the server's pipeline on an embedded channel, connected from `remote`.
    final class Session {
        let channel = EmbeddedChannel()
        let reads = ReadCounter()

        init(server: AMIServerContext, remote: String = "127.0.0.1") throws {
            channel.remoteAddress = try SocketAddress(ipAddress: remote, port: 40000)
            channel.localAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 5038)
            try channel.pipeline.syncOperations.addHandlers(
                reads, AMISessionHandler(server: server))
            try channel.connect(to: channel.remoteAddress!).wait()
        }

        deinit { _ = try? channel.finish(acceptAlreadyClosed: true) }

        func send(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
            channel.embeddedEventLoop.run()
        }

        /// Everything written to the client since the last call.
        func output() throws -> String {
            var text = ""
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        func advance(_ amount: TimeAmount) { channel.embeddedEventLoop.advanceTime(by: amount) }

        var isOpen: Bool { channel.isActive }

        /// Logs in and returns what followed the banner.
        @discardableResult
        func login(_ user: String = "crm", secret: String = "s3cret", events: String? = nil) throws -> String {
            _ = try output()
            try send("Action: Login\r\nUsername: \(user)\r\nSecret: \(secret)\r\n\(events.map { "Events: \($0)\r\n" } ?? "")\r\n")
            return try output()
        }
    }

    func userEvent(_ name: String) -> AMIEvent { AMIEvent("UserEvent", classes: .user, fields: [("UserEvent", name)]) }

    // MARK: - Connect and login

    func testBannerOnConnect() throws {
        let session = try Session(server: makeServer())
        XCTAssertEqual(try session.output(), Self.banner)
        XCTAssertTrue(session.isOpen)
    }

    func testLoginSuccessThenLogoffClosesAsAsterisk() throws {
        // a01_banner_login_success_crm
        let server = makeServer()
        let session = try Session(server: server)
        try session.send("Action: Login\r\nUsername: crm\r\nSecret: s3cret\r\nActionID: login-1\r\nEvents: off\r\n\r\n")
        XCTAssertEqual(try session.output(), Self.banner + "Response: Success\r\nActionID: login-1\r\nMessage: Authentication accepted\r\n\r\n")
        try session.send("Action: Logoff\r\nActionID: logoff-1\r\n\r\n")
        XCTAssertEqual(try session.output(), "Response: Goodbye\r\nActionID: logoff-1\r\nMessage: Thanks for all the fish.\r\n\r\n")
        XCTAssertFalse(session.isOpen, "Logoff closes the connection")
        XCTAssertEqual(server.bus.sessions(tenant: tenant).count, 0, "and leaves the bus (the tenant's session count)")
    }

    func testLoginWithSystemEventsSendsFullyBooted() throws {
        let session = try Session(server: makeServer())
        let text = try session.login(events: "system")
        XCTAssertTrue(
            text.hasPrefix("Response: Success\r\nMessage: Authentication accepted\r\n\r\nEvent: FullyBooted\r\nPrivilege: system,all\r\n"), text)
        XCTAssertTrue(text.hasSuffix("Status: Fully Booted\r\n\r\n"), text)
    }

    func testWrongSecretFailsAfterTheDelayAndCloses() throws {
        // a02_login_failure_wrong_secret
        let session = try Session(server: makeServer())
        try session.send("Action: Login\r\nUsername: crm\r\nSecret: wrong\r\nActionID: login-bad\r\n\r\n")
        XCTAssertEqual(try session.output(), Self.banner, "nothing before Asterisk's one-second delay")
        try session.send("Action: Ping\r\nActionID: after\r\n\r\n")
        session.advance(.milliseconds(999))
        XCTAssertEqual(try session.output(), "")
        session.advance(.milliseconds(1))
        XCTAssertEqual(
            try session.output(), "Response: Error\r\nActionID: login-bad\r\nMessage: Authentication failed\r\n\r\n", "and nothing is run after it")
        XCTAssertFalse(session.isOpen)
    }

    func testUnknownUserFailsLikeAWrongSecret() throws {
        let session = try Session(server: makeServer())
        _ = try session.output()
        try session.send("Action: Login\r\nUsername: nobody\r\nSecret: s3cret\r\nActionID: u\r\n\r\n")
        session.advance(.seconds(1))
        XCTAssertEqual(try session.output(), "Response: Error\r\nActionID: u\r\nMessage: Authentication failed\r\n\r\n")
        XCTAssertFalse(session.isOpen)
    }

    func testRepeatedFailuresLockTheAddressOutEvenWithTheRightSecret() throws {
        let server = makeServer { $0.lockout.failures = 3 }
        for _ in 0..<3 {
            let session = try Session(server: server)
            try session.login(secret: "wrong")
            session.advance(.seconds(1))
            XCTAssertEqual(try session.output(), "Response: Error\r\nMessage: Authentication failed\r\n\r\n")
        }
        let locked = try Session(server: server)
        try locked.login()
        locked.advance(.seconds(1))
        XCTAssertEqual(try locked.output(), "Response: Error\r\nMessage: Authentication failed\r\n\r\n", "locked out: the same reply, no hint")
        XCTAssertFalse(locked.isOpen)

        let elsewhere = try Session(server: server, remote: "127.0.0.2")
        XCTAssertEqual(
            try elsewhere.login(events: "off"), "Response: Success\r\nMessage: Authentication accepted\r\n\r\n", "another address is not locked")
    }

    func testMD5ChallengeLogin() throws {
        // a05_challenge_md5_login
        let session = try Session(server: makeServer())
        _ = try session.output()
        try session.send("Action: Challenge\r\nAuthType: MD5\r\nActionID: md5-1-chal\r\n\r\n")
        let reply = try session.output()
        let prefix = "Response: Success\r\nActionID: md5-1-chal\r\nChallenge: "
        XCTAssertTrue(reply.hasPrefix(prefix) && reply.hasSuffix("\r\n\r\n"), reply)
        let challenge = String(reply.components(separatedBy: "\r\n")[2].dropFirst("Challenge: ".count))
        XCTAssertFalse(challenge.isEmpty)
        try session.send("Action: Challenge\r\nAuthType: MD5\r\n\r\n")
        XCTAssertEqual(try session.output(), "Response: Success\r\nChallenge: \(challenge)\r\n\r\n", "the session keeps its challenge")
        let key = AMIChallenge.expectedKey(challenge: challenge, secret: "s3cret")
        try session.send("Action: Login\r\nAuthType: MD5\r\nUsername: crm\r\nKey: \(key)\r\nActionID: md5-1\r\nEvents: off\r\n\r\n")
        XCTAssertEqual(try session.output(), "Response: Success\r\nActionID: md5-1\r\nMessage: Authentication accepted\r\n\r\n")
    }

    func testMD5LoginWithoutAChallengeFails() throws {
        let session = try Session(server: makeServer())
        _ = try session.output()
        let key = AMIChallenge.expectedKey(challenge: "", secret: "s3cret")
        try session.send("Action: Login\r\nAuthType: MD5\r\nUsername: crm\r\nKey: \(key)\r\n\r\n")
        session.advance(.seconds(1))
        XCTAssertEqual(try session.output(), "Response: Error\r\nMessage: Authentication failed\r\n\r\n")
    }

    func testChallengeWithoutAuthType() throws {
        // a05c_challenge_unsupported_authtype
        let session = try Session(server: makeServer())
        _ = try session.output()
        try session.send("Action: Challenge\r\nActionID: chal-3\r\n\r\n")
        XCTAssertEqual(try session.output(), "Response: Error\r\nActionID: chal-3\r\nMessage: Must specify AuthType\r\n\r\n")
        XCTAssertTrue(session.isOpen)
    }

    func testActionsBeforeLoginAreRefusedAndLogoffCloses() throws {
        // a02c_actions_before_login
        let session = try Session(server: makeServer())
        try session.send(
            "Action: Ping\r\nActionID: ping-unauth\r\n\r\nAction: Originate\r\nChannel: Local/100@c2c\r\nActionID: orig-unauth\r\n\r\n"
                + "Action: Logoff\r\nActionID: logoff-unauth\r\n\r\n")
        XCTAssertEqual(
            try session.output(),
            Self.banner + "Response: Error\r\nActionID: ping-unauth\r\nMessage: Permission denied\r\n\r\n"
                + "Response: Error\r\nActionID: orig-unauth\r\nMessage: Permission denied\r\n\r\n"
                + "Response: Goodbye\r\nActionID: logoff-unauth\r\nMessage: Thanks for all the fish.\r\n\r\n")
        XCTAssertFalse(session.isOpen)
    }

    func testSecondLoginIsAlreadyAuthenticated() throws {
        let session = try Session(server: makeServer())
        try session.login(events: "off")
        try session.send("Action: Login\r\nUsername: crm\r\nSecret: whatever\r\nActionID: again\r\n\r\n")
        XCTAssertEqual(try session.output(), "Response: Success\r\nActionID: again\r\nMessage: Already authenticated\r\n\r\n")
        XCTAssertTrue(session.isOpen)
    }

    func testAuthTimeoutClosesSilently() throws {
        let session = try Session(server: makeServer { $0.authTimeout = .seconds(5) })
        session.advance(.milliseconds(4999))
        XCTAssertTrue(session.isOpen)
        session.advance(.milliseconds(1))
        XCTAssertFalse(session.isOpen)
        XCTAssertEqual(try session.output(), Self.banner)
    }

    func testAuthTimeoutDoesNotCloseALoggedInSession() throws {
        let session = try Session(server: makeServer { $0.authTimeout = .seconds(5) })
        try session.login(events: "off")
        session.advance(.seconds(10))
        XCTAssertTrue(session.isOpen)
    }

    // MARK: - Actions

    func testPingWithAndWithoutActionID() throws {
        // a04_ping (the timestamp is the clock's)
        let session = try Session(server: makeServer())
        try session.login(events: "off")
        try session.send("Action: Ping\r\nActionID: ping-1\r\n\r\nAction: ping\r\n\r\n")
        let text = try session.output()
        let pattern =
            #"^Response: Success\r\nActionID: ping-1\r\nPing: Pong\r\nTimestamp: \d+\.\d{6}\r\n\r\nResponse: Success\r\nPing: Pong\r\nTimestamp: \d+\.\d{6}\r\n\r\n$"#
        XCTAssertNotNil(text.range(of: pattern, options: .regularExpression), text)
    }

    func testOriginateWithoutOriginatePermissionIsDenied() throws {
        // b6_originate_without_permission (user noorig, write=call)
        let session = try Session(server: makeServer())
        XCTAssertEqual(
            try session.login("noorig", secret: "n0orig"), "Response: Success\r\nMessage: Authentication accepted\r\n\r\n",
            "read=call: no FullyBooted (system)")
        try session.send(
            "Action: Originate\r\nAsync: true\r\nChannel: Local/100@c2c\r\nContext: from_c2c\r\nExten: 0391234567\r\nActionID: c2c-6\r\n\r\n")
        XCTAssertEqual(try session.output(), "Response: Error\r\nActionID: c2c-6\r\nMessage: Permission denied\r\n\r\n")
        try session.send("Action: Logoff\r\n\r\n")
        XCTAssertEqual(try session.output(), "Response: Goodbye\r\nMessage: Thanks for all the fish.\r\n\r\n")
    }

    func testUnknownActionAndMissingAction() throws {
        // a03_unknown_action
        let session = try Session(server: makeServer())
        try session.login(events: "off")
        try session.send("Action: FooBar\r\nActionID: unk-1\r\n\r\nActionID: noaction-1\r\nFoo: bar\r\n\r\n")
        XCTAssertEqual(
            try session.output(),
            "Response: Error\r\nActionID: unk-1\r\nMessage: Invalid/unknown command: FooBar. Use Action: ListCommands to show available commands.\r\n\r\n"
                + "Response: Error\r\nActionID: noaction-1\r\nMessage: Missing action in request\r\n\r\n")
        XCTAssertTrue(session.isOpen)
    }

    func testPipelinedActionsAreAnsweredInOrder() throws {
        let session = try Session(server: makeServer())
        _ = try session.output()
        var burst = "Action: Login\r\nUsername: crm\r\nSecret: s3cret\r\nEvents: off\r\nActionID: 0\r\n\r\n"
        for index in 1...20 { burst += index % 2 == 0 ? "Action: Ping\r\nActionID: \(index)\r\n\r\n" : "Action: Nope\r\nActionID: \(index)\r\n\r\n" }
        try session.send(burst)
        let ids = try session.output().split(separator: "\r\n").filter { $0.hasPrefix("ActionID: ") }.map { $0.dropFirst(10) }
        XCTAssertEqual(ids.map(String.init), (0...20).map(String.init))
    }

    func testMessageSplitAcrossReadsIsOneMessage() throws {
        let session = try Session(server: makeServer())
        try session.login(events: "off")
        for byte in "Action: Ping\r\nActionID: slow\r\n\r\n".utf8 {
            XCTAssertEqual(try session.output(), "")
            try session.send(String(decoding: [byte], as: UTF8.self))
        }
        XCTAssertTrue(try session.output().hasPrefix("Response: Success\r\nActionID: slow\r\nPing: Pong\r\n"))
    }

    // MARK: - Malformed input

    func testOverLongLineGetsAsterisksErrorAndTheSessionLivesOn() throws {
        let session = try Session(server: makeServer())
        try session.login(events: "off")
        let long = String(repeating: "x", count: AMILimits.maximumLineLength)
        try session.send("Action: Ping\r\nActionID: long-1\r\nX-Junk: \(long)\r\n\r\nAction: Ping\r\nActionID: after\r\n\r\n")
        let text = try session.output()
        XCTAssertTrue(
            text.hasPrefix(
                "Response: Error\r\nActionID: long-1\r\nMessage: Failed to parse message: line too long\r\n\r\nResponse: Success\r\nActionID: after\r\n"
            ),
            text)
        XCTAssertTrue(session.isOpen)
    }

    func testUnterminatedLongLineIsDiscardedAsItArrives() throws {
        let session = try Session(server: makeServer())
        try session.login(events: "off")
        try session.send("Action: Ping\r\nActionID: flood\r\nX: ")
        let chunk = String(repeating: "y", count: 64 * 1024)
        for _ in 0..<32 { try session.send(chunk) }  // 2 MB, twice the input buffer bound
        XCTAssertEqual(try session.output(), "")
        try session.send("\r\n\r\nAction: Ping\r\nActionID: after\r\n\r\n")
        let text = try session.output()
        XCTAssertTrue(
            text.hasPrefix(
                "Response: Error\r\nActionID: flood\r\nMessage: Failed to parse message: line too long\r\n\r\nResponse: Success\r\nActionID: after\r\n"
            ),
            text)
        XCTAssertTrue(session.isOpen)
    }

    func testTooManyLinesGetsAsterisksError() throws {
        let session = try Session(server: makeServer())
        try session.login(events: "off")
        var message = "Action: Ping\r\nActionID: many\r\n"
        for index in 0..<AMILimits.maximumHeaderCount { message += "X-\(index): v\r\n" }
        try session.send(message + "\r\nAction: Ping\r\nActionID: after\r\n\r\n")
        let text = try session.output()
        XCTAssertTrue(
            text.hasPrefix(
                "Response: Error\r\nActionID: many\r\nMessage: Too many lines in message or allocation failure\r\n\r\nResponse: Success\r\nActionID: after\r\n"
            ),
            text)
    }

    // MARK: - Events

    func testEventsOffAndOn() throws {
        // a06_events for the replies
        let server = makeServer()
        let session = try Session(server: server)
        try session.login(events: "off")
        server.bus.publish(userEvent("Hidden"), tenant: tenant)
        session.channel.embeddedEventLoop.run()
        XCTAssertEqual(try session.output(), "", "Events: off at login")

        try session.send("Action: Events\r\nEventMask: on\r\nActionID: ev-on\r\n\r\n")
        XCTAssertEqual(try session.output(), "Response: Success\r\nActionID: ev-on\r\nEvents: On\r\n\r\n")
        server.bus.publish(userEvent("Shown"), tenant: tenant)
        session.channel.embeddedEventLoop.run()
        XCTAssertEqual(try session.output(), "Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Shown\r\n\r\n")

        try session.send("Action: Events\r\nEventMask: call\r\nActionID: ev-call\r\n\r\n")
        XCTAssertEqual(try session.output(), "Response: Success\r\nActionID: ev-call\r\nEvents: On\r\n\r\n")
        server.bus.publish(userEvent("NotCall"), tenant: tenant)
        session.channel.embeddedEventLoop.run()
        XCTAssertEqual(try session.output(), "", "a user event is outside the call mask")

        try session.send("Action: Events\r\nEventMask: off\r\nActionID: ev-off\r\n\r\nAction: Events\r\nActionID: ev-nomask\r\n\r\n")
        XCTAssertEqual(
            try session.output(),
            "Response: Success\r\nActionID: ev-off\r\nEvents: Off\r\n\r\nResponse: Error\r\nActionID: ev-nomask\r\nMessage: Invalid event mask\r\n\r\n"
        )
    }

    func testEventsFollowTheResponseOfTheActionThatRaisedThem() throws {
        let server = makeServer()
        let session = try Session(server: server)
        try session.login(events: "user")
        try session.send("Action: UserEvent\r\nUserEvent: Mine\r\nActionID: ue\r\n\r\n")
        XCTAssertEqual(
            try session.output(),
            "Response: Success\r\nActionID: ue\r\nMessage: Event Sent\r\n\r\nEvent: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Mine\r\nActionID: ue\r\n\r\n"
        )
    }

    func testGatheredPingRepliesPrecedeTheEventsAndRepliesAfterThem() throws {
        // Ping replies are gathered per read burst: whatever a later action writes still comes after them.
        let session = try Session(server: makeServer())
        try session.login(events: "user")
        try session.send(
            "Action: Ping\r\nActionID: p1\r\n\r\nAction: UserEvent\r\nUserEvent: Mine\r\nActionID: ue\r\n\r\n"
                + "Action: Ping\r\nActionID: p2\r\n\r\nAction: Logoff\r\nActionID: bye\r\n\r\nAction: Ping\r\nActionID: p3\r\n\r\n")
        let lines = try session.output().split(separator: "\r\n").filter { $0.hasPrefix("ActionID: ") || $0.hasPrefix("Event: ") }
        XCTAssertEqual(
            lines, ["ActionID: p1", "ActionID: ue", "Event: UserEvent", "ActionID: ue", "ActionID: p2", "ActionID: bye"],
            "nothing after Logoff")
        XCTAssertFalse(session.isOpen)
    }

    func testAnEventOfAnotherTenantIsNeverWritten() throws {
        let server = makeServer()
        let mine = try Session(server: server)
        let theirs = try Session(server: server)
        try mine.login(events: "on")
        try theirs.login("other", secret: "0ther", events: "on")
        server.bus.publish(userEvent("ForB"), tenant: otherTenant)
        mine.channel.embeddedEventLoop.run()
        theirs.channel.embeddedEventLoop.run()
        XCTAssertEqual(try mine.output(), "")
        XCTAssertEqual(try theirs.output(), "Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: ForB\r\n\r\n")

        try theirs.send("Action: UserEvent\r\nUserEvent: FromB\r\n\r\n")
        mine.channel.embeddedEventLoop.run()
        XCTAssertEqual(try mine.output(), "", "nor one raised by another tenant's session")
    }

    func testWaitEventTimesOutOnTheLoopClock() throws {
        let session = try Session(server: makeServer())
        try session.login(events: "off")
        try session.send("Action: WaitEvent\r\nActionID: w\r\nTimeout: 2\r\n\r\n")
        XCTAssertEqual(try session.output(), "")
        session.advance(.seconds(2))
        XCTAssertEqual(
            try session.output(),
            "Response: Success\r\nActionID: w\r\nMessage: Waiting for Event completed.\r\n\r\nEvent: WaitEventComplete\r\nActionID: w\r\n\r\n")
    }

    // MARK: - Backpressure

    func testUnwritableSessionStopsReadingUntilItDrains() throws {
        let session = try Session(server: makeServer())
        try session.login(events: "off")
        session.channel.read()
        let before = session.reads.reads
        XCTAssertGreaterThan(before, 0)
        session.channel.isWritable = false
        session.channel.pipeline.fireChannelWritabilityChanged()
        session.channel.read()
        XCTAssertEqual(session.reads.reads, before, "no read while the client does not take its responses")
        session.channel.isWritable = true
        session.channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(session.reads.reads, before + 1, "the held read goes out once writable")
    }

    func testSlowReaderIsClosedAfterTheWriteTimeout() throws {
        let server = makeServer { $0.writeTimeout = .milliseconds(100) }
        let session = try Session(server: server)
        try session.login(events: "on")
        session.channel.isWritable = false
        session.channel.pipeline.fireChannelWritabilityChanged()
        server.bus.publish(userEvent("Stuck"), tenant: tenant)
        session.channel.embeddedEventLoop.run()
        XCTAssertEqual(try session.output(), "", "events wait while the socket is full")
        session.advance(.milliseconds(99))
        XCTAssertTrue(session.isOpen)
        session.advance(.milliseconds(1))
        XCTAssertFalse(session.isOpen, "a stalled event write past the write timeout closes the session")
    }

    func testReaderThatCatchesUpInTimeGetsItsEvents() throws {
        let server = makeServer { $0.writeTimeout = .milliseconds(100) }
        let session = try Session(server: server)
        try session.login(events: "on")
        session.channel.isWritable = false
        session.channel.pipeline.fireChannelWritabilityChanged()
        server.bus.publish(userEvent("Late"), tenant: tenant)
        session.channel.embeddedEventLoop.run()
        session.advance(.milliseconds(50))
        session.channel.isWritable = true
        session.channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(try session.output(), "Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Late\r\n\r\n")
        session.advance(.seconds(1))
        XCTAssertTrue(session.isOpen)
    }

    func testEventQueueOverflowClosesTheSession() throws {
        let server = makeServer { $0.eventQueueLimit = 3 }
        let session = try Session(server: server)
        try session.login(events: "on")
        session.channel.isWritable = false
        session.channel.pipeline.fireChannelWritabilityChanged()
        for index in 0..<4 { server.bus.publish(userEvent("E\(index)"), tenant: tenant) }
        session.channel.embeddedEventLoop.run()
        XCTAssertFalse(session.isOpen, "one event past the queue limit disconnects")
        XCTAssertEqual(server.bus.sessions(tenant: tenant).count, 0, "and unsubscribes it")
    }
}
