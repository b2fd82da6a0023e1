/// A `Session-Expires` header value (RFC 4028 §4): the session interval in delta-seconds and who
/// refreshes (`refresher=uac|uas`, optional in requests).
public struct SessionExpires: Sendable, Hashable, CustomStringConvertible {
    public enum Refresher: String, Sendable, Hashable {
        case uac, uas
    }

    public var seconds: UInt32
    public var refresher: Refresher?

    public init(seconds: UInt32, refresher: Refresher? = nil) {
        self.seconds = seconds
        self.refresher = refresher
    }

    /// Parses `1800;refresher=uac`; nil when the delta-seconds are missing or not a number that
    /// fits 32 bits, or the refresher is neither `uac` nor `uas`.
    public init?(_ value: some StringProtocol) {
        let parts = value.split(separator: ";", omittingEmptySubsequences: false)
        guard let first = parts.first, let seconds = Self.deltaSeconds(first) else { return nil }
        self.seconds = seconds
        self.refresher = nil
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingSpaces.lowercased() == "refresher" else { continue }
            guard let refresher = Refresher(rawValue: pair[1].trimmingSpaces.lowercased()) else { return nil }
            self.refresher = refresher
        }
    }

    /// The delta-seconds of a `Session-Expires` or `Min-SE` value (its parameters ignored): 1 to
    /// 10 digits that fit a UInt32 (RFC 3261 §25.1 allows any length; longer ones are refused).
    public static func deltaSeconds(_ value: some StringProtocol) -> UInt32? {
        let head = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let digits = head.trimmingSpaces
        guard !digits.isEmpty, digits.utf8.count <= 10, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt32(digits)
    }

    public var description: String {
        refresher.map { "\(seconds);refresher=\($0.rawValue)" } ?? "\(seconds)"
    }
}

private extension StringProtocol {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
