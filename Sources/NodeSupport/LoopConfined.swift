import NIOCore

/// A weak reference to a loop-confined object, for tasks handed to its loop (in a `NIOLoopBound`) that
/// must not keep it alive. Timers of such objects: `LoopTimerQueue.schedule(in:_:_:)`.
package final class WeakBox<T: AnyObject> {
    package weak var value: T?
    package init(_ value: T) { self.value = value }
}

extension SocketAddress {
    /// `HOST:PORT` of a bound listener, IPv6 hosts in brackets (logs and the ready line).
    package static func describe(_ address: SocketAddress?) -> String? {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
