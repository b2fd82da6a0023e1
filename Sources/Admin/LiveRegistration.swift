import Foundation

/// One registered contact of an extension, as the dashboard lists it.
public struct LiveRegistration: Sendable, Hashable, Codable {
    public var number: String
    public var contact: String
    /// `ip:port` the REGISTER came from.
    public var source: String
    public var transport: String
    public var userAgent: String?
    public var expiresAt: Date
    /// True when the last OPTIONS was answered, false when it was not, nil when not known yet.
    public var reachable: Bool?

    public init(number: String, contact: String, source: String, transport: String, userAgent: String?, expiresAt: Date, reachable: Bool?) {
        self.number = number
        self.contact = contact
        self.source = source
        self.transport = transport
        self.userAgent = userAgent
        self.expiresAt = expiresAt
        self.reachable = reachable
    }
}
