import Logging
import ServiceLifecycle
import Store

/// Reloads the in-memory directories (AMI users, SIP tenants and extensions) whenever the store's
/// revision changes, so a `centralino apply` from another process takes effect for the next login
/// or registration without a restart.
public struct DirectoryWatcher: Service {
    public static let pollInterval: Duration = .milliseconds(250)

    let store: CentralinoStore
    let directory: AMIDirectory
    let sipDirectory: SIPDirectory
    let logger: Logger

    public init(store: CentralinoStore, directory: AMIDirectory, sipDirectory: SIPDirectory, logger: Logger) {
        self.store = store
        self.directory = directory
        self.sipDirectory = sipDirectory
        self.logger = logger
    }

    /// Loads the directory once; call before serving.
    public func load() throws -> Int {
        let revision = try store.revision()
        try reload()
        return revision
    }

    private func reload() throws {
        directory.replace(with: try store.activeAMIAccounts(), logger: logger)
        sipDirectory.replace(
            tenants: try store.tenants(), extensions: try store.storedExtensions(),
            trunks: try store.storedTrunks(), routes: try store.storedRoutes())
    }

    public func run() async throws {
        var seen = try load()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await Task.sleep(for: Self.pollInterval)
            do {
                let revision = try store.revision()
                guard revision != seen else { continue }
                try reload()
                seen = revision
                logger.info("configuration reloaded", metadata: ["revision": "\(revision)"])
            } catch {
                logger.error("cannot reload configuration", metadata: ["error": "\(error)"])
            }
        }
    }
}
