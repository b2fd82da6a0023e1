import AMI
import Calls
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PBX

/// Fans events out to the logged-in sessions of one tenant. An event is encoded once and each
/// subscriber decides, by its read permissions and event mask, whether it takes it.
public final class AMIEventBus: Sendable {
    /// Each tenant's sessions, as an array replaced whole on (un)subscribe: delivering an event
    /// takes the array with one retain instead of building one per event.
    private let subscribers = NIOLockedValueBox<[UUID: [AMIEventSubscriber]]>([:])
    /// The latest security events of each tenant, newest last, for the admin panel.
    private let recentSecurity = NIOLockedValueBox<[UUID: [RecentSecurityEvent]]>([:])
    static let recentSecurityLimit = 100

    /// A security event as the admin panel lists it.
    public struct RecentSecurityEvent: Sendable {
        public var time: Double
        public var kind: String
        public var account: String
        public var remoteAddress: String
    }

    /// A logged-in session as the admin panel lists it.
    public struct SessionInfo: Sendable {
        public var username: String
        public var remoteAddress: String
        public var since: Double
    }
    private let logger: Logger
    /// `--node-id` in a cluster: every event published here carries `SystemName: <node>`, as Asterisk
    /// writes it when `systemname` is set.
    public let systemName: String?
    /// Where this node's events go besides its own sessions (the cluster bus), nil on a single node.
    private let relay: (any AMIEventRelay)?

    public init(logger: Logger, systemName: String? = nil, relay: (any AMIEventRelay)? = nil) {
        self.logger = logger
        self.systemName = systemName
        self.relay = relay
    }

    func subscribe(_ subscriber: AMIEventSubscriber) {
        subscribers.withLockedValue { all in
            guard all[subscriber.tenant]?.contains(where: { $0 === subscriber }) != true else { return }
            all[subscriber.tenant, default: []].append(subscriber)
        }
    }

    func unsubscribe(_ subscriber: AMIEventSubscriber) {
        subscribers.withLockedValue { all in
            all[subscriber.tenant]?.removeAll { $0 === subscriber }
            if all[subscriber.tenant]?.isEmpty == true { all[subscriber.tenant] = nil }
        }
    }

    /// Sends `event` to every session of `tenant` that may receive it (and to the other nodes).
    public func publish(_ event: AMIEvent, tenant: UUID) {
        guard systemName != nil || relay != nil else { return deliver(event, tenant: tenant) }
        var event = event
        if let systemName { event.fields.insert(("SystemName", systemName), at: 0) }
        relay?.relay(event, tenant: tenant)
        deliver(event, tenant: tenant)
    }

    /// Sends an event another node published (it names the node in `SystemName`) to this node's
    /// sessions of `tenant` that may receive it; it is not relayed again.
    public func deliverFromNode(_ event: AMIEvent, tenant: UUID) {
        deliver(event, tenant: tenant)
    }

    private func deliver(_ event: AMIEvent, tenant: UUID) {
        let targets = subscribers.withLockedValue { $0[tenant] ?? [] }
        // Encoded once, and only when a session takes it: sessions read a few classes (`Events: call`),
        // and the engine's `dialplan` events (Newexten, VarSet) were encoded for nobody.
        var encoded: ByteBuffer?
        for subscriber in targets where subscriber.takes(event.classes) {
            if encoded == nil { encoded = event.encoded() }
            subscriber.deliver(encoded!, classes: event.classes)
        }
    }

    /// Logs a security event and sends it to the tenant's sessions that read `security`.
    /// Events with no tenant (an unknown account, a request before login) only go to the log.
    public func publishSecurity(_ event: AMISecurityEvent, tenant: UUID?, now: Double) {
        logger.notice(
            "AMI security event",
            metadata: [
                "event": "\(event.kind.rawValue)", "account": "\(event.session.accountID)", "remote": "\(event.session.remoteAddress)",
            ])
        guard let tenant else { return }
        let recent = RecentSecurityEvent(
            time: now, kind: event.kind.rawValue, account: event.session.accountID,
            remoteAddress: event.session.remoteAddress)
        recentSecurity.withLockedValue { all in
            all[tenant, default: []].append(recent)
            if all[tenant]!.count > Self.recentSecurityLimit { all[tenant]!.removeFirst() }
        }
        publish(event.event(at: now), tenant: tenant)
    }

    public func recentSecurityEvents(tenant: UUID, limit: Int) -> [RecentSecurityEvent] {
        recentSecurity.withLockedValue { Array(($0[tenant] ?? []).suffix(limit).reversed()) }
    }

    public func sessions(tenant: UUID) -> [SessionInfo] {
        subscribers.withLockedValue { $0[tenant] ?? [] }
            .map { SessionInfo(username: $0.username, remoteAddress: $0.remoteAddress, since: $0.since) }
            .sorted { $0.since < $1.since }
    }

    /// Closes the sessions, of every tenant, that the directory would no longer admit; returns how many.
    @discardableResult
    func closeSessions(notAdmittedBy directory: AMIDirectory) -> Int {
        let targets = subscribers.withLockedValue { $0.values.flatMap { $0 } }
            .filter { subscriber in subscriber.entry.map { !directory.stillAdmits($0, from: subscriber.remoteAddress) } ?? false }
        for subscriber in targets {
            logger.notice(
                "AMI session ended: the user's settings no longer admit it",
                metadata: ["user": "\(subscriber.username)", "remote": "\(subscriber.remoteAddress)"])
            subscriber.close()
        }
        return targets.count
    }

    /// Closes the tenant's sessions (of one user when given); returns how many.
    @discardableResult
    public func closeSessions(tenant: UUID, username: String?) -> Int {
        let targets = subscribers.withLockedValue { $0[tenant] ?? [] }
            .filter { username == nil || $0.username.lowercased() == username!.lowercased() }
        for subscriber in targets { subscriber.close() }
        return targets.count
    }
}

/// Where a node's events go besides its own sessions: the cluster bus, which hands them to the other
/// nodes (`AMIEventBus.deliverFromNode` there). Called on the publishing thread: it must not block.
public protocol AMIEventRelay: Sendable {
    func relay(_ event: AMIEvent, tenant: UUID)
}

/// The call engine's events, as AMI events with their permission classes, to the event's tenant.
extension AMIEventBus: CallEventSink {
    package func publish(_ event: PBXEvent) {
        var classes = AMIPermissions.none
        for name in event.classes {
            if let permission = AMIPermissions.named(name) { classes.formUnion(permission) }
        }
        publish(AMIEvent(event.name, classes: classes, fields: event.fields), tenant: event.tenant)
    }
}
