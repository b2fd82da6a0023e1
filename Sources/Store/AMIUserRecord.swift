import Foundation

/// An AMI user as the admin panel shows it: everything but the secret.
public struct AMIUserRecord: Sendable, Hashable {
    public var username: String
    /// Permitted networks, as written (`10.0.0.0/8`, `::1`).
    public var permit: [String]
    public var read: String
    public var write: String
    public var enabled: Bool
    /// Event filters applied at login, manager.conf `eventfilter` lines (`AMIEventFilter(configured:)`).
    public var eventFilter: [String]

    public init(username: String, permit: [String], read: String, write: String, enabled: Bool, eventFilter: [String] = []) {
        self.username = username
        self.permit = permit
        self.read = read
        self.write = write
        self.enabled = enabled
        self.eventFilter = eventFilter
    }

    /// The classes the panel gives every AMI user it creates, as KalliopePBX does.
    public static let panelRead = "call"
    public static let panelWrite = "call,originate"
}
