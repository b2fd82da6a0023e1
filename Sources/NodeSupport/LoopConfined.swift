import NIOCore

extension EventLoop {
    /// Schedules `body` with a loop-confined object: both stay on this event loop, so neither has
    /// to be Sendable. `object` is held weakly; nothing runs once it is gone.
    @discardableResult
    package func scheduleConfined<T: AnyObject>(in delay: TimeAmount, _ object: T, _ body: @escaping (T) -> Void) -> Scheduled<Void> {
        let bound = NIOLoopBound((WeakBox(object), body), eventLoop: self)
        return scheduleTask(in: delay) {
            let (box, body) = bound.value
            if let object = box.value { body(object) }
        }
    }
}

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
