import Foundation

/// A REST API token: it acts as the administrator who created it. Only its SHA-256 is stored.
public struct APITokenRecord: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var adminUserID: Int64
    /// Seconds since the epoch.
    public var createdAt: Double

    public init(id: Int64, name: String, adminUserID: Int64, createdAt: Double) {
        self.id = id
        self.name = name
        self.adminUserID = adminUserID
        self.createdAt = createdAt
    }
}
