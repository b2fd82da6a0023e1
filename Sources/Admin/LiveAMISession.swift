import Foundation

/// One authenticated AMI session, as the dashboard lists it.
public struct LiveAMISession: Sendable, Hashable, Codable {
    public var username: String
    /// The client's address (`ip:port`).
    public var address: String
    /// When the login succeeded.
    public var since: Date

    public init(username: String, address: String, since: Date) {
        self.username = username
        self.address = address
        self.since = since
    }
}
