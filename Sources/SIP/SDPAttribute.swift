/// An SDP `a=` line: a flag (`a=sendrecv`) or `a=name:value` (RFC 4566 §5.13).
public struct SDPAttribute: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }

    init(line: Substring) {
        if let colon = line.utf8.firstIndex(of: UInt8(ascii: ":")) {
            self.init(String(line[..<colon]), String(line[line.utf8.index(after: colon)...]))
        } else {
            self.init(String(line))
        }
    }

    public var description: String { value.map { "\(name):\($0)" } ?? name }
}
