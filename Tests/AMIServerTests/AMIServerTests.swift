import AMI
import AMIServer
import Foundation
import Logging
import NIOCore
import NIOPosix
import PBX
import XCTest

/// The AMI listener in-process, on loopback, with limits shrunk so they can be observed quickly.
final class AMIServerTests: XCTestCase {
    let tenant = UUID()

    func startServer(_ adjust: (inout AMIServerConfiguration) -> Void) async throws -> (AMIServer, Int, Task<Void, any Error>) {
        var configuration = AMIServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.authFailureDelay = .milliseconds(10)
        adjust(&configuration)
        let logger = Logger(label: "test")
        let directory = AMIDirectory()
        directory.replace(
            with: [
                AMIAccount(
                    tenant: tenant, username: "crm", secret: "s3cret", permit: ["127.0.0.1/32"],
                    read: "all", write: "all")
            ], logger: logger)
        let server = try await AMIServer.bind(
            configuration: configuration, directory: directory, bus: AMIEventBus(logger: logger),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger, startTime: Date().timeIntervalSince1970)
        let task = Task { try await server.run() }
        return (server, server.localAddress?.port ?? 0, task)
    }

    func testUnauthenticatedConnectionsBeyondTheLimitGetNoBanner() async throws {
        let (_, port, task) = try await startServer { $0.authLimit = 3 }
        defer { task.cancel() }
        var admitted: [LoopbackClient] = []
        for _ in 0..<3 {
            let client = try LoopbackClient(port: port)
            XCTAssertEqual(client.read(until: "\r\n").text, "Asterisk Call Manager/9.0.0\r\n")
            admitted.append(client)
        }
        let refused = try LoopbackClient(port: port)
        let reply = refused.read()
        XCTAssertTrue(reply.closed)
        XCTAssertEqual(reply.text, "", "no banner past authlimit")

        // Logging in frees a slot.
        admitted[0].send("Action: Login\r\nUsername: crm\r\nSecret: s3cret\r\n\r\n")
        XCTAssertTrue(admitted[0].read(until: "Authentication accepted").text.contains("Authentication accepted"))
        let next = try LoopbackClient(port: port)
        XCTAssertEqual(next.read(until: "\r\n").text, "Asterisk Call Manager/9.0.0\r\n")
    }

    func testAuthTimeoutClosesSilently() async throws {
        let (_, port, task) = try await startServer { $0.authTimeout = .milliseconds(200) }
        defer { task.cancel() }
        let client = try LoopbackClient(port: port)
        let reply = client.read()
        XCTAssertTrue(reply.closed, "the server closes an idle unauthenticated session")
        XCTAssertEqual(reply.text, "Asterisk Call Manager/9.0.0\r\n", "and says nothing but the banner")
    }

    func testWaitEventReturnsWhenAnEventArrives() async throws {
        let (_, port, task) = try await startServer { _ in }
        defer { task.cancel() }
        let waiter = try LoopbackClient(port: port)
        waiter.send(
            "Action: Login\r\nUsername: crm\r\nSecret: s3cret\r\nEvents: user\r\n\r\nAction: WaitEvent\r\nActionID: w1\r\nTimeout: 30\r\n\r\n")
        _ = waiter.read(until: "Authentication accepted")
        let sender = try LoopbackClient(port: port)
        sender.send("Action: Login\r\nUsername: crm\r\nSecret: s3cret\r\nEvents: off\r\n\r\nAction: UserEvent\r\nUserEvent: Wake\r\n\r\n")
        let text = waiter.read(until: "Event: WaitEventComplete\r\nActionID: w1\r\n\r\n").text
        XCTAssertTrue(
            text.contains(
                "Response: Success\r\nActionID: w1\r\nMessage: Waiting for Event completed.\r\n\r\nEvent: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Wake\r\n"
            ), text)
    }

    func testWaitEventTimesOut() async throws {
        let (_, port, task) = try await startServer { _ in }
        defer { task.cancel() }
        let waiter = try LoopbackClient(port: port)
        waiter.send("Action: Login\r\nUsername: crm\r\nSecret: s3cret\r\nEvents: off\r\n\r\nAction: WaitEvent\r\nTimeout: 1\r\n\r\n")
        let text = waiter.read(until: "Event: WaitEventComplete\r\n\r\n").text
        XCTAssertTrue(text.hasSuffix("Response: Success\r\nMessage: Waiting for Event completed.\r\n\r\nEvent: WaitEventComplete\r\n\r\n"), text)
    }
}
