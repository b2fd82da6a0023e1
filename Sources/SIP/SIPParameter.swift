/// One `;name=value` parameter of a header field or URI.
public struct SIPParameter: Sendable, Hashable {
    /// The name as received; compared without regard to ASCII case.
    public var name: String
    /// The value, unquoted and unescaped; nil for a flag such as `;lr` or `;rport`.
    public var value: String?
    /// Whether the value was (and will be written as) a quoted string.
    public var isQuoted: Bool

    public init(name: String, value: String? = nil, isQuoted: Bool = false) {
        self.name = name
        self.value = value
        self.isQuoted = isQuoted
    }
}
