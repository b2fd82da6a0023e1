import NIOCore

extension SocketAddress {
    /// `HOST:PORT` of a bound listener, IPv6 hosts in brackets (logs and the ready line).
    package static func describe(_ address: SocketAddress?) -> String? {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
