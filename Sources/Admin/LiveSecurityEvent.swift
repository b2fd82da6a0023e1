import Foundation

/// One security event (an authentication outcome), as the dashboard lists it.
public struct LiveSecurityEvent: Sendable, Hashable, Codable {
    public var time: Date
    /// `AMI`, `SIP` or `HTTP`.
    public var service: String
    /// Asterisk's event name: `SuccessfulAuth`, `InvalidPassword`, `FailedACL`, `InvalidAccountID`, …
    public var kind: String
    public var account: String
    public var remoteAddress: String

    public init(time: Date, service: String, kind: String, account: String, remoteAddress: String) {
        self.time = time
        self.service = service
        self.kind = kind
        self.account = account
        self.remoteAddress = remoteAddress
    }
}
