import Foundation
import Store

/// An `AdminLiveStatus` that knows only what the store holds: registrations (written by the
/// registrar), no AMI sessions and no security events. For tools and tests without a server.
public struct StoreLiveStatus: AdminLiveStatus {
    let store: CentralinoStore

    public init(store: CentralinoStore) {
        self.store = store
    }

    public func amiSessions(tenant: UUID) async -> [LiveAMISession] { [] }

    public func registrations(tenant: UUID) async -> [LiveRegistration] {
        let now = Date().timeIntervalSince1970
        let records = (try? await store.registrations(of: tenant)) ?? []
        return records.filter { $0.expiresAt > now }
            .sorted { ($0.number, $0.contact) < ($1.number, $1.contact) }
            .map {
                LiveRegistration(
                    number: $0.number, contact: $0.contact, source: $0.source, transport: $0.transport,
                    userAgent: $0.userAgent, expiresAt: Date(timeIntervalSince1970: $0.expiresAt), reachable: nil)
            }
    }

    public func securityEvents(tenant: UUID, limit: Int) async -> [LiveSecurityEvent] { [] }

    public func closeAMISessions(tenant: UUID, username: String?) async -> Int { 0 }
}
