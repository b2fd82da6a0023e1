import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PBX

/// Pattern work of one AMI session, cut into steps: one pattern over one subject (an event, a channel
/// name). A step cannot be interrupted, so it is the unit of time the worker shares out.
protocol AMIPatternJob: AnyObject, Sendable {
    /// The session is gone: the job is dropped instead of run.
    var isAbandoned: Bool { get }
    /// Runs the next step; true once nothing is left to run (then `finish()` follows).
    func step() -> Bool
    /// Hands the result to the session.
    func finish()
    /// Ends the job without a result (the session closed, or the worker stopped).
    func cancel()
}

/// Runs the AMI sessions' regular expressions (event filters, `Hangup Channel: /regex/`) on threads of
/// its own, so that they never hold an event loop nor the process-wide blocking pool, which the admin
/// logins' bcrypt and the SIP DNS lookups need.
///
/// Sessions take turns: a job runs steps for one `timeSlice` (monotonic clock; the step under way
/// finishes), then, if unfinished, goes to the back of the queue behind every other session's job. A
/// session with heavy filters therefore delays another session by at most one slice (plus one step)
/// per busy session, whatever its batch holds. Each job belongs to one session and keeps its order; a
/// session has at most one filter batch and one Hangup in the queue (it reads nothing meanwhile).
final class AMIPatternWorker: Sendable {
    /// How long a job runs before the next session's job gets its turn.
    static let timeSlice: TimeAmount = .milliseconds(5)

    /// Busy sessions' jobs, in turn order.
    private let queue = NIOLockedValueBox(CircularBuffer<any AMIPatternJob>())
    /// Nil for a worker driven by hand (`runTurn`), in tests.
    private let pool: NIOThreadPool?
    private let slice: Int64
    private let now: @Sendable () -> Int64

    /// A worker with `threads` threads of its own, started; `shutdown()` stops them.
    init(threads: Int) {
        let pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
        self.pool = pool
        self.slice = Self.timeSlice.nanoseconds
        self.now = { Int64(NIODeadline.now().uptimeNanoseconds) }
    }

    /// A worker without threads: turns run when `runTurn()` is called, against the clock `now` (nanoseconds).
    init(manualClock now: @escaping @Sendable () -> Int64, slice: TimeAmount = AMIPatternWorker.timeSlice) {
        self.pool = nil
        self.slice = slice.nanoseconds
        self.now = now
    }

    /// The worker of AMI servers built without one (tests of the AMI layer); its thread lives as long as the process.
    static let standalone = AMIPatternWorker(threads: 1)

    /// Puts `job` at the back of the queue.
    func submit(_ job: any AMIPatternJob) {
        queue.withLockedValue { $0.append(job) }
        scheduleTurn()
    }

    /// Jobs waiting for their turn (the one running excluded).
    var waiting: Int { queue.withLockedValue { $0.count } }

    /// Runs the job at the head of the queue for one slice; an unfinished job goes to the back. False
    /// when the queue was empty.
    @discardableResult
    func runTurn() -> Bool {
        guard let job = queue.withLockedValue({ $0.popFirst() }) else { return false }
        guard !job.isAbandoned else {
            job.cancel()
            return true
        }
        let start = now()
        var done = false
        repeat { done = job.step() } while !done && now() - start < slice
        if done {
            job.finish()
        } else {
            submit(job)
        }
        return true
    }

    /// Stops the threads; jobs still queued are cancelled.
    func shutdown() async {
        try? await pool?.shutdownGracefully()
        cancelQueued()
    }

    private func scheduleTurn() {
        guard let pool else { return }
        pool.submit { state in
            guard case .active = state else { return self.cancelQueued() }
            self.runTurn()
        }
    }

    private func cancelQueued() {
        let jobs = queue.withLockedValue { queue in
            defer { queue.removeAll() }
            return Array(queue)
        }
        for job in jobs { job.cancel() }
    }

    /// The events of `events` that pass `filters`, in order, completed on `promise`'s event loop.
    func filter(_ events: [ByteBuffer], _ filters: AMIEventFilterSet, channel: any NIOCore.Channel) -> EventLoopFuture<[ByteBuffer]> {
        let promise = channel.eventLoop.makePromise(of: [ByteBuffer].self)
        submit(AMIEventFilterJob(events: events, filters: filters, channel: channel, promise: promise))
        return promise.futureResult
    }

