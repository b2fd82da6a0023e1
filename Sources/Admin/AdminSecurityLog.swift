import Foundation
import NIOConcurrencyHelpers

/// The panel's own security events (HTTP logins), kept in a bounded ring per tenant so the
/// dashboard can list them beside the server's AMI and SIP events.
final class AdminSecurityLog: Sendable {
    static let capacity = 200

    private let events = NIOLockedValueBox<[UUID?: [LiveSecurityEvent]]>([:])

    /// Records an event about `tenant` (nil: the system administrator or an unknown login).
    func record(_ event: LiveSecurityEvent, tenant: UUID?) {
        events.withLockedValue { events in
            var list = events[tenant, default: []]
            list.append(event)
            if list.count > Self.capacity { list.removeFirst(list.count - Self.capacity) }
            events[tenant] = list
        }
    }

    /// Newest first.
    func recent(tenant: UUID?, limit: Int) -> [LiveSecurityEvent] {
        events.withLockedValue { Array(($0[tenant] ?? []).reversed().prefix(limit)) }
    }
}
