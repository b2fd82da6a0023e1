import Foundation
import NIOConcurrencyHelpers
import NIOCore
import PBX
import SIPServer

/// Per-tenant capacity: what each tenant holds of the node's shared pools (channels, RTP port
/// pairs, AMI sessions) and how fast it may originate, against its limits (its own, or the
/// node's defaults). Node-wide pools (the node's channel cap `nodeChannelLimit`, the RTP port range)
/// stay as they are; these limits keep one tenant from taking all of them.
///
/// Thread-safe: the call engine counts channels and media legs on its loop; AMI sessions check
/// Originate admission and their session limit from their own loops; the admin panel reads it.
public final class TenantCapacity: Sendable {
    /// Where a tenant's own limits are looked up (they change when the store does).
    let directory: SIPDirectory
    private let state: NIOLockedValueBox<State>

    private struct State {
        var defaults: TenantCapacityDefaults
        var usage: [UUID: Usage] = [:]
        /// Channels of every tenant (the node's cap, `nodeChannelLimit`, counts them on every shard).
        var nodeChannels = 0
    }

    private struct Usage {
        var channels = 0
        var mediaLegs = 0
        /// What admitted Originates will open once the engine runs them (AMI admits on its own
        /// loops, the engine opens later): counted so a burst of Originates cannot pass together.
        var pendingChannels = 0
        var pendingMediaLegs = 0
        /// Originate token bucket: tokens left and when they were last topped up.
        var tokens = 0.0
        var refilledAt: NIODeadline?
        var refusals: [TenantCapacityRefusal.Resource: Int] = [:]
    }

    /// The node's channel cap over every tenant and shard (`--max-channels`).
    public let nodeChannelLimit: Int

    public init(
        directory: SIPDirectory, defaults: TenantCapacityDefaults, nodeChannelLimit: Int = TenantCapacityDefaults.defaultNodeChannels
    ) {
        self.directory = directory
        self.nodeChannelLimit = nodeChannelLimit
        self.state = NIOLockedValueBox(State(defaults: defaults))
    }

    /// The node's defaults (from `serve`'s `--tenant-*` flags).
    public var defaults: TenantCapacityDefaults {
        get { state.withLockedValue { $0.defaults } }
        set { state.withLockedValue { $0.defaults = newValue } }
    }

    /// The node's channel cap when `channels` more channels would pass it, nil when they fit.
    func nodeChannelLimitReached(adding channels: Int) -> Int? {
        state.withLockedValue { $0.nodeChannels + channels > nodeChannelLimit ? nodeChannelLimit : nil }
    }

    /// The tenant's effective limits: its own where set, the node's defaults elsewhere.
    public func limits(of tenant: UUID) -> TenantCapacityLimits {
        let own = directory.tenant(uuid: tenant)?.limits ?? TenantLimits()
        return state.withLockedValue { TenantCapacityLimits(defaults: $0.defaults, own: own) }
    }

    // MARK: - Counting (the call engine, on its loop)

    /// A channel opened; `reserved`: it is one an admitted Originate reserved, so it moves from the
    /// reservation to the count.
    func channelOpened(tenant: UUID, reserved: Bool = false) {
        state.withLockedValue {
            $0.usage[tenant, default: Usage()].channels += 1
            if reserved { $0.usage[tenant, default: Usage()].pendingChannels -= 1 }
            $0.nodeChannels += 1
        }
    }
    func channelClosed(tenant: UUID) {
        state.withLockedValue {
            $0.usage[tenant, default: Usage()].channels -= 1
            $0.nodeChannels -= 1
        }
    }
    /// Live channels in the node, on every engine shard.
    var nodeChannels: Int { state.withLockedValue { $0.nodeChannels } }
    /// A media leg opened; `reserved` as for `channelOpened`.
    func mediaLegOpened(tenant: UUID, reserved: Bool = false) {
        state.withLockedValue {
            $0.usage[tenant, default: Usage()].mediaLegs += 1
            if reserved { $0.usage[tenant, default: Usage()].pendingMediaLegs -= 1 }
        }
    }
    func mediaLegClosed(tenant: UUID) { state.withLockedValue { $0.usage[tenant, default: Usage()].mediaLegs -= 1 } }

    // MARK: - Admission

