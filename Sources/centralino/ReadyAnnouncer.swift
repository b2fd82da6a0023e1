import Foundation
import ServiceLifecycle

/// Prints the startup lines (listening addresses, tenants) once the service group runs and the
/// listeners that bind late (Hummingbird's) accept connections, so that whoever waits for the lines
/// can connect at once and can already stop the node cleanly with SIGTERM.
struct ReadyAnnouncer: Service {
    let lines: [String]
    /// Returns once every listener accepts connections.
    let waitForListeners: @Sendable () async -> Void

    func run() async throws {
        await waitForListeners()
        // A listener that failed to bind cancels the group: then the node is not ready.
        guard !Task.isCancelled else { return }
        for line in lines {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        try? await gracefulShutdown()
    }
}

/// What logs show of the service (the service group logs each at debug level): not its lines,
/// which hold the admin panel's initial password on first start.
extension ReadyAnnouncer: CustomStringConvertible {
    var description: String { "ReadyAnnouncer" }
}
