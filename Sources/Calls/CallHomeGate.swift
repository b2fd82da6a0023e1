import Foundation
import NIOConcurrencyHelpers

/// Where a tenant's calls run in a cluster (`--node-id`, docs/cluster.md): every call of a tenant runs
/// on its home node, so a node refuses the new calls of a tenant homed on another node (an INVITE
/// gets 503 with Retry-After, an AMI Originate an error naming the home node). Without a cluster
/// nothing is installed and every tenant's calls run here.
public final class CallHomeGate: Sendable {
    private let lookup = NIOLockedValueBox<(@Sendable (UUID) -> String?)?>(nil)

    public init() {}

    /// `homeElsewhere(tenant)` returns the tenant's home node when it is not this one, else nil.
    public func install(_ homeElsewhere: @escaping @Sendable (UUID) -> String?) {
        lookup.withLockedValue { $0 = homeElsewhere }
    }

    /// The node the tenant's calls run on when that is not this node; nil when they run here.
    public func homeElsewhere(_ tenant: UUID) -> String? {
        lookup.withLockedValue { $0 }?(tenant)
    }

    /// What the home node answered to a forwarded action.
    public enum ForwardedReply: Sendable {
        /// The response's fields and the events of a list-style response (each `Event` first).
        case answered(fields: [(String, String)], events: [[(String, String)]])
        /// No reply within `--cluster-forward-timeout-seconds`.
        case timedOut
        /// The home node could not be reached or answered nothing valid.
        case unanswered
    }

    /// Sends an action of `username` of `tenant` (its headers) to the tenant's home node `home`
    /// (`api`: a REST request, no AMI user); `completion` gets what the home node answered.
    public typealias Forwarder =
        @Sendable (
            _ home: String, _ tenant: UUID, _ username: String, _ headers: [(String, String)], _ api: Bool,
            _ completion: @escaping @Sendable (ForwardedReply) -> Void
        ) -> Void

    private let forwarder = NIOLockedValueBox<Forwarder?>(nil)

    /// With `--cluster-bind`: actions of tenants homed elsewhere are forwarded instead of refused.
    public func installForwarder(_ forward: @escaping Forwarder) {
        forwarder.withLockedValue { $0 = forward }
    }

    /// Forwards an action to the tenant's home node; false (and `completion` never called) when this
    /// node forwards nothing.
    public func forward(
        home: String, tenant: UUID, username: String, headers: [(String, String)], api: Bool = false,
        completion: @escaping @Sendable (ForwardedReply) -> Void
    ) -> Bool {
        guard let forward = forwarder.withLockedValue({ $0 }) else { return false }
        forward(home, tenant, username, headers, api, completion)
        return true
    }

    /// Forwards a REST request of `tenant` to its home node and waits for the answer; nil when this
    /// node forwards nothing.
    public func forwardAPI(home: String, tenant: UUID, headers: [(String, String)]) async -> ForwardedReply? {
        guard let forward = forwarder.withLockedValue({ $0 }) else { return nil }
        return await withCheckedContinuation { continuation in
            forward(home, tenant, "", headers, true) { continuation.resume(returning: $0) }
        }
    }

    /// Seconds a phone is asked to wait before trying again (the edge routes it to the home node meanwhile).
    public static let retryAfterSeconds = 5
}
