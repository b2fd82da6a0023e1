import DequeModule
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A leg's two bound sockets and their handlers: what a closed leg parks in the engine's pool and
/// the next leg takes over instead of opening, binding, registering and closing sockets of its own
/// (socket, bind, epoll_ctl and close twice each, and NIO's channel set-up, per leg).
struct MediaLegSockets: Sendable {
    let ports: RTPPortPair
    let eventLoop: any EventLoop
    let rtp: any Channel
    let rtcp: any Channel
    let rtpHandler: NIOLoopBound<MediaLegHandler>
    let rtcpHandler: NIOLoopBound<MediaLegHandler>
    /// The sockets' descriptors (owned by the channels), read directly to empty them before reuse.
    let rtpDescriptor: CInt
    let rtcpDescriptor: CInt

    /// Hands both sockets to `leg` (nil: parked, everything received is dropped). On `eventLoop`.
    func attach(to leg: MediaLeg?) {
        rtpHandler.value.leg = leg
        rtcpHandler.value.leg = leg
    }

    /// Parks both sockets (on `eventLoop`, detached from their leg): each is connected to its own
    /// address, so the kernel refuses every datagram sent to them as it does for a closed port (an
    /// old far end that keeps sending costs the loop nothing), and what was queued is read and
    /// dropped. False when that fails: the sockets are closed then.
    func park(limit: Int) -> Bool {
        guard rtp.isActive, rtcp.isActive else { return false }
        return Self.connectToSelf(rtpDescriptor) && Self.connectToSelf(rtcpDescriptor) && drain(limit: limit)
    }

    /// Opens parked sockets to every sender again (on `eventLoop`), then reads and drops whatever
    /// waits in them: nothing that arrived before the next leg has them reaches it. False when the
    /// channels are closed or more than `limit` datagrams kept coming: they are closed, not reused.
    func unpark(limit: Int) -> Bool {
        guard rtp.isActive, rtcp.isActive, Self.disconnect(rtpDescriptor), Self.disconnect(rtcpDescriptor) else { return false }
        return drain(limit: limit)
    }

    private func drain(limit: Int) -> Bool {
        Self.drain(rtpDescriptor, limit: limit) && Self.drain(rtcpDescriptor, limit: limit)
    }

    private static func connectToSelf(_ descriptor: CInt) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                // An unspecified bound address (0.0.0.0, ::) connects to loopback.
                getsockname(descriptor, address, &length) == 0 && connect(descriptor, address, length) == 0
            }
        }
    }

    private static func disconnect(_ descriptor: CInt) -> Bool {
        var address = sockaddr()
        address.sa_family = sa_family_t(AF_UNSPEC)
        return connect(descriptor, &address, socklen_t(MemoryLayout<sockaddr>.size)) == 0
    }

    private static func drain(_ descriptor: CInt, limit: Int) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { scratch in
            for _ in 0..<limit {
                // A longer datagram is discarded whole: UDP drops what does not fit the buffer.
                if recv(descriptor, scratch.baseAddress, scratch.count, Int32(MSG_DONTWAIT)) < 0 {
                    return errno == EAGAIN || errno == EWOULDBLOCK
                }
            }
            return false
        }
    }

    /// Closes both channels; the future completes once both are closed.
    func close() -> EventLoopFuture<Void> {
        let closes = [rtp, rtcp].map { $0.close().recover { _ in } }
        return EventLoopFuture.andAllComplete(closes, on: eventLoop)
    }
}

/// The parked sockets of closed legs, oldest first, at most `limit` pairs. Pure bookkeeping
/// (the engine holds it under its lock): a parked pair stays counted as in use by the port
/// allocator, so the pool never lets two sockets share a port, and the engine takes from the
/// pool before it reports the range exhausted, so parking never makes a call fail.
///
/// Parked sockets refuse every datagram (`MediaLegSockets.park`). A pair is handed out again only
/// `minimumIdle` after it was parked (its old far end has long stopped sending) and only while at least `minimumChoice` such pairs wait, picked at random
/// among them, so ports stay as hard to predict as the allocator's (a stranger cannot tell the
/// next call's ports from the last one's); below that (a quiet node) legs bind fresh pairs and
/// the engine closes pairs parked longer than `maximumAge`. When the range is exhausted, any
/// parked pair is taken. Either way the engine empties a pair's receive buffers on its loop
/// before the next leg sees a packet.
struct MediaSocketPool: Sendable {
    let limit: Int
    /// Monotonic nanoseconds a pair stays parked before it is reused (unless the range is exhausted).
    let minimumIdle: UInt64
    /// How many pairs must have waited `minimumIdle` for one of them to be handed out.
    let minimumChoice: Int
    /// Among how many of the oldest waiting pairs the one handed out is picked.
    static let choiceWindow = 64
    /// Oldest first.
    private var parked: Deque<(sockets: MediaLegSockets, since: UInt64)> = []

    init(limit: Int, minimumIdle: UInt64, minimumChoice: Int = 16) {
        self.limit = max(0, limit)
        self.minimumIdle = minimumIdle
        self.minimumChoice = max(1, minimumChoice)
    }

    var count: Int { parked.count }

    /// Parks `sockets`; false (nothing parked) when the pool is full.
    mutating func park(_ sockets: MediaLegSockets, at now: UInt64) -> Bool {
        guard count < limit else { return false }
        // Kept in parking order even if the callers' clocks were read a little out of order.
        parked.append((sockets, max(now, parked.last?.since ?? 0)))
        return true
    }

    /// A random pair among the oldest `choiceWindow` that waited `minimumIdle` and live on `loop`
    /// (any loop when nil), if at least `minimumChoice` of them do; with `anyAge`, the oldest pair.
    mutating func take(on loop: (any EventLoop)?, at now: UInt64, anyAge: Bool = false) -> MediaLegSockets? {
        if anyAge { return parked.popFirst()?.sockets }
        var candidates: [Int] = []
        for (index, entry) in parked.enumerated() {
            guard candidates.count < Self.choiceWindow, now >= entry.since, now - entry.since >= minimumIdle else {
                break  // enough candidates, or younger from here on
            }
            if loop == nil || entry.sockets.eventLoop === loop! { candidates.append(index) }
        }
        guard candidates.count >= minimumChoice else { return nil }
        var random = SystemRandomNumberGenerator()
        return parked.remove(at: candidates.randomElement(using: &random)!).sockets
    }

    /// Takes the pairs parked at or before `time` (to close them).
    mutating func removeParked(before time: UInt64) -> [MediaLegSockets] {
        var old: [MediaLegSockets] = []
        while let first = parked.first, first.since <= time {
            parked.removeFirst()
            old.append(first.sockets)
        }
        return old
    }

    /// Takes every parked pair (at shutdown).
    mutating func removeAll() -> [MediaLegSockets] {
        let all = parked.map(\.sockets)
        parked = []
        return all
    }
}
