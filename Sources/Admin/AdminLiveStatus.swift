import Foundation

/// What the admin panel asks the running server about, live: connected AMI sessions,
/// registrations with reachability, recent security events, active calls; and the one action
/// it needs, closing an AMI user's sessions when the user or the tenant's AMI service is disabled.
///
/// The node (`centralino`) implements it over its AMI, SIP and call state; `StoreLiveStatus` is a fallback
/// that reads registrations from the store and knows no sessions.
public protocol AdminLiveStatus: Sendable {
    /// Authenticated AMI sessions of `tenant`, oldest first.
    func amiSessions(tenant: UUID) async -> [LiveAMISession]
    /// Registered contacts of `tenant`'s extensions.
    func registrations(tenant: UUID) async -> [LiveRegistration]
    /// The most recent security events about `tenant` (AMI and SIP authentication), newest first.
    func securityEvents(tenant: UUID, limit: Int) async -> [LiveSecurityEvent]
    /// Calls in progress in `tenant` (0 until the call engine exists).
    func activeCalls(tenant: UUID) async -> Int
    /// Node-wide values the server keeps (SIP send errors, RTP relay totals), served at `/metrics`.
    func serverMetrics() async -> [MetricFamily]
    /// Closes the live AMI sessions of `username` in `tenant`, or of every user of the tenant when
    /// `username` is nil. Returns how many sessions were closed.
    @discardableResult
    func closeAMISessions(tenant: UUID, username: String?) async -> Int
    /// What `tenant` holds against its capacity limits (nil without a call engine).
    func capacity(tenant: UUID) async -> LiveTenantCapacity?
}

extension AdminLiveStatus {
    public func activeCalls(tenant: UUID) async -> Int { 0 }
    public func capacity(tenant: UUID) async -> LiveTenantCapacity? { nil }
    public func serverMetrics() async -> [MetricFamily] { [] }
}
