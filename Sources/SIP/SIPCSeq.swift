/// The CSeq header: a sequence number and the request method (RFC 3261 §20.16).
public struct SIPCSeq: Sendable, Hashable, CustomStringConvertible {
    public var number: UInt32
    public var method: SIPMethod

    public init(number: UInt32, method: SIPMethod) {
        self.number = number
        self.method = method
    }

    /// Parses `1*DIGIT LWS Method`; nil when malformed or the number is 2**31 or more.
    public init?(_ text: String) {
        var scanner = SIPScanner(text)
        scanner.skipWhitespace()
        let digits = scanner.read(while: SIPSyntax.isDigit)
        let beforeSpace = scanner.index
        scanner.skipWhitespace()
        guard scanner.index != beforeSpace,
            let number = SIPSyntax.parseDecimal(digits, maximum: UInt64(SIPLimits.maximumCSeq)),
            let method = scanner.readToken()
        else { return nil }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { return nil }
        self.init(number: UInt32(number), method: SIPMethod(String(method)))
    }

    public var description: String { "\(number) \(method)" }
}
