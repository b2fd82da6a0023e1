import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Counts the HTTP connections open per source address and in total, under `AdminConnectionLimits`.
final class AdminConnectionLimiter: Sendable {
    private struct State {
        var total = 0
        var byAddress: [String: Int] = [:]
    }

    let limits: AdminConnectionLimits
    private let state = NIOLockedValueBox(State())

    init(limits: AdminConnectionLimits) {
        self.limits = limits
    }

    /// Counts a new connection from `address`; false (nothing counted) when a cap is reached.
    func admit(_ address: String) -> Bool {
        state.withLockedValue { state in
            guard state.total < limits.total, state.byAddress[address, default: 0] < limits.perAddress else { return false }
            state.total += 1
            state.byAddress[address, default: 0] += 1
            return true
        }
    }

    func release(_ address: String) {
        state.withLockedValue { state in
            state.total = max(0, state.total - 1)
            let left = state.byAddress[address, default: 1] - 1
            state.byAddress[address] = left > 0 ? left : nil
        }
    }
}

/// Added to every HTTP connection's pipeline: closes it at once when the caps are reached, and
/// releases its slot when it closes. Passes everything else through untouched.
final class AdminConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    /// Not inspected: reads pass through as they come.
    typealias InboundIn = NIOAny

    private let limiter: AdminConnectionLimiter
    private let logger: Logger
    private var admitted: String?
    private var decided = false

    init(limiter: AdminConnectionLimiter, logger: Logger) {
        self.limiter = limiter
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { decide(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        decide(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    private func decide(context: ChannelHandlerContext) {
        guard !decided else { return }
        decided = true
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        if limiter.admit(address) {
            admitted = address
        } else {
            logger.debug("HTTP connection refused: connection cap reached", metadata: ["from": "\(address)"])
            context.close(promise: nil)
        }
    }

    private func release() {
        guard let address = admitted else { return }
        admitted = nil
        limiter.release(address)
    }
}
