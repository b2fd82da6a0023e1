import NIOCore

/// Where and how to send one relayed packet.
struct RelayTarget {
    /// The socket of the receiving leg to send from (its RTP or RTCP socket).
    let channel: any Channel
    /// The far end of the receiving leg.
    let destination: SocketAddress
    /// The receiving leg, to return its cross-loop reservation.
    let leg: MediaLeg
    /// Whether `channel` lives on another event loop than the packet arrived on.
    let crossLoop: Bool
}

extension MediaLeg {
    /// A datagram arrived on this leg's `kind` socket (called on `eventLoop` by the handler).
    /// Returns where to relay it, or nil when it is dropped.
    func datagramArrived(
        _ kind: MediaStreamKind, _ datagram: ByteBuffer, from source: SocketAddress,
        at now: UInt64
    ) -> RelayTarget? {
        let (valid, isMedia, sequence) = Self.classify(kind, datagram)
        let peer: MediaLeg? = box.withLockedValue { box in
            switch box.machine.received(kind, valid: valid, sequence: sequence, from: source, bridged: box.peer != nil, at: now) {
            case .forward: return box.peer
            case .drop: return nil
            }
        }
        return peer?.prepareRelay(kind, isMedia: isMedia, arrivingOn: eventLoop)
    }

    /// The bridged leg has a packet for this leg's far end: decide where it goes.
    func prepareRelay(_ kind: MediaStreamKind, isMedia: Bool, arrivingOn loop: any EventLoop) -> RelayTarget? {
        let (target, stoppedTone): (RelayTarget?, Scheduled<Void>?) = box.withLockedValue { box in
            let socket: (any Channel)?
            switch kind {
            case .rtp: socket = box.rtpChannel
            case .rtcp: socket = box.rtcpChannel
            }
            guard let channel = socket else { return (nil, nil) }
            let crossLoop = channel.eventLoop !== loop
            switch box.machine.relayOut(kind, isMedia: isMedia, writable: channel.isWritable, crossLoop: crossLoop) {
            case .drop:
                return (nil, nil)
            case .send(let destination, let stopTone):
                let task = stopTone ? box.toneTask : nil
                if stopTone { box.toneTask = nil }
                return (RelayTarget(channel: channel, destination: destination, leg: self, crossLoop: crossLoop), task)
            }
        }
        stoppedTone?.cancel()
        return target
    }

    /// A cross-loop relay write was performed.
    func hopCompleted() {
        box.withLockedValue { $0.machine.hopCompleted() }
    }

    /// Whether a datagram is valid for its socket, whether it is media (RTP proper) rather than
    /// RTCP, and its RTP sequence number. On the RTP port, RTCP multiplexed per RFC 5761 is
    /// accepted and relayed too.
    static func classify(_ kind: MediaStreamKind, _ datagram: ByteBuffer) -> (valid: Bool, isMedia: Bool, sequence: UInt16?) {
        switch kind {
        case .rtp:
            if RTPHeader.looksLikeMultiplexedRTCP(datagram) {
                return (RTCPHeader(parsing: datagram) != nil, false, nil)
            }
            let header = RTPHeader(parsing: datagram)
            return (header != nil, true, header?.sequenceNumber)
        case .rtcp:
            return (RTCPHeader(parsing: datagram) != nil, false, nil)
        }
    }
}
