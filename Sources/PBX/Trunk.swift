/// A SIP peer through which a tenant's external calls leave.
public struct Trunk: Sendable, Hashable {
    public enum Transport: String, Sendable, CaseIterable { case udp, tcp }

    public var name: String
    public var host: String
    public var port: Int
    public var transport: Transport
    public var username: String?
    /// RTP inactivity timeout in seconds for the calls through this trunk (0 = never reaped);
    /// nil = the node's `--rtp-timeout`.
    public var rtpTimeout: Int?

    /// The allowed `rtp_timeout` values: 0 (never) up to a day.
    public static let rtpTimeoutField = NumberField("rtp_timeout", 0...86_400)

    public init(name: String, host: String, port: Int, transport: Transport = .udp, username: String? = nil, rtpTimeout: Int? = nil) {
        self.name = name
        self.host = host
        self.port = port
        self.transport = transport
        self.username = username
        self.rtpTimeout = rtpTimeout
    }
}
