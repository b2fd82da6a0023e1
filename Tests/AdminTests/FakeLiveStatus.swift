import Admin
import Foundation

/// An in-memory `AdminLiveStatus` for tests: set what it reports, read what it was asked to close.
actor FakeLiveStatus: AdminLiveStatus {
    var sessions: [UUID: [LiveAMISession]] = [:]
    var registered: [UUID: [LiveRegistration]] = [:]
    var events: [UUID: [LiveSecurityEvent]] = [:]
    var closed: [(tenant: UUID, username: String?)] = []
    var capacities: [UUID: LiveTenantCapacity] = [:]
    var calls: [UUID: Int] = [:]
    /// Calls in progress by tenant (`liveCalls`, `hangUpCall`); what `clickToCall` answers and was asked.
    var liveCallList: [UUID: [LiveCall]] = [:]
    var clickToCallResult = ClickToCallResult.started(id: "1700000000.1")
    var placed: [(from: String, to: String, timeout: Int, tenant: UUID)] = []

    func setSessions(_ list: [LiveAMISession], tenant: UUID) { sessions[tenant] = list }
    func setRegistrations(_ list: [LiveRegistration], tenant: UUID) { registered[tenant] = list }
    func setEvents(_ list: [LiveSecurityEvent], tenant: UUID) { events[tenant] = list }
    func setCapacity(_ capacity: LiveTenantCapacity, tenant: UUID) { capacities[tenant] = capacity }
    func setActiveCalls(_ count: Int, tenant: UUID) { calls[tenant] = count }
    func setLiveCalls(_ list: [LiveCall], tenant: UUID) { liveCallList[tenant] = list }
    func setClickToCallResult(_ result: ClickToCallResult) { clickToCallResult = result }

    func amiSessions(tenant: UUID) async -> [LiveAMISession] { sessions[tenant] ?? [] }
    func registrations(tenant: UUID) async -> [LiveRegistration] { registered[tenant] ?? [] }
    func securityEvents(tenant: UUID, limit: Int) async -> [LiveSecurityEvent] { Array((events[tenant] ?? []).prefix(limit)) }
    func activeCalls(tenant: UUID) async -> Int { calls[tenant] ?? 0 }
    func capacity(tenant: UUID) async -> LiveTenantCapacity? { capacities[tenant] }
    func liveCalls(tenant: UUID) async -> [LiveCall]? { liveCallList[tenant] ?? [] }

    func hangUpCall(id: String, tenant: UUID) async -> [String]? {
        guard let call = liveCallList[tenant]?.first(where: { $0.id == id }) else { return [] }
        liveCallList[tenant]?.removeAll { $0.id == id }
        return call.channels.map(\.name)
    }

    func clickToCall(from: String, to: String, timeoutMilliseconds: Int, tenant: UUID) async -> ClickToCallResult {
        placed.append((from, to, timeoutMilliseconds, tenant))
        return clickToCallResult
    }

    @discardableResult
    func closeAMISessions(tenant: UUID, username: String?) async -> Int {
        closed.append((tenant, username))
        let before = sessions[tenant]?.count ?? 0
        sessions[tenant] = (sessions[tenant] ?? []).filter { username != nil && $0.username != username }
        return before - (sessions[tenant]?.count ?? 0)
    }
}
