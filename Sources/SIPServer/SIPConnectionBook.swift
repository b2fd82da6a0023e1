import NIOConcurrencyHelpers

/// The SIP/TCP connections open now: counts per source address and in total (the caps that keep one
/// peer from taking every descriptor), and how long a registration keeps a connection open.
final class SIPConnectionBook: Sendable {
    struct Limits: Sendable {
        var total: Int
        var perAddress: Int
    }

    /// Why a connection was not admitted.
    enum Refusal: Equatable, CustomStringConvertible {
        case total
        case perAddress

        var description: String {
            switch self {
            case .total: return "SIP/TCP connection cap reached"
            case .perAddress: return "SIP/TCP connection cap of the address reached"
            }
        }
    }

    private struct State {
        var total = 0
        var byAddress: [String: Int] = [:]
        /// `host:port` of every open connection.
        var open: Set<String> = []
        /// `host:port` of a connection → wall-clock second until which a registration through it keeps it open.
        var heldUntil: [String: UInt64] = [:]
        var refused = 0
        var idleClosed = 0
    }

    let limits: Limits
    private let state = NIOLockedValueBox(State())

    init(limits: Limits) {
        self.limits = limits
    }

    /// Counts a new connection from `ip` (at `hostPort`); nil when admitted, else why not (and nothing is counted).
    func admit(_ ip: String, hostPort: String) -> Refusal? {
        state.withLockedValue { state in
            if state.total >= limits.total {
                state.refused += 1
                return .total
            }
            if state.byAddress[ip, default: 0] >= limits.perAddress {
                state.refused += 1
                return .perAddress
            }
            state.total += 1
            state.byAddress[ip, default: 0] += 1
            state.open.insert(hostPort)
            return nil
        }
    }

    /// A connection admitted by `admit(ip)` closed.
    func release(_ ip: String, hostPort: String) {
        state.withLockedValue { state in
            state.total = max(0, state.total - 1)
            let left = state.byAddress[ip, default: 1] - 1
            state.byAddress[ip] = left > 0 ? left : nil
            state.heldUntil[hostPort] = nil
            state.open.remove(hostPort)
        }
    }

    /// A registration through the connection at `hostPort` is valid until `wallClock` seconds: the idle
    /// timeout does not close it before then (calls to the phone go out on it).
    func hold(_ hostPort: String, until wallClock: UInt64) {
        state.withLockedValue { state in
            guard state.open.contains(hostPort) else { return }  // closed meanwhile
            state.heldUntil[hostPort] = max(state.heldUntil[hostPort] ?? 0, wallClock)
        }
    }

    func heldUntil(_ hostPort: String) -> UInt64? {
        state.withLockedValue { $0.heldUntil[hostPort] }
    }

    func countIdleClose() {
        state.withLockedValue { $0.idleClosed += 1 }
    }

    /// (open, refused, closed idle) since start, for logs and metrics.
    var counts: (open: Int, refused: Int, idleClosed: Int) {
        state.withLockedValue { ($0.total, $0.refused, $0.idleClosed) }
    }
}
