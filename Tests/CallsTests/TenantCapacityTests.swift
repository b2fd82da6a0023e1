import Foundation
import NIOCore
import PBX
import SIPServer
import XCTest

@testable import Calls

/// Per-tenant capacity bookkeeping with a manual clock: admission with reservations, the engine's
/// counts, a tenant's own limits over the node's defaults, the originate token bucket.
final class TenantCapacityTests: XCTestCase {
    let acme = Tenant(uuid: UUID(), name: "acme", domain: "acme.test", limits: TenantLimits(channels: 6, originatesPerSecond: 2))
    let beta = Tenant(uuid: UUID(), name: "beta", domain: "beta.test")

    func capacity() -> TenantCapacity {
        let directory = SIPDirectory()
        directory.replace(tenants: [acme, beta], extensions: [])
        return TenantCapacity(directory: directory, defaults: .shares(ofRTPPortPairs: 5000))
    }

    func testDefaultsAreHalfTheNodesPoolsAndOwnLimitsOverrideThem() {
        let capacity = capacity()
        XCTAssertEqual(capacity.limits(of: beta.uuid).channels, TenantCapacityDefaults.defaultNodeChannels / 2)
        XCTAssertEqual(capacity.limits(of: beta.uuid).rtpPortPairs, 2500)
        XCTAssertEqual(capacity.limits(of: beta.uuid).amiSessions, TenantCapacityDefaults.defaultAMISessions)
        XCTAssertEqual(capacity.limits(of: beta.uuid).originatesPerSecond, 0)
        XCTAssertEqual(capacity.limits(of: acme.uuid).channels, 6)
        XCTAssertEqual(capacity.limits(of: acme.uuid).rtpPortPairs, 2500)
        XCTAssertEqual(TenantCapacityDefaults.shares(ofRTPPortPairs: 1).rtpPortPairs, 1, "never a zero limit")
    }

    func testTheNodesChannelCapCountsEveryTenantAndFollowsItsSetting() {
        XCTAssertEqual(capacity().nodeChannelLimit, TenantCapacityDefaults.defaultNodeChannels)
        let directory = SIPDirectory()
        directory.replace(tenants: [acme, beta], extensions: [])
        let capacity = TenantCapacity(directory: directory, defaults: .shares(ofRTPPortPairs: 5000), nodeChannelLimit: 4)
        for _ in 0..<3 { capacity.channelOpened(tenant: acme.uuid) }
        XCTAssertNil(capacity.nodeChannelLimitReached(adding: 1))
        capacity.channelOpened(tenant: beta.uuid)
        XCTAssertEqual(capacity.nodeChannelLimitReached(adding: 1), 4, "acme's 3 and beta's 1 fill the node")
        capacity.channelClosed(tenant: acme.uuid)
        XCTAssertNil(capacity.nodeChannelLimitReached(adding: 1))
        XCTAssertEqual(capacity.nodeChannelLimitReached(adding: 2), 4)
        XCTAssertEqual(TenantCapacityDefaults.shares(ofRTPPortPairs: 10, nodeChannels: 9).channels, 4)
    }

    func testAdmittedOriginatesReserveUntilTheirCallsOpenOrGiveBack() {
        let capacity = capacity()
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        XCTAssertNil(capacity.admitOriginate(tenant: acme.uuid, channels: 3, mediaLegs: 1, now: now))
        XCTAssertNil(capacity.admitOriginate(tenant: acme.uuid, channels: 3, mediaLegs: 1, now: now))
        // Two admitted, none started yet: the third is refused (6 channels reserved), at once.
        let refused = capacity.admitOriginate(tenant: acme.uuid, channels: 3, mediaLegs: 1, now: now + .seconds(2))
        XCTAssertEqual(refused, TenantCapacityRefusal(resource: .channels, limit: 6))
        XCTAssertEqual(refused?.description, "this tenant's limit of 6 concurrent channels is reached")
        // The engine runs one: its channels and media leg take their places from the reservation; still full.
        for _ in 0..<3 { capacity.channelOpened(tenant: acme.uuid, reserved: true) }
        capacity.mediaLegOpened(tenant: acme.uuid, reserved: true)
        XCTAssertNotNil(capacity.refusal(tenant: acme.uuid, channels: 1, mediaLegs: 0))
        // The other one fails before opening anything: its reservation goes back, room for one.
        capacity.releaseReservation(tenant: acme.uuid, channels: 3, mediaLegs: 1)
        XCTAssertNil(capacity.refusal(tenant: acme.uuid, channels: 3, mediaLegs: 1))
        XCTAssertNotNil(capacity.refusal(tenant: acme.uuid, channels: 4, mediaLegs: 0))
        // Its channels hang up: room again. Another tenant was never affected.
        for _ in 0..<3 { capacity.channelClosed(tenant: acme.uuid) }
        capacity.mediaLegClosed(tenant: acme.uuid)
        XCTAssertNil(capacity.refusal(tenant: acme.uuid, channels: 3, mediaLegs: 1))
        XCTAssertNil(capacity.admitOriginate(tenant: beta.uuid, channels: 3, mediaLegs: 1, now: now))
        let snapshot = capacity.snapshot(tenant: acme.uuid)
        XCTAssertEqual(snapshot.channels, 0)
        XCTAssertEqual(snapshot.rtpPortPairs, 0)
        XCTAssertEqual(snapshot.refusals["channels"], 3)
    }

    func testOriginateRateIsATokenBucketOfOneSecond() {
        let capacity = capacity()
        let start = NIODeadline.uptimeNanoseconds(5_000_000_000)
        let admit = { (at: NIODeadline) -> TenantCapacityRefusal? in
            let refusal = capacity.admitOriginate(tenant: self.acme.uuid, channels: 0, mediaLegs: 0, now: at)
            if refusal == nil { capacity.releaseReservation(tenant: self.acme.uuid, channels: 0, mediaLegs: 0) }
            return refusal
        }
        XCTAssertNil(admit(start))
        XCTAssertNil(admit(start))
        XCTAssertEqual(admit(start + .milliseconds(100)), TenantCapacityRefusal(resource: .originateRate, limit: 2))
        XCTAssertNil(admit(start + .milliseconds(600)), "half a second refills one of two tokens")
        XCTAssertNotNil(admit(start + .milliseconds(700)))
        XCTAssertNil(admit(start + .seconds(10)))
        XCTAssertNil(admit(start + .seconds(10)), "a long pause refills only one second's worth")
        XCTAssertNotNil(admit(start + .seconds(10)))
        // No rate limit by default.
        for _ in 0..<1000 { XCTAssertNil(capacity.admitOriginate(tenant: beta.uuid, channels: 0, mediaLegs: 0, now: start)) }
        XCTAssertEqual(capacity.snapshot(tenant: acme.uuid).refusals["originate_rate"], 3)
    }
}
