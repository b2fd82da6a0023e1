/// Counts the HTTP listeners that are bound and accepting, so that `serve` prints its ready lines only
/// once every listener can be reached (Hummingbird binds when its service runs, after `bind()` returned).
final class ListenerReadiness: Sendable {
    private let events: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let expected: Int

    init(expected: Int) {
        (events, continuation) = AsyncStream.makeStream(of: Void.self)
        self.expected = expected
    }

    /// One listener is accepting connections.
    func listening() {
        continuation.yield()
    }

    /// Returns once `expected` listeners are accepting, or when the waiting task is cancelled.
    func wait() async {
        var listening = 0
        for await _ in events {
            listening += 1
            if listening == expected { return }
        }
    }
}
