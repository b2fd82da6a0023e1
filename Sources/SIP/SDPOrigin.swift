/// An SDP `o=` line: `username sess-id sess-version IN IP4 address` (RFC 4566 §5.2).
public struct SDPOrigin: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    public var sessionID: String
    /// Incremented each time the session description changes (RFC 3264 §8).
    public var sessionVersion: UInt64
    public var connection: SDPConnection

    public init(username: String = "-", sessionID: String, sessionVersion: UInt64, connection: SDPConnection) {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.connection = connection
    }

    init?(_ value: Substring) {
        let parts = SDPSession.fields(value)
        guard parts.count == 6, let version = UInt64(parts[2]) else { return nil }
        self.init(
            username: String(parts[0]), sessionID: String(parts[1]), sessionVersion: version,
            connection: SDPConnection(
                networkType: String(parts[3]), addressType: String(parts[4]),
                address: String(parts[5])))
    }

    public var description: String { "\(username) \(sessionID) \(sessionVersion) \(connection)" }
}