    /// The uniqueids of the channels whose name `regex` matches.
    func match(
        _ regex: LinearRegex, _ channels: [(uniqueID: String, name: String)], channel: any NIOCore.Channel
    ) -> EventLoopFuture<[String]> {
        let promise = channel.eventLoop.makePromise(of: [String].self)
        submit(AMIChannelMatchJob(regex: regex, channels: channels, channel: channel, promise: promise))
        return promise.futureResult
    }
}

/// The worker stopped, or the session closed, before the job was done.
struct AMIPatternJobCancelled: Error {}

/// A batch of a session's events through its filters, one filter over one event per step, with the
/// result of `AMIEventFilterSet.shouldSend` (include filters until one matches, then exclude filters
/// until one matches).
///
/// `@unchecked Sendable`: the mutable state is touched by one worker thread at a time; the queue's lock
/// orders one turn before the next.
final class AMIEventFilterJob: AMIPatternJob, @unchecked Sendable {
    private let events: [ByteBuffer]
    private let include: [AMIEventFilter]
    private let exclude: [AMIEventFilter]
    private let channel: (any NIOCore.Channel)?
    private let promise: EventLoopPromise<[ByteBuffer]>?
    private(set) var passed: [ByteBuffer] = []
    /// The event under way, and its next filter: an index into `include` then `exclude`.
    private var event = 0
    private var next = 0

    init(events: [ByteBuffer], filters: AMIEventFilterSet, channel: (any NIOCore.Channel)?, promise: EventLoopPromise<[ByteBuffer]>?) {
        self.events = events
        self.include = filters.include
        self.exclude = filters.exclude
        self.channel = channel
        self.promise = promise
    }

    var isAbandoned: Bool { !(channel?.isActive ?? true) }

    func step() -> Bool {
        guard event < events.count else { return true }
        let verdict = events[event].withUnsafeReadableBytes { raw in
            evaluateNextFilter(raw.assumingMemoryBound(to: UInt8.self))
        }
        if let verdict {
            if verdict { passed.append(events[event]) }
            event += 1
            next = 0
        }
        return event == events.count
    }

    /// Runs the next filter on the event under way: its verdict once decided, nil while undecided.
    private func evaluateNextFilter(_ text: UnsafeBufferPointer<UInt8>) -> Bool? {
        if include.isEmpty, exclude.isEmpty { return true }
        if next < include.count {
            if include[next].matches(text) {
                next = include.count
            } else {
                next += 1
                return next == include.count ? false : nil
            }
        } else {
            if exclude[next - include.count].matches(text) { return false }
            next += 1
        }
        return next == include.count + exclude.count ? true : nil
    }

    func finish() {
        AMIMetrics.eventsFiltered.increment(by: events.count - passed.count)
        promise?.succeed(passed)
    }

    func cancel() { promise?.fail(AMIPatternJobCancelled()) }
}

/// `Hangup Channel: /regex/` over a tenant's channel names, one name per step.
///
/// `@unchecked Sendable`: as `AMIEventFilterJob`.
final class AMIChannelMatchJob: AMIPatternJob, @unchecked Sendable {
    private let regex: LinearRegex
    private let channels: [(uniqueID: String, name: String)]
    private let channel: any NIOCore.Channel
    private let promise: EventLoopPromise<[String]>
    private var index = 0
    private var matched: [String] = []

    init(regex: LinearRegex, channels: [(uniqueID: String, name: String)], channel: any NIOCore.Channel, promise: EventLoopPromise<[String]>) {
        self.regex = regex
        self.channels = channels
        self.channel = channel
        self.promise = promise
    }

    var isAbandoned: Bool { !channel.isActive }

    func step() -> Bool {
        guard index < channels.count else { return true }
        if regex.matches(channels[index].name) { matched.append(channels[index].uniqueID) }
        index += 1
        return index == channels.count
    }

    func finish() { promise.succeed(matched) }

    func cancel() { promise.fail(AMIPatternJobCancelled()) }
}