    /// Whether the tenant may add `channels` channels and `mediaLegs` RTP port pairs now; the
    /// refusal is counted (for `/metrics`).
    func refusal(tenant: UUID, channels: Int, mediaLegs: Int) -> TenantCapacityRefusal? {
        let limits = limits(of: tenant)
        return state.withLockedValue { state in
            let usage = state.usage[tenant, default: Usage()]
            guard let refusal = Self.room(usage, limits: limits, channels: channels, mediaLegs: mediaLegs) else { return nil }
            state.usage[tenant, default: Usage()].refusals[refusal.resource, default: 0] += 1
            return refusal
        }
    }

    /// An Originate's admission, before it is queued: room for what it will open, then one token of
    /// the tenant's originate rate. A refusal is counted and says why, for the AMI `Message:`.
    /// Admitted, what it will open stays reserved until it opens (`channelOpened`/`mediaLegOpened` with
    /// `reserved`) or the engine gives the rest back (`releaseReservation`).
    public func admitOriginate(tenant: UUID, channels: Int, mediaLegs: Int, now: NIODeadline = .now()) -> TenantCapacityRefusal? {
        let limits = limits(of: tenant)
        return state.withLockedValue { state in
            var usage = state.usage[tenant, default: Usage()]
            defer { state.usage[tenant] = usage }
            if let refusal = Self.room(usage, limits: limits, channels: channels, mediaLegs: mediaLegs) {
                usage.refusals[refusal.resource, default: 0] += 1
                return refusal
            }
            let rate = limits.originatesPerSecond
            guard rate > 0 else {
                usage.pendingChannels += channels
                usage.pendingMediaLegs += mediaLegs
                return nil
            }
            // A bucket of one second's worth of originates (full at first), topped up continuously.
            if let refilledAt = usage.refilledAt {
                let elapsed = max(0, Double((now - refilledAt).nanoseconds) / 1e9)
                usage.tokens = min(Double(rate), usage.tokens + elapsed * Double(rate))
            } else {
                usage.tokens = Double(rate)
            }
            usage.refilledAt = now
            guard usage.tokens >= 1 else {
                usage.refusals[.originateRate, default: 0] += 1
                return TenantCapacityRefusal(resource: .originateRate, limit: rate)
            }
            usage.tokens -= 1
            usage.pendingChannels += channels
            usage.pendingMediaLegs += mediaLegs
            return nil
        }
    }

    /// What an admitted Originate reserved and did not open goes back (it answered, failed or ended).
    func releaseReservation(tenant: UUID, channels: Int, mediaLegs: Int) {
        state.withLockedValue { state in
            state.usage[tenant, default: Usage()].pendingChannels -= channels
            state.usage[tenant, default: Usage()].pendingMediaLegs -= mediaLegs
        }
    }

    /// What admitted Originates of `tenant` hold reserved and have not opened yet.
    func reserved(tenant: UUID) -> (channels: Int, mediaLegs: Int) {
        state.withLockedValue { state in
            let usage = state.usage[tenant, default: Usage()]
            return (usage.pendingChannels, usage.pendingMediaLegs)
        }
    }

    /// The tenant's AMI session limit.
    public func amiSessionLimit(tenant: UUID) -> Int {
        limits(of: tenant).amiSessions
    }

    /// Counts an AMI login refused for the tenant's session limit.
    public func recordAMISessionRefusal(tenant: UUID) {
        state.withLockedValue { $0.usage[tenant, default: Usage()].refusals[.amiSessions, default: 0] += 1 }
    }

    private static func room(_ usage: Usage, limits: TenantCapacityLimits, channels: Int, mediaLegs: Int) -> TenantCapacityRefusal? {
        if channels > 0, usage.channels + usage.pendingChannels + channels > limits.channels {
            return TenantCapacityRefusal(resource: .channels, limit: limits.channels)
        }
        if mediaLegs > 0, usage.mediaLegs + usage.pendingMediaLegs + mediaLegs > limits.rtpPortPairs {
            return TenantCapacityRefusal(resource: .rtpPortPairs, limit: limits.rtpPortPairs)
        }
        return nil
    }

    // MARK: - Reading (metrics, panel)

    /// What the tenant holds now, its limits, and how often each limit refused it since start.
    public func snapshot(tenant: UUID) -> TenantCapacitySnapshot {
        let limits = limits(of: tenant)
        return state.withLockedValue { state in
            let usage = state.usage[tenant, default: Usage()]
            return TenantCapacitySnapshot(
                limits: limits, channels: usage.channels, rtpPortPairs: usage.mediaLegs,
                refusals: Dictionary(uniqueKeysWithValues: usage.refusals.map { ($0.key.rawValue, $0.value) }))
        }
    }
}
