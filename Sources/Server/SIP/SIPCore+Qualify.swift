import Foundation
import NIOCore
import SIP

/// Qualify: every registered contact gets an OPTIONS about every `qualifyInterval` and is marked
/// reachable when any final response comes back, unreachable when none does within Timer F.
struct QualifyState {
    struct Pending {
        var aor: String
        var bindingKey: String
        var destination: SIPEndpoint
        var bytes: ByteBuffer
        var firstSent: NIODeadline
        var nextRetransmit: NIODeadline
        var interval: TimeAmount
    }

    var pending: [String: Pending] = [:]
    /// Reachability by `aor|binding`; absent means not qualified yet.
    var reachable: [String: Bool] = [:]
    var nextRound: NIODeadline?
}

extension SIPCore {
    static let t1: TimeAmount = .milliseconds(500)
    static let t2: TimeAmount = .seconds(4)
    static let timerF: TimeAmount = .seconds(32)

    /// Periodic work: qualify rounds, OPTIONS retransmissions and timeouts, cache expiry.
    func tick(now: NIODeadline) -> [SIPOutbound] {
        state.withLockedValue { state in
            var out: [SIPOutbound] = []
            state.responses = state.responses.filter { $0.value.expires > now }
            if state.qualify.nextRound.map({ now >= $0 }) ?? true {
                state.qualify.nextRound = now + configuration.qualifyInterval
                for (aorKey, aor) in state.aors {
                    for binding in aor.bindings where !state.qualify.pending.values.contains(where: { $0.aor == aorKey && $0.bindingKey == binding.key }) {
                        guard let destination = Self.endpoint(binding) else { continue }
                        let (callID, bytes) = optionsRequest(to: binding, destination: destination)
                        state.qualify.pending[callID] = QualifyState.Pending(
                            aor: aorKey, bindingKey: binding.key, destination: destination, bytes: bytes,
                            firstSent: now, nextRetransmit: now + Self.t1, interval: Self.t1)
                        out.append(SIPOutbound(destination: destination, bytes: bytes))
                    }
                }
            }
            for (callID, var pending) in state.qualify.pending {
                if now - pending.firstSent >= Self.timerF {
                    state.qualify.pending[callID] = nil
                    setReachable(false, aor: pending.aor, binding: pending.bindingKey, state: &state)
                } else if pending.destination.transport == .udp, now >= pending.nextRetransmit {
                    pending.interval = min(pending.interval * 2, Self.t2)
                    pending.nextRetransmit = now + pending.interval
                    state.qualify.pending[callID] = pending
                    out.append(SIPOutbound(destination: pending.destination, bytes: pending.bytes))
                }
            }
            return out
        }
    }

    /// Handles a response to a qualify OPTIONS; false when it belongs to something else (a call).
    func receiveResponse(_ response: SIPResponse, now: NIODeadline) -> Bool {
        guard let callID = response.headers.callID else { return true }
        return state.withLockedValue { state in
            guard let pending = state.qualify.pending[callID] else { return false }
            if response.statusCode >= 200 {
                state.qualify.pending[callID] = nil
                setReachable(true, aor: pending.aor, binding: pending.bindingKey, state: &state)
            }
            return true
        }
    }

    /// The tenant's live bindings with their reachability, for the admin panel.
    func registrations(tenant: UUID) -> [SIPServer.RegistrationInfo] {
        let now = SIPClock.wallSeconds()
        return state.withLockedValue { state in
            state.aors.filter { $0.value.tenant == tenant }.sorted { $0.value.number < $1.value.number }.flatMap { key, aor in
                aor.bindings.filter { $0.expiresAt > now }.map { binding in
                    SIPServer.RegistrationInfo(number: aor.number, contact: binding.contact.uri.description, source: binding.source,
                                               transport: binding.transport, userAgent: binding.userAgent,
                                               expiresAt: Double(binding.expiresAt), reachable: state.qualify.reachable["\(key)|\(binding.key)"])
                }
            }
        }
    }

    private func setReachable(_ reachable: Bool, aor: String, binding: String, state: inout State) {
        let key = "\(aor)|\(binding)"
        if state.qualify.reachable[key] != reachable {
            logger.info("SIP contact \(reachable ? "reachable" : "unreachable")", metadata: ["contact": "\(binding)"])
        }
        state.qualify.reachable[key] = reachable
    }

    private func optionsRequest(to binding: RegistrarBinding, destination: SIPEndpoint) -> (String, ByteBuffer) {
        let local = localAddress(destination)
        let callID = "\(Self.newTag())\(Self.newTag())@centralino"
        var headers = SIPHeaders()
        headers.add(.via, "SIP/2.0/\(destination.transport.rawValue.uppercased()) \(local);branch=\(SIPVia.magicCookie)\(Self.newTag());rport")
        headers.add(.maxForwards, "70")
        headers.add(.from, "<sip:centralino@\(local)>;tag=\(Self.newTag())")
        headers.add(.to, "<\(binding.contact.uri)>")
        headers.add(.callID, callID)
        headers.add(.cseq, "1 OPTIONS")
        headers.add(.userAgent, Self.serverName)
        return (callID, SIPRequest(method: .options, uri: binding.contact.uri, headers: headers).serialized)
    }

    /// Where requests to a binding go: the source its REGISTER came from, on the same transport.
    static func endpoint(_ binding: RegistrarBinding) -> SIPEndpoint? {
        guard let colon = binding.source.lastIndex(of: ":"), let port = Int(binding.source[binding.source.index(after: colon)...]) else { return nil }
        let host = binding.source[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard let address = try? SocketAddress(ipAddress: host, port: port) else { return nil }
        return SIPEndpoint(transport: binding.transport == "tcp" ? .tcp : .udp, address: address)
    }
}
