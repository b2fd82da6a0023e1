/// Numbers starting with `prefix` leave through `trunk`, with the first `strip` digits removed.
public struct OutboundRoute: Sendable, Hashable {
    public var prefix: String
    public var trunk: String
    public var strip: Int

    public init(prefix: String, trunk: String, strip: Int = 0) {
        self.prefix = prefix
        self.trunk = trunk
        self.strip = strip
    }
}
