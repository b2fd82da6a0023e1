import ArgumentParser
import Foundation
import Store

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load tenants, extensions, trunks, outbound routes and AMI users from a YAML file (idempotent upsert).")

    @Option(help: "Directory of the SQLite store (env CENTRALINO_DATA_DIR; default ./centralino-data).")
    var dataDir: String?
    @Option(help: "The PostgreSQL store, as for serve: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (env CENTRALINO_DATABASE).")
    var database: String?

    @Argument(help: "The provisioning file (schema in docs/provisioning.md).")
    var file: String

    func run() async throws {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw CommandFailure("cannot read \(file): \(error.localizedDescription)")
        }
        let dataDirectory = StoreOptions.dataDirectory(dataDir)
        let databaseURL = try StoreOptions.databaseURL(database)
        do {
            let document = try ProvisioningParser.parse(yaml: text)
            let store = try await StoreOptions.open(dataDirectory: dataDirectory, database: databaseURL, poolSize: 1)
            // The file first: it may give the default tenant its UUID on a fresh data directory.
            let summary = try await store.apply(document)
            try await store.ensureDefaultTenant()
            print(
                "applied \(file): \(summary.tenants) tenant(s), \(summary.extensions) extension(s), \(summary.trunks) trunk(s), "
                    + "\(summary.outboundRoutes) outbound route(s), \(summary.amiUsers) AMI user(s)")
        } catch let error as ProvisioningError {
            throw CommandFailure("\(file):\(error.line): \(error.field): \(error.message); nothing was applied")
        }
    }
}
