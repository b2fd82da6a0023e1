// Starting and cancelling a timer on an event loop that already holds `pending` timers, the way a
// SIP transaction starts Timer A and B and cancels them when the answer comes.
//
//   swift run -c release TimerBenchmarks [pairs]
//
// For each number of pending timers (32 s away, as the transaction timeouts of the calls of the last
// 32 seconds are), prints the CPU time per start-and-cancel through NIO's `scheduleTask` and through
// `LoopTimerQueue`, and their ratio. Both run on the same loop in the same process. No timer fires in
// the timed part: the queue's cancelled entries are dropped there by its rebuilds (counted) or, for the
// last few, when their deadline comes (not counted, each a heap removal); NIO's cancel does all its work
// at once.
import Foundation
import NIOCore
import NIOPosix
import NodeSupport

let pairs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20_000 : 20_000

func threadCPUSeconds() -> Double {
    var usage = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &usage)
    return Double(usage.tv_sec) + Double(usage.tv_nsec) / 1e9
}

/// CPU µs per start-and-cancel, with `pending` timers held meanwhile.
func measure(on loop: any EventLoop, pending: Int, queue useQueue: Bool) throws -> Double {
    try loop.submit { () -> Double in
        let queue = LoopTimerQueue(loop: loop)
        var held: [Scheduled<Void>] = []
        var heldTimers: [LoopTimer] = []
        for _ in 0..<pending {
            if useQueue {
                heldTimers.append(queue.schedule(in: .seconds(32)) {})
            } else {
                held.append(loop.scheduleTask(in: .seconds(32)) {})
            }
        }
        let start = threadCPUSeconds()
        for _ in 0..<pairs {
            if useQueue {
                let retransmit = queue.schedule(in: .milliseconds(500)) {}
                let timeout = queue.schedule(in: .seconds(32)) {}
                retransmit.cancel()
                timeout.cancel()
            } else {
                let retransmit = loop.scheduleTask(in: .milliseconds(500)) {}
                let timeout = loop.scheduleTask(in: .seconds(32)) {}
                retransmit.cancel()
                timeout.cancel()
            }
        }
        let perPair = (threadCPUSeconds() - start) / Double(pairs) * 1e6
        for timer in held { timer.cancel() }
        queue.cancelAll()
        return perPair
    }.wait()
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let loop = group.next()
print("two timers started and cancelled, \(pairs) times; CPU µs per pair of timers")
print("pending timers   NIO scheduleTask   LoopTimerQueue   ratio")
for pending in [0, 1_000, 10_000, 30_000] {
    let nio = try measure(on: loop, pending: pending, queue: false)
    let queue = try measure(on: loop, pending: pending, queue: true)
    print(
        String(pending).padding(toLength: 17, withPad: " ", startingAt: 0)
            + String(format: "%-19.2f%-17.2f%.1f", nio, queue, nio / queue))
}
try group.syncShutdownGracefully()
