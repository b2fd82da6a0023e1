import Foundation

/// An AMI user as the server needs it to authenticate a Login: it belongs to exactly one tenant.
///
/// The secret is held in clear only in memory, because the MD5 challenge needs it.
public struct AMIAccount: Sendable, Hashable {
    public var tenant: UUID
    public var username: String
    public var secret: String
    /// Permitted networks, as written (`10.0.0.0/8`, `::1/128`).
    public var permit: [String]
    /// Read and write permission classes, as written (`call`, `call,originate`).
    public var read: String
    public var write: String
    public var enabled: Bool
    /// Event filters applied to every session at login, as manager.conf's `eventfilter` lines
    /// (`AMIEventFilter(configured:)`).
    public var eventFilter: [String]

    public init(
        tenant: UUID, username: String, secret: String, permit: [String], read: String = "call", write: String = "call,originate",
        enabled: Bool = true, eventFilter: [String] = []
    ) {
        self.tenant = tenant
        self.username = username
        self.secret = secret
        self.permit = permit
        self.read = read
        self.write = write
        self.enabled = enabled
        self.eventFilter = eventFilter
    }
}
