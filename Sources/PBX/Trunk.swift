/// A SIP peer through which a tenant's external calls leave.
public struct Trunk: Sendable, Hashable {
    public enum Transport: String, Sendable, CaseIterable { case udp, tcp }

    public var name: String
    public var host: String
    public var port: Int
    public var transport: Transport
    public var username: String?

    public init(name: String, host: String, port: Int, transport: Transport = .udp, username: String? = nil) {
        self.name = name
        self.host = host
        self.port = port
        self.transport = transport
        self.username = username
    }
}
