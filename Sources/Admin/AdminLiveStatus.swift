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
    /// Calls in progress in `tenant`, oldest first (nil without a call engine).
    func liveCalls(tenant: UUID) async -> [LiveCall]?
    /// Hangs up every channel of `tenant`'s call `id`: their names, none when the tenant has no such
    /// call (nil without a call engine).
    func hangUpCall(id: String, tenant: UUID) async -> [String]?
    /// Places the KalliopePBX click-to-call Originate (`Local/<from>@c2c` to `<to>` in `from_c2c`) for
    /// `tenant`, as an AMI user of the tenant would, after the checks that can answer at once.
    func clickToCall(from: String, to: String, timeoutMilliseconds: Int, tenant: UUID) async -> ClickToCallResult
    /// Why the node is not healthy beside its store (a cluster node that lost its database), nil when it is.
    func healthProblem() async -> String?
    /// The tenant's registered contacts as its home node holds them: in a cluster asked from the home
    /// node when that is another one (the panel's and the API's view; `/metrics` stays per node).
    func homeRegistrations(tenant: UUID) async -> [LiveRegistration]
    /// Calls in progress in `tenant` on its home node (see `homeRegistrations`).
    func homeActiveCalls(tenant: UUID) async -> Int
    /// The tenant's capacity on its home node, with this node's AMI sessions (they are per node).
    func homeCapacity(tenant: UUID) async -> LiveTenantCapacity?
    /// This node's id in a cluster (`--node-id`), nil for a single node: AMI sessions are per node.
    var nodeID: String? { get }
}

extension AdminLiveStatus {
    public func healthProblem() async -> String? { nil }
    public func homeRegistrations(tenant: UUID) async -> [LiveRegistration] { await registrations(tenant: tenant) }
    public func homeActiveCalls(tenant: UUID) async -> Int { await activeCalls(tenant: tenant) }
    public func homeCapacity(tenant: UUID) async -> LiveTenantCapacity? { await capacity(tenant: tenant) }
    public var nodeID: String? { nil }
    public func activeCalls(tenant: UUID) async -> Int { 0 }
    public func capacity(tenant: UUID) async -> LiveTenantCapacity? { nil }
    public func serverMetrics() async -> [MetricFamily] { [] }
    public func liveCalls(tenant: UUID) async -> [LiveCall]? { nil }
    public func hangUpCall(id: String, tenant: UUID) async -> [String]? { nil }
    public func clickToCall(from: String, to: String, timeoutMilliseconds: Int, tenant: UUID) async -> ClickToCallResult {
        .failed("this node runs no call engine")
    }
}
