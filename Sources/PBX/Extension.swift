/// A phone number inside a tenant that a SIP phone registers as (`number@domain`).
public struct Extension: Sendable, Hashable {
    public var number: String
    public var name: String?

    public init(number: String, name: String? = nil) {
        self.number = number
        self.name = name
    }
}
