import NIOCore

/// `--engine-loops`: how many shards the call engine is split into (each on an event loop of its
/// own, a tenant's calls on one of them).
extension Serve {
    /// Most shards accepted: more than the node's loops only share loops.
    static let maximumEngineLoops = 256

    /// `--engine-loops` (env CENTRALINO_ENGINE_LOOPS), by default the number of cores.
    func engineShards() throws -> Int {
        let count = try EnvironmentOption.resolveInt(engineLoops, "CENTRALINO_ENGINE_LOOPS", default: System.coreCount)
        guard (1...Self.maximumEngineLoops).contains(count) else {
            throw CommandFailure("--engine-loops \(count): expected 1 to \(Self.maximumEngineLoops)")
        }
        return count
    }
}
