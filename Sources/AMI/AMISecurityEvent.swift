/// The security events AMI raises (class `security`, `main/security_events.c` field order).
///
/// Unlike Asterisk, ChallengeResponseFailed never carries the expected MD5 response.
public struct AMISecurityEvent: Sendable {
    public enum Kind: String, Sendable {
        case successfulAuth = "SuccessfulAuth"
        case invalidPassword = "InvalidPassword"
        case invalidAccountID = "InvalidAccountID"
        case failedACL = "FailedACL"
        case challengeResponseFailed = "ChallengeResponseFailed"
        case requestNotAllowed = "RequestNotAllowed"
        case requestBadFormat = "RequestBadFormat"
        /// A session refused for a session limit (Asterisk's `AST_SECURITY_EVENT_SESSION_LIMIT`).
        case sessionLimit = "SessionLimit"

        var severity: String { self == .successfulAuth ? "Informational" : "Error" }
        var eventVersion: String { self == .invalidPassword ? "2" : "1" }
    }

    /// Who and where: the parts every security event carries.
    public struct Session: Sendable {
        public var accountID: String
        public var sessionID: String
        public var localAddress: String
        public var remoteAddress: String
        /// When the session authenticated (seconds since the epoch), 0 before.
        public var sessionTime: Double

        public init(accountID: String, sessionID: String, localAddress: String, remoteAddress: String, sessionTime: Double) {
            self.accountID = accountID
            self.sessionID = sessionID
            self.localAddress = localAddress
            self.remoteAddress = remoteAddress
            self.sessionTime = sessionTime
        }
    }

    public var kind: Kind
    public var session: Session
    /// Event-specific fields (`Challenge`/`Response`, `RequestType`, …), in wire order.
    public var details: [(String, String)]

    public init(_ kind: Kind, session: Session, details: [(String, String)] = []) {
        self.kind = kind
        self.session = session
        self.details = details
    }

    /// The event as sent on the wire, stamped with `now` (seconds since the epoch).
    public func event(at now: Double) -> AMIEvent {
        var fields: [(String, String)] = [
            ("EventTV", AMITime.iso8601(now)),
            ("Severity", kind.severity),
            ("Service", "AMI"),
            ("EventVersion", kind.eventVersion),
        ]
        // In RequestBadFormat the account is optional, so Asterisk writes it after the required fields.
        let accountLast = kind == .requestBadFormat
        if !accountLast { fields.append(("AccountID", session.accountID)) }
        fields += [
            ("SessionID", session.sessionID),
            ("LocalAddress", session.localAddress),
            ("RemoteAddress", session.remoteAddress),
        ]
        if kind == .successfulAuth { fields.append(("UsingPassword", "0")) }
        fields += details
        if accountLast { fields.append(("AccountID", session.accountID)) }
        fields.append(("SessionTV", AMITime.iso8601(session.sessionTime)))
        return AMIEvent(kind.rawValue, classes: .security, fields: fields)
    }

    /// `IPV4/TCP/127.0.0.1/5038`, the address form of security events.
    public static func addressString(ip: String, port: Int) -> String {
        let family = IPAddress(ip)?.family == .v6 ? "IPV6" : "IPV4"
        return "\(family)/TCP/\(ip)/\(port)"
    }
}

/// Time formatting for AMI fields, from a time passed in (no clock is read here).
public enum AMITime {
    /// `%FT%T.%q%z` in UTC, e.g. `2026-11-27T04:49:56.220+0000`.
    public static func iso8601(_ secondsSinceEpoch: Double) -> String {
        let totalMilliseconds = Int64((secondsSinceEpoch * 1000).rounded(.down))
        let milliseconds = Int(totalMilliseconds % 1000)
        let (date, time) = civil(Int64(totalMilliseconds / 1000))
        return "\(date)T\(time).\(pad(milliseconds, 3))+0000"
    }

    /// `Timestamp: 1795755207.647570` (seconds and microseconds).
    public static func timestamp(_ secondsSinceEpoch: Double) -> String {
        let micros = Int64((secondsSinceEpoch * 1_000_000).rounded(.down))
        return "\(micros / 1_000_000).\(pad(Int(micros % 1_000_000), 6))"
    }

    /// (`YYYY-MM-DD`, `HH:MM:SS`) in UTC.
    public static func civil(_ seconds: Int64) -> (date: String, time: String) {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = Int(seconds - days * 86400)
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
        let date = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        let time = "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        return (date, time)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
