import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import Media

final class MediaLegLifecycleTests: XCTestCase {
    func testFiveThousandOpenCloseCyclesLeaveTheAllocatorEmpty() async throws {
        let engine = try MediaEngine(group: MultiThreadedEventLoopGroup.singleton, portRange: 23000...23199)
        var previous: MediaLeg?
        for cycle in 0..<5000 {
            let leg = try await engine.openLeg()
            XCTAssertEqual(leg.localRTPPort % 2, 0)
            XCTAssertTrue((23000...23198).contains(leg.localRTPPort))
            // Keep one other leg open at a time, bridged, to exercise unbridge-on-close too.
            if let previous {
                try engine.bridge(previous, leg)
                await previous.close()
            }
            previous = leg
            if cycle % 1000 == 0 { XCTAssertLessThanOrEqual(engine.portPairsInUse, 2) }
        }
        await previous?.close()
        XCTAssertEqual(engine.portPairsInUse, 0)
        XCTAssertEqual(engine.openLegCount, 0)
    }

    func testExhaustionIsAClearErrorAndClosingFreesAPair() async throws {
        let engine = try MediaEngine(group: MultiThreadedEventLoopGroup.singleton, portRange: 23400...23407)
        XCTAssertEqual(engine.portPairCapacity, 4)
        var legs: [MediaLeg] = []
        for _ in 0..<4 { legs.append(try await engine.openLeg()) }
        XCTAssertEqual(Set(legs.map(\.localRTPPort)).count, 4)
        do {
            _ = try await engine.openLeg()
            XCTFail("the range is exhausted")
        } catch let error as MediaError {
            XCTAssertEqual(error.code, .portRangeExhausted)
        }
        await legs[0].close()
        await legs[0].close()  // twice is harmless
        legs[0] = try await engine.openLeg()
        XCTAssertEqual(engine.portPairsInUse, 4)
        await engine.closeAllLegs()
        XCTAssertEqual(engine.portPairsInUse, 0)
        XCTAssertTrue(legs.allSatisfy(\.isClosed))
    }

    func testPortsTakenByOthersAreSkippedAndLeaveNoDescriptorOpen() async throws {
        // Something else holds 23500; the engine must move on to 23502 and put 23500 out of rotation.
        let squatter = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 23500).get()
        let engine = try MediaEngine(group: MultiThreadedEventLoopGroup.singleton, portRange: 23500...23503)
        let leg = try await engine.openLeg()
        XCTAssertEqual(leg.localRTPPort, 23502)
        XCTAssertEqual(engine.portPairsInUse, 1)
        do {
            _ = try await engine.openLeg()
            XCTFail("no pair can be bound")
        } catch let error as MediaError {
            XCTAssertEqual(error.code, .portRangeExhausted)
        }
        XCTAssertEqual(engine.portPairsInUse, 1)
        XCTAssertEqual(engine.quarantinedPortPairs, 1, "the pair that failed is out of rotation")
        XCTAssertEqual(engine.bindFailures, 1)
        await leg.close()
        try await squatter.close()
    }

    func testFailedBindsCloseTheirSockets() async throws {
        // Issue 10: a failed bind left its socket open. Squat on every RTCP port of a range so
        // every attempt binds RTP and fails on RTCP, hundreds of times.
        let (base, squatters) = try await squatOnEveryRTCPPort()
        let before = try openDescriptors()
        for _ in 0..<40 {
            let engine = try MediaEngine(group: MultiThreadedEventLoopGroup.singleton, portRange: base...(base + 31))
            do {
                _ = try await engine.openLeg()
                XCTFail("every pair has its RTCP port taken")
            } catch let error as MediaError {
                XCTAssertEqual(error.code, .bindFailed)
            }
            XCTAssertEqual(engine.bindFailures, UInt64(MediaEngine.maximumBindAttempts))
        }
        try await Task.sleep(nanoseconds: 100_000_000)  // closes complete on the loops
        let after = try openDescriptors()
        XCTAssertLessThanOrEqual(after, before + 2, "640 failed binds leaked \(after - before) descriptors")
        for squatter in squatters { try await squatter.close() }
    }

    /// Binds every odd port of a 32-port range, trying further ranges when another process holds one.
    private func squatOnEveryRTCPPort() async throws -> (base: Int, squatters: [any Channel]) {
        for base in stride(from: 23600, to: 27600, by: 64) {
            var squatters: [any Channel] = []
            do {
                for port in stride(from: base + 1, through: base + 31, by: 2) {
                    squatters.append(
                        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                            .bind(host: "127.0.0.1", port: port).get())
                }
                return (base, squatters)
            } catch {
                for squatter in squatters { try? await squatter.close() }
            }
        }
        throw MediaError(.bindFailed, "no free 32-port range between 23600 and 27600")
    }

    private func openDescriptors() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
    }
}
