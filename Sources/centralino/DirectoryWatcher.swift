import AMIServer
import Logging
import SIPServer
import ServiceLifecycle
import Store

/// Reloads the in-memory directories (AMI users, SIP tenants and extensions) whenever the store's
/// revision changes, so a `centralino apply` from another process takes effect for the next login
/// or registration without a restart.
struct DirectoryWatcher: Service {
    static let pollInterval: Duration = .milliseconds(250)

    let store: CentralinoStore
    let directory: AMIDirectory
    let sipDirectory: SIPDirectory
    let logger: Logger

    init(store: CentralinoStore, directory: AMIDirectory, sipDirectory: SIPDirectory, logger: Logger) {
        self.store = store
        self.directory = directory
        self.sipDirectory = sipDirectory
        self.logger = logger
    }

    /// Loads the directory once; call before serving.
    func load() async throws -> Int {
        let revision = try await store.revision()
        try await reload()
        return revision
    }

    private func reload() async throws {
        directory.replace(with: try await store.activeAMIAccounts(), logger: logger)
        // The store's records become the SIP directory's own types here: neither SIP nor calls import the store.
        sipDirectory.replace(
            tenants: try await store.tenants(), extensions: try await store.storedExtensions().map(DirectoryExtension.init),
            trunks: try await store.storedTrunks().map(DirectoryTrunk.init),
            routes: try await store.storedRoutes().map { (tenant: $0.tenant, route: $0.route) })
    }

    func run() async throws {
        var seen = try await load()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await Task.sleep(for: Self.pollInterval)
            do {
                let revision = try await store.revision()
                guard revision != seen else { continue }
                try await reload()
                seen = revision
                logger.info("configuration reloaded", metadata: ["revision": "\(revision)"])
            } catch {
                logger.error("cannot reload configuration", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension DirectoryExtension {
    init(_ stored: StoredExtension) {
        self.init(tenant: stored.tenant, number: stored.number, name: stored.name, ha1MD5: stored.ha1MD5, ha1SHA256: stored.ha1SHA256)
    }
}

extension DirectoryTrunk {
    init(_ stored: StoredTrunk) {
        self.init(tenant: stored.tenant, trunk: stored.trunk, password: stored.password)
    }
}
